//! Coverage details shared by the collectors.

/// Items named in a coverage detail before "and N more".
pub const MAX_NAMED: usize = 10;

/// `3 of 40 repositories not fully read: a: …; b: …; c: …` — the first [`MAX_NAMED`]
/// problems, then `; and N more`.
pub fn not_fully_read(problems: &[String], total: usize, what: &str) -> String {
    let mut text = format!(
        "{} of {total} {what} not fully read: {}",
        problems.len(),
        problems
            .iter()
            .take(MAX_NAMED)
            .cloned()
            .collect::<Vec<_>>()
            .join("; ")
    );
    let more = problems.len().saturating_sub(MAX_NAMED);
    if more > 0 {
        text.push_str(&format!("; and {more} more"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_problems_are_named_and_the_rest_counted() {
        let problems: Vec<String> = (1..=12).map(|i| format!("p{i}")).collect();
        assert_eq!(
            not_fully_read(&problems, 40, "repositories"),
            "12 of 40 repositories not fully read: p1; p2; p3; p4; p5; p6; p7; p8; p9; p10; and 2 more"
        );
        assert_eq!(
            not_fully_read(&problems[..1], 3, "service accounts"),
            "1 of 3 service accounts not fully read: p1"
        );
    }
}
