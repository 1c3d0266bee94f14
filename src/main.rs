//! nhiscan's entry point: parse the command line, run the command, map the outcome to
//! an exit code (see `policy::exit`).

use clap::Parser;
use nhiscan::app::{self, Verbosity};
use nhiscan::cli::{Cli, Command};
use nhiscan::policy::exit;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let verbosity = if cli.quiet {
        Verbosity::Quiet
    } else if cli.verbose {
        Verbosity::Verbose
    } else {
        Verbosity::Normal
    };
    let result = match &cli.command {
        Command::Scan(args) => app::scan(args, verbosity),
        Command::Inventory(args) => app::inventory(args, verbosity),
        Command::Report(args) => app::report(args, verbosity),
        Command::Collect(command) => app::collect(command, verbosity),
        Command::Rules(command) => app::rules(command, verbosity),
        Command::Merge(args) => app::merge(args, verbosity),
        Command::Owners(args) => app::owners(args, verbosity),
        Command::Graph(args) => app::graph(args, verbosity),
        Command::Diff(args) => nhiscan::diff::run(args),
        Command::Schema => nhiscan::setup::schema(),
        Command::Init(args) => nhiscan::setup::init(args),
        Command::Completions { shell } => nhiscan::setup::completions(*shell),
        Command::Man => nhiscan::setup::man(),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(exit::ERROR)
        }
    }
}
