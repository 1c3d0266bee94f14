//! nhiscan: discover non-human identities and their credentials, resolve their owners,
//! and flag the access nobody governs any more.
//!
//! The pipeline: [`import`] (or a [`collect`]or) → [`inventory`] → [`enrich`] (with
//! the delegation graph) → [`rules`] → [`finding`] → [`exit_policy`] (what the findings
//! mean for the exit code) → [`report`]. No module imports from a later stage (a test in
//! `layers.rs` checks it).

pub mod app;
pub mod cli;
pub mod collect;
pub mod config;
pub mod enrich;
pub mod exit_policy;
pub mod finding;
pub mod frameworks;
#[cfg(test)]
mod fuzz;
pub mod glob;
pub mod hash;
pub mod import;
pub mod input;
pub mod inventory;
#[cfg(test)]
mod layers;
pub mod report;
pub mod rules;
pub mod setup;
