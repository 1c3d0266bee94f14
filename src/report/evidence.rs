//! The auditor's evidence pack (`nhiscan report --evidence DIR`): one folder holding the
//! JSON report, the inventory it was computed from, each framework's control table (CSV
//! and Markdown), the owner attestation list and a manifest naming the tool version, the
//! rule pack's hash, `--now`, the scanned scopes and their coverage, and every file's
//! sha256. Nothing in it depends on the wall clock or on the order of work: the same
//! inputs give byte-identical files.

use crate::enrich::Enriched;
use crate::finding::Hit;
use crate::inventory::{Coverage, Provider};
use crate::report::format::csv::safe_writer;
use crate::report::sanitize::spreadsheet;
use crate::report::view::framework::{self, FrameworkReport};
use crate::report::{Report, Tool};
use crate::rules::{RuleSet, Severity, Target};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The file a folder must hold to be replaced as an earlier evidence pack.
pub const MANIFEST: &str = "manifest.json";

/// What an evidence pack is made from.
pub struct Evidence<'a> {
    pub report: &'a Report<'a>,
    pub enriched: &'a Enriched,
    pub rules: &'a RuleSet,
    /// Each framework's control table.
    pub frameworks: Vec<FrameworkReport<'a>>,
    pub hits: Vec<Hit<'a>>,
}

#[derive(Serialize)]
struct Manifest<'a> {
    tool: Tool,
    /// `--now`: the time every age and expiry was computed at.
    as_of: String,
    sources: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    roster: Option<&'a str>,
    rule_pack: RulePackDigest,
    /// Every scope of the inventory, with how many identities and credentials it holds.
    scopes: Vec<ScopeEntry>,
    coverage: &'a [Coverage],
    incomplete: bool,
    files: Vec<FileEntry>,
}

#[derive(Serialize)]
struct RulePackDigest {
    /// sha256 of every rule as evaluated (its file's fields, effective parameters,
    /// severity and whether enabled), in load order.
    sha256: String,
    rules: usize,
    enabled: usize,
}

#[derive(Serialize, PartialEq, Eq, PartialOrd, Ord)]
struct ScopeEntry {
    provider: Provider,
    kind: String,
    id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    identities: usize,
    credentials: usize,
}

#[derive(Serialize)]
struct FileEntry {
    path: String,
    bytes: usize,
    sha256: String,
}

/// Writes the pack into `dir`: built in a temporary folder beside it, then moved into
/// place, so `dir` never holds half a pack. `dir` must be new, empty, or an earlier
/// pack (it holds a `manifest.json`), which is replaced.
pub fn write(dir: &Path, evidence: &Evidence) -> anyhow::Result<Vec<String>> {
    use anyhow::Context;
    if dir.exists() {
        let empty = std::fs::read_dir(dir)
            .with_context(|| format!("{}: cannot read the folder", dir.display()))?
            .next()
            .is_none();
        if !empty && !dir.join(MANIFEST).is_file() {
            anyhow::bail!(
                "{}: the folder holds files and is not an nhiscan evidence pack (no {MANIFEST}); \
                 give a new or empty folder",
                dir.display()
            );
        }
    }
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent)
        .with_context(|| format!("{}: cannot create the folder", parent.display()))?;
    let staging = tempfile::Builder::new()
        .prefix(".nhiscan-evidence-")
        .tempdir_in(&parent)
        .with_context(|| format!("{}: cannot create a temporary folder", parent.display()))?;
    let files = files(evidence).context("cannot write the evidence pack")?;
    let mut entries = Vec::new();
    for (path, bytes) in &files {
        put(staging.path(), path, bytes)?;
        entries.push(FileEntry {
            path: path.clone(),
            bytes: bytes.len(),
            sha256: hex(&Sha256::digest(bytes)),
        });
    }
    let manifest = manifest(evidence, entries)?;
    put(staging.path(), MANIFEST, &manifest)?;
    let sums: String = files
        .iter()
        .map(|(path, bytes)| (path.as_str(), bytes.as_slice()))
        .chain([(MANIFEST, manifest.as_slice())])
        .map(|(path, bytes)| format!("{}  {path}\n", hex(&Sha256::digest(bytes))))
        .collect();
    put(staging.path(), "SHA256SUMS", sums.as_bytes())?;

    if dir.exists() {
        std::fs::remove_dir_all(dir)
            .with_context(|| format!("{}: cannot replace the earlier pack", dir.display()))?;
    }
    let staged = staging.keep();
    std::fs::rename(&staged, dir).with_context(|| {
        format!(
            "{}: cannot move the pack into place (it is in {})",
            dir.display(),
            staged.display()
        )
    })?;
    let mut written: Vec<String> = files.into_iter().map(|(path, _)| path).collect();
    written.push(MANIFEST.into());
    written.push("SHA256SUMS".into());
    Ok(written)
}

fn put(dir: &Path, relative: &str, bytes: &[u8]) -> anyhow::Result<()> {
    use anyhow::Context;
    let path = dir.join(relative);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("{}: cannot create the folder", parent.display()))?;
    }
    std::fs::write(&path, bytes).with_context(|| format!("{}: cannot write", path.display()))
}

/// The pack's files but the manifest and checksums, by relative path, in order.
fn files(evidence: &Evidence) -> io::Result<Vec<(String, Vec<u8>)>> {
    let render = |write: &dyn Fn(&mut dyn Write) -> io::Result<()>| -> io::Result<Vec<u8>> {
        let mut bytes = Vec::new();
        write(&mut bytes)?;
        Ok(bytes)
    };
    let mut files = vec![
        (
            "report.json".to_string(),
            render(&|out| crate::report::format::json::write(evidence.report, out))?,
        ),
        (
            "inventory.json".to_string(),
            render(&|out| {
                crate::report::view::inventory::write_document(&evidence.enriched.inventory, out)
            })?,
        ),
    ];
    for table in &evidence.frameworks {
        let name = table.framework.id.name();
        files.push((
            format!("frameworks/{name}.csv"),
            render(&|out| framework::write_csv(table, out))?,
        ));
        files.push((
            format!("frameworks/{name}.md"),
            render(&|out| framework::write_markdown(table, out))?,
        ));
    }
    files.push((
        "owner-attestations.csv".to_string(),
        render(&|out| write_attestations(evidence.enriched, &evidence.hits, out))?,
    ));
    Ok(files)
}

fn manifest(evidence: &Evidence, files: Vec<FileEntry>) -> anyhow::Result<Vec<u8>> {
    let report = evidence.report;
    let mut scopes: BTreeMap<(Provider, String, String), ScopeEntry> = BTreeMap::new();
    let inventory = &evidence.enriched.inventory;
    fn entry<'m>(
        scopes: &'m mut BTreeMap<(Provider, String, String), ScopeEntry>,
        provider: Provider,
        scope: &crate::inventory::Scope,
    ) -> &'m mut ScopeEntry {
        scopes
            .entry((provider, scope.kind.to_string(), scope.id.to_string()))
            .or_insert_with(|| ScopeEntry {
                provider,
                kind: scope.kind.to_string(),
                id: scope.id.to_string(),
                name: scope.name.as_ref().map(|n| n.to_string()),
                identities: 0,
                credentials: 0,
            })
    }
    for i in &inventory.identities {
        entry(&mut scopes, i.provider, &i.scope).identities += 1;
    }
    for c in &inventory.credentials {
        entry(&mut scopes, c.provider, &c.scope).credentials += 1;
    }
    let scopes: Vec<ScopeEntry> = scopes.into_values().collect();
    let manifest = Manifest {
        tool: Tool::default(),
        as_of: report.scan.as_of.to_rfc3339(),
        sources: &report.scan.sources,
        roster: report.scan.roster.as_deref(),
        rule_pack: RulePackDigest {
            sha256: rule_pack_digest(evidence.rules)?,
            rules: evidence.rules.rules.len(),
            enabled: evidence.rules.rules.iter().filter(|r| r.enabled).count(),
        },
        scopes,
        coverage: &report.coverage,
        incomplete: report.scan.incomplete,
        files,
    };
    let mut bytes = serde_json::to_vec_pretty(&manifest)?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// sha256 over every rule as it was evaluated, one JSON line each, in load order.
pub fn rule_pack_digest(rules: &RuleSet) -> anyhow::Result<String> {
    let mut hasher = Sha256::new();
    for rule in &rules.rules {
        let line = serde_json::json!({
            "origin": rule.origin,
            "spec": rule.spec,
            "params": rule.params,
            "severity": rule.severity,
            "enabled": rule.enabled,
        });
        hasher.update(serde_json::to_vec(&line)?);
        hasher.update(b"\n");
    }
    Ok(hex(&hasher.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The columns of the owner attestation list, in order.
pub const ATTESTATION_COLUMNS: [&str; 15] = [
    "owner",
    "owner_status",
    "owner_source",
    "action",
    "worst_severity",
    "findings",
    "rules",
    "provider",
    "scope",
    "type",
    "id",
    "name",
    "kind",
    "ai_agent",
    "last_activity",
];

/// One row per identity (and per credential that belongs to none): who must confirm it
/// is still needed, or retire or fix it, for an access-certification campaign. Sorted
/// by owner, then entity; entities without an owner come first, under an empty owner.
pub fn write_attestations(
    enriched: &Enriched,
    hits: &[Hit],
    out: &mut dyn Write,
) -> io::Result<()> {
    // Findings per identity: its own and its credentials'.
    let mut by_identity: BTreeMap<usize, Vec<(Severity, &str)>> = BTreeMap::new();
    let mut by_loose_credential: BTreeMap<usize, Vec<(Severity, &str)>> = BTreeMap::new();
    for hit in hits {
        match hit.target {
            Target::Identity => by_identity.entry(hit.index).or_default(),
            Target::Credential => match enriched.credential_owner(hit.index) {
                Some(i) => by_identity.entry(i).or_default(),
                None => by_loose_credential.entry(hit.index).or_default(),
            },
        }
        .push((hit.severity, hit.rule_id));
    }
    let inventory = &enriched.inventory;
    let mut rows: Vec<[String; 15]> = Vec::new();
    let row = |owner: &crate::enrich::owner::ResolvedOwner,
               found: Option<&Vec<(Severity, &str)>>,
               entity: [String; 8]| {
        let mut rules: Vec<&str> = found.into_iter().flatten().map(|(_, r)| *r).collect();
        rules.sort_unstable();
        rules.dedup();
        let worst = found.into_iter().flatten().map(|(s, _)| *s).max();
        let action = match worst {
            Some(_) => "retire or remediate",
            None => "confirm still needed",
        };
        let [provider, scope, target, id, name, kind, ai_agent, last_activity] = entity;
        [
            owner.owner.as_deref().unwrap_or_default().to_string(),
            owner.status.as_str().to_string(),
            owner
                .owner_source
                .as_ref()
                .map(|s| s.to_string())
                .unwrap_or_default(),
            action.to_string(),
            worst.map(|s| s.as_str().to_string()).unwrap_or_default(),
            found.map_or(0, Vec::len).to_string(),
            rules.join("; "),
            provider,
            scope,
            target,
            id,
            name,
            kind,
            ai_agent,
            last_activity,
        ]
    };
    for (i, identity) in inventory.identities.iter().enumerate() {
        let facts = &enriched.identity_facts[i];
        rows.push(row(
            &facts.owner,
            by_identity.get(&i),
            [
                identity.provider.as_str().to_string(),
                identity.scope.id.to_string(),
                "identity".into(),
                identity.id.clone(),
                identity.name.clone(),
                identity.kind.as_str().to_string(),
                facts.ai_agent.to_string(),
                identity
                    .last_activity
                    .map(|t| t.to_rfc3339())
                    .unwrap_or_default(),
            ],
        ));
    }
    for (c, credential) in inventory.credentials.iter().enumerate() {
        if enriched.credential_owner(c).is_some() {
            continue;
        }
        rows.push(row(
            enriched.credential_resolved_owner(c),
            by_loose_credential.get(&c),
            [
                credential.provider.as_str().to_string(),
                credential.scope.id.to_string(),
                "credential".into(),
                credential.id.clone(),
                credential.name.clone().unwrap_or_default(),
                credential.kind.as_str().to_string(),
                String::new(),
                credential
                    .last_used
                    .map(|t| t.to_rfc3339())
                    .unwrap_or_default(),
            ],
        ));
    }
    rows.sort_by(|a, b| {
        (&a[0], &a[7], &a[8], &a[9], &a[10]).cmp(&(&b[0], &b[7], &b[8], &b[9], &b[10]))
    });
    let mut w = safe_writer(out);
    w.write_record(ATTESTATION_COLUMNS)?;
    for r in &rows {
        w.write_record(r.iter().map(|cell| spreadsheet(cell)))?;
    }
    w.flush()
}
