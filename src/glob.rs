//! The crate's one wildcard matcher, for IAM actions and ARNs, Azure actions and
//! permission names, and the patterns users write (suppressions, `[identities]`): `*`
//! stands for any run of characters and `?` for one; nothing else is special (unlike
//! file globs, `/` is an ordinary character).

/// Whether `pattern` matches all of `text`, comparing characters exactly (ARNs, as IAM
/// compares resources).
pub fn matches(pattern: &str, text: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    wildcard(&p, &t)
}

/// Whether `pattern` matches all of `text`, ignoring ASCII case (IAM and Azure actions).
pub fn matches_ignore_case(pattern: &str, text: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    let lower = |s: &str| s.to_ascii_lowercase().chars().collect::<Vec<char>>();
    wildcard(&lower(pattern), &lower(text))
}

/// Iterative matching with backtracking to the last `*`: linear in practice, never
/// exponential.
fn wildcard(pattern: &[char], text: &[char]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == '?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == '*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

/// A pattern a user wrote, checked once: `*` and `?` only. The characters file globs
/// give a meaning (`[`, `]`, `{`, `}`, `\\`) are refused rather than taken literally,
/// so that a pattern written for another tool does not silently match nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    text: String,
    ignore_case: bool,
}

impl Pattern {
    /// `text`, compared exactly (`ignore_case`: ignoring ASCII case).
    pub fn new(text: &str, ignore_case: bool) -> Result<Pattern, String> {
        if let Some(c) = text.chars().find(|c| "[]{}\\".contains(*c)) {
            return Err(format!(
                "`{}` uses `{c}`, which nhiscan's patterns do not give a meaning: only `*` \
                 (any run of characters) and `?` (one character) are wildcards",
                text.escape_debug()
            ));
        }
        Ok(Pattern {
            text: text.to_string(),
            ignore_case,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the pattern matches all of `text`.
    pub fn is_match(&self, text: &str) -> bool {
        if self.ignore_case {
            matches_ignore_case(&self.text, text)
        } else {
            matches(&self.text, text)
        }
    }
}

/// Whether two patterns (`*` on either side, ASCII case ignored) can match one same
/// text: a grant `bedrock:Invoke*` covers the action pattern `bedrock:InvokeModel*`.
pub fn overlaps(a: &str, b: &str) -> bool {
    let (p, g) = (a.as_bytes(), b.as_bytes());
    // Cheap rejections first: the literal text before the first `*` of either, and
    // after the last `*`, must agree. Most pairs fail here on their first bytes.
    let head = |s: &[u8]| s.iter().position(|&c| c == b'*').unwrap_or(s.len());
    let (ph, gh) = (head(p), head(g));
    let n = ph.min(gh);
    if !p[..n].eq_ignore_ascii_case(&g[..n])
        || (ph == p.len() && gh == g.len() && p.len() != g.len())
    {
        return false;
    }
    let tail = |s: &[u8]| s.iter().rev().position(|&c| c == b'*').unwrap_or(s.len());
    let m = tail(p).min(tail(g));
    if !p[p.len() - m..].eq_ignore_ascii_case(&g[g.len() - m..]) {
        return false;
    }
    // reachable[i * width + j]: p[i..] and g[j..] can still match one text.
    let width = g.len() + 1;
    let mut reachable = vec![false; (p.len() + 1) * width];
    reachable[p.len() * width + g.len()] = true;
    for i in (0..=p.len()).rev() {
        for j in (0..=g.len()).rev() {
            if i == p.len() && j == g.len() {
                continue;
            }
            let at = |i: usize, j: usize| reachable[i * width + j];
            reachable[i * width + j] = match (p.get(i), g.get(j)) {
                (Some(b'*'), _) => at(i + 1, j) || (j < g.len() && at(i, j + 1)),
                (_, Some(b'*')) => at(i, j + 1) || (i < p.len() && at(i + 1, j)),
                (Some(x), Some(y)) => x.eq_ignore_ascii_case(y) && at(i + 1, j + 1),
                _ => false,
            };
        }
    }
    reachable[0]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stars_and_question_marks() {
        assert!(matches(
            "arn:aws:iam::*:role/ci-*",
            "arn:aws:iam::1:role/ci-deploy"
        ));
        assert!(!matches(
            "arn:aws:iam::*:role/ci-*",
            "arn:aws:iam::1:role/CI-deploy"
        ));
        assert!(matches("iam:Pass?ole", "iam:PassRole"));
        assert!(matches_ignore_case("IAM:passrole", "iam:PassRole"));
        assert!(matches_ignore_case(
            "Microsoft.Authorization/*/write",
            "microsoft.authorization/roleAssignments/write"
        ));
        assert!(!matches_ignore_case("s3:*", "iam:PassRole"));
        assert!(matches("*", ""));
        assert!(!matches("a*b", "a"));
    }

    #[test]
    fn user_patterns_know_stars_and_question_marks_only() {
        let legacy =
            Pattern::new("arn:aws:iam::*:user/legacy-*", false).unwrap_or_else(|e| panic!("{e}"));
        assert!(legacy.is_match("arn:aws:iam::111122223333:user/legacy-sync"));
        assert!(!legacy.is_match("arn:aws:iam::111122223333:user/Legacy-sync"));
        let people = Pattern::new("*.*@example.com", true).unwrap_or_else(|e| panic!("{e}"));
        assert!(people.is_match("Priya.Shah@EXAMPLE.com"));
        for bad in ["role/{a,b}", "svc-[0-9]", "a\\*"] {
            let e = Pattern::new(bad, false).err().unwrap_or_default();
            assert!(e.contains("only `*`"), "{bad}: {e}");
        }
    }

    #[test]
    fn patterns_overlap_when_one_text_matches_both() {
        assert!(overlaps("bedrock:InvokeModel*", "bedrock:Invoke*"));
        assert!(overlaps("*:InvokeModel", "bedrock:Invoke*"));
        assert!(!overlaps("bedrock:InvokeModel*", "bedrock:List*"));
        assert!(!overlaps("bedrock:Invoke", "bedrock:InvokeModel"));
        assert!(overlaps(
            "Cognitive Services OpenAI User",
            "cognitive services openai user"
        ));
    }
}
