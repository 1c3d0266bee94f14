//! Policy: which findings fail a run, and the exit code that says so.

use crate::finding::Finding;
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

/// Whether a finding counts against `--fail-on`.
pub fn fails(finding: &Finding, fail_on: Option<Severity>) -> bool {
    fail_on.is_some_and(|threshold| finding.severity >= threshold)
}

/// The exit code of a finished scan.
pub fn exit_code(findings: &[Finding], fail_on: Option<Severity>, incomplete: bool) -> u8 {
    let failing = findings.iter().any(|f| fails(f, fail_on));
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
    use crate::enrich::owner::OwnerStatus;
    use crate::finding::EntityRef;
    use crate::inventory::{Provider, Scope, ScopeKind};
    use crate::rules::{Confidence, Target};

    fn finding(severity: Severity) -> Finding {
        Finding {
            id: "NHI-0".into(),
            rule_id: "r".into(),
            title: "t".into(),
            severity,
            confidence: Confidence::High,
            entity: EntityRef {
                target: Target::Identity,
                provider: Provider::Aws,
                scope: Scope {
                    kind: ScopeKind::Account,
                    id: "1".into(),
                    name: None,
                },
                kind: "role".into(),
                id: "x".into(),
                name: None,
                identity_id: None,
            },
            owner: None,
            owner_status: OwnerStatus::Missing,
            message: String::new(),
            evidence: Default::default(),
            remediation: "".into(),
            references: Default::default(),
        }
    }

    #[test]
    fn exit_codes_follow_threshold_and_coverage() {
        let found = [finding(Severity::Medium)];
        assert_eq!(exit_code(&found, None, false), exit::CLEAN);
        assert_eq!(exit_code(&found, Some(Severity::High), false), exit::CLEAN);
        assert_eq!(
            exit_code(&found, Some(Severity::Medium), false),
            exit::FINDINGS
        );
        assert_eq!(
            exit_code(&found, Some(Severity::Low), true),
            exit::FINDINGS_AND_INCOMPLETE
        );
        assert_eq!(exit_code(&[], Some(Severity::Low), true), exit::INCOMPLETE);
    }
}
