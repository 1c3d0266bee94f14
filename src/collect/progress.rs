//! Progress on stderr while collecting.
//!
//! * Bars, drawn only when stderr is a terminal and the user did not ask for `--quiet`.
//!   One account shows one line per step in flight (identifying the account, listing
//!   regions, IAM, Secrets Manager by region). Many accounts at once (`--org`) show one
//!   bar per step instead, counting the accounts that finished it ([`Progress::per_scope`]),
//!   so that the lines do not grow with the organisation. A finished line is cleared, so
//!   nothing is left on the terminal once the collection is done.
//! * Notes ([`Progress::note`]): one line per finished scope, for `-v`, printed above the
//!   bars when they are drawn and on stderr otherwise.

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Where progress goes: nowhere (the default), or a set of bars on stderr; and whether
/// notes are printed, and how.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    multi: Option<MultiProgress>,
    /// Turns a note into the line printed (e.g. a prefix and escaped control
    /// characters); `None`: notes are not printed.
    notes: Option<fn(&str) -> String>,
    /// Set by [`Progress::per_scope`]: steps count toward one bar each.
    tally: Option<Arc<Tally>>,
}

/// The bars of [`Progress::per_scope`]: one per step, each over every scope.
#[derive(Debug)]
struct Tally {
    multi: Option<MultiProgress>,
    title: String,
    total: u64,
    bars: Mutex<Vec<(&'static str, ProgressBar)>>,
}

impl Progress {
    /// Draws nothing and prints no notes.
    pub fn hidden() -> Self {
        Progress::default()
    }

    /// Bars on stderr when it is a terminal; nothing otherwise (a pipe, a CI log).
    pub fn on_stderr() -> Self {
        if !std::io::stderr().is_terminal() {
            return Progress::hidden();
        }
        Progress {
            multi: Some(MultiProgress::with_draw_target(ProgressDrawTarget::stderr())),
            ..Progress::default()
        }
    }

    /// The same, printing notes through `format` (`-v`).
    pub fn with_notes(self, format: fn(&str) -> String) -> Self {
        Progress {
            notes: Some(format),
            ..self
        }
    }

    /// Whether anything is drawn.
    pub fn is_visible(&self) -> bool {
        self.multi.is_some()
    }

    /// For work done over `total` scopes at once (the accounts of an organisation): the
    /// steps of every scope count toward one bar per step, titled `title: step`, instead
    /// of a line per scope and step. Plain [`Progress::spinner`] and [`Progress::bar`]
    /// lines are not drawn under it.
    pub fn per_scope(&self, title: impl Into<String>, total: u64) -> Progress {
        Progress {
            tally: Some(Arc::new(Tally {
                multi: self.multi.clone(),
                title: title.into(),
                total,
                bars: Mutex::new(Vec::new()),
            })),
            ..self.clone()
        }
    }

    /// One step of one scope, e.g. (`aws:123456789012`, "IAM users and roles"): a spinner
    /// line `scope step`, or under [`Progress::per_scope`] one more on the step's bar
    /// when the returned phase is dropped.
    pub fn step(&self, scope: &str, step: &'static str) -> Phase {
        self.step_of(scope, step, None)
    }

    /// [`Progress::step`] of `total` parts (e.g. regions), advanced by [`Phase::inc`];
    /// under [`Progress::per_scope`] the parts are not shown, only the finished step.
    pub fn steps(&self, scope: &str, step: &'static str, total: u64) -> Phase {
        self.step_of(scope, step, Some(total))
    }

    fn step_of(&self, scope: &str, step: &'static str, total: Option<u64>) -> Phase {
        let (Some(multi), Some(tally)) = (&self.multi, &self.tally) else {
            return self.add(format!("{scope} {step}"), total);
        };
        let mut bars = match tally.bars.lock() {
            Ok(bars) => bars,
            Err(poisoned) => poisoned.into_inner(),
        };
        let bar = match bars.iter().find(|(name, _)| *name == step) {
            Some((_, bar)) => bar.clone(),
            None => {
                let bar = multi.add(styled(ProgressBar::new(tally.total), true));
                bar.set_prefix(format!("{}: {step}", tally.title));
                bars.push((step, bar.clone()));
                bar
            }
        };
        Phase {
            shown: Shown::Counts(bar),
        }
    }

    /// Prints `line` (`-v`): above the bars when they are drawn, else on stderr.
    pub fn note(&self, line: &str) {
        let Some(format) = self.notes else { return };
        let line = format(line);
        match &self.multi {
            // println fails only when the terminal is gone; then so is the reader.
            Some(multi) => {
                let _ = multi.println(line);
            }
            None => eprintln!("{line}"),
        }
    }

    /// A phase of unknown length: a spinner with `label` and the time taken so far.
    pub fn spinner(&self, label: impl Into<String>) -> Phase {
        self.add(label.into(), None)
    }

    /// A phase of `total` steps: a bar with `label`, advanced by [`Phase::inc`].
    pub fn bar(&self, label: impl Into<String>, total: u64) -> Phase {
        self.add(label.into(), Some(total))
    }

    fn add(&self, label: String, total: Option<u64>) -> Phase {
        let (Some(multi), None) = (&self.multi, &self.tally) else {
            return Phase {
                shown: Shown::Nothing,
            };
        };
        let bar = match total {
            Some(total) => styled(ProgressBar::new(total), true),
            None => styled(ProgressBar::new_spinner(), false),
        };
        let bar = multi.add(bar);
        bar.set_prefix(label);
        Phase {
            shown: Shown::Line(multi.clone(), bar),
        }
    }
}

/// A bar (`counted`) or a spinner, with the label, the time taken so far and a message.
fn styled(bar: ProgressBar, counted: bool) -> ProgressBar {
    let template = if counted {
        "{prefix} [{bar:24}] {pos}/{len} ({elapsed}) {msg}"
    } else {
        "{spinner} {prefix} ({elapsed}) {msg}"
    };
    let style = ProgressStyle::with_template(template).unwrap_or_else(|_| {
        // The templates are constants; should one be rejected, keep the bars plain.
        ProgressStyle::default_spinner()
    });
    let bar = bar.with_style(style.progress_chars("=> "));
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// One line of progress, cleared when dropped; or one step counted on a shared bar
/// when dropped.
#[derive(Debug)]
pub struct Phase {
    shown: Shown,
}

#[derive(Debug)]
enum Shown {
    Nothing,
    Line(MultiProgress, ProgressBar),
    Counts(ProgressBar),
}

impl Phase {
    /// One more part done.
    pub fn inc(&self) {
        if let Shown::Line(_, bar) = &self.shown {
            bar.inc(1);
        }
    }

    /// Text after the label (e.g. how many accounts failed so far).
    pub fn set_message(&self, message: impl Into<String>) {
        if let Shown::Line(_, bar) = &self.shown {
            bar.set_message(message.into());
        }
    }
}

impl Drop for Phase {
    fn drop(&mut self) {
        match &self.shown {
            Shown::Nothing => {}
            Shown::Line(multi, bar) => {
                bar.finish_and_clear();
                multi.remove(bar);
            }
            Shown::Counts(bar) => bar.inc(1),
        }
    }
}

impl Drop for Tally {
    fn drop(&mut self) {
        let bars = match self.bars.get_mut() {
            Ok(bars) => bars,
            Err(poisoned) => poisoned.into_inner(),
        };
        for (_, bar) in bars.iter() {
            bar.finish_and_clear();
            if let Some(multi) = &self.multi {
                multi.remove(bar);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_progress_draws_nothing_and_accepts_everything() {
        let progress = Progress::hidden();
        assert!(!progress.is_visible());
        let phase = progress.bar("aws:123456789012 Secrets Manager", 3);
        phase.inc();
        phase.set_message("1 failed");
        drop(phase);
        drop(progress.spinner("aws: identifying the account"));
        let per_account = progress.per_scope("aws organization", 2);
        drop(per_account.step("aws:123456789012", "IAM users and roles"));
        progress.note("not printed: no notes were asked for");
    }

    /// Bars that are kept as if drawn, on a target that draws nowhere.
    fn drawn_nowhere() -> Progress {
        Progress {
            multi: Some(MultiProgress::with_draw_target(ProgressDrawTarget::hidden())),
            ..Progress::default()
        }
    }

    fn tally_of(progress: &Progress) -> Vec<(String, u64, Option<u64>)> {
        let Some(tally) = &progress.tally else {
            return Vec::new();
        };
        let bars = tally.bars.lock().unwrap_or_else(|p| p.into_inner());
        bars.iter()
            .map(|(_, bar)| (bar.prefix(), bar.position(), bar.length()))
            .collect()
    }

    #[test]
    fn one_scope_shows_a_line_per_step_and_clears_it_when_done() {
        let progress = drawn_nowhere();
        let phase = progress.steps("aws:123456789012", "Secrets Manager regions", 3);
        phase.inc();
        let Shown::Line(_, bar) = &phase.shown else {
            panic!("no line for the step")
        };
        assert_eq!(bar.prefix(), "aws:123456789012 Secrets Manager regions");
        assert_eq!((bar.position(), bar.length()), (1, Some(3)));
        let bar = bar.clone();
        drop(phase);
        assert!(bar.is_finished());
    }

    #[test]
    fn many_scopes_count_each_step_on_one_bar() {
        let progress = drawn_nowhere().per_scope("aws organization", 3);
        for account in ["111111111111", "222222222222"] {
            let scope = format!("aws:{account}");
            let assuming = progress.step(&scope, "assuming the audit role");
            drop(assuming);
            let regions = progress.steps(&scope, "Secrets Manager regions", 17);
            regions.inc();
            drop(regions);
        }
        drop(progress.step("aws:333333333333", "assuming the audit role"));
        // Plain lines are not drawn under per_scope: they would grow with the accounts.
        assert!(matches!(
            progress.spinner("aws:333333333333 listing regions").shown,
            Shown::Nothing
        ));
        assert_eq!(
            tally_of(&progress),
            [
                (
                    "aws organization: assuming the audit role".into(),
                    3,
                    Some(3)
                ),
                (
                    "aws organization: Secrets Manager regions".into(),
                    2,
                    Some(3)
                ),
            ]
        );
    }
}
