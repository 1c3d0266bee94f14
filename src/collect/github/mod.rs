//! The live GitHub collector: for one organisation (github.com or GitHub Enterprise
//! Server), the deploy keys of every repository, the GitHub App installations and their
//! permissions, the Actions secrets (names and dates: GitHub never returns a value) and
//! variables (counted only) at organisation and repository level, and the fine-grained
//! personal access tokens granted access to the organisation — read-only.
//!
//! ```no_run
//! use nhiscan::collect::github::{collect_blocking, GithubOptions};
//! let options = GithubOptions { org: "acme".into(), ..GithubOptions::default() };
//! let inventory = collect_blocking(&options)?; // with GH_TOKEN, GITHUB_TOKEN or `gh auth login`
//! # Ok::<(), anyhow::Error>(())
//! ```
//!
//! What it needs: see [`permissions`] and `examples/github/README.md`.
//!
//! Failures: no token, a refused token or an organisation the token cannot see fails
//! the collection with what to do. Otherwise the parts are reported in
//! `Inventory::coverage` — `github:<org>:organization` (apps, organisation secrets and
//! variables, token grants) and `github:<org>:repositories` (the listing, then each
//! repository's deploy keys, secrets and variables) — as `scanned`, `partial` or
//! `failed` with the reason and the permission that is missing, and whatever was read
//! elsewhere is kept. Token grants can only be listed by a GitHub App: a denial there is
//! a note, not a gap. Calls are counted in `Inventory::api_calls` as
//! `github:<api>:<operation>`.

mod args;
#[cfg(feature = "github")]
mod collector;

#[cfg(feature = "github")]
pub mod api;
#[cfg(feature = "github")]
pub mod auth;
#[cfg(feature = "github")]
pub mod build;
#[cfg(feature = "github")]
pub mod errors;
#[cfg(feature = "github")]
pub mod permissions;
#[cfg(feature = "github")]
pub mod rest;

pub use args::*;

use crate::collect::progress::Progress;
use crate::collect::registry::Collector;
use crate::inventory::{Inventory, Provider};
use anyhow::Result;
#[cfg(feature = "github")]
pub use collector::*;

/// GitHub in the registry of live providers ([`crate::collect::registry`]).
pub struct Github;

impl Collector for Github {
    const ID: &'static str = "github";
    const NAME: &'static str = "GitHub";
    const PROVIDER: Provider = Provider::Github;
    const ABOUT: &'static str = "Collect a GitHub organisation's deploy keys, GitHub App installations and their permissions, Actions secrets (names and dates only) and variables (counted), and the fine-grained personal access tokens granted to it";
    type Args = GithubArgs;

    fn check(args: &GithubArgs) -> Result<()> {
        args.org().map(drop)
    }

    #[cfg(feature = "github")]
    fn collect(args: &GithubArgs, progress: Progress) -> Result<Inventory> {
        let defaults = GithubOptions::default();
        let options = GithubOptions {
            org: args.org()?.to_string(),
            api: args.github_api.clone(),
            progress,
            retry: defaults.retry.with_attempt_timeout(args.github_timeout),
            ..defaults
        };
        collect_blocking(&options)
    }

    #[cfg(not(feature = "github"))]
    fn collect(_: &GithubArgs, _: Progress) -> Result<Inventory> {
        Err(crate::collect::registry::not_compiled::<Self>())
    }
}
