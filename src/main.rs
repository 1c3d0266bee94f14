//! nhiscan's entry point: parse the command line, run the command, map the outcome to
//! an exit code (see `exit_policy::exit`).

use clap::Parser;
use nhiscan::app::{self, Verbosity};
use nhiscan::cli::{Cli, Command};
use nhiscan::exit_policy::exit;
use std::process::ExitCode;

/// mimalloc rather than the platform's malloc: a scan allocates millions of small values
/// on one thread and frees them on another (see Cargo.toml). examples/parse.rs, the
/// benchmarks' parse floor, uses it too.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    nhiscan::report::destination::clean_up_on_signals();
    // Rules are evaluated on rayon's threads: give them the stack a deep expression
    // needs (rules::bounds). Fails only if a pool exists already, which it cannot here.
    let _ = rayon::ThreadPoolBuilder::new()
        .stack_size(nhiscan::rules::bounds::EVALUATION_STACK_BYTES)
        .build_global();
    let cli = Cli::parse();
    nhiscan::input::set_limits(nhiscan::input::Limits::from_mib(
        cli.max_input_mib,
        cli.max_line_mib,
    ));
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
        Command::Diff(args) => nhiscan::app::diff(args),
        Command::Schema => nhiscan::setup::schema(),
        Command::Init(args) => nhiscan::setup::init(args),
        Command::Completions { shell } => nhiscan::setup::completions(*shell),
        Command::Man => nhiscan::setup::man(),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            // The message may quote input: never let it drive the terminal.
            eprintln!(
                "error: {}",
                nhiscan::report::sanitize::message(&format!("{error:#}"))
            );
            ExitCode::from(exit::ERROR)
        }
    }
}
