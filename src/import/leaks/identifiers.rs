//! Finding credential identifiers in text a scanner matched: only identifiers come out.

use super::LeakedCredential;
use regex::Regex;
use std::sync::LazyLock;

/// The identifiers found in one piece of text.
#[derive(Debug, Default, PartialEq)]
pub struct Identifiers {
    pub aws_key_ids: Vec<String>,
    /// `private_key_id`s, with the `client_email` beside them when there is one.
    pub gcp_keys: Vec<(String, Option<String>)>,
    /// The documented type of each GitHub token (`ghp_`: a classic personal access token).
    pub github_tokens: Vec<&'static str>,
}

impl Identifiers {
    pub fn merge(&mut self, other: Identifiers) {
        self.aws_key_ids.extend(other.aws_key_ids);
        self.gcp_keys.extend(other.gcp_keys);
        self.github_tokens.extend(other.github_tokens);
    }

    /// The credentials they name, each once.
    pub fn credentials(self) -> Vec<LeakedCredential> {
        let mut out: Vec<LeakedCredential> = self
            .aws_key_ids
            .into_iter()
            .map(|key_id| LeakedCredential::AwsAccessKey { key_id })
            .chain(
                self.gcp_keys
                    .into_iter()
                    .map(
                        |(private_key_id, client_email)| LeakedCredential::GcpServiceAccountKey {
                            private_key_id,
                            client_email,
                        },
                    ),
            )
            .chain(
                self.github_tokens
                    .into_iter()
                    .map(|t| LeakedCredential::GithubToken {
                        token_type: t.to_string(),
                    }),
            )
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

/// An AWS access key id: a four-letter prefix and 16 upper-case letters or digits.
static AWS_KEY_ID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b((?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16})\b").unwrap_or_else(|_| never())
});

/// A service-account key file's `"private_key_id": "<40 hex>"`, also JSON-escaped.
static GCP_KEY_ID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"\\?"private_key_id\\?"\s*:\s*\\?"([0-9a-f]{40})\\?""#).unwrap_or_else(|_| never())
});

static GCP_CLIENT_EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"\\?"client_email\\?"\s*:\s*\\?"([A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.gserviceaccount\.com)\\?""#)
        .unwrap_or_else(|_| never())
});

/// GitHub tokens by their documented prefixes (github.blog, "Behind GitHub's new
/// authentication token formats", 2021).
static GITHUB_TOKEN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}\b|\bgithub_pat_[A-Za-z0-9_]{22,}")
        .unwrap_or_else(|_| never())
});

/// The patterns above are constants: they compile.
fn never() -> Regex {
    unreachable!("a constant pattern failed to compile")
}

/// The identifiers in `text`.
pub fn find(text: &str) -> Identifiers {
    let aws_key_ids = AWS_KEY_ID
        .captures_iter(text)
        .map(|c| c[1].to_string())
        .collect();
    let client_email = GCP_CLIENT_EMAIL.captures(text).map(|c| c[1].to_string());
    let gcp_keys = GCP_KEY_ID
        .captures_iter(text)
        .map(|c| (c[1].to_string(), client_email.clone()))
        .collect();
    let github_tokens = GITHUB_TOKEN
        .captures_iter(text)
        .map(|c| match c.get(1).map(|m| m.as_str()) {
            Some("ghp") => "classic personal access token (ghp_)",
            Some("gho") => "OAuth access token (gho_)",
            Some("ghu") => "GitHub App user-to-server token (ghu_)",
            Some("ghs") => "GitHub App installation token (ghs_)",
            Some("ghr") => "refresh token (ghr_)",
            _ => "fine-grained personal access token (github_pat_)",
        })
        .collect();
    Identifiers {
        aws_key_ids,
        gcp_keys,
        github_tokens,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_each_kind_of_identifier() {
        let found = find(
            "aws_access_key_id = AKIANI3KFTQ642OVWO6T\naws_secret_access_key = \
             wJalrXUtnFEMI/K7MDENG/bPxRfiCYFAKEKEY0001",
        );
        assert_eq!(found.aws_key_ids, ["AKIANI3KFTQ642OVWO6T"]);
        let key = r#"{\"type\": \"service_account\", \"private_key_id\": \"9899c7f21449cc86ad7ef38d50d47c936c0eac37\", \"client_email\": \"tf@p.iam.gserviceaccount.com\"}"#;
        assert_eq!(
            find(key).gcp_keys,
            [(
                "9899c7f21449cc86ad7ef38d50d47c936c0eac37".to_string(),
                Some("tf@p.iam.gserviceaccount.com".to_string())
            )]
        );
        let token = find("token: ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789");
        assert_eq!(
            token.github_tokens,
            ["classic personal access token (ghp_)"]
        );
    }

    #[test]
    fn a_longer_word_is_not_a_key_id() {
        assert!(find("XAKIANI3KFTQ642OVWO6TX").aws_key_ids.is_empty());
        assert!(find("AKIA123").aws_key_ids.is_empty());
    }
}
