//! A local fake of Azure for integration tests, reached over real HTTPS.
//!
//! The production code only knows the real hostnames (`login.microsoftonline.com`,
//! `graph.microsoft.com`, `management.azure.com`, `<vault>.vault.azure.net`). This module runs
//! an HTTP CONNECT proxy on 127.0.0.1; every tunnel is answered by a TLS server with a leaf
//! certificate for those names, signed by a CA generated at start-up. A child process pointed at
//! it with `HTTPS_PROXY` and `SSL_CERT_FILE` (see [`AzureServer::env`]) therefore talks to this
//! fake exactly as it would talk to Azure.
//!
//! Requests are answered, in this order, by:
//! 1. routes with `before_auth: true` (test routes first, then the fixtures);
//! 2. the bearer check: `graph.microsoft.com` and `management.azure.com` want
//!    `Bearer fake-token-for-https://<host>`, a vault `Bearer fake-token-for-https://vault.azure.net`
//!    (a request without `Authorization` gets Key Vault's `WWW-Authenticate` challenge);
//! 3. the routes given to [`AzureServer::start`];
//! 4. the built-in token endpoint `POST login.microsoftonline.com/{tenant}/oauth2/v2.0/token`;
//! 5. the routes of `tests/fixtures/azure/routes.yaml`, in file order;
//! 6. a 404 naming the request (recorded with `unmatched: true`).
//!
//! A route with `times: Some(n)` answers its first `n` matches only, then lets requests fall
//! through to the routes after it.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE, HOST, WWW_AUTHENTICATE};
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use percent_encoding::percent_decode_str;
use serde::Deserialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::rustls;
use tokio_rustls::TlsAcceptor;

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

/// One request the server answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded {
    pub method: String,
    /// Lower-case host, without port (from `Host`, else from the CONNECT target).
    pub host: String,
    /// As sent, not decoded (see [`Recorded::path`] and [`Recorded::query`]).
    pub path_and_query: String,
    pub authorization: Option<String>,
    pub status: u16,
    /// Token requests only: the `scope` form field (the secret is never recorded).
    pub scope: Option<String>,
    /// True when no route, token endpoint or auth check answered (the fallback 404).
    pub unmatched: bool,
}

impl Recorded {
    /// The percent-decoded path, without the query.
    pub fn path(&self) -> String {
        let raw = self.path_and_query.split('?').next().unwrap_or_default();
        decode(raw)
    }

    /// The percent-decoded query (empty when there is none).
    pub fn query(&self) -> String {
        match self.path_and_query.split_once('?') {
            Some((_, q)) => decode(q),
            None => String::new(),
        }
    }
}

/// What a route answers with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RouteBody {
    /// A file under `tests/fixtures/azure/`, e.g. `graph/applications-page1.json`.
    File(String),
    /// An inline body (JSON unless the route sets another `Content-Type`).
    Json(String),
    /// No body.
    Empty,
}

/// A canned answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    /// `GET`, `POST`, … (case-insensitive).
    pub method: String,
    /// Exact host (case-insensitive), `*.vault.azure.net` for any host ending in
    /// `.vault.azure.net`, or `*` for any host.
    pub host: String,
    /// Exact path, compared percent-decoded (`/v1.0/servicePrincipals(appId='…')`), or `*`.
    pub path: String,
    /// Each must be a substring of the query (raw, percent-decoded, or form-decoded).
    pub query_contains: Vec<String>,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: RouteBody,
    /// Answer only the first N matches, then fall through to later routes.
    pub times: Option<u32>,
    /// Answer before the bearer check (e.g. an expired-token 401, whatever the token).
    pub before_auth: bool,
}

impl Route {
    fn new(method: &str, host: &str, path: &str, status: u16, body: RouteBody) -> Route {
        Route {
            method: method.to_string(),
            host: host.to_string(),
            path: path.to_string(),
            query_contains: Vec::new(),
            status,
            headers: Vec::new(),
            body,
            times: None,
            before_auth: false,
        }
    }

    /// A route answering with an inline JSON body.
    pub fn json(method: &str, host: &str, path: &str, status: u16, body: &str) -> Route {
        Route::new(
            method,
            host,
            path,
            status,
            RouteBody::Json(body.to_string()),
        )
    }

    /// A route answering with a fixture file (relative to `tests/fixtures/azure/`).
    pub fn file(method: &str, host: &str, path: &str, status: u16, file: &str) -> Route {
        Route::new(
            method,
            host,
            path,
            status,
            RouteBody::File(file.to_string()),
        )
    }

    /// A route answering with no body.
    pub fn empty(method: &str, host: &str, path: &str, status: u16) -> Route {
        Route::new(method, host, path, status, RouteBody::Empty)
    }

    /// Also require `needle` in the query.
    pub fn query(mut self, needle: &str) -> Route {
        self.query_contains.push(needle.to_string());
        self
    }

    /// Add a response header.
    pub fn header(mut self, name: &str, value: &str) -> Route {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// Answer only the first `n` matches.
    pub fn times(mut self, n: u32) -> Route {
        self.times = Some(n);
        self
    }

    /// Answer before the bearer check.
    pub fn before_auth(mut self) -> Route {
        self.before_auth = true;
        self
    }

    /// The routes of `tests/fixtures/azure/routes.yaml`, in file order.
    pub fn fixture_routes() -> Vec<Route> {
        let path = fixtures_dir().join("routes.yaml");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        let file: RoutesFile = serde_norway::from_str(&text)
            .unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()));
        file.routes.into_iter().map(YamlRoute::into_route).collect()
    }

    fn matches(&self, req: &RequestInfo) -> bool {
        if !self.method.eq_ignore_ascii_case(&req.method) {
            return false;
        }
        let host = self.host.to_ascii_lowercase();
        let host_ok = if host == "*" {
            true
        } else if let Some(suffix) = host.strip_prefix('*') {
            req.host.ends_with(suffix) && req.host.len() > suffix.len()
        } else {
            host == req.host
        };
        if !host_ok {
            return false;
        }
        if self.path != "*" && self.path != req.path && decode(&self.path) != req.path {
            return false;
        }
        self.query_contains.iter().all(|needle| {
            req.raw_query.contains(needle.as_str())
                || req.query.contains(needle.as_str())
                || req.form_query.contains(needle.as_str())
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoutesFile {
    routes: Vec<YamlRoute>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YamlRoute {
    method: String,
    host: String,
    path: String,
    #[serde(default)]
    query_contains: Vec<String>,
    #[serde(default = "ok")]
    status: u16,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    /// A file under tests/fixtures/azure/.
    #[serde(default)]
    body_file: Option<String>,
    /// An inline body: a YAML/JSON value, sent as JSON.
    #[serde(default)]
    body: Option<serde_json::Value>,
    #[serde(default)]
    times: Option<u32>,
    #[serde(default)]
    before_auth: bool,
}

fn ok() -> u16 {
    200
}

impl YamlRoute {
    fn into_route(self) -> Route {
        let body = match (self.body_file, self.body) {
            (Some(_), Some(_)) => panic!(
                "routes.yaml: {} {}{} has both body and body_file",
                self.method, self.host, self.path
            ),
            (Some(file), None) => RouteBody::File(file),
            (None, Some(value)) => RouteBody::Json(value.to_string()),
            (None, None) => RouteBody::Empty,
        };
        Route {
            method: self.method,
            host: self.host,
            path: self.path,
            query_contains: self.query_contains,
            status: self.status,
            headers: self.headers.into_iter().collect(),
            body,
            times: self.times,
            before_auth: self.before_auth,
        }
    }
}

/// A route with its body loaded and its use counted.
struct LoadedRoute {
    route: Route,
    body: Bytes,
    served: AtomicU32,
}

impl LoadedRoute {
    fn load(route: Route) -> LoadedRoute {
        let body = match &route.body {
            RouteBody::File(file) => {
                let path = fixtures_dir().join(file);
                let bytes = std::fs::read(&path)
                    .unwrap_or_else(|e| panic!("reading fixture {}: {e}", path.display()));
                if file.ends_with(".json") {
                    if let Err(e) = serde_json::from_slice::<serde_json::Value>(&bytes) {
                        panic!("fixture {} is not JSON: {e}", path.display());
                    }
                }
                Bytes::from(bytes)
            }
            RouteBody::Json(text) => Bytes::from(text.clone()),
            RouteBody::Empty => Bytes::new(),
        };
        LoadedRoute {
            route,
            body,
            served: AtomicU32::new(0),
        }
    }

    /// Matches and still has uses left (taking one).
    fn take(&self, req: &RequestInfo) -> bool {
        if !self.route.matches(req) {
            return false;
        }
        match self.route.times {
            None => {
                self.served.fetch_add(1, Ordering::SeqCst);
                true
            }
            Some(limit) => self
                .served
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                    (n < limit).then_some(n + 1)
                })
                .is_ok(),
        }
    }

    fn response(&self) -> Response<Full<Bytes>> {
        let mut builder = Response::builder().status(self.route.status);
        let has_content_type = self
            .route
            .headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-type"));
        if !has_content_type && !self.body.is_empty() {
            builder = builder.header(CONTENT_TYPE, "application/json; charset=utf-8");
        }
        for (k, v) in &self.route.headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        builder
            .body(Full::new(self.body.clone()))
            .unwrap_or_else(|e| panic!("route {:?}: bad response: {e}", self.route))
    }
}

struct State {
    /// Test routes, then fixture routes.
    routes: Vec<LoadedRoute>,
    /// How many of `routes` came from the test.
    extra: usize,
    requests: Mutex<Vec<Recorded>>,
}

/// The parts of a request the router looks at.
struct RequestInfo {
    method: String,
    host: String,
    /// Percent-decoded.
    path: String,
    raw_query: String,
    /// Percent-decoded.
    query: String,
    /// `+` as space, then percent-decoded.
    form_query: String,
}

/// The fake Azure: a CONNECT proxy + TLS + router, on its own thread and tokio runtime.
/// Stops when dropped.
pub struct AzureServer {
    state: Arc<State>,
    proxy_addr: SocketAddr,
    ca_pem: String,
    ca_pem_path: PathBuf,
    _ca_dir: tempfile::TempDir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl AzureServer {
    /// Starts with the routes of `tests/fixtures/azure/routes.yaml`; `extra` routes are tried
    /// before them (and before the built-in token endpoint).
    pub fn start(extra: Vec<Route>) -> AzureServer {
        let extra_count = extra.len();
        let routes = extra
            .into_iter()
            .chain(Route::fixture_routes())
            .map(LoadedRoute::load)
            .collect();
        let state = Arc::new(State {
            routes,
            extra: extra_count,
            requests: Mutex::new(Vec::new()),
        });

        let (ca_pem, acceptor) = make_tls();
        let ca_dir = tempfile::tempdir().expect("temp dir for the test CA");
        let ca_pem_path = ca_dir.path().join("fake-azure-ca.pem");
        std::fs::write(&ca_pem_path, &ca_pem).expect("writing the test CA");

        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binding the proxy");
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let proxy_addr = listener.local_addr().expect("proxy address");

        let (shutdown, stop) = tokio::sync::oneshot::channel::<()>();
        let thread_state = Arc::clone(&state);
        let thread = std::thread::Builder::new()
            .name("fake-azure".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("tokio runtime for the fake Azure");
                rt.block_on(async move {
                    let listener = TcpListener::from_std(listener).expect("tokio listener");
                    tokio::select! {
                        _ = stop => {}
                        _ = accept_loop(listener, acceptor, thread_state) => {}
                    }
                });
                rt.shutdown_background();
            })
            .expect("spawning the fake Azure thread");

        AzureServer {
            state,
            proxy_addr,
            ca_pem,
            ca_pem_path,
            _ca_dir: ca_dir,
            shutdown: Some(shutdown),
            thread: Some(thread),
        }
    }

    /// Environment for the child process: the proxy (`HTTPS_PROXY`, `https_proxy`, empty
    /// `NO_PROXY`/`no_proxy`), the CA (`SSL_CERT_FILE`), the public-cloud
    /// `AZURE_AUTHORITY_HOST`, and the accepted `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`,
    /// `AZURE_CLIENT_SECRET`.
    pub fn env(&self) -> Vec<(String, String)> {
        let proxy = self.proxy_url();
        let ca = self.ca_pem_path.display().to_string();
        [
            ("HTTPS_PROXY", proxy.as_str()),
            ("https_proxy", proxy.as_str()),
            // An inherited exclusion list or authority host would bypass the fake.
            ("NO_PROXY", ""),
            ("no_proxy", ""),
            ("AZURE_AUTHORITY_HOST", "https://login.microsoftonline.com"),
            ("SSL_CERT_FILE", ca.as_str()),
            ("AZURE_TENANT_ID", TENANT_ID),
            ("AZURE_CLIENT_ID", CLIENT_ID),
            ("AZURE_CLIENT_SECRET", CLIENT_SECRET),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    /// Every request served so far, in order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.state
            .requests
            .lock()
            .expect("request log lock")
            .clone()
    }

    /// The requests answered by the fallback 404.
    pub fn unmatched(&self) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.unmatched)
            .collect()
    }

    /// How many times the test route at `index` (in the `extra` given to `start`) was served.
    pub fn served(&self, index: usize) -> u32 {
        assert!(index < self.state.extra, "no test route {index}");
        self.state.routes[index].served.load(Ordering::SeqCst)
    }

    /// The test CA, PEM (what `SSL_CERT_FILE` points at).
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    pub fn ca_pem_path(&self) -> &Path {
        &self.ca_pem_path
    }

    /// `http://127.0.0.1:PORT`.
    pub fn proxy_url(&self) -> String {
        format!("http://{}", self.proxy_addr)
    }
}

impl Drop for AzureServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A fresh CA (PEM) and a TLS acceptor with a leaf for [`CERT_NAMES`] signed by it.
fn make_tls() -> (String, TlsAcceptor) {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
        KeyPair, KeyUsagePurpose,
    };

    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.distinguished_name = rcgen::DistinguishedName::new();
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "nhiscan fake Azure test CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca_params.self_signed(&ca_key).expect("self-signing the CA");
    let issuer = Issuer::new(ca_params, ca_key);

    let leaf_key = KeyPair::generate().expect("leaf key");
    let names: Vec<String> = CERT_NAMES.iter().map(|s| s.to_string()).collect();
    let mut leaf_params = CertificateParams::new(names).expect("leaf params");
    leaf_params.distinguished_name = rcgen::DistinguishedName::new();
    leaf_params
        .distinguished_name
        .push(DnType::CommonName, "fake Azure endpoints");
    leaf_params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    leaf_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    leaf_params.use_authority_key_identifier_extension = true;
    let leaf_cert = leaf_params
        .signed_by(&leaf_key, &issuer)
        .expect("signing the leaf");

    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(rustls::pki_types::PrivatePkcs8KeyDer::from(
        leaf_key.serialize_der(),
    ));
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(vec![leaf_cert.der().clone(), ca_cert.der().clone()], key)
        .expect("TLS server config");
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    (ca_cert.pem(), TlsAcceptor::from(Arc::new(config)))
}

async fn accept_loop(listener: TcpListener, acceptor: TlsAcceptor, state: Arc<State>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let acceptor = acceptor.clone();
        let state = Arc::clone(&state);
        tokio::spawn(async move {
            let _ = serve_tunnel(stream, acceptor, state).await;
        });
    }
}

/// Reads the proxy request head (up to the blank line), byte by byte so that nothing of the
/// TLS handshake that follows is consumed.
async fn read_head(stream: &mut TcpStream) -> std::io::Result<String> {
    let mut head = Vec::with_capacity(256);
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 16 * 1024 {
            return Err(std::io::Error::other("proxy request head too long"));
        }
        head.push(stream.read_u8().await?);
    }
    Ok(String::from_utf8_lossy(&head).into_owned())
}

async fn serve_tunnel(
    mut stream: TcpStream,
    acceptor: TlsAcceptor,
    state: Arc<State>,
) -> std::io::Result<()> {
    let head = read_head(&mut stream).await?;
    let request_line = head.lines().next().unwrap_or_default();
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let target = parts.next().unwrap_or_default().to_string();
    if !method.eq_ignore_ascii_case("CONNECT") {
        // Plain-HTTP proxying is not offered: record it so that a test notices.
        record(
            &state,
            Recorded {
                method,
                host: String::new(),
                path_and_query: target,
                authorization: None,
                status: 405,
                scope: None,
                unmatched: true,
            },
        );
        stream
            .write_all(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            .await?;
        return Ok(());
    }
    let connect_host = strip_port(&target);
    stream
        .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
        .await?;
    let tls = acceptor.accept(stream).await?;
    let service = service_fn(move |req| {
        let state = Arc::clone(&state);
        let connect_host = connect_host.clone();
        async move { Ok::<_, Infallible>(handle(&state, &connect_host, req).await) }
    });
    hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(tls), service)
        .await
        .map_err(std::io::Error::other)
}

fn strip_port(host: &str) -> String {
    let host = host.trim();
    let host = match host.rsplit_once(':') {
        Some((h, port)) if !h.is_empty() && port.chars().all(|c| c.is_ascii_digit()) => h,
        _ => host,
    };
    host.to_ascii_lowercase()
}

fn decode(s: &str) -> String {
    percent_decode_str(s).decode_utf8_lossy().into_owned()
}

fn record(state: &State, r: Recorded) {
    state.requests.lock().expect("request log lock").push(r);
}

async fn handle(
    state: &State,
    connect_host: &str,
    req: Request<Incoming>,
) -> Response<Full<Bytes>> {
    let method = req.method().as_str().to_string();
    let host = req
        .headers()
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .map(strip_port)
        .unwrap_or_else(|| connect_host.to_string());
    let path_and_query = req
        .uri()
        .path_and_query()
        .map(|pq| pq.as_str().to_string())
        .unwrap_or_else(|| "/".to_string());
    let authorization = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string);
    let (raw_path, raw_query) = match path_and_query.split_once('?') {
        Some((p, q)) => (p.to_string(), q.to_string()),
        None => (path_and_query.clone(), String::new()),
    };
    let info = RequestInfo {
        method: method.clone(),
        host: host.clone(),
        path: decode(&raw_path),
        query: decode(&raw_query),
        form_query: decode(&raw_query.replace('+', " ")),
        raw_query,
    };
    let body = match req.into_body().collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => Bytes::new(),
    };

    let mut scope = None;
    let mut unmatched = false;
    let response = if let Some(r) = state
        .routes
        .iter()
        .find(|r| r.route.before_auth && r.take(&info))
    {
        r.response()
    } else if let Some(denied) = check_auth(&info, authorization.as_deref()) {
        denied
    } else if let Some(r) = state.routes[..state.extra]
        .iter()
        .find(|r| !r.route.before_auth && r.take(&info))
    {
        r.response()
    } else if let Some(token_response) = token_endpoint(&info, &body, &mut scope) {
        token_response
    } else if let Some(r) = state.routes[state.extra..]
        .iter()
        .find(|r| !r.route.before_auth && r.take(&info))
    {
        r.response()
    } else {
        unmatched = true;
        not_found(&info)
    };

    record(
        state,
        Recorded {
            method,
            host,
            path_and_query,
            authorization,
            status: response.status().as_u16(),
            scope,
            unmatched,
        },
    );
    response
}

fn json_response(status: StatusCode, body: &serde_json::Value) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

fn not_found(info: &RequestInfo) -> Response<Full<Bytes>> {
    json_response(
        StatusCode::NOT_FOUND,
        &serde_json::json!({
            "error": {
                "code": "FakeAzureNoRoute",
                "message": format!(
                    "fake Azure has no route for {} https://{}{}{}{}",
                    info.method,
                    info.host,
                    info.path,
                    if info.query.is_empty() { "" } else { "?" },
                    info.query
                ),
            },
            "method": info.method,
            "host": info.host,
            "path": info.path,
            "query": info.query,
        }),
    )
}

fn now_iso() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S").to_string()
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
