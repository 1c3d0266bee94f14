//! Embeds every rule file under `rules/` and every control catalog under `frameworks/`
//! into the binary, and rebuilds when one changes.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    embed(
        "rules",
        "BUILTIN_RULES",
        "Built-in rule files",
        "builtin_rules.rs",
    );
    embed(
        "frameworks",
        "BUILTIN_FRAMEWORKS",
        "Built-in control catalogs",
        "builtin_frameworks.rs",
    );
}

/// Writes `OUT_DIR/<target>`: a constant `name` listing (path under `folder`, YAML text).
fn embed(folder: &str, name: &str, doc: &str, target: &str) {
    println!("cargo:rerun-if-changed={folder}");
    // Read when the script runs, not when it was compiled: a build script compiled for
    // another checkout (a shared target directory) must still embed this one's files.
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let root = Path::new(&manifest_dir).join(folder);
    let mut files = Vec::new();
    collect(&root, &mut files);
    if files.is_empty() {
        panic!("no YAML files under {}: nothing to embed", root.display());
    }
    files.sort();
    let mut out = format!("/// {doc}: (path under {folder}/, YAML text).\n");
    let _ = writeln!(out, "pub const {name}: &[(&str, &str)] = &[");
    for file in &files {
        let relative = file.strip_prefix(&root).unwrap_or(file);
        let _ = writeln!(
            out,
            "    ({:?}, include_str!({:?})),",
            relative.to_string_lossy().replace('\\', "/"),
            file.to_string_lossy()
        );
    }
    out.push_str("];\n");
    let target =
        PathBuf::from(std::env::var("OUT_DIR").unwrap_or_else(|_| ".".into())).join(target);
    if let Err(e) = std::fs::write(&target, out) {
        panic!("cannot write {}: {e}", target.display());
    }
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        println!("cargo:rerun-if-changed={}", path.display());
        if path.is_dir() {
            collect(&path, files);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            files.push(path);
        }
    }
}
