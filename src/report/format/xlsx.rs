//! XLSX: a workbook for people who live in spreadsheets. Findings (frozen header,
//! autofilter, sized columns), Summary (by severity, provider, rule and owner),
//! Inventory (identities) and Credentials. Every inventory value is written as a
//! string cell, so nothing in it is ever a formula.

use crate::enrich::Enriched;
use crate::report::format::csv::{row, COLUMNS};
use crate::report::view::inventory::{
    credential_rows, identity_rows, CREDENTIAL_COLUMNS, IDENTITY_COLUMNS,
};
use crate::report::Report;
use crate::rules::Severity;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, Worksheet, XlsxError};
use std::collections::BTreeMap;
use std::io::{self, Write};

/// Excel's limit on rows per sheet, less the header.
const MAX_ROWS: usize = 1_048_575;

pub fn write(report: &Report, enriched: &Enriched, out: &mut dyn Write) -> io::Result<()> {
    let bytes = workbook(report, enriched).map_err(io::Error::other)?;
    out.write_all(&bytes)
}

fn workbook(report: &Report, enriched: &Enriched) -> Result<Vec<u8>, XlsxError> {
    let bold = Format::new().set_bold();
    let mut workbook = Workbook::new();
    let created = ExcelDateTime::from_timestamp(report.scan.as_of.timestamp())?;
    workbook.set_properties(
        &DocProperties::new()
            .set_title("nhiscan findings")
            .set_creation_datetime(&created),
    );

    let mut findings = Worksheet::new();
    findings.set_name("Findings")?;
    let as_of = report.scan.as_of.to_rfc3339();
    let mut owners: BTreeMap<String, BTreeMap<Severity, usize>> = BTreeMap::new();
    let mut rows = 0usize;
    let mut left_out = 0usize;
    let mut widths: Vec<usize> = COLUMNS.iter().map(|c| c.len()).collect();
    for f in report.findings.iter() {
        let owner = f.owner.clone().unwrap_or_else(|| "(no owner)".into());
        *owners
            .entry(owner)
            .or_default()
            .entry(f.severity)
            .or_default() += 1;
        if rows >= MAX_ROWS {
            left_out += 1;
            continue;
        }
        rows += 1;
        for (col, text) in row(&f, &as_of).iter().enumerate() {
            text_cell(&mut findings, rows, col, text)?;
            if let Some(w) = widths.get_mut(col) {
                *w = (*w).max(text.chars().count());
            }
        }
    }
    table_frame(&mut findings, &COLUMNS, rows, &widths, &bold)?;

    let mut summary = Worksheet::new();
    summary.set_name("Summary")?;
    write_summary(&mut summary, report, &owners, left_out, &bold)?;

    let mut inventory = Worksheet::new();
    inventory.set_name("Inventory")?;
    sheet_rows(
        &mut inventory,
        &IDENTITY_COLUMNS,
        identity_rows(enriched, false),
        &bold,
    )?;
    let mut credentials = Worksheet::new();
    credentials.set_name("Credentials")?;
    sheet_rows(
        &mut credentials,
        &CREDENTIAL_COLUMNS,
        credential_rows(enriched),
        &bold,
    )?;

    workbook.push_worksheet(findings);
    workbook.push_worksheet(summary);
    workbook.push_worksheet(inventory);
    workbook.push_worksheet(credentials);
    workbook.save_to_buffer()
}

/// A string cell (never a formula), cut to fit Excel's cell limit, with a marker.
fn text_cell(sheet: &mut Worksheet, row: usize, col: usize, text: &str) -> Result<(), XlsxError> {
    let text = crate::report::sanitize::truncate(text, crate::report::sanitize::SPREADSHEET_CHARS);
    sheet.write_string(row as u32, col as u16, text.as_ref())?;
    Ok(())
}

/// Header in bold, frozen, with an autofilter over `rows` data rows and columns sized
/// to their content (within reason).
fn table_frame(
    sheet: &mut Worksheet,
    columns: &[&str],
    rows: usize,
    widths: &[usize],
    bold: &Format,
) -> Result<(), XlsxError> {
    for (col, name) in columns.iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, *name, bold)?;
        let width = widths.get(col).copied().unwrap_or(name.len());
        sheet.set_column_width(col as u16, (width + 2).clamp(8, 60) as f64)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    sheet.autofilter(0, 0, rows as u32, columns.len().saturating_sub(1) as u16)?;
    Ok(())
}

fn sheet_rows(
    sheet: &mut Worksheet,
    columns: &[&str],
    rows: impl Iterator<Item = Vec<String>>,
    bold: &Format,
) -> Result<(), XlsxError> {
    let mut widths: Vec<usize> = columns.iter().map(|c| c.len()).collect();
    let mut n = 0;
    for cells in rows.take(MAX_ROWS) {
        n += 1;
        for (col, text) in cells.iter().enumerate() {
            text_cell(sheet, n, col, text)?;
            if let Some(w) = widths.get_mut(col) {
                *w = (*w).max(text.chars().count());
            }
        }
    }
    table_frame(sheet, columns, n, &widths, bold)
}

/// Counts in four blocks one under another: severity, provider, rule, owner.
fn write_summary(
    sheet: &mut Worksheet,
    report: &Report,
    owners: &BTreeMap<String, BTreeMap<Severity, usize>>,
    left_out: usize,
    bold: &Format,
) -> Result<(), XlsxError> {
    let s = &report.summary;
    let mut r: u32 = 0;
    sheet.write_string_with_format(r, 0, "nhiscan report", bold)?;
    r += 1;
    sheet.write_string(
        r,
        0,
        format!(
            "{} findings in {} identities and {} credentials, as of {}",
            s.findings,
            report.inventory.identities,
            report.inventory.credentials,
            report.scan.as_of.to_rfc3339()
        ),
    )?;
    if left_out > 0 {
        r += 1;
        sheet.write_string(r, 0, format!(
            "{left_out} findings did not fit in the Findings sheet (Excel's row limit); see the JSON or CSV report"
        ))?;
    }
    r += 2;
    let block = |sheet: &mut Worksheet,
                 r: &mut u32,
                 title: &str,
                 rows: Vec<(String, usize)>|
     -> Result<(), XlsxError> {
        sheet.write_string_with_format(*r, 0, title, bold)?;
        sheet.write_string_with_format(*r, 1, "findings", bold)?;
        *r += 1;
        for (name, n) in rows {
            sheet.write_string(*r, 0, name)?;
            sheet.write_number(*r, 1, n as f64)?;
            *r += 1;
        }
        *r += 1;
        Ok(())
    };
    let severities = Severity::descending()
        .map(|sev| {
            (
                sev.to_string(),
                s.by_severity.get(&sev).copied().unwrap_or(0),
            )
        })
        .collect();
    block(sheet, &mut r, "severity", severities)?;
    let providers = s
        .by_provider
        .iter()
        .map(|(p, n)| (p.to_string(), *n))
        .collect();
    block(sheet, &mut r, "provider", providers)?;
    let rules = s.by_rule.iter().map(|(id, n)| (id.clone(), *n)).collect();
    block(sheet, &mut r, "rule", rules)?;

    sheet.write_string_with_format(r, 0, "owner", bold)?;
    sheet.write_string_with_format(r, 1, "findings", bold)?;
    for (i, sev) in Severity::descending().enumerate() {
        sheet.write_string_with_format(r, 2 + i as u16, sev.as_str(), bold)?;
    }
    r += 1;
    let mut by_owner: Vec<(&String, &BTreeMap<Severity, usize>)> = owners.iter().collect();
    by_owner
        .sort_by_key(|(name, counts)| (std::cmp::Reverse(counts.values().sum::<usize>()), *name));
    for (owner, counts) in by_owner {
        text_cell(sheet, r as usize, 0, owner)?;
        sheet.write_number(r, 1, counts.values().sum::<usize>() as f64)?;
        for (i, sev) in Severity::descending().enumerate() {
            sheet.write_number(
                r,
                2 + i as u16,
                counts.get(&sev).copied().unwrap_or(0) as f64,
            )?;
        }
        r += 1;
    }
    sheet.set_column_width(0, 48)?;
    sheet.set_column_width(1, 10)?;
    Ok(())
}
