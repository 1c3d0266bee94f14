//! The integration tests, as one test binary: every module runs the real `nhiscan`
//! binary (or a collector in-process) against fixtures, local fakes of the cloud APIs
//! (`support/`) or moto. One binary instead of one per file: each linked every SDK, and
//! linking them dominated CI.
//!
//! `cargo test --test integration azure::` runs one module's tests.

mod support;

// A module that collects live needs its provider's feature (all are on by default).
#[cfg(all(
    feature = "aws",
    feature = "azure",
    feature = "gcp",
    feature = "github",
    feature = "kubernetes"
))]
mod all_providers;
#[cfg(feature = "aws")]
mod aws;
#[cfg(feature = "azure")]
mod azure;
#[cfg(feature = "azure")]
mod azure_harness;
mod cli;
mod evidence;
#[cfg(feature = "gcp")]
mod gcp;
#[cfg(feature = "github")]
mod github;
mod governance;
mod graph;
#[cfg(feature = "kubernetes")]
mod kubernetes;
mod leaks;
mod outputs;
