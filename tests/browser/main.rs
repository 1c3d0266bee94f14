//! The HTML report in a real browser: headless Chromium, driven by Playwright
//! (tests/browser/check.mjs), opens the example estate's report and a report of hostile
//! names. Its own test target, not run by `cargo test`: `cargo test --test browser`
//! (`.ci/run` does, after installing Chromium and `npm ci` here).
//!
//! Needs `/usr/bin/chromium` (or `CHROMIUM`) and `node` with tests/browser/node_modules.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Where screenshots and reports go: target/browser-test/.
fn out_dir() -> PathBuf {
    let dir = root().join("target/browser-test");
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    dir
}

/// `nhiscan scan ARGS -f json:JSON -f html:HTML`.
fn scan(args: &[&str], json: &Path, html: &Path) {
    let output = Command::new(env!("CARGO_BIN_EXE_nhiscan"))
        .args(args)
        .args(["--now", "2026-11-01", "-f"])
        .arg(format!("json:{}", json.display()))
        .arg("-f")
        .arg(format!("html:{}", html.display()))
        .current_dir(root())
        .output()
        .unwrap_or_else(|e| panic!("nhiscan: {e}"));
    assert!(
        matches!(output.status.code(), Some(0..=1)),
        "nhiscan failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Runs check.mjs on `html`, with `severity` chosen in the filter.
fn browse(html: &Path, screenshot: &Path, severity: &str) -> Value {
    let output = Command::new("node")
        .arg(root().join("tests/browser/check.mjs"))
        .arg(html)
        .arg(screenshot)
        .arg(severity)
        .current_dir(root().join("tests/browser"))
        .output()
        .unwrap_or_else(|e| {
            panic!("node (install Node.js and run `npm ci` in tests/browser): {e}")
        });
    assert!(
        output.status.success(),
        "check.mjs failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("check.mjs printed no JSON ({e})"))
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The findings a reader sees with the toggle off: neither suppressed nor baselined.
fn shown(report: &Value) -> Vec<&Value> {
    report["findings"]
        .as_array()
        .map(|all| {
            all.iter()
                .filter(|f| f.get("suppressed").is_none_or(Value::is_null))
                .filter(|f| f["baseline"] != "existing")
                .collect()
        })
        .unwrap_or_default()
}

fn assert_clean(seen: &Value) {
    assert_eq!(seen["errors"], serde_json::json!([]), "{seen:#}");
    assert_eq!(seen["pwned"], false);
    assert_eq!(seen["images"], 0, "an <img> was injected");
    assert_eq!(
        seen["scripts"], 2,
        "only the data and the page's own script"
    );
}

#[test]
fn the_example_estate_report_shows_every_section_and_filters_like_the_json_report() {
    let dir = out_dir();
    let (json, html) = (dir.join("example.json"), dir.join("example.html"));
    scan(
        &[
            "scan",
            "--inventory",
            "examples/estate/inventory.json",
            "--owners",
            "examples/roster.csv",
            "--config",
            "examples/nhiscan.toml",
            "--leaks",
            "examples/estate/leaks.json",
        ],
        &json,
        &html,
    );
    let report = read_json(&json);
    let seen = browse(&html, &dir.join("example.png"), "high");
    assert_clean(&seen);
    let shown = shown(&report);
    assert!(shown.len() > 50, "the example estate has findings");
    assert_eq!(seen["rows"], shown.len(), "{seen:#}");
    assert_eq!(seen["matching"], shown.len());
    let high = shown.iter().filter(|f| f["severity"] == "high").count();
    assert!(high > 0);
    assert_eq!(seen["severity_rows"], high);
    let sections: Vec<&str> = seen["sections"]
        .as_array()
        .map(|s| s.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for section in [
        "Summary",
        "Charts",
        "Findings",
        "AI agents",
        "Delegation",
        "Frameworks",
    ] {
        assert!(sections.contains(&section), "no {section}: {sections:?}");
    }
    assert!(seen["svgs"].as_u64() >= Some(4), "the charts are drawn");
    assert!(seen["detail"]
        .as_str()
        .is_some_and(|d| d.contains("Finding id") && d.contains("Remediation")));
    // Selecting an identity in the delegation drawing shows its findings and its
    // credentials' findings.
    let entity = seen["graph_entity"].as_str().unwrap_or_default();
    assert!(
        !entity.is_empty(),
        "the example estate has delegation paths"
    );
    let of_entity = shown
        .iter()
        .filter(|f| f["entity"]["id"] == entity || f["entity"]["identity_id"] == entity)
        .count();
    assert_eq!(seen["graph_rows"], of_entity, "{entity}");
    let text = seen["text"].as_str().unwrap_or_default();
    assert!(
        text.contains("OWASP") && text.contains("NHI7"),
        "framework tables"
    );
    // The print stylesheet: no controls on paper, the content kept, a PDF made.
    let print = &seen["print"];
    assert_eq!(print["filters_visible"], false, "{print}");
    assert_eq!(print["nav_visible"], false);
    assert_eq!(print["rows_visible"], true);
    assert_eq!(print["charts_visible"], true);
    assert!(seen["pdf_bytes"].as_u64() > Some(10_000));
}

/// An inventory whose every name, tag and description is an attack on the page.
fn hostile_inventory(path: &Path) {
    let payloads = [
        "<script>window.__pwned=true</script>",
        "\"><img src=x onerror=\"window.__pwned=true\">",
        "</script><script>window.__pwned=true</script>",
        "javascript:window.__pwned=true",
        "'><svg onload=window.__pwned=true>",
        "admin\u{202E}txt.exe",
        "line\u{2028}separator</script>",
    ];
    let identities: Vec<Value> = payloads
        .iter()
        .enumerate()
        .map(|(i, p)| {
            serde_json::json!({
                "provider": "aws",
                "scope": {"kind": "account", "id": format!("11111111111{i}"), "name": p},
                "id": format!("arn:aws:iam::11111111111{i}:user/{p}"),
                "name": p,
                "kind": "service_user",
                "description": p,
                "created": "2020-01-01T00:00:00Z",
                "tags": {"owner": p, "workload-type": "ai-agent", (*p): p},
                "permissions": {"admin": true, "policies": [p]},
            })
        })
        .collect();
    let credentials: Vec<Value> = payloads
        .iter()
        .enumerate()
        .map(|(i, p)| {
            serde_json::json!({
                "provider": "aws",
                "scope": {"kind": "account", "id": format!("11111111111{i}")},
                "id": format!("AKIA{i:016}"),
                "name": p,
                "kind": "access_key",
                "identity_id": format!("arn:aws:iam::11111111111{i}:user/{p}"),
                "created": "2020-01-01T00:00:00Z",
                "status": "active",
            })
        })
        .collect();
    let inventory = serde_json::json!({
        "schema_version": 1,
        "identities": identities,
        "credentials": credentials,
    });
    std::fs::write(path, inventory.to_string()).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn hostile_names_are_shown_as_text_and_run_nothing() {
    let dir = out_dir();
    let inventory = dir.join("hostile-inventory.json");
    hostile_inventory(&inventory);
    let (json, html) = (dir.join("hostile.json"), dir.join("hostile.html"));
    scan(
        &["scan", "-i", inventory.to_string_lossy().as_ref()],
        &json,
        &html,
    );
    let report = read_json(&json);
    let seen = browse(&html, &dir.join("hostile.png"), "critical");
    assert_clean(&seen);
    let shown = shown(&report);
    assert!(!shown.is_empty());
    assert_eq!(seen["rows"], shown.len(), "{seen:#}");
    let text = seen["text"].as_str().unwrap_or_default();
    assert!(
        text.contains("<script>window.__pwned=true</script>"),
        "payloads are shown as text"
    );
    assert!(
        text.contains("admin<U+202E>txt.exe"),
        "direction overrides are spelled out"
    );
    assert!(!text.contains('\u{202E}'));
}
