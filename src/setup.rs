//! Commands around the scan: `init` (a starter config), `schema` (the report's JSON
//! schema), `completions` (clap_complete) and `man` (clap_mangen).

use crate::cli::{Cli, InitArgs};
use crate::exit_policy::exit;
use crate::report::outputs::ScanFormat;
use anyhow::{bail, Context as _};
use clap::CommandFactory;

/// The config `nhiscan init` writes: every section, commented, valid as it is, with
/// `{formats}` standing for the report formats.
const STARTER_TEMPLATE: &str = r#"# nhiscan configuration, written by `nhiscan init`.
#
# nhiscan reads ./nhiscan.toml when it exists, or the file given with --config.
# Unknown keys are an error, so a typo is reported instead of silently ignored.
# Relative paths are relative to this file. Command-line options win over this file.

[owners]
# Tag keys that name an identity's owner, most specific first.
# tag_keys = ["owner", "Owner", "owner-email", "owner_email", "created-by", "team", "Team"]
# HR/directory export (person,email,status,end_date) owners are checked against
# (same as --owners).
# roster = "hr/roster.csv"

# [owners.teams]
# A team named as owner is judged by its people against the roster.
# "payments" = ["alice@example.com", "bob@example.com"]

# [ai]
# The AI-agent classifier (`nhiscan inventory --ai` shows its verdicts and signals).
# Setting a list replaces the default; `extra_<list>` adds to it. Lists: strong_words
# (a whole word in a name, description or tag value that makes an identity an AI
# agent), weak_words (count only next to a strong signal), not_ai_words (cancel a weak
# word: "build agent"), tag_keys and tag_values (workload tags), permissions (patterns
# such as "bedrock:InvokeModel*"), services (trusted services such as
# "bedrock.amazonaws.com").
# extra_strong_words = ["jarvis"]
# extra_not_ai_words = ["octopus"]

# [identities]
# Which user accounts are people (`nhiscan inventory -f csv` shows identity_type and its
# signals). Rules judge non-human identities; people's users only by the rules whose
# control covers every user. Patterns match a user's name or id (`*` wildcards, case
# ignored); service_words replaces the words that mark software, extra_service_words
# adds to them.
# humans = ["*.*@example.com", "ops-breakglass"]
# non_humans = ["svc-*"]
# extra_service_words = ["octopus"]

[scan]
# Exit with status 1 when a finding at or above this severity counts (same as
# --fail-on; with --baseline only new findings count, suppressed ones never do).
# fail_on = "high"
# Extra folders of rule files (*.yaml), in addition to the built-in rules.
# rules = ["policies/nhi-rules"]

[output]
# Reports of `nhiscan scan` when no -f is given: FORMAT or FORMAT:PATH (at most one
# without a path: stdout). Formats: {formats}.
# formats = ["table", "json:nhiscan-report.json", "sarif:nhiscan.sarif"]
# CSV field separator (one character, or "tab") and a UTF-8 byte order mark for Excel.
# csv_delimiter = ";"
# csv_bom = true
# Findings listed in the Markdown summary.
# markdown_top = 20

# Rule overrides: one table per rule id (`nhiscan rules list` shows the ids and their
# parameters); `enabled = false` turns a rule off, `severity = "critical"` changes it.
# [rules.static-key-not-rotated]
# max_age_days = 90
# [rules.identity-unused]
# enabled = false

# Suppressions (accepted findings, with a reason and an expiry) live in
# .nhiscan-ignore.yaml beside this file, or the file given with --ignore.
"#;

/// `nhiscan init`: writes the starter config, refusing to replace a file unless
/// `--force`.
/// The commented starter `nhiscan.toml` that `nhiscan init` writes.
pub fn starter_config() -> String {
    STARTER_TEMPLATE.replace("{formats}", &ScanFormat::names())
}

pub fn init(args: &InitArgs) -> anyhow::Result<u8> {
    if args.path.exists() && !args.force {
        bail!(
            "{} already exists; use --force to replace it",
            args.path.display()
        );
    }
    crate::report::write_output(Some(&args.path), |out| {
        out.write_all(starter_config().as_bytes())
    })
    .with_context(|| format!("cannot write {}", args.path.display()))?;
    eprintln!("wrote {}", args.path.display());
    Ok(exit::CLEAN)
}

/// `nhiscan schema`: the JSON schema of the report.
pub fn schema() -> anyhow::Result<u8> {
    crate::report::write_output(None, |out| {
        out.write_all(crate::report::document::schema_json().as_bytes())
    })
    .context("cannot write to stdout")?;
    Ok(exit::CLEAN)
}

/// `nhiscan completions SHELL`.
pub fn completions(shell: clap_complete::Shell) -> anyhow::Result<u8> {
    let mut command = Cli::command();
    crate::report::write_output(None, |out| {
        clap_complete::generate(shell, &mut command, "nhiscan", out);
        Ok(())
    })
    .context("cannot write to stdout")?;
    Ok(exit::CLEAN)
}

/// `nhiscan man`: the page of nhiscan, then one per command.
pub fn man() -> anyhow::Result<u8> {
    let command = Cli::command();
    crate::report::write_output(None, |out| {
        clap_mangen::Man::new(command.clone()).render(out)?;
        for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
            let name = format!("nhiscan-{}", sub.get_name());
            let page = sub.clone().name(name.clone()).bin_name(name);
            clap_mangen::Man::new(page).render(out)?;
        }
        Ok(())
    })
    .context("cannot write to stdout")?;
    Ok(exit::CLEAN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_starter_config_is_valid_and_documents_every_section() {
        let starter = starter_config();
        assert!(starter
            .contains("Formats: table, csv, json, jsonl, sarif, markdown, ocsf, xlsx, html."));
        let config: crate::config::Config =
            toml::from_str(&starter).unwrap_or_else(|e| panic!("{e}"));
        assert!(config.output.formats.is_empty());
        for section in [
            "[owners]",
            "[owners.teams]",
            "[ai]",
            "[identities]",
            "[scan]",
            "[output]",
            "[rules.",
        ] {
            assert!(starter.contains(section), "{section}");
        }
        // Uncommented, every example line is a valid config too.
        let uncommented: String = starter
            .lines()
            .map(|l| match l.strip_prefix("# ") {
                Some(rest)
                    if rest.starts_with('[')
                        || rest
                            .split_once(" = ")
                            .is_some_and(|(k, _)| !k.contains(' ')) =>
                {
                    rest
                }
                _ => l,
            })
            .collect::<Vec<_>>()
            .join("\n");
        let config: crate::config::Config =
            toml::from_str(&uncommented).unwrap_or_else(|e| panic!("{e}\n{uncommented}"));
        assert_eq!(config.output.formats.len(), 3);
        assert_eq!(config.output.csv_delimiter.as_deref(), Some(";"));
        assert!(config.ai.classifier().is_ok());
    }
}
