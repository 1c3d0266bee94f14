//! `-f html`: the audit as one self-contained page to open from disk, filter and send.
//! Styles, script, data and charts are inline; a Content-Security-Policy allows only the
//! page's own script and style (by hash), so the page makes no request and no injected
//! markup could run. Sections: summary, charts (SVG drawn here, [`svg`]), findings
//! (filtered, sorted and expanded by report.js from the embedded JSON, [`data`]), AI
//! agents. Every value from the inventory is escaped for where it lands ([`escape`]).

mod data;
pub(crate) mod escape;
pub(crate) mod svg;

use crate::enrich::owner::OwnerStatus;
use crate::enrich::{days_between, Enriched};
use crate::finding::Hit;
use crate::frameworks::Framework;
use crate::inventory::{CoverageStatus, Provider, Scope};
use crate::report::outputs::Inputs;
use crate::report::view::framework::{FrameworkReport, Run};
use crate::report::view::graph_svg::{DrawNode, Drawing};
use crate::report::{InventorySection, Report};
use crate::rules::{RuleSet, Severity, Target};
use base64::Engine as _;
use escape::html;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};
use svg::Bar;

const SCRIPT: &str = include_str!("report.js");
const STYLE: &str = include_str!("report.css");

/// `'sha256-…'` of an inline script or style, for the Content-Security-Policy.
fn csp_hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// Writes the page.
pub fn write(inputs: &Inputs, out: &mut dyn Write) -> io::Result<()> {
    let (report, rules, enriched) = (inputs.report, inputs.rules, inputs.enriched);
    let hits = report.findings.hits();
    let csp = format!(
        "default-src 'none'; script-src {}; style-src {}; img-src data:; base-uri 'none'; form-action 'none'",
        csp_hash(SCRIPT),
        csp_hash(STYLE)
    );
    let title = format!(
        "nhiscan report, {}",
        report.scan.as_of.format("%Y-%m-%d %H:%M UTC")
    );
    write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{csp}\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"nhiscan {}\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        html(&report.tool.version),
        html(&title)
    )?;
    let mut page = String::new();
    header(&mut page, report);
    summary(&mut page, report, enriched);
    charts(&mut page, rules, enriched, &hits);
    findings_section(&mut page);
    agents(&mut page, enriched);
    delegation(&mut page, enriched);
    frameworks(&mut page, inputs);
    page.push_str("</main>\n");
    out.write_all(page.as_bytes())?;
    out.write_all(b"<script type=\"application/gzip+base64\" id=\"nhiscan-data\">")?;
    data::write_embedded(report, rules, out)?;
    write!(
        out,
        "</script>\n<script>{SCRIPT}</script>\n</body>\n</html>\n"
    )
}

fn header(page: &mut String, report: &Report) {
    let scan = &report.scan;
    let _ = write!(
        page,
        "<header>\n<h1>nhiscan report</h1>\n<p class=\"meta\">As of {} · sources: {} · {} rules enabled · nhiscan {}{}</p>\n</header>\n",
        scan.as_of.format("%Y-%m-%d %H:%M UTC"),
        html(&scan.sources.join(", ")),
        scan.rules.enabled,
        html(&report.tool.version),
        if scan.incomplete {
            " · <strong>incomplete: part of the estate could not be scanned</strong>"
        } else {
            ""
        }
    );
    page.push_str(
        "<nav aria-label=\"Sections\"><ul>\
         <li><a href=\"#summary\">Summary</a></li><li><a href=\"#charts\">Charts</a></li>\
         <li><a href=\"#findings\">Findings</a></li><li><a href=\"#agents\">AI agents</a></li>\
         <li><a href=\"#delegation\">Delegation</a></li><li><a href=\"#frameworks\">Frameworks</a></li>\
         </ul></nav>\n<main>\n",
    );
}

fn summary(page: &mut String, report: &Report, enriched: &Enriched) {
    let facts = &enriched.identity_facts;
    let count = |status: OwnerStatus| facts.iter().filter(|f| f.owner.status == status).count();
    let by_severity = &report.summary.by_severity;
    let severe = [Severity::Critical, Severity::High]
        .iter()
        .map(|s| by_severity.get(s).copied().unwrap_or(0))
        .sum::<usize>();
    let cards = [
        ("Identities", report.inventory.identities),
        ("Credentials", report.inventory.credentials),
        ("Findings", report.summary.findings),
        ("Critical and high", severe),
        ("AI agents", facts.iter().filter(|f| f.ai_agent).count()),
        ("Identities without an owner", count(OwnerStatus::Missing)),
        ("Owner has left", count(OwnerStatus::Departed)),
        ("Owner not in the roster", count(OwnerStatus::Unknown)),
    ];
    page.push_str("<section id=\"summary\" aria-labelledby=\"summary-h\">\n<h2 id=\"summary-h\">Summary</h2>\n<ul class=\"cards\">");
    for (label, value) in cards {
        let _ = write!(
            page,
            "<li><span class=\"value\">{value}</span>{}</li>",
            html(label)
        );
    }
    page.push_str("</ul>\n");

    let gaps: Vec<_> = report
        .coverage
        .iter()
        .filter(|c| c.status != CoverageStatus::Scanned)
        .collect();
    if gaps.is_empty() {
        page.push_str("<p>Coverage: every source was scanned in full.</p>\n");
    } else {
        page.push_str("<div class=\"gaps\" role=\"note\"><h3>What could not be scanned</h3><ul>");
        for gap in gaps {
            let outcome = match gap.status {
                CoverageStatus::Partial => "scanned in part",
                CoverageStatus::Failed => "could not be scanned",
                CoverageStatus::Skipped => "skipped",
                CoverageStatus::Scanned => "scanned",
            };
            let _ = write!(
                page,
                "<li>{} {}: {}{}</li>",
                gap.provider.name(),
                html(&gap.target),
                outcome,
                gap.detail
                    .as_deref()
                    .map(|d| format!(" — {}", html(d)))
                    .unwrap_or_default()
            );
        }
        page.push_str("</ul></div>\n");
    }

    page.push_str("<h3>Findings by severity</h3>\n<table><thead><tr><th scope=\"col\">Severity</th><th scope=\"col\" class=\"num\">Findings</th></tr></thead><tbody>");
    for severity in Severity::descending() {
        let _ = write!(
            page,
            "<tr><td><span class=\"sev sev-{0}\">{0}</span></td><td class=\"num\">{1}</td></tr>",
            severity.as_str(),
            by_severity.get(&severity).copied().unwrap_or(0)
        );
    }
    page.push_str("</tbody></table>\n");

    // By provider and scope id; named as any of its entities names it.
    let mut scopes: BTreeMap<(Provider, &str), (usize, usize, &Scope)> = BTreeMap::new();
    let inventory = &enriched.inventory;
    let entities = (inventory
        .identities
        .iter()
        .map(|i| (i.provider, &i.scope, true)))
    .chain(
        inventory
            .credentials
            .iter()
            .map(|c| (c.provider, &c.scope, false)),
    );
    for (provider, scope, identity) in entities {
        let entry = scopes
            .entry((provider, scope.id.as_str()))
            .or_insert((0, 0, scope));
        if identity {
            entry.0 += 1;
        } else {
            entry.1 += 1;
        }
        if entry.2.name.is_none() {
            entry.2 = scope;
        }
    }
    page.push_str("<h3>Inventory by provider and scope</h3>\n<table><thead><tr><th scope=\"col\">Provider</th><th scope=\"col\">Scope</th><th scope=\"col\" class=\"num\">Identities</th><th scope=\"col\" class=\"num\">Credentials</th></tr></thead><tbody>");
    for ((provider, _), (identities, credentials, scope)) in &scopes {
        let _ = write!(
            page,
            "<tr><td>{}</td><td>{}</td><td class=\"num\">{identities}</td><td class=\"num\">{credentials}</td></tr>",
            provider.name(),
            html(&scope.to_string())
        );
    }
    page.push_str("</tbody></table>\n</section>\n");
}

/// The class that colours a severity's bar segment.
fn severity_fill(severity: Severity) -> String {
    format!("sev-fill-{}", severity.as_str())
}

fn severity_segments(counts: &BTreeMap<Severity, u64>) -> Vec<(String, u64, String)> {
    Severity::descending()
        .map(|s| {
            (
                s.as_str().to_string(),
                counts.get(&s).copied().unwrap_or(0),
                severity_fill(s),
            )
        })
        .collect()
}

/// A chart and, under it, its numbers as a table.
fn figure(page: &mut String, caption: &str, svg: &str, head: &[&str], rows: &[Vec<String>]) {
    let _ = write!(
        page,
        "<figure><figcaption>{}</figcaption>{svg}<details><summary>Numbers</summary><table><thead><tr>",
        html(caption)
    );
    for h in head {
        let _ = write!(page, "<th scope=\"col\">{}</th>", html(h));
    }
    page.push_str("</tr></thead><tbody>");
    for row in rows {
        page.push_str("<tr>");
        for cell in row {
            let _ = write!(page, "<td>{}</td>", html(cell));
        }
        page.push_str("</tr>");
    }
    page.push_str("</tbody></table></details></figure>\n");
}

/// Bucket upper bounds in days for the age and last-use histograms.
const DAY_BUCKETS: [(i64, &str); 6] = [
    (30, "0–30"),
    (90, "31–90"),
    (180, "91–180"),
    (365, "181–365"),
    (730, "1–2 years"),
    (i64::MAX, "over 2 years"),
];

fn bucket_of(days: i64) -> usize {
    DAY_BUCKETS
        .iter()
        .position(|(upper, _)| days <= *upper)
        .unwrap_or(DAY_BUCKETS.len() - 1)
}

/// Where a threshold of `days` falls on the histogram's axis, in buckets from the left.
fn threshold_position(days: i64) -> f64 {
    let i = bucket_of(days);
    let lower = if i == 0 { 0 } else { DAY_BUCKETS[i - 1].0 };
    let upper = DAY_BUCKETS[i].0;
    if upper == i64::MAX {
        return i as f64;
    }
    i as f64 + (days - lower) as f64 / (upper - lower) as f64
}

/// A rule's numeric parameter, when the rule is enabled.
fn rule_days(rules: &RuleSet, id: &str, param: &str) -> Option<(i64, String)> {
    let rule = rules.rules.iter().find(|r| r.enabled && r.spec.id == id)?;
    let days = rule.params.get(param)?.as_i64()?;
    Some((days, format!("{id}: {days} days")))
}

fn histogram_figure(
    page: &mut String,
    caption: &str,
    mut buckets: Vec<(String, u64)>,
    thresholds: Vec<(i64, String)>,
) {
    let marks: Vec<(f64, String)> = thresholds
        .iter()
        .map(|(days, label)| (threshold_position(*days), label.clone()))
        .collect();
    if buckets.iter().all(|b| b.1 == 0) {
        buckets.clear();
    }
    let rows: Vec<Vec<String>> = buckets
        .iter()
        .map(|(label, n)| vec![label.clone(), n.to_string()])
        .collect();
    let svg = if buckets.is_empty() {
        "<p class=\"muted\">No data.</p>".to_string()
    } else {
        svg::histogram(caption, &buckets, &marks)
    };
    figure(page, caption, &svg, &["Days", "Credentials"], &rows);
}

fn charts(page: &mut String, rules: &RuleSet, enriched: &Enriched, hits: &[Hit]) {
    page.push_str("<section id=\"charts\" aria-labelledby=\"charts-h\">\n<h2 id=\"charts-h\">Charts</h2>\n<div class=\"charts\">\n");
    let inventory = &enriched.inventory;
    let provider_of = |hit: &Hit| match hit.target {
        Target::Identity => inventory.identities[hit.index].provider,
        Target::Credential => inventory.credentials[hit.index].provider,
    };

    // Findings by provider and severity.
    let mut by_provider: BTreeMap<Provider, BTreeMap<Severity, u64>> = BTreeMap::new();
    for hit in hits {
        *by_provider
            .entry(provider_of(hit))
            .or_default()
            .entry(hit.severity)
            .or_default() += 1;
    }
    let bars: Vec<Bar> = by_provider
        .iter()
        .map(|(provider, counts)| Bar {
            label: provider.name().to_string(),
            segments: severity_segments(counts),
        })
        .collect();
    bar_figure(
        page,
        "Findings by provider and severity",
        &bars,
        &severity_head("Provider"),
    );

    // Credential age and last use.
    let as_of = enriched.as_of;
    let mut ages = vec![0u64; DAY_BUCKETS.len()];
    let mut uses = vec![0u64; DAY_BUCKETS.len()];
    let mut never = 0u64;
    for c in &inventory.credentials {
        if let Some(created) = c.created {
            ages[bucket_of(days_between(created, as_of))] += 1;
        }
        match c.last_used {
            Some(used) => uses[bucket_of(days_between(used, as_of))] += 1,
            None if c.usage_tracked => never += 1,
            None => {}
        }
    }
    let labelled = |counts: &[u64]| -> Vec<(String, u64)> {
        DAY_BUCKETS
            .iter()
            .zip(counts)
            .map(|((_, label), n)| (label.to_string(), *n))
            .collect()
    };
    histogram_figure(
        page,
        "Credential age (days since created)",
        labelled(&ages),
        rule_days(rules, "static-key-not-rotated", "max_age_days")
            .into_iter()
            .collect(),
    );
    let mut last_use = labelled(&uses);
    last_use.push(("never used".to_string(), never));
    histogram_figure(
        page,
        "Credential last use (days since)",
        last_use,
        rule_days(rules, "credential-unused", "max_unused_days")
            .into_iter()
            .collect(),
    );

    // Owner coverage per scope (identities), the largest scopes first.
    let mut by_scope: BTreeMap<String, BTreeMap<&'static str, u64>> = BTreeMap::new();
    for (identity, facts) in inventory.identities.iter().zip(&enriched.identity_facts) {
        let class = match facts.owner.status {
            OwnerStatus::Present | OwnerStatus::Active => "owned",
            OwnerStatus::Missing => "missing",
            OwnerStatus::Departed => "departed",
            OwnerStatus::Unknown => "unknown",
        };
        *by_scope
            .entry(format!("{} {}", identity.provider.name(), identity.scope))
            .or_default()
            .entry(class)
            .or_default() += 1;
    }
    let mut scopes: Vec<(String, BTreeMap<&str, u64>)> = by_scope.into_iter().collect();
    scopes.sort_by_key(|(_, counts)| std::cmp::Reverse(counts.values().sum::<u64>()));
    scopes.truncate(15);
    let owner_classes = [
        ("owned", "owner-owned"),
        ("missing", "owner-missing"),
        ("departed", "owner-departed"),
        ("unknown", "owner-unknown"),
    ];
    let bars: Vec<Bar> = scopes
        .iter()
        .map(|(scope, counts)| Bar {
            label: scope.clone(),
            segments: owner_classes
                .iter()
                .map(|(name, class)| {
                    (
                        name.to_string(),
                        counts.get(name).copied().unwrap_or(0),
                        class.to_string(),
                    )
                })
                .collect(),
        })
        .collect();
    let rows = table_rows(&bars);
    figure(
        page,
        "Owner coverage per scope (identities; the 15 largest scopes)",
        &svg::stacked_bars("Owner coverage per scope", &bars),
        &[
            "Scope",
            "owned",
            "missing",
            "departed",
            "not in roster",
            "total",
        ],
        &rows,
    );

    // The owners with the most findings.
    let mut by_owner: BTreeMap<String, BTreeMap<Severity, u64>> = BTreeMap::new();
    for hit in hits {
        let owner = match hit.target {
            Target::Identity => &enriched.identity_facts[hit.index].owner,
            Target::Credential => enriched.credential_resolved_owner(hit.index),
        };
        let name = owner
            .owner
            .as_deref()
            .map(str::to_string)
            .unwrap_or_else(|| format!("({})", owner.status.as_str()));
        *by_owner
            .entry(name)
            .or_default()
            .entry(hit.severity)
            .or_default() += 1;
    }
    let mut owners: Vec<(String, BTreeMap<Severity, u64>)> = by_owner.into_iter().collect();
    owners.sort_by_key(|(_, counts)| std::cmp::Reverse(counts.values().sum::<u64>()));
    owners.truncate(10);
    let bars: Vec<Bar> = owners
        .iter()
        .map(|(owner, counts)| Bar {
            label: owner.clone(),
            segments: severity_segments(counts),
        })
        .collect();
    bar_figure(
        page,
        "Top owners by findings",
        &bars,
        &severity_head("Owner"),
    );
    page.push_str("</div>\n</section>\n");
}

fn severity_head(first: &'static str) -> Vec<&'static str> {
    let mut head = vec![first];
    head.extend(Severity::descending().map(Severity::as_str));
    head.push("total");
    head
}

/// Stacked bars and their numbers (a column per segment, then the total).
fn bar_figure(page: &mut String, caption: &str, bars: &[Bar], head: &[&str]) {
    let svg = svg::stacked_bars(caption, bars);
    figure(page, caption, &svg, head, &table_rows(bars));
}

fn table_rows(bars: &[Bar]) -> Vec<Vec<String>> {
    bars.iter()
        .map(|bar| {
            let mut row = vec![bar.label.clone()];
            row.extend(bar.segments.iter().map(|s| s.1.to_string()));
            row.push(bar.segments.iter().map(|s| s.1).sum::<u64>().to_string());
            row
        })
        .collect()
}

fn findings_section(page: &mut String) {
    page.push_str(
        "<section id=\"findings\" aria-labelledby=\"findings-h\">\n<h2 id=\"findings-h\">Findings</h2>\n\
<form class=\"filters\" role=\"search\" aria-label=\"Filter findings\" id=\"filters\">\n\
<label>Severity<select id=\"filter-severity\"><option value=\"\">all</option><option>critical</option><option>high</option><option>medium</option><option>low</option><option>info</option></select></label>\n\
<label>Rule<select id=\"filter-rule\"><option value=\"\">all</option></select></label>\n\
<label>Provider<select id=\"filter-provider\"><option value=\"\">all</option></select></label>\n\
<label>Scope<select id=\"filter-scope\"><option value=\"\">all</option></select></label>\n\
<label>Owner<select id=\"filter-owner\"><option value=\"\">all</option></select></label>\n\
<label>Search<input type=\"search\" id=\"filter-q\" placeholder=\"entity, rule, message…\"></label>\n\
<label class=\"check\"><input type=\"checkbox\" id=\"filter-hidden\"> show suppressed and baselined</label>\n\
<span id=\"filter-entity\" class=\"chip\" hidden>entity: <span id=\"filter-entity-name\"></span> <button type=\"button\" id=\"filter-entity-clear\" aria-label=\"Clear the entity filter\">×</button></span>\n\
<button type=\"button\" id=\"filter-reset\">Reset</button>\n</form>\n\
<p id=\"findings-status\" role=\"status\" aria-live=\"polite\"></p>\n\
<noscript><p>The findings table needs JavaScript; the JSON, CSV or XLSX report lists them without it.</p></noscript>\n\
<table id=\"findings-table\"><thead><tr>\
<th scope=\"col\" data-sort=\"severity\" aria-sort=\"ascending\"><button type=\"button\">Severity</button></th>\
<th scope=\"col\" data-sort=\"rule\"><button type=\"button\">Rule</button></th>\
<th scope=\"col\" data-sort=\"entity\"><button type=\"button\">Entity</button></th>\
<th scope=\"col\" data-sort=\"provider\"><button type=\"button\">Provider</button></th>\
<th scope=\"col\" data-sort=\"scope\"><button type=\"button\">Scope</button></th>\
<th scope=\"col\" data-sort=\"owner\"><button type=\"button\">Owner</button></th>\
</tr></thead><tbody id=\"findings-body\"></tbody></table>\n\
<button type=\"button\" id=\"findings-more\" hidden>Show more</button>\n</section>\n",
    );
}

fn agents(page: &mut String, enriched: &Enriched) {
    page.push_str("<section id=\"agents\" aria-labelledby=\"agents-h\">\n<h2 id=\"agents-h\">AI agents</h2>\n");
    let agents: Vec<usize> = (0..enriched.identity_facts.len())
        .filter(|&i| enriched.identity_facts[i].ai_agent)
        .collect();
    if agents.is_empty() {
        page.push_str("<p>No identity was classified as an AI agent.</p>\n</section>\n");
        return;
    }
    let _ = write!(
        page,
        "<p>{} identities were classified as AI agents. Select one to see its findings.</p>\n\
<table><thead><tr><th scope=\"col\">Agent</th><th scope=\"col\">Provider and scope</th><th scope=\"col\">Why it is an agent</th><th scope=\"col\">Owner</th><th scope=\"col\">What it can reach</th></tr></thead><tbody>",
        agents.len()
    );
    for index in agents {
        let view = enriched.identity_view(index);
        let identity = view.identity;
        let facts = view.facts;
        let owner = match &facts.owner.owner {
            Some(name) => format!("{} ({})", html(name), facts.owner.status.as_str()),
            None => format!("none ({})", facts.owner.status.as_str()),
        };
        let reach = if identity.permissions.admin {
            "administrator itself".to_string()
        } else if view.delegation.reaches_admin() {
            format!(
                "an administrator, through delegation ({} identities in all)",
                view.delegation.reachable_count()
            )
        } else {
            format!(
                "{} other identities by delegation",
                view.delegation.reachable_count()
            )
        };
        let _ = write!(
            page,
            "<tr><td class=\"entity\"><a href=\"#findings\" data-entity=\"{}\">{}</a></td><td>{} {}</td><td>{}</td><td>{owner}</td><td>{}</td></tr>",
            html(&identity.id),
            html(&identity.name),
            identity.provider.name(),
            html(&identity.scope.to_string()),
            html(&facts.ai_signals.join("; ")),
            html(&reach)
        );
    }
    page.push_str("</tbody></table>\n</section>\n");
}

/// Sources of paths drawn in the delegation section, at most.
const DRAWN_SOURCES: usize = 30;

/// The identities that reach an administrator through others, or cross into another
/// account, tenant or subscription, with their shortest paths drawn.
fn delegation(page: &mut String, enriched: &Enriched) {
    page.push_str("<section id=\"delegation\" aria-labelledby=\"delegation-h\">\n<h2 id=\"delegation-h\">Delegation</h2>\n");
    let d = &enriched.delegation;
    let graph = &d.graph;
    let identities = &enriched.inventory.identities;
    let mut paths_of: Vec<(usize, Vec<Vec<usize>>)> = Vec::new();
    let (mut to_admin, mut across) = (0usize, 0usize);
    for i in 0..identities.len().min(graph.node_count()) {
        let admin_paths: Vec<Vec<usize>> = if graph.is_admin(i) {
            Vec::new()
        } else {
            (d.reach.admins.of(i).iter().take(3))
                .filter_map(|l| d.reach.admin_path(graph, i, l.target))
                .collect()
        };
        let crossing: Vec<Vec<usize>> = (d.reach.boundaries.of(i).iter().take(2))
            .filter_map(|l| d.reach.boundary_path(graph, i, l.target))
            .filter(|p| graph.path_crosses(p))
            .collect();
        to_admin += usize::from(!admin_paths.is_empty());
        across += usize::from(!crossing.is_empty());
        if !admin_paths.is_empty() || !crossing.is_empty() {
            paths_of.push((i, admin_paths.into_iter().chain(crossing).collect()));
        }
    }
    if paths_of.is_empty() {
        page.push_str("<p>No identity reaches an administrator through another, and none crosses into another account, tenant or subscription.</p>\n</section>\n");
        return;
    }
    // AI agents first, then those that reach the most.
    paths_of.sort_by_key(|(i, _)| {
        (
            !enriched.identity_facts[*i].ai_agent,
            std::cmp::Reverse(d.reach.reachable_count(*i)),
            *i,
        )
    });
    let shown = paths_of.len().min(DRAWN_SOURCES);
    let mut drawing = Drawing::default();
    for (_, paths) in paths_of.iter().take(shown) {
        for path in paths {
            let mut previous = None;
            for (layer, &node) in path.iter().enumerate() {
                let identity = &identities[node];
                let at = drawing.node(DrawNode {
                    id: escape::visible(&identity.id).into_owned(),
                    label: escape::visible(crate::enrich::graph::short_label(identity))
                        .into_owned(),
                    detail: escape::visible(&format!(
                        "{} {} · {}",
                        identity.provider,
                        identity.kind,
                        graph.boundary(graph.boundary_of(node)).label()
                    ))
                    .into_owned(),
                    layer,
                    admin: graph.is_admin(node),
                    start: layer == 0,
                });
                if let Some((from_node, from)) = previous {
                    drawing.edge(from, at, graph.reason(from_node, node).unwrap_or_default());
                }
                previous = Some((node, at));
            }
        }
    }
    let _ = write!(
        page,
        "<p>{to_admin} identities reach an administrator through others; {across} cross into another account, tenant or subscription. Drawn: the shortest paths of {shown} of them (AI agents first, then those that reach the most). Select an identity to see its findings; <code>nhiscan graph ID</code> shows any one in full.</p>\n<div class=\"graph\">{}</div>\n</section>\n",
        drawing.svg("Delegation paths to administrators and across boundaries")
    );
}

/// For each framework, its controls as `report --framework` tallies them.
fn frameworks(page: &mut String, inputs: &Inputs) {
    page.push_str("<section id=\"frameworks\" aria-labelledby=\"frameworks-h\">\n<h2 id=\"frameworks-h\">Frameworks</h2>\n");
    let (Some(evaluation), Ok(catalogs)) = (inputs.evaluation, crate::frameworks::catalogs())
    else {
        page.push_str("<p>Not available for this report.</p>\n</section>\n");
        return;
    };
    let all: Vec<&crate::rules::Rule> = inputs.rules.rules.iter().collect();
    let run = Run {
        rules: &all,
        enriched: inputs.enriched,
        evaluation,
    };
    for framework in Framework::ALL {
        let catalog = catalogs.get(framework);
        let report = FrameworkReport::new(
            framework,
            catalog,
            &run,
            inputs.report.scan.clone(),
            InventorySection::default(),
        );
        let summary = &report.summary;
        let _ = write!(
            page,
            "<h3>{} <span class=\"muted\">({})</span></h3>\n<p>{} controls: {} fail, {} pass, {} not evaluated, {} not tested.</p>\n<table><thead><tr><th scope=\"col\">Control</th><th scope=\"col\">Title</th><th scope=\"col\">Status</th><th scope=\"col\">Rules</th><th scope=\"col\" class=\"num\">Evaluated</th><th scope=\"col\" class=\"num\">Pass</th><th scope=\"col\" class=\"num\">Fail</th></tr></thead><tbody>",
            html(&catalog.name),
            html(&catalog.version),
            report.controls.len(),
            summary.failing,
            summary.passing,
            summary.not_evaluated,
            summary.not_tested,
        );
        for control in &report.controls {
            let status = control.status.as_str();
            let _ = write!(
                page,
                "<tr><td>{}</td><td>{}</td><td class=\"status-{status}\">{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                html(&control.id),
                html(&control.title),
                status.replace('_', " "),
                html(&control.rules.join(", ")),
                control.evaluated,
                control.pass,
                control.fail,
            );
        }
        page.push_str("</tbody></table>\n");
    }
    page.push_str("</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_fall_inside_their_bucket() {
        assert_eq!(threshold_position(30), 1.0);
        assert_eq!(threshold_position(90), 2.0);
        assert!((threshold_position(45) - 1.25).abs() < 1e-9);
        assert_eq!(bucket_of(0), 0);
        assert_eq!(bucket_of(10_000), DAY_BUCKETS.len() - 1);
    }

    #[test]
    fn the_policy_allows_exactly_the_inline_script_and_style() {
        let hash = csp_hash("alert(1)");
        assert!(
            hash.starts_with("'sha256-") && hash.ends_with("='"),
            "{hash}"
        );
        assert_ne!(csp_hash(SCRIPT), csp_hash(STYLE));
    }
}
