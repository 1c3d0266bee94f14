//! Signing in to Google Cloud. `auto` (the default) uses, in order:
//! 1. Application Default Credentials from a file: `GOOGLE_APPLICATION_CREDENTIALS`, else
//!    `gcloud auth application-default login`'s file (`~/.config/gcloud/...`): a user
//!    login, a service-account key, workload identity federation or impersonation, all
//!    handled by Google's own `google-cloud-auth` crate (tokens refreshed as they expire);
//! 2. the gcloud CLI's own login (`gcloud auth print-access-token`), the usual login of an
//!    engineer who never ran `application-default login`;
//! 3. the metadata server, on a Google Cloud host (ADC again).
//!
//! The token is held in memory only: it is never printed, logged or written, and
//! [`Token`]'s `Debug` hides it. Only the credential's *type* is read from an ADC file
//! for the report's source line.

use super::errors::{ApiError, ErrorKind};
pub use crate::collect::token::Token;
use anyhow::{anyhow, Result};
use google_cloud_auth::credentials::{
    AccessTokenCredentials, CacheableResource, CredentialsProvider,
};
use http::Extensions;
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION};
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

/// The OAuth scope asked for; the login's IAM roles decide what it may read.
pub const SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";

pub use super::GcpAuthMethod as AuthMethod;

#[derive(Clone, Debug)]
enum Source {
    /// Refreshed by google-cloud-auth when it expires.
    Adc(AccessTokenCredentials),
    /// From the gcloud CLI (valid for an hour: longer than a scan).
    Fixed(Token),
}

/// A working login and how it was obtained (for the report's sources).
#[derive(Clone, Debug)]
pub struct Login {
    source: Source,
    pub description: String,
}

impl Login {
    /// The headers that authenticate a request: `Authorization` (marked sensitive) and,
    /// when the login names a quota project, `x-goog-user-project` — user logins need it
    /// for APIs that bill the caller (ADC's `quota_project_id`,
    /// `GOOGLE_CLOUD_QUOTA_PROJECT`).
    pub async fn headers(&self) -> Result<HeaderMap, ApiError> {
        let mut headers = match &self.source {
            Source::Fixed(token) => {
                let mut headers = HeaderMap::new();
                headers.insert(AUTHORIZATION, bearer(token.secret())?);
                if let Some(project) = std::env::var("GOOGLE_CLOUD_QUOTA_PROJECT")
                    .ok()
                    .filter(|p| !p.trim().is_empty())
                {
                    if let Ok(value) = HeaderValue::from_str(project.trim()) {
                        headers.insert(QUOTA_PROJECT, value);
                    }
                }
                headers
            }
            Source::Adc(credentials) => match credentials.headers(Extensions::new()).await {
                Ok(CacheableResource::New { data, .. }) => data,
                Ok(CacheableResource::NotModified) => {
                    return Err(token_error("the credentials gave no headers".into()))
                }
                Err(e) => {
                    return Err(token_error(format!(
                        "no access token from Application Default Credentials: {e}"
                    )))
                }
            },
        };
        if let Some(value) = headers.get_mut(AUTHORIZATION) {
            value.set_sensitive(true);
        }
        Ok(headers)
    }

    #[cfg(test)]
    pub(crate) fn for_tests(token: &str) -> Login {
        Login {
            source: Source::Fixed(Token::new(token)),
            description: "test".into(),
        }
    }
}

/// The ADC file that would be used, if any: `GOOGLE_APPLICATION_CREDENTIALS`, else
/// gcloud's well-known file when it exists.
fn adc_file() -> Option<(PathBuf, &'static str)> {
    if let Some(path) = std::env::var_os("GOOGLE_APPLICATION_CREDENTIALS") {
        return Some((PathBuf::from(path), "GOOGLE_APPLICATION_CREDENTIALS"));
    }
    let config = match std::env::var_os("CLOUDSDK_CONFIG") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(std::env::var_os("HOME")?).join(".config/gcloud"),
    };
    let path = config.join("application_default_credentials.json");
    path.is_file()
        .then_some((path, "gcloud auth application-default login"))
}

/// The `type` of an ADC file (never any other field but a service account's email).
fn adc_kind(path: &PathBuf) -> String {
    let value: Option<serde_json::Value> = std::fs::read(path)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok());
    let Some(value) = value else {
        return "unreadable file".into();
    };
    let kind = value["type"].as_str().unwrap_or("unknown type").to_string();
    match value["client_email"].as_str() {
        Some(email) if kind == "service_account" => format!("{kind} {email}"),
        _ => kind,
    }
}

const QUOTA_PROJECT: &str = "x-goog-user-project";

fn token_error(message: String) -> ApiError {
    ApiError::new("gcp:oauth2:token", ErrorKind::Token, message)
}

fn bearer(token: &str) -> Result<HeaderValue, ApiError> {
    HeaderValue::from_str(&format!("Bearer {token}"))
        .map_err(|_| token_error("the access token holds characters a header cannot carry".into()))
}

/// How long a token request may take before the method counts as not working.
const TOKEN_TIMEOUT: Duration = Duration::from_secs(20);

/// Attempts at the first token: a throttled or failing token endpoint at sign-in is
/// retried, like every API call.
const TOKEN_ATTEMPTS: u32 = 5;

async fn adc(description: String) -> Result<Login> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        // Fresh credentials per attempt: google-cloud-auth keeps a failed fetch as the
        // answer for ten seconds, so asking the same credentials again would not retry.
        let credentials = google_cloud_auth::credentials::Builder::default()
            .with_scopes([SCOPE])
            .build_access_token_credentials()
            .map_err(|e| anyhow!("Application Default Credentials are unusable: {e}"))?;
        let fetched = tokio::time::timeout(TOKEN_TIMEOUT, credentials.headers(Extensions::new()));
        match fetched.await {
            Ok(Ok(_)) => {
                return Ok(Login {
                    source: Source::Adc(credentials),
                    description,
                })
            }
            Ok(Err(e)) if e.is_transient() && attempt < TOKEN_ATTEMPTS => {}
            Ok(Err(e)) => {
                return Err(anyhow!(
                    "no access token from Application Default Credentials{}: {e} ({description})",
                    after_attempts(attempt)
                ))
            }
            Err(_) => {
                return Err(anyhow!(
                    "no token from {description} within {} s",
                    TOKEN_TIMEOUT.as_secs()
                ))
            }
        }
        tokio::time::sleep(crate::collect::http::exponential_backoff(attempt)).await;
    }
}

fn after_attempts(attempts: u32) -> String {
    if attempts > 1 {
        format!(" after {attempts} attempts")
    } else {
        String::new()
    }
}

fn gcloud() -> Result<Login> {
    let output = Command::new("gcloud")
        .args(["auth", "print-access-token", "--quiet"])
        .output()
        .map_err(|e| anyhow!("the gcloud CLI could not be run ({e})"))?;
    let token = String::from_utf8_lossy(&output.stdout).trim().to_string();
    if !output.status.success() || token.is_empty() || token.contains(char::is_whitespace) {
        // gcloud's own message (never the token: it failed to give one).
        let said = String::from_utf8_lossy(&output.stderr)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        return Err(anyhow!(
            "`gcloud auth print-access-token` gave no token ({})",
            if said.is_empty() {
                "no output".to_string()
            } else {
                said.chars().take(300).collect()
            }
        ));
    }
    Ok(Login {
        source: Source::Fixed(Token::new(token)),
        description: "the gcloud CLI's login".into(),
    })
}

fn gcloud_on_path() -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join("gcloud").is_file()))
}

/// Signs in with `method`, proving the login with a token request.
pub async fn login(method: AuthMethod) -> Result<Login> {
    const FIX: &str = "sign in with `gcloud auth application-default login` (or `gcloud auth \
                       login`), or point GOOGLE_APPLICATION_CREDENTIALS at a credentials file";
    match method {
        AuthMethod::Adc => {
            let description = match adc_file() {
                Some((path, from)) => format!(
                    "application default credentials ({}, from {from})",
                    adc_kind(&path)
                ),
                None => "the metadata server".into(),
            };
            adc(description)
                .await
                .map_err(|e| anyhow!("cannot sign in to Google Cloud: {e:#}; {FIX}"))
        }
        AuthMethod::Gcloud => {
            gcloud().map_err(|e| anyhow!("cannot sign in to Google Cloud: {e:#}; {FIX}"))
        }
        AuthMethod::Auto => {
            let mut tried = Vec::new();
            if let Some((path, from)) = adc_file() {
                let description = format!(
                    "application default credentials ({}, from {from})",
                    adc_kind(&path)
                );
                match adc(description).await {
                    Ok(login) => return Ok(login),
                    Err(e) => tried.push(format!("{e:#}")),
                }
            }
            if gcloud_on_path() {
                match gcloud() {
                    Ok(login) => return Ok(login),
                    Err(e) => tried.push(format!("{e:#}")),
                }
            } else {
                tried.push("the gcloud CLI is not on PATH".into());
            }
            if on_google_cloud() {
                match adc("the metadata server".into()).await {
                    Ok(login) => return Ok(login),
                    Err(e) => tried.push(format!("{e:#}")),
                }
            } else {
                tried.push("not on a Google Cloud host (no metadata server)".into());
            }
            Err(anyhow!(
                "cannot sign in to Google Cloud: {}; {FIX}",
                tried.join("; ")
            ))
        }
    }
}

/// Whether this looks like a Google Cloud host: `GCE_METADATA_HOST` set, or the DMI
/// product name that Compute Engine, GKE nodes and Cloud Run report.
fn on_google_cloud() -> bool {
    std::env::var_os("GCE_METADATA_HOST").is_some()
        || std::fs::read_to_string("/sys/class/dmi/id/product_name")
            .is_ok_and(|name| name.trim().starts_with("Google"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_never_shows_in_debug() {
        let login = Login::for_tests("ya29.secretvalue");
        assert!(!format!("{login:?}").contains("ya29.secretvalue"));
    }

    #[test]
    fn only_the_type_of_an_adc_file_is_read() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("adc.json");
        std::fs::write(
            &path,
            r#"{"type":"authorized_user","client_id":"x","client_secret":"s3cret","refresh_token":"1//r"}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(adc_kind(&path), "authorized_user");
        std::fs::write(
            &path,
            r#"{"type":"service_account","client_email":"ci@p.iam.gserviceaccount.com","private_key":"-----BEGIN"}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            adc_kind(&path),
            "service_account ci@p.iam.gserviceaccount.com"
        );
        std::fs::write(&path, "not json").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(adc_kind(&path), "unreadable file");
    }
}
