//! The login: azure_identity 1.x has no `DefaultAzureCredential`, so nhiscan tries, in
//! order, what a user or a pipeline normally has, and uses the first that gives a token:
//!
//! 1. `env`: a client secret in `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET`;
//! 2. `workload-identity`: a federated token file (`AZURE_FEDERATED_TOKEN_FILE`, as set
//!    by AKS workload identity and GitHub/GitLab OIDC set-ups);
//! 3. `managed-identity`: the identity of the Azure VM, App Service or container the scan
//!    runs on (tried only there, or when asked for: elsewhere it would wait for a timeout);
//! 4. `azure-cli` then `azd`: the developer's `az login` / `azd auth login`.
//!
//! `--auth` picks one and tries nothing else. The method used is reported in the
//! inventory's sources. Tokens are only held in memory and never printed.

use anyhow::{anyhow, Result};
use azure_core::credentials::TokenCredential;
use azure_core::http::{ClientOptions, ExponentialRetryOptions, RetryOptions};
use azure_identity::{
    AzureCliCredential, AzureCliCredentialOptions, AzureDeveloperCliCredential,
    AzureDeveloperCliCredentialOptions, ClientAssertionCredentialOptions, ClientSecretCredential,
    ClientSecretCredentialOptions, ManagedIdentityCredential, ManagedIdentityCredentialOptions,
    WorkloadIdentityCredential, WorkloadIdentityCredentialOptions,
};
use std::sync::Arc;
use std::time::Duration;

pub use super::AzureAuthMethod as AuthMethod;

/// A working login.
#[derive(Debug, Clone)]
pub struct Login {
    pub credential: Arc<dyn TokenCredential>,
    pub method: AuthMethod,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Whether the process runs where a managed identity endpoint is announced (App
/// Service, Functions, Container Apps, Arc, Cloud Shell) or on an Azure VM.
fn on_azure_host() -> bool {
    env("IDENTITY_ENDPOINT").is_some()
        || env("MSI_ENDPOINT").is_some()
        || std::fs::read_to_string("/sys/class/dmi/id/chassis_asset_tag")
            .map(|tag| tag.trim() == "7783-7084-3265-9085-8269-3286-77")
            .unwrap_or(false)
}

/// Token requests retry a few times, then fail: a login that cannot reach Entra ID
/// should say so in seconds, not after the SDK's default minute.
fn token_client_options() -> ClientOptions {
    ClientOptions {
        retry: RetryOptions::exponential(ExponentialRetryOptions {
            max_retries: 3,
            max_total_elapsed: azure_core::time::Duration::seconds(15),
            ..ExponentialRetryOptions::default()
        }),
        ..ClientOptions::default()
    }
}

fn build(method: AuthMethod, tenant: Option<&str>) -> Result<Arc<dyn TokenCredential>> {
    let credential: Arc<dyn TokenCredential> = match method {
        AuthMethod::Auto => return Err(anyhow!("`auto` is not a single login method")),
        AuthMethod::Env => {
            let tenant_id = tenant
                .map(str::to_string)
                .or_else(|| env("AZURE_TENANT_ID"))
                .ok_or_else(|| anyhow!("AZURE_TENANT_ID (or --tenant) is not set"))?;
            let client_id =
                env("AZURE_CLIENT_ID").ok_or_else(|| anyhow!("AZURE_CLIENT_ID is not set"))?;
            let secret = env("AZURE_CLIENT_SECRET")
                .ok_or_else(|| anyhow!("AZURE_CLIENT_SECRET is not set"))?;
            ClientSecretCredential::new(
                &tenant_id,
                client_id,
                secret.into(),
                Some(ClientSecretCredentialOptions {
                    client_options: token_client_options(),
                }),
            )?
        }
        AuthMethod::WorkloadIdentity => {
            if env("AZURE_FEDERATED_TOKEN_FILE").is_none() {
                return Err(anyhow!("AZURE_FEDERATED_TOKEN_FILE is not set"));
            }
            WorkloadIdentityCredential::new(Some(WorkloadIdentityCredentialOptions {
                tenant_id: tenant.map(str::to_string),
                credential_options: ClientAssertionCredentialOptions {
                    client_options: token_client_options(),
                },
                ..WorkloadIdentityCredentialOptions::default()
            }))?
        }
        AuthMethod::ManagedIdentity => {
            ManagedIdentityCredential::new(Some(ManagedIdentityCredentialOptions {
                client_options: token_client_options(),
                ..ManagedIdentityCredentialOptions::default()
            }))?
        }
        AuthMethod::AzureCli => AzureCliCredential::new(Some(AzureCliCredentialOptions {
            tenant_id: tenant.map(str::to_string),
            ..AzureCliCredentialOptions::default()
        }))?,
        AuthMethod::Azd => {
            AzureDeveloperCliCredential::new(Some(AzureDeveloperCliCredentialOptions {
                tenant_id: tenant.map(str::to_string),
                ..AzureDeveloperCliCredentialOptions::default()
            }))?
        }
    };
    Ok(credential)
}

/// The methods `auto` tries, in order, given the environment.
fn candidates() -> Vec<AuthMethod> {
    let mut methods = Vec::new();
    if env("AZURE_CLIENT_SECRET").is_some() {
        methods.push(AuthMethod::Env);
    }
    if env("AZURE_FEDERATED_TOKEN_FILE").is_some() {
        methods.push(AuthMethod::WorkloadIdentity);
    }
    if on_azure_host() {
        methods.push(AuthMethod::ManagedIdentity);
    }
    methods.push(AuthMethod::AzureCli);
    methods.push(AuthMethod::Azd);
    methods
}

/// Logs in with `method` (or the first that works), proven by getting a token for
/// `probe_scope`.
pub async fn login(method: AuthMethod, tenant: Option<&str>, probe_scope: &str) -> Result<Login> {
    let methods = match method {
        AuthMethod::Auto => candidates(),
        one => vec![one],
    };
    let mut failures = Vec::new();
    for method in methods {
        let attempt = async {
            let credential = build(method, tenant)?;
            let scopes = [probe_scope];
            let probe = credential.get_token(&scopes, None);
            let waited = match method {
                AuthMethod::ManagedIdentity => Duration::from_secs(10),
                _ => Duration::from_secs(60),
            };
            match tokio::time::timeout(waited, probe).await {
                Ok(Ok(_token)) => Ok(credential),
                Ok(Err(e)) => Err(anyhow!(first_line(&crate::collect::http::error_chain(&e)))),
                Err(_) => Err(anyhow!("no answer within {} s", waited.as_secs())),
            }
        };
        match attempt.await {
            Ok(credential) => return Ok(Login { credential, method }),
            Err(e) => failures.push(format!("{}: {e}", method.as_str())),
        }
    }
    Err(anyhow!(
        "no Azure login worked ({}). Sign in with `az login` (or `azd auth login`), or set \
         AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET for a service principal, \
         or pick a method with --auth",
        failures.join("; ")
    ))
}

/// Credential errors can carry whole HTTP responses; the first line says what matters.
fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or(text);
    let mut line: String = line.chars().take(400).collect();
    if line.contains("retry policy expired") {
        line.push_str(
            " (Entra ID could not be reached: check the network, HTTPS_PROXY and \
             AZURE_AUTHORITY_HOST)",
        );
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_ends_with_the_developer_tools() {
        let methods = candidates();
        assert_eq!(
            &methods[methods.len() - 2..],
            &[AuthMethod::AzureCli, AuthMethod::Azd]
        );
    }
}
