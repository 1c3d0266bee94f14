//! The live Azure collector: Entra ID applications, service principals and managed
//! identities with their credentials' metadata, owners, Graph application permissions
//! and sign-in activity (Microsoft Graph), role assignments and Key Vaults per
//! subscription (Azure Resource Manager), and the properties of every Key Vault secret,
//! key and certificate (the official Key Vault SDK) — read-only, never a value.
//!
//! ```no_run
//! use nhiscan::collect::azure::{collect_blocking, AzureOptions};
//! let inventory = collect_blocking(&AzureOptions::default())?; // as `az login`
//! # Ok::<(), anyhow::Error>(())
//! ```
//!
//! What it needs: the Graph application permissions Application.Read.All (owners,
//! credentials, permissions) and optionally AuditLog.Read.All (sign-in activity), the
//! Reader role on the subscriptions, and Key Vault Reader on the vaults (see
//! `examples/azure/`). A user signed in with `az login` has what their directory role
//! and RBAC give them.
//!
//! Failures: no working login fails the collection with what to do. Otherwise every
//! part is reported in `Inventory::coverage` — `azure:<tenant>:directory`,
//! `azure:<tenant>:subscriptions`, one `azure:subscription:<id>` per subscription and
//! one `azure:keyvault:<name>` per vault — as `scanned`, `partial` or `failed` with the
//! reason and the permission that is missing, and whatever was collected elsewhere is
//! kept. Calls are counted in `Inventory::api_calls` as `azure:<api>:<operation>`.

mod args;
#[cfg(feature = "azure")]
mod collector;

#[cfg(feature = "azure")]
pub mod arm;
#[cfg(feature = "azure")]
pub mod auth;
#[cfg(feature = "azure")]
pub mod build;
#[cfg(feature = "azure")]
pub mod errors;
#[cfg(feature = "azure")]
pub mod keyvault;
#[cfg(feature = "azure")]
pub mod msgraph;
#[cfg(feature = "azure")]
pub mod permissions;
#[cfg(feature = "azure")]
pub mod privilege;
#[cfg(feature = "azure")]
pub mod rest;
#[cfg(feature = "azure")]
pub mod usage;

pub use args::*;

use crate::collect::progress::Progress;
use crate::collect::registry::Collector;
use crate::inventory::{Inventory, Provider};
use anyhow::Result;
#[cfg(feature = "azure")]
pub use collector::*;

/// Azure in the registry of live providers ([`crate::collect::registry`]).
pub struct Azure;

impl Collector for Azure {
    const ID: &'static str = "azure";
    const NAME: &'static str = "Azure";
    const PROVIDER: Provider = Provider::Azure;
    const ABOUT: &'static str = "Collect Entra ID app registrations, service principals and managed identities (credentials' metadata, owners, Graph permissions, sign-ins), role assignments and Key Vault item properties from the tenant and subscriptions your login can see";
    type Args = AzureArgs;

    #[cfg(feature = "azure")]
    fn collect(args: &AzureArgs, progress: Progress) -> Result<Inventory> {
        let defaults = AzureOptions::default();
        let options = AzureOptions {
            auth: args.auth,
            tenant: args.tenant.clone(),
            subscriptions: args.subscriptions.clone(),
            key_vault: !args.no_key_vault,
            usage: args.usage.usage,
            progress,
            retry: defaults.retry.with_attempt_timeout(args.azure_timeout),
            ..defaults
        };
        collect_blocking(&options)
    }

    #[cfg(not(feature = "azure"))]
    fn collect(_: &AzureArgs, _: Progress) -> Result<Inventory> {
        Err(crate::collect::registry::not_compiled::<Self>())
    }
}
