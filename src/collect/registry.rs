//! The live providers, in one list. Each provider's folder holds its command-line
//! arguments and a [`Collector`]; [`PROVIDERS`] names them. The command line
//! (`--provider`, the provider arguments of `scan`, `owners`, `report`, `inventory`, and
//! the `collect <provider>` subcommands) and the live collection are built from this list.
//!
//! Every build has every provider's arguments, so the command line is the same in all of
//! them; a provider whose cargo feature is off is refused when used, naming the feature.

use crate::collect::progress::Progress;
use crate::inventory::{Inventory, Provider};
use anyhow::{anyhow, Result};
use clap::{ArgMatches, Args, Command, FromArgMatches};

/// The live providers: `--provider` values, `collect` subcommands and their help, in
/// this order.
pub static PROVIDERS: &[LiveProvider] = &[
    LiveProvider::of::<crate::collect::aws::Aws>(),
    LiveProvider::of::<crate::collect::azure::Azure>(),
    LiveProvider::of::<crate::collect::gcp::Gcp>(),
    LiveProvider::of::<crate::collect::github::Github>(),
    LiveProvider::of::<crate::collect::kubernetes::Kubernetes>(),
];

/// One live provider: what the command line calls it, its arguments, and its collection.
pub trait Collector {
    /// Its name on the command line (`--provider ID`, `collect ID`) and its cargo feature.
    const ID: &'static str;
    /// Its name in messages ("AWS", "Google Cloud").
    const NAME: &'static str;
    /// The provider its inventory's identities belong to.
    const PROVIDER: Provider;
    /// The help line of `collect ID`: what it reads.
    const ABOUT: &'static str;
    /// Its command-line arguments (with their help heading).
    type Args: Args;

    /// Refuses arguments that cannot work, before anything is read (e.g. a required
    /// organisation that is missing).
    fn check(_args: &Self::Args) -> Result<()> {
        Ok(())
    }

    /// Collects live. In a build without the provider's feature: [`not_compiled`].
    fn collect(args: &Self::Args, progress: Progress) -> Result<Inventory>;
}

/// A live provider of [`PROVIDERS`]: a `--provider` value.
#[derive(Clone, Copy)]
pub struct LiveProvider {
    id: &'static str,
    name: &'static str,
    provider: Provider,
    about: &'static str,
    augment: fn(Command) -> Command,
    check: fn(&ArgMatches) -> Result<()>,
    collect: fn(&ArgMatches, Progress) -> Result<Inventory>,
}

impl LiveProvider {
    /// The entry of collector `C`.
    pub const fn of<C: Collector>() -> Self {
        LiveProvider {
            id: C::ID,
            name: C::NAME,
            provider: C::PROVIDER,
            about: C::ABOUT,
            augment: augment::<C>,
            check: check::<C>,
            collect: collect::<C>,
        }
    }

    /// The provider named `id` on the command line.
    pub fn named(id: &str) -> Option<Self> {
        PROVIDERS.iter().copied().find(|p| p.id == id)
    }

    pub fn id(self) -> &'static str {
        self.id
    }

    pub fn name(self) -> &'static str {
        self.name
    }

    pub fn provider(self) -> Provider {
        self.provider
    }

    /// Refuses arguments that cannot work (see [`Collector::check`]).
    pub fn check(self, args: &ProviderArgs) -> Result<()> {
        (self.check)(&args.0)
    }

    /// Collects this provider live with the command line's arguments.
    pub fn collect(self, args: &ProviderArgs, progress: Progress) -> Result<Inventory> {
        (self.collect)(&args.0, progress)
    }
}

impl PartialEq for LiveProvider {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for LiveProvider {}

impl std::fmt::Debug for LiveProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id)
    }
}

impl clap::ValueEnum for LiveProvider {
    fn value_variants<'a>() -> &'a [Self] {
        PROVIDERS
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.id))
    }
}

/// Adds `C`'s arguments (under their help heading), but not those another provider
/// already added: a flag several providers share (`--usage`) is one flag.
fn augment<C: Collector>(cmd: Command) -> Command {
    let own = C::Args::augment_args(Command::new(C::ID));
    own.get_arguments().fold(cmd, |cmd, arg| {
        if cmd.get_arguments().any(|a| a.get_id() == arg.get_id()) {
            cmd
        } else {
            cmd.arg(arg.clone())
        }
    })
}

fn parsed<C: Collector>(matches: &ArgMatches) -> Result<C::Args> {
    C::Args::from_arg_matches(matches).map_err(|e| anyhow!("{} arguments: {e}", C::NAME))
}

fn check<C: Collector>(matches: &ArgMatches) -> Result<()> {
    C::check(&parsed::<C>(matches)?)
}

fn collect<C: Collector>(matches: &ArgMatches, progress: Progress) -> Result<Inventory> {
    let args = parsed::<C>(matches)?;
    C::check(&args)?;
    C::collect(&args, progress)
}

/// The error of a live provider this build was compiled without.
pub fn not_compiled<C: Collector>() -> anyhow::Error {
    let feature = C::ID;
    anyhow!(
        "this nhiscan was built without the `{feature}` feature, so it cannot collect from \
         {}; the release binaries and image have every provider, or build with \
         `cargo install nhiscan --features {feature}`. Inventory files of every provider \
         (-i) scan in every build",
        C::NAME
    )
}

/// Every live provider's arguments, as given on the command line (each provider reads
/// its own when it collects).
#[derive(Debug, Clone)]
pub struct ProviderArgs(ArgMatches);

impl FromArgMatches for ProviderArgs {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        Ok(ProviderArgs(matches.clone()))
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        self.0 = matches.clone();
        Ok(())
    }
}

impl Args for ProviderArgs {
    fn augment_args(cmd: Command) -> Command {
        PROVIDERS.iter().fold(cmd, |cmd, p| (p.augment)(cmd))
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        Self::augment_args(cmd)
    }
}

/// `nhiscan collect <provider>`: the provider, its arguments, and those every
/// `collect` takes (`Common`: the output, the exit code).
#[derive(Debug, Clone)]
pub struct CollectCommand<Common> {
    pub provider: LiveProvider,
    pub args: ProviderArgs,
    pub common: Common,
}

impl<Common: Args> FromArgMatches for CollectCommand<Common> {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let (id, sub) = matches.subcommand().ok_or_else(|| {
            clap::Error::raw(
                clap::error::ErrorKind::MissingSubcommand,
                "a provider to collect from is required",
            )
        })?;
        let provider = LiveProvider::named(id).ok_or_else(|| {
            clap::Error::raw(
                clap::error::ErrorKind::InvalidSubcommand,
                format!("`{id}` is not a provider"),
            )
        })?;
        Ok(CollectCommand {
            provider,
            args: ProviderArgs(sub.clone()),
            common: Common::from_arg_matches(sub)?,
        })
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}

impl<Common: Args> clap::Subcommand for CollectCommand<Common> {
    fn augment_subcommands(cmd: Command) -> Command {
        PROVIDERS.iter().fold(cmd, |cmd, p| {
            // The arguments' own doc comments would set the help line: it goes last.
            let sub = Common::augment_args((p.augment)(Command::new(p.id)));
            cmd.subcommand(sub.about(p.about).long_about(None))
        })
    }

    fn augment_subcommands_for_update(cmd: Command) -> Command {
        Self::augment_subcommands(cmd)
    }

    fn has_subcommand(name: &str) -> bool {
        LiveProvider::named(name).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_provider_is_its_own_cargo_feature_and_listed_once() {
        let mut ids: Vec<&str> = PROVIDERS.iter().map(|p| p.id()).collect();
        let listed = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), listed, "a provider is listed twice");
        let manifest: toml::Table =
            toml::from_str(include_str!("../../Cargo.toml")).expect("Cargo.toml parses");
        let features = &manifest["features"];
        for id in ids {
            let turns_on = features.get(id).and_then(|f| f.as_array());
            let turns_on = turns_on.unwrap_or_else(|| panic!("no cargo feature `{id}`"));
            assert!(
                turns_on.iter().any(|f| f.as_str() == Some("live")),
                "feature `{id}` does not turn on the shared network stack (`live`)"
            );
            assert!(features["default"]
                .as_array()
                .is_some_and(|d| d.iter().any(|f| f.as_str() == Some(id))));
        }
    }
}
