//! Policy: which findings fail a run, and the exit code that says so: the threshold,
//! the baseline ([`baseline`]) and suppressions ([`suppress`]).

pub mod baseline;
pub mod suppress;

use crate::finding::Summary;
use crate::finding::{BaselineState, Mark};
use crate::rules::findings::Findings;
use crate::rules::{RuleSet, Severity};
use baseline::{Baseline, BaselineInfo};
use chrono::{DateTime, Utc};
use std::path::Path;
use suppress::{SuppressionReport, Suppressions};

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

/// Reads `--baseline` and the suppressions file (`--ignore`, else
/// `.nhiscan-ignore.yaml` when present), refusing suppressions of unknown rules.
pub fn load(
    baseline: Option<&Path>,
    ignore: Option<&Path>,
    rules: &RuleSet,
) -> anyhow::Result<(Option<Baseline>, Option<Suppressions>)> {
    let baseline = baseline.map(Baseline::read).transpose()?;
    let suppressions = Suppressions::discover(ignore)?;
    if let Some(s) = &suppressions {
        s.check_rules(|id| rules.get(id).is_some())?;
    }
    Ok((baseline, suppressions))
}

/// What the baseline and the suppressions made of a scan, for the report.
#[derive(Debug, Default)]
pub struct Triage {
    pub baseline: Option<BaselineInfo>,
    pub suppressions: Option<SuppressionReport>,
}

/// Marks each finding `new` or `existing` against `baseline` and suppressed by the
/// first entry of `suppressions` in force at `as_of`. Call after sorting, before
/// leaving findings out.
pub fn triage(
    findings: &mut Findings,
    baseline: Option<&Baseline>,
    suppressions: Option<&Suppressions>,
    as_of: DateTime<Utc>,
) -> Triage {
    if baseline.is_none() && suppressions.is_none() {
        return Triage::default();
    }
    let states: Vec<Option<BaselineState>> = match baseline {
        Some(b) => findings
            .subjects()
            .map(|s| Some(b.state(&s.finding_id())))
            .collect(),
        None => vec![None; findings.len()],
    };
    let applied = suppressions.map(|s| s.apply(findings.subjects(), as_of));
    let existing = states
        .iter()
        .filter(|s| **s == Some(BaselineState::Existing))
        .count();
    let marks = states
        .into_iter()
        .enumerate()
        .map(|(i, baseline)| Mark {
            baseline,
            suppressed: applied
                .as_ref()
                .and_then(|a| a.marks.get(i).cloned().flatten()),
        })
        .collect();
    findings.set_marks(marks);
    Triage {
        baseline: baseline.map(|b| b.info(existing)),
        suppressions: applied.map(|a| a.report),
    }
}

impl Triage {
    /// Expired and unmatched suppressions, one line each.
    pub fn warnings(&self) -> Vec<String> {
        self.suppressions
            .as_ref()
            .map(SuppressionReport::warnings)
            .unwrap_or_default()
    }

    /// Zero counts where a baseline or suppressions were given but nothing fell in.
    pub fn complete(&self, summary: &mut Summary) {
        if self.baseline.is_some() {
            summary.new.get_or_insert(0);
            summary.existing.get_or_insert(0);
        }
        if self.suppressions.is_some() {
            summary.suppressed.get_or_insert(0);
        }
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
