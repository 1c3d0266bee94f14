//! Times each enabled rule's evaluation alone over an inventory: which rules the
//! evaluation stage spends its time on.
//!
//! ```text
//! cargo run --release --example rule_costs -- inventory.jsonl 2026-11-01
//! ```

#![allow(clippy::print_stdout)]

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(path), Some(day)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: rule_costs INVENTORY YYYY-MM-DD");
        return ExitCode::from(2);
    };
    let Ok(as_of) = format!("{day}T00:00:00Z").parse() else {
        eprintln!("error: {day} is not a date (YYYY-MM-DD)");
        return ExitCode::from(2);
    };
    let inventory = match nhiscan::import::read_path(Path::new(path)) {
        Ok(inventory) => inventory,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let rules = match nhiscan::rules::RuleSet::load(&[]) {
        Ok(rules) => rules,
        Err(errors) => {
            for e in errors {
                eprintln!("error: {e}");
            }
            return ExitCode::from(2);
        }
    };
    let enriched = nhiscan::enrich::enrich(inventory, as_of, &Default::default());
    let started = Instant::now();
    let all = nhiscan::rules::eval::evaluate(&rules, &enriched);
    println!(
        "all {} rules: {:.3}s, {} matches",
        rules.rules.len(),
        started.elapsed().as_secs_f64(),
        all.matches.len()
    );
    let mut costs: Vec<(f64, &str, u64, usize)> = rules
        .rules
        .iter()
        .filter(|r| r.enabled)
        .map(|rule| {
            let started = Instant::now();
            let one = nhiscan::rules::eval::evaluate_rules(&[rule], &enriched);
            (
                started.elapsed().as_secs_f64(),
                rule.id(),
                one.evaluated.iter().sum(),
                one.matches.len(),
            )
        })
        .collect();
    costs.sort_by(|a, b| b.0.total_cmp(&a.0));
    println!(
        "{:>8}  {:>10}  {:>9}  rule",
        "seconds", "evaluated", "matches"
    );
    for (seconds, id, evaluated, matches) in costs {
        println!("{seconds:>8.3}  {evaluated:>10}  {matches:>9}  {id}");
    }
    ExitCode::SUCCESS
}
