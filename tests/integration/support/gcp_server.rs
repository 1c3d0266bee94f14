//! The fake Google Cloud for integration tests (see `https_fake.rs`): a certificate for
//! `*.googleapis.com`, the routes of `tests/fixtures/gcp/routes.yaml`, an OAuth token
//! endpoint (`oauth2.googleapis.com/token`) that exchanges [`REFRESH_TOKEN`] for
//! [`TOKEN`], and a token check on every API: `Authorization: Bearer` [`TOKEN`], else
//! Google's 401 `UNAUTHENTICATED`.
#![allow(dead_code)]

use std::ops::Deref;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Response, StatusCode};

pub use super::https_fake::Route;
use super::https_fake::{json_response, FakeServer, Profile, RequestInfo};

pub const TOKEN_HOST: &str = "oauth2.googleapis.com";
/// The access token the fake issues and accepts (shaped like Google's; never a real one).
pub const TOKEN: &str = "ya29.a0FakeNhiscanTestToken_DoNotPrintMe_0000000000000000";
/// The refresh token and client secret of the test's ADC file.
pub const REFRESH_TOKEN: &str = "1//0gFakeRefreshToken-nhiscanDoNotPrint";
pub const CLIENT_SECRET: &str = "GOCSPX-FakeClientSecretDoNotPrint";
pub const CLIENT_ID: &str =
    "764086051850-6qr4p6gpi6hn506pt8ejuq83di341hur.apps.googleusercontent.com";

/// `tests/fixtures/gcp`.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/gcp")
}

/// The fake's profile, for a server of its own or one shared with other fakes.
pub fn profile() -> Profile {
    Profile {
        label: "GCP",
        cert_names: vec!["*.googleapis.com".to_string()],
        fixtures: fixtures_dir(),
        check_auth,
        builtin: token_endpoint,
    }
}

/// The fake Google Cloud. Stops when dropped; derefs to the [`FakeServer`].
pub struct GcpServer(FakeServer);

impl Deref for GcpServer {
    type Target = FakeServer;

    fn deref(&self) -> &FakeServer {
        &self.0
    }
}

impl GcpServer {
    /// Starts with the routes of `tests/fixtures/gcp/routes.yaml`; `extra` routes are
    /// tried before them.
    pub fn start(extra: Vec<Route>) -> GcpServer {
        GcpServer(FakeServer::start(profile(), extra))
    }
}

/// An `authorized_user` ADC file, as `gcloud auth application-default login` writes it.
// source: https://google.aip.dev/auth/4113 (the ADC file) and
// https://cloud.google.com/docs/authentication/application-default-credentials#personal
pub fn write_adc_file(dir: &Path) -> PathBuf {
    let path = dir.join("application_default_credentials.json");
    let body = serde_json::json!({
        "account": "",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "quota_project_id": "acme-prod",
        "refresh_token": REFRESH_TOKEN,
        "type": "authorized_user",
        "universe_domain": "googleapis.com"
    });
    std::fs::write(&path, body.to_string()).expect("writing the ADC file");
    path
}

/// Google's answer to a missing or wrong token.
// source: https://cloud.google.com/apis/design/errors#http_mapping (401 UNAUTHENTICATED)
fn check_auth(info: &RequestInfo, authorization: Option<&str>) -> Option<Response<Full<Bytes>>> {
    if info.host == TOKEN_HOST
        || !info.host.ends_with(".googleapis.com")
        || authorization == Some(format!("Bearer {TOKEN}").as_str())
    {
        return None;
    }
    Some(json_response(
        StatusCode::UNAUTHORIZED,
        &serde_json::json!({"error": {
            "code": 401,
            "message": "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
            "status": "UNAUTHENTICATED",
            "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                         "reason": "ACCESS_TOKEN_TYPE_UNSUPPORTED", "domain": "googleapis.com"}]
        }}),
    ))
}

/// `POST https://oauth2.googleapis.com/token` with a refresh-token grant.
// source: https://developers.google.com/identity/protocols/oauth2/web-server#offline
fn token_endpoint(
    info: &RequestInfo,
    body: &[u8],
    scope: &mut Option<String>,
) -> Option<Response<Full<Bytes>>> {
    if info.host != TOKEN_HOST || info.path != "/token" || info.method != "POST" {
        return None;
    }
    // Google accepts the grant as a form or (as google-cloud-auth sends it) as JSON.
    let form: Vec<(String, String)> = match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(serde_json::Value::Object(map)) => map
            .into_iter()
            .filter_map(|(k, v)| Some((k, v.as_str()?.to_string())))
            .collect(),
        _ => form_urlencoded::parse(body).into_owned().collect(),
    };
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    *scope = field("scope").map(str::to_string);
    let good = field("grant_type") == Some("refresh_token")
        && field("refresh_token") == Some(REFRESH_TOKEN)
        && field("client_id") == Some(CLIENT_ID)
        && field("client_secret") == Some(CLIENT_SECRET);
    Some(if good {
        json_response(
            StatusCode::OK,
            &serde_json::json!({
                "access_token": TOKEN,
                "expires_in": 3599,
                "scope": "https://www.googleapis.com/auth/cloud-platform openid",
                "token_type": "Bearer"
            }),
        )
    } else {
        json_response(
            StatusCode::BAD_REQUEST,
            &serde_json::json!({
                "error": "invalid_grant",
                "error_description": "Token has been expired or revoked."
            }),
        )
    })
}
