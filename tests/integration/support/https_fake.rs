//! A local fake of an HTTPS API for integration tests, reached over real HTTPS.
//!
//! The production code only knows the real hostnames. This module runs an HTTP CONNECT
//! proxy on 127.0.0.1; every tunnel is answered by a TLS server with a leaf certificate for
//! the [`Profile`]'s names, signed by a CA generated at start-up. A child process pointed at
//! it with `HTTPS_PROXY` and `SSL_CERT_FILE` (see [`FakeServer::proxy_env`]) therefore talks
//! to this fake exactly as it would talk to the real service behind a corporate proxy.
//!
//! Requests are answered, in this order, by:
//! 1. routes with `before_auth: true` (test routes first, then the fixtures);
//! 2. the profile's auth check (`None` lets the request through);
//! 3. the routes given to [`FakeServer::start`];
//! 4. the profile's built-in handler (e.g. a token endpoint);
//! 5. the profile's fixture routes (`routes.yaml` of its fixtures folder), in file order;
//! 6. a 404 naming the request (recorded with `unmatched: true`).
//!
//! A route with `times: Some(n)` answers its first `n` matches only, then lets requests fall
//! through to the routes after it. `tests/integration/support/azure_server.rs` and
//! `tests/integration/support/github_server.rs` are the two profiles.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use percent_encoding::percent_decode_str;
use serde::Deserialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::rustls;
use tokio_rustls::TlsAcceptor;

/// A canned HTTP response.
pub type Reply = Response<Full<Bytes>>;

/// What makes a fake one service: its certificate names, its fixtures, its auth check and
/// its built-in handler.
#[derive(Clone)]
pub struct Profile {
    /// For messages and thread names, e.g. `Azure`.
    pub label: &'static str,
    /// The names on the server certificate (`*.suffix` wildcards allowed).
    pub cert_names: Vec<String>,
    /// The folder of `routes.yaml` and the files routes answer with.
    pub fixtures: PathBuf,
    /// Answers a request that lacks the right credentials; `None` lets it through.
    pub check_auth: fn(&RequestInfo, Option<&str>) -> Option<Reply>,
    /// A built-in endpoint (request, body, the `scope` to record); `None` when it does not
    /// answer.
    pub builtin: fn(&RequestInfo, &[u8], &mut Option<String>) -> Option<Reply>,
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
    /// The other request headers (lower-case names; `authorization` is above).
    pub headers: BTreeMap<String, String>,
    /// The length of the request body (its content is not kept: it may hold a secret).
    pub body_len: usize,
    /// The fault injected instead of the answer, if any ([`FakeServer::set_faults`]).
    pub fault: Option<Fault>,
}

/// A fault the fake injects ([`FakeServer::set_faults`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// HTTP 429 with `Retry-After: 1` and the service's throttling body.
    Throttled,
    /// HTTP 500.
    ServerError,
    /// The connection closed without an answer.
    Dropped,
    /// The answer held back [`SLOW_ANSWER`]: past a client timeout shorter than that.
    Slow,
}

/// How long a [`Fault::Slow`] answer is held back.
pub const SLOW_ANSWER: Duration = Duration::from_secs(2);

/// The order in which faults take turns, five requests each.
pub const FAULT_TURNS: [Fault; 4] = [
    Fault::Throttled,
    Fault::ServerError,
    Fault::Dropped,
    Fault::Slow,
];

/// Which requests get a fault: `k` of every 5, by arrival, the kinds taking turns five
/// requests each ([`FAULT_TURNS`]).
#[derive(Default)]
pub struct FaultPlan {
    k: AtomicU32,
    sequence: AtomicU32,
}

impl FaultPlan {
    /// `k` (0 to 4) of every 5 requests from now on.
    pub fn set(&self, k: u32) {
        self.k.store(k.min(4), Ordering::SeqCst);
        self.sequence.store(0, Ordering::SeqCst);
    }

    /// The fault for the request arriving now, if any.
    pub fn next(&self) -> Option<Fault> {
        let k = self.k.load(Ordering::SeqCst);
        if k == 0 {
            return None;
        }
        let n = self.sequence.fetch_add(1, Ordering::SeqCst);
        (n % 5 < k).then(|| FAULT_TURNS[(n / 5) as usize % FAULT_TURNS.len()])
    }
}

/// Runs `collect` without faults, then with 1 and 2 of every 5 requests faulted
/// (`set_faults`): `collect` must give the client a timeout shorter than
/// [`SLOW_ANSWER`]. Every kind of fault must have been served (`faults_served`: the
/// faults of the requests so far, in order), and each faulted run must give the same
/// inventory, or name what failed every attempt as a gap with exit 3
/// ([`super::output::assert_same_or_named_gap`]). Prints the wall times.
pub fn assert_faults_cost_retries(
    set_faults: impl Fn(u32),
    faults_served: impl Fn() -> Vec<Option<Fault>>,
    collect: impl Fn() -> (std::process::Output, serde_json::Value),
) {
    let started = std::time::Instant::now();
    let (clean_out, clean) = collect();
    let mut times = vec![("no faults".to_string(), started.elapsed())];
    for k in [1, 2] {
        set_faults(k);
        let before = faults_served().len();
        let started = std::time::Instant::now();
        let (out, faulted) = collect();
        let what = format!("{k} of 5 requests faulted");
        times.push((what.clone(), started.elapsed()));
        set_faults(0);
        let served = faults_served().split_off(before);
        for kind in FAULT_TURNS {
            assert!(
                served.contains(&Some(kind)),
                "{what}: no {kind:?} among {served:?}"
            );
        }
        let code = out.status.code();
        assert!(
            code == clean_out.status.code() || code == Some(3),
            "{what}: exit {code:?}: {}",
            super::output::stderr(&out)
        );
        super::output::assert_same_or_named_gap(&clean, &faulted, &out, &what);
    }
    eprintln!("wall times: {times:?}");
}

/// Google's and Microsoft's token endpoints: never held without an answer
/// ([`FakeServer::hang`]), so that a test reaches the API calls.
const TOKEN_HOSTS: [&str; 2] = ["oauth2.googleapis.com", "login.microsoftonline.com"];

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
    /// A file under the profile's fixtures folder, e.g. `graph/applications-page1.json`.
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

    /// A route answering with a fixture file (relative to the profile's fixtures folder).
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

    /// The routes of `DIR/routes.yaml`, in file order.
    pub fn load_file(dir: &Path) -> Vec<Route> {
        let path = dir.join("routes.yaml");
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
        if self.host != "*" && !host_matches(&self.host, &req.host) {
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
    /// A file under the profile's fixtures folder.
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
    fn load(route: Route, fixtures: &Path) -> LoadedRoute {
        let body = match &route.body {
            RouteBody::File(file) => {
                let path = fixtures.join(file);
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

/// One service behind the proxy: its profile and routes.
struct Service {
    profile: Profile,
    /// Test routes, then fixture routes.
    routes: Vec<LoadedRoute>,
    /// How many of `routes` came from the test.
    extra: usize,
}

impl Service {
    /// Whether `host` is one of the names on this service's certificate.
    fn serves(&self, host: &str) -> bool {
        self.profile
            .cert_names
            .iter()
            .any(|name| host_matches(name, host))
    }
}

/// Whether `host` (lower-case) is `pattern` (any case), or ends in its suffix when the
/// pattern is `*.suffix`.
fn host_matches(pattern: &str, host: &str) -> bool {
    let pattern = pattern.to_ascii_lowercase();
    match pattern.strip_prefix('*') {
        Some(suffix) => host.ends_with(suffix) && host.len() > suffix.len(),
        None => pattern == host,
    }
}

struct State {
    /// The first serves hosts no other service names.
    services: Vec<Service>,
    requests: Mutex<Vec<Recorded>>,
    /// Which requests get a fault ([`FakeServer::set_faults`]).
    faults: FaultPlan,
    /// Whether API requests are held without an answer ([`FakeServer::hang`]).
    hang: AtomicBool,
}

/// The parts of a request the router looks at.
pub struct RequestInfo {
    pub method: String,
    pub host: String,
    /// Percent-decoded.
    pub path: String,
    pub raw_query: String,
    /// Percent-decoded.
    pub query: String,
    /// `+` as space, then percent-decoded.
    pub form_query: String,
}

/// A fake service: a CONNECT proxy + TLS + router, on its own thread and tokio runtime.
/// Stops when dropped.
pub struct FakeServer {
    state: Arc<State>,
    proxy_addr: SocketAddr,
    ca_pem: String,
    ca_pem_path: PathBuf,
    _ca_dir: tempfile::TempDir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl FakeServer {
    /// Starts with the routes of the profile's `routes.yaml`; `extra` routes are tried
    /// before them (and before the built-in handler).
    pub fn start(profile: Profile, extra: Vec<Route>) -> FakeServer {
        FakeServer::start_shared(vec![(profile, extra)])
    }

    /// Several services behind one proxy and one certificate (a child process can only
    /// be given one `HTTPS_PROXY`): each request goes to the first service whose
    /// certificate names its host. `served` counts the first service's test routes.
    pub fn start_shared(services: Vec<(Profile, Vec<Route>)>) -> FakeServer {
        assert!(!services.is_empty(), "no service to fake");
        let label = services[0].0.label;
        let names: Vec<String> = services
            .iter()
            .flat_map(|(profile, _)| profile.cert_names.iter().cloned())
            .collect();
        let services: Vec<Service> = services
            .into_iter()
            .map(|(profile, extra)| {
                let extra_count = extra.len();
                let routes = extra
                    .into_iter()
                    .chain(Route::load_file(&profile.fixtures))
                    .map(|route| LoadedRoute::load(route, &profile.fixtures))
                    .collect();
                Service {
                    profile,
                    routes,
                    extra: extra_count,
                }
            })
            .collect();
        let (ca_pem, acceptor) = make_tls(label, &names);
        let state = Arc::new(State {
            services,
            requests: Mutex::new(Vec::new()),
            faults: FaultPlan::default(),
            hang: AtomicBool::new(false),
        });

        let ca_dir = tempfile::tempdir().expect("temp dir for the test CA");
        let ca_pem_path = ca_dir
            .path()
            .join(format!("fake-{}-ca.pem", label.to_ascii_lowercase()));
        std::fs::write(&ca_pem_path, &ca_pem).expect("writing the test CA");

        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binding the proxy");
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let proxy_addr = listener.local_addr().expect("proxy address");

        let (shutdown, stop) = tokio::sync::oneshot::channel::<()>();
        let thread_state = Arc::clone(&state);
        let thread = std::thread::Builder::new()
            .name(format!("fake-{}", label.to_ascii_lowercase()))
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("tokio runtime for the fake server");
                rt.block_on(async move {
                    let listener = TcpListener::from_std(listener).expect("tokio listener");
                    tokio::select! {
                        _ = stop => {}
                        _ = accept_loop(listener, acceptor, thread_state) => {}
                    }
                });
                rt.shutdown_background();
            })
            .expect("spawning the fake server thread");

        FakeServer {
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
    /// `NO_PROXY`/`no_proxy`) and the CA (`SSL_CERT_FILE`).
    pub fn proxy_env(&self) -> Vec<(String, String)> {
        let proxy = self.proxy_url();
        let ca = self.ca_pem_path.display().to_string();
        [
            ("HTTPS_PROXY", proxy.as_str()),
            ("https_proxy", proxy.as_str()),
            // An inherited exclusion list would bypass the fake.
            ("NO_PROXY", ""),
            ("no_proxy", ""),
            ("SSL_CERT_FILE", ca.as_str()),
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

    /// Answers `k` of every 5 requests that follow (0 to 4: 0%, 20% ... 80%) with a
    /// fault instead of the answer: the kinds take turns five requests each, in the order
    /// of [`Fault`] (throttled, server error, dropped connection, slow answer).
    /// Deterministic by arrival.
    pub fn set_faults(&self, k: u32) {
        self.state.faults.set(k);
    }

    /// Holds every later API request without an answer (a server that accepts the
    /// connection and never answers); token endpoints still answer.
    pub fn hang(&self) {
        self.state.hang.store(true, Ordering::SeqCst);
    }

    /// [`assert_faults_cost_retries`] against this server.
    pub fn assert_faults_cost_retries(
        &self,
        collect: impl Fn() -> (std::process::Output, serde_json::Value),
    ) {
        assert_faults_cost_retries(
            |k| self.set_faults(k),
            || self.requests().iter().map(|r| r.fault).collect(),
            collect,
        );
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
        let service = &self.state.services[0];
        assert!(index < service.extra, "no test route {index}");
        service.routes[index].served.load(Ordering::SeqCst)
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

impl Drop for FakeServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A fresh CA (PEM) and a TLS acceptor with a leaf for `names` (host names or IP
/// addresses) signed by it.
pub fn make_tls(label: &str, names: &[String]) -> (String, TlsAcceptor) {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
        KeyPair, KeyUsagePurpose,
    };

    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.distinguished_name = rcgen::DistinguishedName::new();
    ca_params
        .distinguished_name
        .push(DnType::CommonName, format!("nhiscan fake {label} test CA"));
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca_params.self_signed(&ca_key).expect("self-signing the CA");
    let issuer = Issuer::new(ca_params, ca_key);

    let leaf_key = KeyPair::generate().expect("leaf key");
    let mut leaf_params = CertificateParams::new(names.to_vec()).expect("leaf params");
    leaf_params.distinguished_name = rcgen::DistinguishedName::new();
    leaf_params
        .distinguished_name
        .push(DnType::CommonName, format!("fake {label} endpoints"));
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
                headers: BTreeMap::new(),
                body_len: 0,
                fault: None,
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
        async move { handle(&state, &connect_host, req).await }
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
) -> Result<Response<Full<Bytes>>, std::io::Error> {
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
    let headers: BTreeMap<String, String> = req
        .headers()
        .iter()
        .filter(|(name, _)| *name != AUTHORIZATION)
        .filter_map(|(name, value)| Some((name.to_string(), value.to_str().ok()?.to_string())))
        .collect();
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

    let service = state
        .services
        .iter()
        .find(|s| s.serves(&info.host))
        .unwrap_or(&state.services[0]);
    let mut scope = None;
    let mut unmatched = false;
    let fault = state.faults.next();
    let response = if let Some(Fault::Throttled | Fault::ServerError) = fault {
        fault_response(service.profile.label, fault == Some(Fault::Throttled))
    } else if let Some(r) = service
        .routes
        .iter()
        .find(|r| r.route.before_auth && r.take(&info))
    {
        r.response()
    } else if let Some(denied) = (service.profile.check_auth)(&info, authorization.as_deref()) {
        denied
    } else if let Some(r) = service.routes[..service.extra]
        .iter()
        .find(|r| !r.route.before_auth && r.take(&info))
    {
        r.response()
    } else if let Some(builtin) = (service.profile.builtin)(&info, &body, &mut scope) {
        builtin
    } else if let Some(r) = service.routes[service.extra..]
        .iter()
        .find(|r| !r.route.before_auth && r.take(&info))
    {
        r.response()
    } else {
        unmatched = true;
        not_found(service.profile.label, &info)
    };

    let hang = state.hang.load(Ordering::SeqCst) && !TOKEN_HOSTS.contains(&host.as_str());
    record(
        state,
        Recorded {
            method,
            host,
            path_and_query,
            authorization,
            status: match fault {
                Some(Fault::Dropped) => 0,
                _ => response.status().as_u16(),
            },
            scope,
            unmatched,
            headers,
            body_len: body.len(),
            fault,
        },
    );
    if hang {
        std::future::pending::<()>().await;
    }
    match fault {
        Some(Fault::Dropped) => Err(std::io::Error::other("injected: connection dropped")),
        Some(Fault::Slow) => {
            tokio::time::sleep(SLOW_ANSWER).await;
            Ok(response)
        }
        _ => Ok(response),
    }
}

/// An injected fault: the service throttling (429 with `Retry-After: 1`), or failing.
fn fault_response(label: &str, throttled: bool) -> Reply {
    let (status, body) = if throttled {
        (
            StatusCode::TOO_MANY_REQUESTS,
            serde_json::json!({
                "message": format!("{label}: rate limit exceeded (injected)"),
                "error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "message": "injected"}
            }),
        )
    } else {
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            serde_json::json!({"message": format!("{label}: server error (injected)")}),
        )
    };
    let mut response = json_response(status, &body);
    if throttled {
        response
            .headers_mut()
            .insert("retry-after", HeaderValue::from_static("1"));
    }
    response
}

pub fn json_response(status: StatusCode, body: &serde_json::Value) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

fn not_found(label: &str, info: &RequestInfo) -> Response<Full<Bytes>> {
    let message = format!(
        "fake {label} has no route for {} https://{}{}{}{}",
        info.method,
        info.host,
        info.path,
        if info.query.is_empty() { "" } else { "?" },
        info.query
    );
    json_response(
        StatusCode::NOT_FOUND,
        &serde_json::json!({
            "message": message,
            "error": {
                "code": format!("Fake{label}NoRoute"),
                "message": message,
            },
            "method": info.method,
            "host": info.host,
            "path": info.path,
            "query": info.query,
        }),
    )
}

pub fn now_iso() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S").to_string()
}
