//! Parses an inventory file and does nothing else: the baseline `scripts/bench.sh`
//! compares a full scan against.
//!
//! ```text
//! cargo run --release --example parse -- inventory.jsonl
//! ```

// A benchmark tool: its figures are its output.
#![allow(clippy::print_stdout)]

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

/// The allocator nhiscan's binary uses (src/main.rs): the floor parses as a scan does.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: parse INVENTORY");
        return ExitCode::from(2);
    };
    let started = Instant::now();
    match nhiscan::import::read_path(Path::new(&path)) {
        Ok(inventory) => {
            println!(
                "parsed {} identities and {} credentials in {:.3}s",
                inventory.identities.len(),
                inventory.credentials.len(),
                started.elapsed().as_secs_f64()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
