//! The fake GitHub for integration tests (see `https_fake.rs`): a certificate for
//! `api.github.com`, the routes of `tests/fixtures/github/routes.yaml`, and a token check:
//! every request must carry `Authorization: Bearer` [`TOKEN`], else GitHub's 401
//! `Bad credentials`.
#![allow(dead_code)]

use std::ops::Deref;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Response, StatusCode};

pub use super::https_fake::Route;
use super::https_fake::{json_response, FakeServer, Profile, RequestInfo};

pub const API_HOST: &str = "api.github.com";
/// The token the fake accepts (shaped like a fine-grained token; never a real one).
pub const TOKEN: &str = "github_pat_11FAKETESTTOKEN0000_nhiscanDoNotPrintMe0000000000000000000";

/// `tests/fixtures/github`.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/github")
}

/// The fake GitHub. Stops when dropped; derefs to the [`FakeServer`].
pub struct GithubServer(FakeServer);

impl Deref for GithubServer {
    type Target = FakeServer;

    fn deref(&self) -> &FakeServer {
        &self.0
    }
}

impl GithubServer {
    /// Starts with the routes of `tests/fixtures/github/routes.yaml`; `extra` routes are
    /// tried before them.
    pub fn start(extra: Vec<Route>) -> GithubServer {
        GithubServer(FakeServer::start(profile(), extra))
    }

    /// Environment for the child process: the proxy, the CA and `GH_TOKEN`.
    pub fn env(&self) -> Vec<(String, String)> {
        let mut env = self.proxy_env();
        env.push(("GH_TOKEN".into(), TOKEN.into()));
        env
    }
}

/// The fake's profile, for a server of its own or one shared with other fakes.
pub fn profile() -> Profile {
    Profile {
        label: "GitHub",
        cert_names: vec![API_HOST.to_string()],
        fixtures: fixtures_dir(),
        check_auth,
        builtin: |_, _, _| None,
    }
}

/// GitHub's answer to a missing or wrong token.
// source: https://docs.github.com/en/rest/authentication/authenticating-to-the-rest-api#failed-login-limit
fn check_auth(info: &RequestInfo, authorization: Option<&str>) -> Option<Response<Full<Bytes>>> {
    if info.host != API_HOST || authorization == Some(format!("Bearer {TOKEN}").as_str()) {
        return None;
    }
    Some(json_response(
        StatusCode::UNAUTHORIZED,
        &serde_json::json!({
            "message": if authorization.is_some() { "Bad credentials" } else { "Requires authentication" },
            "documentation_url": "https://docs.github.com/rest",
            "status": "401"
        }),
    ))
}
