//! Helpers shared by integration tests (`mod support;` in a test file).

pub mod azure_server;
pub mod github_server;
pub mod https_fake;
