//! Reading the files a user names — inventories, rules, suppressions, baselines,
//! configs, rosters — which someone else may have written: regular files only (a FIFO
//! would block forever, `/dev/zero` never ends), no larger than [`Limits::max_file_bytes`],
//! and for line-based formats no line longer than [`Limits::max_line_bytes`]. Past a
//! limit the error names it and the flag that raises it.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::sync::OnceLock;

/// The default largest input file: 2 GiB (`--max-input-mib`).
pub const DEFAULT_MAX_FILE_MIB: u64 = 2048;
/// The default longest line of a JSON Lines or CSV input: 64 MiB (`--max-line-mib`).
pub const DEFAULT_MAX_LINE_MIB: u64 = 64;

const MIB: u64 = 1 << 20;

/// How much one input may make nhiscan read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_file_bytes: u64,
    pub max_line_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: DEFAULT_MAX_FILE_MIB * MIB,
            max_line_bytes: DEFAULT_MAX_LINE_MIB * MIB,
        }
    }
}

impl Limits {
    /// From the command line's MiB values (`None`: the default).
    pub fn from_mib(file: Option<u64>, line: Option<u64>) -> Limits {
        let default = Limits::default();
        Limits {
            max_file_bytes: file.map_or(default.max_file_bytes, |m| m.saturating_mul(MIB)),
            max_line_bytes: line.map_or(default.max_line_bytes, |m| m.saturating_mul(MIB)),
        }
    }
}

static LIMITS: OnceLock<Limits> = OnceLock::new();

/// Sets the limits of this run (once, from the command line; later calls are ignored).
pub fn set_limits(limits: Limits) {
    let _ = LIMITS.set(limits);
}

/// The limits of this run.
pub fn limits() -> Limits {
    LIMITS.get().copied().unwrap_or_default()
}

fn too_large(limit: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!(
            "larger than the input limit of {} MiB (raise it with --max-input-mib)",
            limit / MIB
        ),
    )
}

/// The file's size, if it is a regular file within the limit; an error saying what it
/// is otherwise.
pub fn check_regular(path: &Path) -> io::Result<u64> {
    let meta = std::fs::metadata(path)?;
    if meta.is_dir() {
        return Err(io::Error::other("is a folder, not a file"));
    }
    if !meta.is_file() {
        return Err(io::Error::other(
            "is not a regular file (a FIFO, device or socket), which nhiscan does not \
             read: it could block or never end (for an inventory on stdin, pass `-`)",
        ));
    }
    let limit = limits().max_file_bytes;
    if meta.len() > limit {
        return Err(too_large(limit));
    }
    Ok(meta.len())
}

/// The whole of a regular file, within the size limit.
pub fn read(path: &Path) -> io::Result<Vec<u8>> {
    let size = check_regular(path)?;
    let mut bytes = Vec::with_capacity(size as usize);
    read_bounded(File::open(path)?, &mut bytes)?;
    Ok(bytes)
}

/// A regular file as UTF-8 text, within the size limit.
pub fn read_to_string(path: &Path) -> io::Result<String> {
    String::from_utf8(read(path)?)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "is not UTF-8 text"))
}

/// All of `reader` (a file that grew since it was measured, or stdin) into `bytes`,
/// refusing more than the size limit.
pub fn read_bounded(reader: impl Read, bytes: &mut Vec<u8>) -> io::Result<()> {
    let limit = limits().max_file_bytes;
    reader.take(limit.saturating_add(1)).read_to_end(bytes)?;
    if bytes.len() as u64 > limit {
        return Err(too_large(limit));
    }
    Ok(())
}

/// A regular file within the size limit, opened for a line-based format: reading
/// fails past the size limit or on a line longer than the line limit.
pub fn open_lines(path: &Path) -> io::Result<LineBounded<File>> {
    check_regular(path)?;
    Ok(LineBounded::new(File::open(path)?))
}

/// A reader that fails on a line longer than the line limit, or past the size limit,
/// instead of growing a buffer without end.
pub struct LineBounded<R> {
    inner: R,
    limits: Limits,
    line: u64,
    total: u64,
}

impl<R: Read> LineBounded<R> {
    pub fn new(inner: R) -> Self {
        LineBounded {
            inner,
            limits: limits(),
            line: 0,
            total: 0,
        }
    }
}

impl<R: Read> Read for LineBounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buf)?;
        let chunk = &buf[..read];
        self.total += read as u64;
        if self.total > self.limits.max_file_bytes {
            return Err(too_large(self.limits.max_file_bytes));
        }
        match chunk.iter().rposition(|&b| b == b'\n') {
            Some(last) => {
                let longest_before = chunk[..last]
                    .split(|&b| b == b'\n')
                    .enumerate()
                    .map(|(i, part)| part.len() as u64 + if i == 0 { self.line } else { 0 })
                    .max()
                    .unwrap_or(0);
                if longest_before > self.limits.max_line_bytes {
                    return Err(long_line(self.limits.max_line_bytes));
                }
                self.line = (read - last - 1) as u64;
            }
            None => self.line += read as u64,
        }
        if self.line > self.limits.max_line_bytes {
            return Err(long_line(self.limits.max_line_bytes));
        }
        Ok(read)
    }
}

fn long_line(limit: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!(
            "has a line longer than the limit of {} MiB (raise it with --max-line-mib)",
            limit / MIB
        ),
    )
}

/// Deserializes a JSON report (or the part of it a reader needs) into `T` with an error of the form `FILE:LINE:COL: message (field
/// `path`)`.
pub fn parse_report_json<T: serde::de::DeserializeOwned>(
    path: &Path,
    bytes: &[u8],
) -> anyhow::Result<T> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let field = e.path().to_string();
        let inner = e.into_inner();
        let mut message = inner.to_string();
        if let Some(i) = message.rfind(" at line ") {
            message.truncate(i);
        }
        let field = if field.is_empty() || field == "." {
            String::new()
        } else {
            format!(" (field `{field}`)")
        };
        anyhow::anyhow!(
            "{}:{}:{}: {message}{field}; is it a report of `nhiscan scan -f json`?",
            path.display(),
            inner.line(),
            inner.column()
        )
    })?;
    de.end().map_err(|e| {
        anyhow::anyhow!(
            "{}:{}:{}: unexpected content after the report",
            path.display(),
            e.line(),
            e.column()
        )
    })?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bounded(text: &[u8], line: u64, file: u64) -> io::Result<Vec<u8>> {
        let mut reader = LineBounded {
            inner: io::Cursor::new(text.to_vec()),
            limits: Limits {
                max_file_bytes: file,
                max_line_bytes: line,
            },
            line: 0,
            total: 0,
        };
        let mut out = Vec::new();
        reader.read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn long_lines_and_large_inputs_are_refused_with_the_flag_to_raise_them() {
        assert!(bounded(b"short\nlines\n", 8, 100).is_ok());
        let error = bounded(b"ok\nmuch too long a line\nok\n", 8, 100)
            .err()
            .unwrap_or_else(|| panic!("accepted"));
        assert!(error.to_string().contains("--max-line-mib"), "{error}");
        // No line end at all: refused once the line passes the limit.
        assert!(bounded(&[b'x'; 64], 8, 1000).is_err());
        let error = bounded(b"a\nb\nc\n", 8, 4)
            .err()
            .unwrap_or_else(|| panic!("accepted"));
        assert!(error.to_string().contains("--max-input-mib"), "{error}");
    }

    #[cfg(unix)]
    #[test]
    fn fifos_devices_and_folders_are_refused_without_reading() {
        for path in ["/dev/zero", "/dev/null"] {
            let error = read(Path::new(path))
                .err()
                .unwrap_or_else(|| panic!("{path} was read"));
            assert!(error.to_string().contains("not a regular file"), "{error}");
        }
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|s| s.success()) {
            // Would block forever if it were opened.
            assert!(read(&fifo).is_err());
        }
        assert!(read(dir.path()).is_err());
    }
}
