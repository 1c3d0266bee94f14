//! Running the real binary (and stand-ins for the CLIs it runs) and reading what it
//! printed: stderr as text, stdout as JSON, and the entries of an inventory or a report.
#![allow(dead_code)]

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

/// The crate's folder, where the binary is run (fixture paths are relative to it).
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `cmd` to its end; panics only when it cannot be started.
pub fn run(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run nhiscan: {e}"))
}

/// Writes an executable script to `path`: a stand-in for a CLI the binary runs.
pub fn write_script(path: &Path, script: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, script).unwrap_or_else(|e| panic!("cannot write {path:?}: {e}"));
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .unwrap_or_else(|e| panic!("cannot make {path:?} executable: {e}"));
}

/// What the run printed on stderr.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// What the run printed on stdout, as JSON; panics with its stderr when it is not JSON.
pub fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}); stderr: {}", stderr(out)))
}

/// The JSON report of `scan --now NOW` over an inventory `collect` printed.
pub fn scan_collected(inventory: &[u8], now: &str) -> Value {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = dir.path().join("inventory.json");
    std::fs::write(&file, inventory).unwrap_or_else(|e| panic!("{e}"));
    let out = run(super::nhiscan()
        .args(["scan", "-i"])
        .arg(&file)
        .args(["--now", now, "-f", "json"]));
    json(&out)
}

/// The first entry of the array `document[list]` whose `field` is `value`.
pub fn find<'a>(document: &'a Value, list: &str, field: &str, value: &str) -> &'a Value {
    document[list]
        .as_array()
        .and_then(|all| all.iter().find(|i| i[field] == value))
        .unwrap_or_else(|| panic!("no {list} with {field} {value}: {}", document[list]))
}

/// The coverage entry of an inventory or a report for `target`.
pub fn coverage<'a>(document: &'a Value, target: &str) -> &'a Value {
    find(document, "coverage", "target", target)
}

/// The strings of a JSON array (none when `value` is not an array).
pub fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The rules that matched, in the report's order: each finding's rule, then the rules
/// folded into it (`also_fails`).
pub fn rule_ids(report: &Value) -> Vec<String> {
    findings(report).flat_map(matched_rules).collect()
}

/// The entity `field` (its "id", its "name") of each finding `rule` matched in a report:
/// its own findings and those it is folded into (`also_fails`).
pub fn flagged_entities(report: &Value, rule: &str, field: &str) -> Vec<String> {
    findings(report)
        .filter(|f| matched_rules(f).iter().any(|r| r == rule))
        .map(|f| f["entity"][field].as_str().unwrap_or_default().to_string())
        .collect()
}

/// A finding's rule and the rules folded into it.
fn matched_rules(finding: &Value) -> Vec<String> {
    let own = finding["rule_id"].as_str().unwrap_or_default().to_string();
    let folded = finding["also_fails"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r.as_str().map(str::to_string));
    std::iter::once(own).chain(folded).collect()
}

/// The findings of a report; panics when it has no findings list (it is not a report).
fn findings(report: &Value) -> impl Iterator<Item = &Value> {
    report["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("no findings in the report: {report}"))
        .iter()
}

/// Under injected faults: the same identities, credentials and coverage as `clean`, or
/// (a call that failed all its attempts) exit 3, a coverage entry that says a call
/// failed after its retries, and nothing that `clean` does not have.
pub fn assert_same_or_named_gap(clean: &Value, faulted: &Value, out: &Output, what: &str) {
    let parts = |inventory: &Value| {
        ["identities", "credentials", "coverage"].map(|key| inventory[key].clone())
    };
    if parts(faulted) == parts(clean) {
        eprintln!("{what}: exit {:?}, the same inventory", out.status.code());
        return;
    }
    let gaps: Vec<String> = faulted["coverage"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|entry| entry["status"] != "scanned")
        .map(|entry| entry["detail"].to_string().chars().take(300).collect())
        .collect();
    eprintln!("{what}: exit {:?}, a gap: {gaps:?}", out.status.code());
    assert_eq!(out.status.code(), Some(3), "{what}: {}", stderr(out));
    let coverage = faulted["coverage"].to_string();
    assert!(
        coverage.contains("after retries") || coverage.contains(" attempts"),
        "{what}: the inventory differs and no gap says why: {coverage}"
    );
    let ids = |inventory: &Value, key: &str| -> std::collections::BTreeSet<String> {
        inventory[key]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e["id"].as_str().map(str::to_string))
            .collect()
    };
    for key in ["identities", "credentials"] {
        assert!(
            ids(faulted, key).is_subset(&ids(clean, key)),
            "{what}: {key}"
        );
    }
}

/// Runs `command` against an API that never answers (with a 1 s timeout): the run ends
/// (exit 3 when the sign-in worked and the calls failed, 2 when nothing could be read),
/// and stderr names a `prefix` call that got no answer in time after 3 attempts.
/// Prints how long it took.
pub fn assert_timed_out_naming_the_call(command: &mut std::process::Command, prefix: &str) {
    let started = std::time::Instant::now();
    let out = run(command);
    eprintln!("took {:?}: {}", started.elapsed(), stderr(&out));
    assert!(matches!(out.status.code(), Some(2 | 3)), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(said.contains(prefix), "{said}");
    assert!(
        said.contains("no answer in time after 3 attempts"),
        "{said}"
    );
}
