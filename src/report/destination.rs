//! Where a report goes, and how it gets there without harm:
//!
//! * a regular file (or a new one) is written to a temporary file beside it, synced,
//!   and renamed into place; a symbolic link to one is followed, so the link stays;
//! * anything else that exists — a device such as `/dev/null`, a FIFO, a terminal,
//!   `/dev/stdout` — is written directly: renaming over it would replace it with a
//!   regular file;
//! * a folder is refused before anything is written.
//!
//! Several reports of one run are staged first and committed together ([`commit`]):
//! each replaced file is kept (hard-linked) until all are in place, so a failure puts
//! every earlier one back and the error names the report that failed. Temporary files
//! are registered while they exist, so that SIGINT or SIGTERM removes them
//! ([`clean_up_on_signals`]).

use super::direct_write::DirectWriter;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Temporary files that exist now (staged reports, kept originals): removed on SIGINT
/// or SIGTERM.
static PENDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn pending() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    match PENDING.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// A temporary file that is removed when dropped, unless renamed into place.
struct Temp {
    path: PathBuf,
    kept: bool,
}

impl Temp {
    fn register(path: PathBuf) -> Temp {
        pending().push(path.clone());
        Temp { path, kept: false }
    }

    /// It was renamed into place: nothing to remove.
    fn keep(mut self) {
        self.kept = true;
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        if !self.kept {
            let _ = fs::remove_file(&self.path);
        }
        pending().retain(|p| p != &self.path);
    }
}

/// On SIGINT or SIGTERM, removes the temporary files that exist and exits with 130
/// or 143, as the shell reports a process killed by them. Call once, at start.
pub fn clean_up_on_signals() {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else {
        return;
    };
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            for path in pending().iter() {
                let _ = fs::remove_file(path);
            }
            std::process::exit(128 + signal);
        }
    });
}

/// One report, written and waiting to be committed.
pub struct Staged {
    /// Where the user asked for it.
    target: PathBuf,
    how: How,
}

enum How {
    /// A temporary file beside `into` (the target, or the file its link points at).
    Rename { temp: Temp, into: PathBuf },
    /// The whole report, for a target that is not a regular file.
    Direct(Vec<u8>),
}

/// Writes one report for `path`: staged beside it, or held to be written directly.
/// A folder, or a path under a missing folder, is an error now.
pub fn stage(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<Staged> {
    let into = match resolve(path)? {
        Resolved::Direct => {
            let mut bytes = Vec::new();
            write(&mut bytes)?;
            return Ok(Staged {
                target: path.to_path_buf(),
                how: How::Direct(bytes),
            });
        }
        Resolved::File(into) => into,
    };
    let dir = match into.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let file = tempfile::Builder::new()
        .prefix(".nhiscan-")
        .tempfile_in(dir)?;
    let (file, path_of_temp) = file.keep().map_err(|e| e.error)?;
    let temp = Temp::register(path_of_temp);
    {
        let mut writer = DirectWriter::new(&file);
        write(&mut writer)?;
        writer.finish()?;
    }
    file.sync_all()?;
    Ok(Staged {
        target: path.to_path_buf(),
        how: How::Rename { temp, into },
    })
}

/// How a target is written.
enum Resolved {
    /// Renamed into this regular file's place.
    File(PathBuf),
    /// Written directly.
    Direct,
}

fn resolve(path: &Path) -> io::Result<Resolved> {
    match fs::metadata(path) {
        Ok(meta) if meta.is_dir() => Err(io::Error::other(format!(
            "{} is a folder: name a file",
            path.display()
        ))),
        Ok(meta) if !meta.is_file() => Ok(Resolved::Direct),
        Ok(_) if is_link(path) => Ok(match fs::canonicalize(path) {
            // Under /proc (`/dev/stdout` → `/proc/self/fd/1`) the name is no file's.
            Ok(real) if !real.starts_with("/proc") => Resolved::File(real),
            _ => Resolved::Direct,
        }),
        Ok(_) => Ok(Resolved::File(path.to_path_buf())),
        // A link to nothing, or a path under /proc or /dev that is not there: do not
        // create a regular file in place of what the user meant.
        Err(_) if is_link(path) || path.starts_with("/dev") || path.starts_with("/proc") => {
            Err(io::Error::other(format!(
                "{} does not exist, and nhiscan does not create files there",
                path.display()
            )))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let parent = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            if parent.is_dir() {
                Ok(Resolved::File(path.to_path_buf()))
            } else {
                Err(io::Error::other(format!(
                    "the folder {} does not exist",
                    parent.display()
                )))
            }
        }
        Err(e) => Err(e),
    }
}

fn is_link(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// Why a commit failed: which report, and what happened. Every report that was
/// already in place was put back.
#[derive(Debug)]
pub struct CommitError {
    pub target: PathBuf,
    pub error: io::Error,
}

impl std::fmt::Display for CommitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "cannot write {}: {} (no report was changed)",
            self.target.display(),
            self.error
        )
    }
}

impl std::error::Error for CommitError {}

/// A file replaced by a commit, and its original kept aside until the end.
struct Replaced {
    into: PathBuf,
    original: Option<Temp>,
}

/// Puts every staged report in place: the renames first, each replaced file kept
/// until all succeeded (a failure puts the earlier ones back), then the direct
/// writes. Returns the targets, in order.
pub fn commit(staged: Vec<Staged>) -> Result<Vec<PathBuf>, CommitError> {
    let mut replaced: Vec<Replaced> = Vec::new();
    let mut direct = Vec::new();
    let mut targets = Vec::new();
    for staged in staged {
        let Staged { target, how } = staged;
        match how {
            How::Direct(bytes) => direct.push((target, bytes)),
            How::Rename { temp, into } => {
                let result = keep_original(&into).and_then(|original| {
                    fs::rename(&temp.path, &into)?;
                    Ok(original)
                });
                match result {
                    Ok(original) => {
                        temp.keep();
                        replaced.push(Replaced { into, original });
                        targets.push(target);
                    }
                    Err(error) => {
                        roll_back(replaced);
                        return Err(CommitError { target, error });
                    }
                }
            }
        }
    }
    // Past this point nothing is put back: the renamed reports stay.
    drop(replaced);
    for (target, bytes) in direct {
        let written = fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(&target)
            .and_then(|mut file| file.write_all(&bytes).and_then(|()| file.flush()));
        if let Err(error) = written {
            return Err(CommitError { target, error });
        }
        targets.push(target);
    }
    Ok(targets)
}

/// A hard link to the file at `into` (a copy where links are not supported), if
/// there is one: the original to put back.
fn keep_original(into: &Path) -> io::Result<Option<Temp>> {
    if !into.is_file() {
        return Ok(None);
    }
    let dir = match into.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = tempfile::Builder::new()
        .prefix(".nhiscan-original-")
        .tempfile_in(dir)?
        .into_temp_path();
    let aside = name.to_path_buf();
    // The name is ours; the placeholder file goes, the link takes its place.
    name.close()?;
    let kept = Temp::register(aside.clone());
    if fs::hard_link(into, &aside).is_err() {
        fs::copy(into, &aside)?;
    }
    Ok(Some(kept))
}

/// Puts back every original (or removes a report that replaced nothing), latest first.
fn roll_back(replaced: Vec<Replaced>) {
    for Replaced { into, original } in replaced.into_iter().rev() {
        match original {
            Some(original) => {
                if fs::rename(&original.path, &into).is_ok() {
                    original.keep();
                }
            }
            None => {
                let _ = fs::remove_file(&into);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn staged(path: &Path, text: &str) -> Staged {
        stage(path, |out| out.write_all(text.as_bytes())).unwrap_or_else(|e| panic!("{e}"))
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .map(|d| {
                d.filter_map(Result::ok)
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }

    #[test]
    fn reports_replace_files_together_and_leave_no_temporary_files() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let (a, b) = (dir.path().join("a.json"), dir.path().join("b.csv"));
        fs::write(&a, "old a").unwrap_or_else(|e| panic!("{e}"));
        let targets = commit(vec![staged(&a, "new a"), staged(&b, "new b")])
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(targets, [a.clone(), b.clone()]);
        assert_eq!(fs::read_to_string(&a).unwrap_or_default(), "new a");
        assert_eq!(fs::read_to_string(&b).unwrap_or_default(), "new b");
        assert_eq!(names(dir.path()), ["a.json", "b.csv"]);
        assert!(pending().iter().all(|p| !p.starts_with(dir.path())));
    }

    #[test]
    fn a_failed_report_puts_every_earlier_one_back() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let (a, b, c) = (
            dir.path().join("a.json"),
            dir.path().join("new.md"),
            dir.path().join("c.csv"),
        );
        fs::write(&a, "old a").unwrap_or_else(|e| panic!("{e}"));
        let failing = staged(&c, "new c");
        // The staged file of the third report disappears: its rename fails.
        if let How::Rename { temp, .. } = &failing.how {
            fs::remove_file(&temp.path).unwrap_or_else(|e| panic!("{e}"));
        }
        let error = commit(vec![staged(&a, "new a"), staged(&b, "new"), failing])
            .err()
            .unwrap_or_else(|| panic!("the commit succeeded"));
        assert_eq!(error.target, c);
        assert!(
            error.to_string().contains("no report was changed"),
            "{error}"
        );
        assert_eq!(fs::read_to_string(&a).unwrap_or_default(), "old a");
        assert!(!b.exists(), "a report that replaced nothing is removed");
        assert_eq!(names(dir.path()), ["a.json"]);
    }

    #[test]
    fn a_folder_is_refused_before_anything_is_written() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let error = stage(dir.path(), |out| out.write_all(b"x"))
            .err()
            .unwrap_or_else(|| panic!("a folder was accepted"));
        assert!(error.to_string().contains("is a folder"), "{error}");
        let missing = dir.path().join("no/such/folder/report.json");
        let error = stage(&missing, |out| out.write_all(b"x"))
            .err()
            .unwrap_or_else(|| panic!("a missing folder was accepted"));
        assert!(error.to_string().contains("does not exist"), "{error}");
        assert!(names(dir.path()).is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn devices_and_fifos_are_written_directly_and_links_are_kept() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        // /dev/null stays a device.
        let null = Path::new("/dev/null");
        commit(vec![staged(null, "discarded")]).unwrap_or_else(|e| panic!("{e}"));
        let meta = fs::metadata(null).unwrap_or_else(|e| panic!("{e}"));
        assert!(!meta.is_file());
        // A link to a regular file: the file is replaced, the link stays a link.
        let real = dir.path().join("real.json");
        let link = dir.path().join("link.json");
        fs::write(&real, "old").unwrap_or_else(|e| panic!("{e}"));
        std::os::unix::fs::symlink(&real, &link).unwrap_or_else(|e| panic!("{e}"));
        commit(vec![staged(&link, "new")]).unwrap_or_else(|e| panic!("{e}"));
        assert!(is_link(&link));
        assert_eq!(fs::read_to_string(&real).unwrap_or_default(), "new");
        // A FIFO: written directly (a reader drains it), still a FIFO.
        let fifo = dir.path().join("pipe");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|s| s.success()) {
            let reader = {
                let fifo = fifo.clone();
                std::thread::spawn(move || fs::read_to_string(fifo).unwrap_or_default())
            };
            commit(vec![staged(&fifo, "through the pipe")]).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(reader.join().unwrap_or_default(), "through the pipe");
            let meta = fs::symlink_metadata(&fifo).unwrap_or_else(|e| panic!("{e}"));
            assert!(!meta.is_file());
        }
    }
}
