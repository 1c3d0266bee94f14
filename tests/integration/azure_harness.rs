//! Self-test of the fake Azure (tests/integration/support/azure_server.rs): a reqwest client in-process,
//! through the CONNECT proxy and the test CA, exactly as the collector reaches it.
#![allow(clippy::unwrap_used)]

use crate::support::azure_server::*;

use std::path::Path;

use reqwest::header::{HeaderMap, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use serde_json::Value;

const PROD: &str = "11111111-1111-4111-8111-111111111111";

fn client(server: &AzureServer) -> reqwest::Client {
    let ca = reqwest::Certificate::from_pem(server.ca_pem().as_bytes()).unwrap();
    reqwest::Client::builder()
        .proxy(reqwest::Proxy::https(server.proxy_url()).unwrap())
        .tls_certs_only([ca])
        .build()
        .unwrap()
}

async fn get(client: &reqwest::Client, url: &str, token: Option<&str>) -> (u16, HeaderMap, Value) {
    let mut req = client.get(url);
    if let Some(token) = token {
        req = req.header(AUTHORIZATION, format!("Bearer {token}"));
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let bytes = resp.bytes().await.unwrap();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap()
    };
    (status, headers, body)
}

async fn token(client: &reqwest::Client, tenant: &str, secret: &str, scope: &str) -> (u16, Value) {
    let form = form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", CLIENT_ID)
        .append_pair("client_secret", secret)
        .append_pair("grant_type", "client_credentials")
        .append_pair("scope", scope)
        .finish();
    let resp = client
        .post(format!(
            "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"
        ))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (
        status,
        serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap(),
    )
}

fn graph_token() -> String {
    token_for("https://graph.microsoft.com")
}

fn ids(page: &Value) -> Vec<String> {
    page["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn token_endpoint_issues_a_token_per_scope_and_rejects_a_wrong_secret() {
    let server = AzureServer::start(vec![]);
    let c = client(&server);

    for (scope, expected) in [
        (
            "https://graph.microsoft.com/.default",
            "fake-token-for-https://graph.microsoft.com",
        ),
        (
            "https://management.azure.com//.default",
            "fake-token-for-https://management.azure.com",
        ),
        (
            "https://vault.azure.net/.default",
            "fake-token-for-https://vault.azure.net",
        ),
    ] {
        let (status, body) = token(&c, TENANT_ID, CLIENT_SECRET, scope).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["expires_in"], 3599);
        assert_eq!(body["access_token"], expected);
    }

    let (status, body) = token(
        &c,
        TENANT_ID,
        "wrong",
        "https://graph.microsoft.com/.default",
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(body["error"], "invalid_client");
    assert_eq!(body["error_codes"][0], 7000215);
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .starts_with("AADSTS7000215: "));

    let (status, _) = token(
        &c,
        "other-tenant",
        CLIENT_SECRET,
        "https://graph.microsoft.com/.default",
    )
    .await;
    assert_eq!(status, 401);

    let requests = server.requests();
    assert_eq!(requests.len(), 5);
    assert!(requests
        .iter()
        .all(|r| r.method == "POST" && r.host == "login.microsoftonline.com" && !r.unmatched));
    assert_eq!(
        requests[0].scope.as_deref(),
        Some("https://graph.microsoft.com/.default")
    );
    assert!(
        !format!("{requests:?}").contains(CLIENT_SECRET),
        "the secret is never recorded"
    );
}

#[tokio::test]
async fn graph_applications_page_one_then_next_link_and_bearer_check() {
    let server = AzureServer::start(vec![]);
    let c = client(&server);
    let first = "https://graph.microsoft.com/v1.0/applications?$top=999&$expand=owners($select=id,displayName,userPrincipalName,mail)";

    let (status, _, body) = get(&c, first, None).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "InvalidAuthenticationToken");
    let arm_token = token_for("https://management.azure.com");
    let (status, _, _) = get(&c, first, Some(&arm_token)).await;
    assert_eq!(status, 401, "an ARM token is not a Graph token");

    let (status, _, page1) = get(&c, first, Some(&graph_token())).await;
    assert_eq!(status, 200);
    assert_eq!(
        ids(&page1),
        [
            "a0000000-0000-4000-8000-000000000001",
            "a0000000-0000-4000-8000-000000000002"
        ]
    );
    assert_eq!(
        page1["value"][0]["owners"][0]["userPrincipalName"],
        "alice@contoso.com"
    );
    let next = page1["@odata.nextLink"].as_str().unwrap();
    assert_eq!(
        next,
        "https://graph.microsoft.com/v1.0/applications?$top=999&$skiptoken=apps-page-2"
    );

    let (status, _, page2) = get(&c, next, Some(&graph_token())).await;
    assert_eq!(status, 200);
    assert_eq!(ids(&page2), ["a0000000-0000-4000-8000-000000000003"]);
    assert!(page2.get("@odata.nextLink").is_none());

    // A path with quotes and parentheses matches percent-encoded or not.
    let (status, _, sp) = get(
        &c,
        "https://graph.microsoft.com/v1.0/servicePrincipals(appId=%2700000003-0000-0000-c000-000000000000%27)?$select=id,appId,displayName,appRoles",
        Some(&graph_token()),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(sp["id"], "50000000-0000-4000-8000-0000000000ff");

    let requests = server.requests();
    assert_eq!(
        requests.iter().map(|r| r.status).collect::<Vec<_>>(),
        [401, 401, 200, 200, 200]
    );
    assert_eq!(
        requests[2].authorization.as_deref(),
        Some("Bearer fake-token-for-https://graph.microsoft.com")
    );
    assert_eq!(requests[3].query(), "$top=999&$skiptoken=apps-page-2");
    assert!(server.unmatched().is_empty());
}

#[tokio::test]
async fn arm_throttles_once_then_answers() {
    let server = AzureServer::start(vec![]);
    let c = client(&server);
    let arm = token_for("https://management.azure.com");
    let url = format!("https://management.azure.com/subscriptions/{PROD}/providers/Microsoft.ManagedIdentity/userAssignedIdentities?api-version=2023-01-31");

    let (status, headers, body) = get(&c, &url, Some(&arm)).await;
    assert_eq!(status, 429);
    assert_eq!(headers[RETRY_AFTER], "1");
    assert_eq!(body["error"]["code"], "TooManyRequests");

    for _ in 0..2 {
        let (status, _, body) = get(&c, &url, Some(&arm)).await;
        assert_eq!(status, 200);
        assert_eq!(body["value"][0]["name"], "mi-deployer");
    }

    // ARM paging via nextLink, and a forbidden subscription.
    let ra = format!("https://management.azure.com/subscriptions/{PROD}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01");
    let (_, _, page1) = get(&c, &ra, Some(&arm)).await;
    assert_eq!(page1["value"].as_array().unwrap().len(), 3);
    let (status, _, page2) = get(&c, page1["nextLink"].as_str().unwrap(), Some(&arm)).await;
    assert_eq!(status, 200);
    assert_eq!(page2["value"].as_array().unwrap().len(), 3);
    let (status, _, body) = get(
        &c,
        "https://management.azure.com/subscriptions/22222222-2222-4222-8222-222222222222/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01",
        Some(&arm),
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(body["error"]["code"], "AuthorizationFailed");
}

#[tokio::test]
async fn key_vault_challenges_an_unauthenticated_request() {
    let server = AzureServer::start(vec![]);
    let c = client(&server);
    let url = "https://kv-payments-prod.vault.azure.net/secrets?api-version=2025-07-01";

    let (status, headers, body) = get(&c, url, None).await;
    assert_eq!(status, 401);
    assert_eq!(
        headers[WWW_AUTHENTICATE],
        format!("Bearer authorization=\"https://login.microsoftonline.com/{TENANT_ID}\", resource=\"https://vault.azure.net\"")
    );
    assert_eq!(body["error"]["code"], "Unauthorized");

    let vault = token_for("https://vault.azure.net");
    let (status, _, page1) = get(&c, url, Some(&vault)).await;
    assert_eq!(status, 200);
    assert_eq!(page1["value"][0]["attributes"]["created"], 1706778000);
    // The SDK follows nextLink with api-version appended (and re-encodes the query).
    let next = page1["nextLink"].as_str().unwrap();
    let (status, _, page2) = get(
        &c,
        &format!("{}&api-version=2025-07-01", next.replace('$', "%24")),
        Some(&vault),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(page2["value"][1]["managed"], true);

    let (status, _, body) = get(
        &c,
        "https://kv-locked.vault.azure.net/keys?api-version=2025-07-01",
        Some(&vault),
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(body["error"]["innererror"]["code"], "ForbiddenByRbac");
}

#[tokio::test]
async fn unmatched_requests_are_recorded_404s_and_test_routes_come_first() {
    let server = AzureServer::start(vec![
        Route::json(
            "GET",
            "graph.microsoft.com",
            "*",
            401,
            r#"{"error":{"code":"InvalidAuthenticationToken","message":"Lifetime validation failed, the token is expired."}}"#,
        )
        .query("$filter=expired")
        .before_auth(),
        Route::json("GET", "*.vault.azure.net", "/secrets", 500, "{}").times(1),
    ]);
    let c = client(&server);

    let (status, _, body) = get(
        &c,
        "https://graph.microsoft.com/v1.0/nothing-here?x=1",
        Some(&graph_token()),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(body["method"], "GET");
    assert_eq!(body["host"], "graph.microsoft.com");
    assert_eq!(body["path"], "/v1.0/nothing-here");

    // before_auth: answers whatever the token.
    let (status, _, body) = get(
        &c,
        "https://graph.microsoft.com/v1.0/organization?$filter=expired",
        None,
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(
        body["error"]["message"],
        "Lifetime validation failed, the token is expired."
    );

    // times: 1 on a suffix host, then the fixture.
    let vault = token_for("https://vault.azure.net");
    let url = "https://kv-payments-prod.vault.azure.net/secrets?api-version=2025-07-01";
    assert_eq!(get(&c, url, Some(&vault)).await.0, 500);
    assert_eq!(get(&c, url, Some(&vault)).await.0, 200);
    assert_eq!(server.served(1), 1);

    let unmatched = server.unmatched();
    assert_eq!(unmatched.len(), 1);
    assert_eq!(unmatched[0].path(), "/v1.0/nothing-here");
    assert_eq!(unmatched[0].status, 404);
    assert_eq!(server.requests().len(), 4);
}

#[test]
fn env_points_a_child_at_the_proxy_and_the_ca() {
    let server = AzureServer::start(vec![]);
    let env: std::collections::HashMap<_, _> = server.env().into_iter().collect();
    assert_eq!(env["HTTPS_PROXY"], server.proxy_url());
    assert!(env["HTTPS_PROXY"].starts_with("http://127.0.0.1:"));
    assert_eq!(env["AZURE_TENANT_ID"], TENANT_ID);
    assert_eq!(env["AZURE_CLIENT_ID"], CLIENT_ID);
    assert_eq!(env["AZURE_CLIENT_SECRET"], CLIENT_SECRET);
    assert_eq!(env["NO_PROXY"], "");
    let pem = std::fs::read_to_string(&env["SSL_CERT_FILE"]).unwrap();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
    assert_eq!(Path::new(&env["SSL_CERT_FILE"]), server.ca_pem_path());
}

#[test]
fn every_fixture_route_loads() {
    let routes = Route::fixture_routes();
    assert!(routes.len() >= 20);
    // Loading the bodies checks that each file exists and is JSON.
    drop(AzureServer::start(vec![]));
}

/// The official SDK (as the collector uses it) through the environment alone: `HTTPS_PROXY`
/// and `SSL_CERT_FILE` reach azure_core's reqwest client, the credential gets a token, the
/// Key Vault challenge is answered, and the pager follows `nextLink`. The environment is
/// set in a child process running [`key_vault_sdk_child`] alone: setting it here, while the
/// other tests of this binary run, would race with their threads.
#[test]
fn the_key_vault_sdk_reaches_the_fake_through_the_environment() {
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new(exe)
        .args([
            "azure_harness::key_vault_sdk_child",
            "--exact",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env("NHISCAN_KEY_VAULT_CHILD", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("1 passed"), "{stdout}");
}

#[tokio::test]
async fn key_vault_sdk_child() {
    use futures::TryStreamExt;

    if std::env::var_os("NHISCAN_KEY_VAULT_CHILD").is_none() {
        return; // only meaningful when started by the test above
    }
    let server = AzureServer::start(vec![]);
    // The only test thread of this process (see above).
    for (k, v) in server.env() {
        std::env::set_var(k, v);
    }
    let credential = azure_identity::ClientSecretCredential::new(
        TENANT_ID,
        CLIENT_ID.to_string(),
        CLIENT_SECRET.to_string().into(),
        None,
    )
    .unwrap();
    let client = azure_security_keyvault_secrets::SecretClient::new(
        "https://kv-payments-prod.vault.azure.net/",
        credential,
        None,
    )
    .unwrap();
    let ids: Vec<String> = client
        .list_secret_properties(None)
        .unwrap()
        .map_ok(|p| p.id.unwrap_or_default())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        ids,
        [
            "https://kv-payments-prod.vault.azure.net/secrets/db-password",
            "https://kv-payments-prod.vault.azure.net/secrets/stripe-api-key",
            "https://kv-payments-prod.vault.azure.net/secrets/old-token",
            "https://kv-payments-prod.vault.azure.net/secrets/api-tls",
        ]
    );
    let seen: Vec<(String, u16, Option<String>)> = server
        .requests()
        .into_iter()
        .map(|r| {
            (
                format!("{} {}{}", r.method, r.host, r.path()),
                r.status,
                r.scope,
            )
        })
        .collect();
    let secrets = "GET kv-payments-prod.vault.azure.net/secrets".to_string();
    assert_eq!(
        seen,
        [
            (secrets.clone(), 401, None),
            (
                format!("POST login.microsoftonline.com/{TENANT_ID}/oauth2/v2.0/token"),
                200,
                Some("https://vault.azure.net/.default".to_string())
            ),
            (secrets.clone(), 200, None),
            (secrets, 200, None),
        ],
        "challenge, token, page 1, page 2"
    );
    assert!(server.unmatched().is_empty());
}
