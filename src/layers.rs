//! The pipeline's arrows point one way: a module imports only from its own stage or an
//! earlier one. This test reads the sources and names every import that points back.

use std::path::Path;

/// The stages, earliest first, and the top-level modules in each.
const STAGES: &[&[&str]] = &[
    &["inventory", "input", "glob", "hash"],
    &["import", "collect"],
    &["enrich"],
    &["frameworks", "rules", "finding"],
    &["exit_policy", "config"],
    &["report"],
    &["app", "cli", "setup", "fuzz", "layers"],
];

fn stage_of(module: &str) -> Option<usize> {
    STAGES.iter().position(|stage| stage.contains(&module))
}

/// The top-level module a source file belongs to (`src/report/view/owners.rs` → `report`).
fn module_of(relative: &Path) -> Option<String> {
    let first = relative.components().next()?.as_os_str().to_str()?;
    Some(first.trim_end_matches(".rs").to_string())
}

fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_module_imports_from_a_later_stage() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    assert!(files.len() > 50, "read {} files", files.len());
    let mut backward = Vec::new();
    for file in files {
        let relative = file.strip_prefix(&src).unwrap_or(&file);
        let Some(module) = module_of(relative) else {
            continue;
        };
        if matches!(module.as_str(), "lib" | "main") {
            continue;
        }
        let own = stage_of(&module).unwrap_or_else(|| panic!("`{module}` is in no stage"));
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        for (n, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            for (i, _) in line.match_indices("crate::") {
                let rest = &line[i + "crate::".len()..];
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if stage_of(&name).is_some_and(|theirs| theirs > own) {
                    backward.push(format!(
                        "{}:{}: {module} → {name}",
                        relative.display(),
                        n + 1
                    ));
                }
            }
        }
    }
    assert!(
        backward.is_empty(),
        "imports from a later stage:\n{}",
        backward.join("\n")
    );
}
