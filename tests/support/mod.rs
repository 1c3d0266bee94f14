//! Helpers shared by integration tests (`mod support;` in a test file).

pub mod azure_server;
pub mod gcp_server;
pub mod github_server;
pub mod https_fake;
pub mod kube_server;
pub mod moto;
pub mod output;
