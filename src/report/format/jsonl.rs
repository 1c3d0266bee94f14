//! JSON Lines: one finding per line, as in the JSON report's `findings`, most severe
//! first. For log pipelines and `jq -c`.

use crate::report::Report;
use std::io::{self, Write};

pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    for finding in report.findings.iter() {
        serde_json::to_writer(&mut *out, &finding)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}
