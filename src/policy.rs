//! Policy: which findings fail a run, and the exit code that says so.

use crate::rules::Severity;

/// Exit codes, documented in the README.
pub mod exit {
    /// Nothing at or above `--fail-on`, and everything was scanned.
    pub const CLEAN: u8 = 0;
    /// Findings at or above `--fail-on`.
    pub const FINDINGS: u8 = 1;
    /// Usage or input error: nothing was scanned or written.
    pub const ERROR: u8 = 2;
    /// Some source (provider, account, region, file) or rule could not be fully scanned.
    pub const INCOMPLETE: u8 = 3;
    /// Both 1 and 3.
    pub const FINDINGS_AND_INCOMPLETE: u8 = 4;
}

/// The exit code of a finished scan, from its most severe finding.
pub fn exit_code(worst: Option<Severity>, fail_on: Option<Severity>, incomplete: bool) -> u8 {
    let failing = matches!((worst, fail_on), (Some(worst), Some(threshold)) if worst >= threshold);
    match (failing, incomplete) {
        (false, false) => exit::CLEAN,
        (true, false) => exit::FINDINGS,
        (false, true) => exit::INCOMPLETE,
        (true, true) => exit::FINDINGS_AND_INCOMPLETE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_threshold_and_coverage() {
        let found = Some(Severity::Medium);
        assert_eq!(exit_code(found, None, false), exit::CLEAN);
        assert_eq!(exit_code(found, Some(Severity::High), false), exit::CLEAN);
        assert_eq!(
            exit_code(found, Some(Severity::Medium), false),
            exit::FINDINGS
        );
        assert_eq!(
            exit_code(found, Some(Severity::Low), true),
            exit::FINDINGS_AND_INCOMPLETE
        );
        assert_eq!(exit_code(None, Some(Severity::Low), true), exit::INCOMPLETE);
        assert_eq!(exit_code(None, Some(Severity::Low), false), exit::CLEAN);
    }
}
