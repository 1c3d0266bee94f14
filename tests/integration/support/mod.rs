//! Helpers shared by the integration tests (`crate::support` in each module).

#[cfg(feature = "azure")]
pub mod azure_server;
#[cfg(feature = "gcp")]
pub mod gcp_server;
#[cfg(feature = "github")]
pub mod github_server;
#[cfg(any(
    feature = "azure",
    feature = "gcp",
    feature = "github",
    feature = "kubernetes"
))]
pub mod https_fake;
#[cfg(feature = "kubernetes")]
pub mod kube_server;
#[cfg(feature = "aws")]
pub mod moto;
pub mod output;

/// The `nhiscan` binary under test, with a cleared environment (only `PATH` kept) and the
/// repository root as its working directory; each module adds what its tests need.
pub fn nhiscan() -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_nhiscan"));
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    command
}
