//! Progress bars on stderr while collecting: one line per account and phase in flight
//! (identifying the account, listing regions, IAM, Secrets Manager by region; with
//! `--org`, listing the accounts and a bar over them). Drawn only when stderr is a
//! terminal and the user did not ask for `--quiet`; otherwise every call here does
//! nothing. A finished phase clears its line, so that nothing is left on the terminal
//! once the collection is done, and the report or warnings that follow print cleanly.

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::Duration;

/// Where progress goes: nowhere (the default), or a set of bars on stderr.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    multi: Option<MultiProgress>,
}

impl Progress {
    /// Draws nothing.
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
        }
    }

    /// Whether anything is drawn.
    pub fn is_visible(&self) -> bool {
        self.multi.is_some()
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
        let Some(multi) = &self.multi else {
            return Phase { shown: None };
        };
        let (bar, template) = match total {
            Some(total) => (
                ProgressBar::new(total),
                "{prefix} [{bar:24}] {pos}/{len} ({elapsed}) {msg}",
            ),
            None => (
                ProgressBar::new_spinner(),
                "{spinner} {prefix} ({elapsed}) {msg}",
            ),
        };
        let style = ProgressStyle::with_template(template).unwrap_or_else(|_| {
            // The templates are constants; should one be rejected, keep the bars plain.
            ProgressStyle::default_spinner()
        });
        let bar = multi.add(bar.with_style(style.progress_chars("=> ")));
        bar.set_prefix(label);
        bar.enable_steady_tick(Duration::from_millis(120));
        Phase {
            shown: Some((multi.clone(), bar)),
        }
    }
}

/// One line of progress; cleared when dropped.
#[derive(Debug)]
pub struct Phase {
    shown: Option<(MultiProgress, ProgressBar)>,
}

impl Phase {
    /// One more step done.
    pub fn inc(&self) {
        if let Some((_, bar)) = &self.shown {
            bar.inc(1);
        }
    }

    /// Text after the label (e.g. how many accounts failed so far).
    pub fn set_message(&self, message: impl Into<String>) {
        if let Some((_, bar)) = &self.shown {
            bar.set_message(message.into());
        }
    }
}

impl Drop for Phase {
    fn drop(&mut self) {
        if let Some((multi, bar)) = &self.shown {
            bar.finish_and_clear();
            multi.remove(bar);
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
    }
}
