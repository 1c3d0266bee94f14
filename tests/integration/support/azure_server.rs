//! The fake Azure for integration tests (see `https_fake.rs`): certificates for
//! `login.microsoftonline.com`, `graph.microsoft.com`, `management.azure.com` and
//! `*.vault.azure.net`, the routes of `tests/fixtures/azure/routes.yaml`, and built in:
//! 1. the bearer check: `graph.microsoft.com` and `management.azure.com` want
//!    `Bearer fake-token-for-https://<host>`, a vault `Bearer fake-token-for-https://vault.azure.net`
//!    (a request without `Authorization` gets Key Vault's `WWW-Authenticate` challenge);
//! 2. the token endpoint `POST login.microsoftonline.com/{tenant}/oauth2/v2.0/token`.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::ops::Deref;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderValue, WWW_AUTHENTICATE};
use hyper::{Response, StatusCode};

pub use super::https_fake::Route;
use super::https_fake::{json_response, now_iso, FakeServer, Profile, RequestInfo};

/// The tenant whose credentials the token endpoint accepts (also the Graph organisation id).
pub const TENANT_ID: &str = "7e1c5b9a-3d2f-4c8e-9a1b-2f4d6e8a0c11";
/// The client id the token endpoint accepts.
pub const CLIENT_ID: &str = "0b7d1c2e-1111-4a4a-9c9c-0123456789ab";
/// The client secret the token endpoint accepts.
pub const CLIENT_SECRET: &str = "test-client-secret-value";

pub const LOGIN_HOST: &str = "login.microsoftonline.com";
pub const GRAPH_HOST: &str = "graph.microsoft.com";
pub const ARM_HOST: &str = "management.azure.com";
/// Key Vault data-plane hosts are `<vault>` + this suffix.
pub const VAULT_SUFFIX: &str = ".vault.azure.net";

/// The names on the server certificate.
const CERT_NAMES: [&str; 4] = [LOGIN_HOST, GRAPH_HOST, ARM_HOST, "*.vault.azure.net"];

/// The access token the fake token endpoint issues for a resource (a scope minus `/.default`),
/// e.g. `https://graph.microsoft.com`.
pub fn token_for(resource: &str) -> String {
    format!("fake-token-for-{}", resource.trim_end_matches('/'))
}

/// `tests/fixtures/azure`.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/azure")
}

impl Route {
    /// The routes of `tests/fixtures/azure/routes.yaml`, in file order.
    pub fn fixture_routes() -> Vec<Route> {
        Route::load_file(&fixtures_dir())
    }
}

/// The fake Azure. Stops when dropped; derefs to the [`FakeServer`] (requests, CA, proxy).
pub struct AzureServer(FakeServer);

impl Deref for AzureServer {
    type Target = FakeServer;

    fn deref(&self) -> &FakeServer {
        &self.0
    }
}

impl AzureServer {
    /// Starts with the routes of `tests/fixtures/azure/routes.yaml`; `extra` routes are tried
    /// before them (and before the built-in token endpoint).
    pub fn start(extra: Vec<Route>) -> AzureServer {
        AzureServer(FakeServer::start(profile(), extra))
    }

    /// Environment for the child process: the proxy (`HTTPS_PROXY`, `https_proxy`, empty
    /// `NO_PROXY`/`no_proxy`), the CA (`SSL_CERT_FILE`), the public-cloud
    /// `AZURE_AUTHORITY_HOST`, and the accepted `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`,
    /// `AZURE_CLIENT_SECRET`.
    pub fn env(&self) -> Vec<(String, String)> {
        let mut env = self.proxy_env();
        env.extend(login_env());
        env
    }
}

/// The fake's profile, for a server of its own or one shared with other fakes.
pub fn profile() -> Profile {
    Profile {
        label: "Azure",
        cert_names: CERT_NAMES.iter().map(|s| s.to_string()).collect(),
        fixtures: fixtures_dir(),
        check_auth,
        builtin: token_endpoint,
    }
}

/// The login the fake accepts: the public-cloud `AZURE_AUTHORITY_HOST` and a service
/// principal in `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET`.
pub fn login_env() -> Vec<(String, String)> {
    [
        ("AZURE_AUTHORITY_HOST", "https://login.microsoftonline.com"),
        ("AZURE_TENANT_ID", TENANT_ID),
        ("AZURE_CLIENT_ID", CLIENT_ID),
        ("AZURE_CLIENT_SECRET", CLIENT_SECRET),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// The bearer check for Graph, ARM and Key Vault; `None` lets the request through.
fn check_auth(info: &RequestInfo, authorization: Option<&str>) -> Option<Response<Full<Bytes>>> {
    let host = info.host.as_str();
    if host == GRAPH_HOST || host == ARM_HOST {
        let expected = format!("Bearer {}", token_for(&format!("https://{host}")));
        if authorization == Some(expected.as_str()) {
            return None;
        }
        let body = if host == GRAPH_HOST {
            // https://learn.microsoft.com/en-us/graph/errors#json-representation
            serde_json::json!({
                "error": {
                    "code": "InvalidAuthenticationToken",
                    "message": if authorization.is_some() {
                        "Access token validation failure. Invalid audience."
                    } else {
                        "Access token is empty."
                    },
                    "innerError": {
                        "date": now_iso(),
                        "request-id": "3f4a2b10-9c1d-4e5f-8a7b-6c5d4e3f2a10",
                        "client-request-id": "3f4a2b10-9c1d-4e5f-8a7b-6c5d4e3f2a10"
                    }
                }
            })
        } else {
            // https://learn.microsoft.com/en-us/azure/azure-resource-manager/troubleshooting/common-deployment-errors
            serde_json::json!({
                "error": {
                    "code": "InvalidAuthenticationToken",
                    "message": if authorization.is_some() {
                        "The access token is invalid."
                    } else {
                        "The access token is missing or invalid: the 'Authorization' header is missing."
                    }
                }
            })
        };
        return Some(json_response(StatusCode::UNAUTHORIZED, &body));
    }
    if host.ends_with(VAULT_SUFFIX) && host.len() > VAULT_SUFFIX.len() {
        let expected = format!("Bearer {}", token_for("https://vault.azure.net"));
        if authorization == Some(expected.as_str()) {
            return None;
        }
        // https://learn.microsoft.com/en-us/azure/key-vault/general/authentication-requests-and-responses
        let message = match authorization {
            None => "AKV10000: Request is missing a Bearer or PoP token.".to_string(),
            Some(_) => "AKV10022: Invalid audience. Expected https://vault.azure.net.".to_string(),
        };
        let mut response = json_response(
            StatusCode::UNAUTHORIZED,
            &serde_json::json!({"error": {"code": "Unauthorized", "message": message}}),
        );
        let challenge = format!(
            "Bearer authorization=\"https://{LOGIN_HOST}/{TENANT_ID}\", resource=\"https://vault.azure.net\""
        );
        response.headers_mut().insert(
            WWW_AUTHENTICATE,
            HeaderValue::from_str(&challenge).expect("challenge header"),
        );
        return Some(response);
    }
    None
}

/// `POST https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token` (client credentials).
fn token_endpoint(
    info: &RequestInfo,
    body: &[u8],
    scope_out: &mut Option<String>,
) -> Option<Response<Full<Bytes>>> {
    if info.host != LOGIN_HOST || !info.method.eq_ignore_ascii_case("POST") {
        return None;
    }
    let tenant = info
        .path
        .strip_prefix('/')?
        .strip_suffix("/oauth2/v2.0/token")?;
    if tenant.is_empty() || tenant.contains('/') {
        return None;
    }
    let form: BTreeMap<String, String> = form_urlencoded::parse(body).into_owned().collect();
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    let scope = field("scope").to_string();
    *scope_out = Some(scope.clone());

    // https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-client-creds-grant-flow#error-response
    let error = |status: StatusCode, error: &str, code: u32, description: String| {
        let trace_id = "0b5e9a7c-1d2f-4e3a-9b8c-7d6e5f4a3b2c";
        let correlation_id = "5c4d3e2f-1a0b-4c9d-8e7f-6a5b4c3d2e1f";
        let timestamp = chrono::Utc::now().format("%Y-%m-%d %H:%M:%SZ").to_string();
        json_response(
            status,
            &serde_json::json!({
                "error": error,
                "error_description": format!(
                    "AADSTS{code}: {description} Trace ID: {trace_id} Correlation ID: {correlation_id} Timestamp: {timestamp}"
                ),
                "error_codes": [code],
                "timestamp": timestamp,
                "trace_id": trace_id,
                "correlation_id": correlation_id,
                "error_uri": format!("https://{LOGIN_HOST}/error?code={code}"),
            }),
        )
    };

    if field("grant_type") != "client_credentials" {
        return Some(error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70003,
            "The app requested an unsupported grant type.".to_string(),
        ));
    }
    if tenant != TENANT_ID
        || field("client_id") != CLIENT_ID
        || field("client_secret") != CLIENT_SECRET
    {
        return Some(error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000215,
            format!(
                "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{}'.",
                field("client_id")
            ),
        ));
    }
    let first_scope = scope.split_whitespace().next().unwrap_or_default();
    if first_scope.is_empty() {
        return Some(error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'scope'.".to_string(),
        ));
    }
    let resource = first_scope.strip_suffix("/.default").unwrap_or(first_scope);
    Some(json_response(
        StatusCode::OK,
        &serde_json::json!({
            "token_type": "Bearer",
            "expires_in": 3599,
            "ext_expires_in": 3599,
            "access_token": token_for(resource),
        }),
    ))
}
