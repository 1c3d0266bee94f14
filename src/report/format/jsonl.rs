//! JSON Lines: one finding per line, as in the JSON report's `findings`, most severe
//! first. For log pipelines and `jq -c`. Rendered on all cores ([`pipeline`]).

use super::pipeline;
use crate::report::Report;
use std::io::{self, Write};

pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let findings = &report.findings;
    pipeline::render_in_order(
        findings.len(),
        |k, piece| {
            serde_json::to_writer(&mut *piece, &findings.nth(k))?;
            piece.push(b'\n');
            Ok(())
        },
        |piece| out.write_all(piece),
    )
}
