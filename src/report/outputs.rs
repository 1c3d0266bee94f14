//! Several reports from one scan: `-f FORMAT[:PATH]` (repeatable; without a path,
//! stdout), `-o PATH` for a single format, and `[output]` defaults in `nhiscan.toml`.
//! Every file is staged beside its target and committed only once all of them were
//! written ([`crate::report::destination`]), so a failed run changes no report.

use crate::config::OutputConfig;
use crate::enrich::Enriched;
use crate::report::destination::{commit, stage};
use crate::report::format::csv::{parse_delimiter, CsvOptions};
use crate::report::format::markdown::DEFAULT_TOP;
use crate::report::{write_output, Report, Style};
use crate::rules::eval::Evaluation;
use crate::rules::RuleSet;
use anyhow::{anyhow, bail, Context as _};
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use strum::VariantArray;

/// The report formats of `nhiscan scan`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, strum::IntoStaticStr, strum::VariantArray,
)]
#[strum(serialize_all = "lowercase")]
pub enum ScanFormat {
    /// Terminal table (the default).
    Table,
    /// One finding per row (formula-safe).
    Csv,
    /// The versioned report document (see `nhiscan schema`).
    Json,
    /// One finding per line.
    Jsonl,
    /// SARIF 2.1.0 for GitHub code scanning.
    Sarif,
    /// Summary for a CI job summary or a pull-request comment.
    #[value(alias = "md")]
    Markdown,
    /// OCSF 1.5 Detection Findings, one per line, for SIEMs.
    Ocsf,
    /// Excel workbook: findings, summary, inventory.
    Xlsx,
    /// One self-contained page: summary, charts, filterable findings, AI agents.
    Html,
}

impl ScanFormat {
    fn name(self) -> &'static str {
        self.into()
    }

    /// Every format's name, comma-separated ("table, csv, ..."), for help texts.
    pub fn names() -> String {
        let names: Vec<&str> = Self::VARIANTS.iter().map(|f| f.name()).collect();
        names.join(", ")
    }

    /// The help of `-f`.
    pub fn help() -> String {
        format!(
            "Report format, optionally with its file: FORMAT[:PATH]. Repeat for several \
             reports from one run; at most one without a file (stdout). Formats: {}. \
             Default: [output] formats in nhiscan.toml, else table",
            Self::names()
        )
    }
}

/// One requested report: a format, and a file (stdout when `None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputSpec {
    pub format: ScanFormat,
    pub path: Option<PathBuf>,
}

impl FromStr for OutputSpec {
    type Err = String;

    /// `FORMAT` or `FORMAT:PATH`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (name, path) = match text.split_once(':') {
            Some((name, path)) => (name, Some(path)),
            None => (text, None),
        };
        let format =
            <ScanFormat as clap::ValueEnum>::from_str(name.trim(), true).map_err(|_| {
                format!(
                    "`{name}` is not a report format: use {} (FORMAT or FORMAT:PATH)",
                    ScanFormat::names()
                )
            })?;
        let path = match path {
            Some("") => return Err(format!("`{text}`: the path after `:` is empty")),
            Some(p) => Some(PathBuf::from(p)),
            None => None,
        };
        Ok(OutputSpec { format, path })
    }
}

/// Format options shared by the reports of one run.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    pub csv: CsvOptions,
    /// Findings listed in the Markdown summary.
    pub top: usize,
}

impl Settings {
    /// Command-line values first, then `[output]`, then the defaults.
    pub fn resolve(
        delimiter: Option<&str>,
        bom: bool,
        top: Option<usize>,
        config: &OutputConfig,
        origin: &str,
    ) -> anyhow::Result<Settings> {
        let delimiter = match (delimiter, &config.csv_delimiter) {
            (Some(d), _) => parse_delimiter(d).map_err(|e| anyhow!("--csv-delimiter: {e}"))?,
            (None, Some(d)) => {
                parse_delimiter(d).map_err(|e| anyhow!("{origin}: [output] csv_delimiter: {e}"))?
            }
            (None, None) => b',',
        };
        Ok(Settings {
            csv: CsvOptions {
                delimiter,
                bom: bom || config.csv_bom.unwrap_or(false),
            },
            top: top.or(config.markdown_top).unwrap_or(DEFAULT_TOP),
        })
    }
}

/// The reports to write: the `-f`s (else `[output] formats`, else a table), with `-o`
/// giving the path of the one without a path. At most one may go to stdout, no two to
/// the same file, and the workbook only to a file or a pipe.
pub fn plan(
    cli: &[OutputSpec],
    output: Option<&Path>,
    config: &OutputConfig,
    config_path: Option<&Path>,
    stdout_is_terminal: bool,
) -> anyhow::Result<Vec<OutputSpec>> {
    let mut specs: Vec<OutputSpec> = if !cli.is_empty() {
        cli.to_vec()
    } else if !config.formats.is_empty() {
        let origin = config_path
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "nhiscan.toml".into());
        let base = config_path.and_then(Path::parent).unwrap_or(Path::new(""));
        config
            .formats
            .iter()
            .map(|text| {
                let mut spec: OutputSpec = text
                    .parse()
                    .map_err(|e| anyhow!("{origin}: [output] formats: {e}"))?;
                spec.path = spec.path.map(|p| base.join(p));
                Ok(spec)
            })
            .collect::<anyhow::Result<_>>()?
    } else {
        vec![OutputSpec {
            format: ScanFormat::Table,
            path: None,
        }]
    };
    if let Some(path) = output {
        let mut open = specs.iter_mut().filter(|s| s.path.is_none());
        match (open.next(), open.next()) {
            (Some(spec), None) => spec.path = Some(path.to_path_buf()),
            (None, _) => bail!("-o {}: every -f already names its file", path.display()),
            (Some(_), Some(_)) => bail!(
                "-o {} is for one format; give the others their file: -f FORMAT:PATH",
                path.display()
            ),
        }
    }
    let to_stdout: Vec<&OutputSpec> = specs.iter().filter(|s| s.path.is_none()).collect();
    if to_stdout.len() > 1 {
        bail!(
            "{} and {} would both go to stdout; give all but one a file: -f FORMAT:PATH",
            to_stdout[0].format.name(),
            to_stdout[1].format.name()
        );
    }
    if let Some(spec) = to_stdout.first() {
        if spec.format == ScanFormat::Xlsx && stdout_is_terminal {
            bail!("xlsx is a binary workbook: write it to a file (-f xlsx:findings.xlsx)");
        }
    }
    let mut paths: Vec<&Path> = specs.iter().filter_map(|s| s.path.as_deref()).collect();
    paths.sort();
    if let Some(w) = paths.windows(2).find(|w| w[0] == w[1]) {
        bail!("two reports would be written to {}", w[0].display());
    }
    specs.sort_by_key(|s| s.path.is_none());
    Ok(specs)
}

/// What the reporters draw on.
pub struct Inputs<'r, 'a> {
    pub report: &'r Report<'a>,
    pub rules: &'r RuleSet,
    pub enriched: &'r Enriched,
    /// The rules' matches before findings were folded and filtered (for the HTML
    /// report's framework tables; set when an HTML report is asked for).
    pub evaluation: Option<&'r Evaluation>,
    pub settings: Settings,
}

/// Writes every report: files staged first, then stdout, then the files renamed into
/// place. Returns where each went, for messages.
pub fn write_all(specs: &[OutputSpec], inputs: &Inputs) -> anyhow::Result<Vec<String>> {
    let mut staged = Vec::new();
    for spec in specs {
        if let Some(path) = &spec.path {
            let report = stage(path, |out| {
                render(spec.format, inputs, Style::detect(false), out)
            })
            .with_context(|| format!("cannot write {} (no report was changed)", path.display()))?;
            staged.push(report);
        }
    }
    let mut written = Vec::new();
    if let Some(spec) = specs.iter().find(|s| s.path.is_none()) {
        let style = Style::detect(io::stdout().is_terminal());
        write_output(None, |out| render(spec.format, inputs, style, out))
            .context("cannot write to stdout")?;
        written.push(format!("{} to stdout", spec.format.name()));
    }
    for path in commit(staged)? {
        written.push(path.display().to_string());
    }
    Ok(written)
}

fn render(
    format: ScanFormat,
    inputs: &Inputs,
    style: Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    let report = inputs.report;
    match format {
        ScanFormat::Table => crate::report::format::table::write(report, style, out),
        ScanFormat::Csv => crate::report::format::csv::write_with(report, inputs.settings.csv, out),
        ScanFormat::Json => crate::report::format::json::write(report, out),
        ScanFormat::Jsonl => crate::report::format::jsonl::write(report, out),
        ScanFormat::Sarif => crate::report::format::sarif::write(report, inputs.rules, out),
        ScanFormat::Markdown => {
            crate::report::format::markdown::write(report, inputs.settings.top, out)
        }
        ScanFormat::Ocsf => crate::report::format::ocsf::write(report, out),
        ScanFormat::Xlsx => crate::report::format::xlsx::write(report, inputs.enriched, out),
        ScanFormat::Html => crate::report::format::html::write(inputs, out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(text: &str) -> OutputSpec {
        text.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    fn plan_of(cli: &[&str], output: Option<&str>) -> Result<Vec<OutputSpec>, String> {
        let cli: Vec<OutputSpec> = cli.iter().map(|s| spec(s)).collect();
        plan(
            &cli,
            output.map(Path::new),
            &OutputConfig::default(),
            None,
            false,
        )
        .map_err(|e| e.to_string())
    }

    #[test]
    fn formats_take_an_optional_path() {
        assert_eq!(
            spec("sarif:out/r.sarif").path,
            Some(PathBuf::from("out/r.sarif"))
        );
        assert_eq!(spec("MD").format, ScanFormat::Markdown);
        assert!("pdf".parse::<OutputSpec>().is_err());
        assert!("csv:".parse::<OutputSpec>().is_err());
    }

    #[test]
    fn one_stdout_and_distinct_files() {
        let specs = plan_of(&["table", "csv:a.csv", "sarif:b.sarif"], None)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(specs.last().map(|s| s.format), Some(ScanFormat::Table));
        assert!(plan_of(&["table", "csv"], None).is_err_and(|e| e.contains("both go to stdout")));
        assert!(plan_of(&["csv:a", "json:a"], None).is_err_and(|e| e.contains("two reports")));
        let specs = plan_of(&["json"], Some("r.json")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(specs[0].path, Some(PathBuf::from("r.json")));
        assert!(plan_of(&["json:a", "csv:b"], Some("r")).is_err());
        let specs = plan_of(&[], None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(specs, [spec("table")]);
        let xlsx = plan(&[spec("xlsx")], None, &OutputConfig::default(), None, true);
        assert!(xlsx.is_err());
    }

    #[test]
    fn config_formats_are_relative_to_the_config_file() {
        let config = OutputConfig {
            formats: vec!["sarif:reports/n.sarif".into(), "table".into()],
            ..OutputConfig::default()
        };
        let specs = plan(
            &[],
            None,
            &config,
            Some(Path::new("ci/nhiscan.toml")),
            false,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(specs[0].path, Some(PathBuf::from("ci/reports/n.sarif")));
        let bad = OutputConfig {
            formats: vec!["pdf".into()],
            ..OutputConfig::default()
        };
        let err = plan(&[], None, &bad, Some(Path::new("nhiscan.toml")), false)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.starts_with("nhiscan.toml: [output] formats"), "{err}");
    }
}
