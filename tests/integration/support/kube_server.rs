//! A fake Kubernetes API server over real HTTPS on 127.0.0.1 (a fresh rcgen test CA),
//! serving tests/fixtures/kubernetes/ to a bearer token, and a kubeconfig that points at
//! it. Every request is recorded (method, path and query) for the tests to check.

#![allow(dead_code)]

use super::https_fake::{make_tls, Fault, FaultPlan, SLOW_ANSWER};
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

/// The bearer token the fake accepts.
pub const TOKEN: &str = "fake-kube-bearer-token";
/// The `continue` token of the first ServiceAccount page.
pub const CONTINUE: &str = "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MTIzNDU2LCJzdGFydCI6Imt1YmUtc3lzdGVtL2xlZ2FjeS1kYXNoYm9hcmRcdTAwMDAifQ";
const RBAC: &str = "/apis/rbac.authorization.k8s.io/v1";

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: String,
    /// 0 when the connection was dropped instead.
    pub status: u16,
    pub fault: Option<Fault>,
}

pub struct KubeServer {
    addr: SocketAddr,
    ca_pem: String,
    requests: Arc<Mutex<Vec<Recorded>>>,
    faults: Arc<FaultPlan>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/kubernetes")
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(fixtures().join(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

fn empty_list() -> String {
    r#"{"kind":"List","apiVersion":"v1","metadata":{"resourceVersion":"123456"},"items":[]}"#
        .to_string()
}

/// The response to a GET of `path` with `query` (decoded). A namespaced list of a kind
/// that has no fixture of its own is the cluster-wide fixture filtered to the namespace.
fn route(path: &str, query: &str) -> (u16, String) {
    if let Some((prefix, rest)) = path.split_once("/namespaces/") {
        if let Some((namespace, resource)) = rest.split_once('/') {
            if resource != "rolebindings" {
                return namespaced(&format!("{prefix}/{resource}"), namespace, query);
            }
        }
    }
    let continued = query.contains("continue=");
    match path {
        "/api/v1/serviceaccounts" if !continued => (200, fixture("serviceaccounts-page1.json")),
        "/api/v1/serviceaccounts" if query.contains(&format!("continue={CONTINUE}")) => {
            (200, fixture("serviceaccounts-page2.json"))
        }
        "/api/v1/secrets" if query.contains("fieldSelector=type=kubernetes.io/service-account-token") => {
            (200, fixture("secrets.json"))
        }
        "/api/v1/pods" => (200, fixture("pods.json")),
        "/apis/apps/v1/deployments" => (200, fixture("deployments.json")),
        "/apis/apps/v1/statefulsets" | "/apis/apps/v1/daemonsets" | "/apis/batch/v1/cronjobs" => {
            (200, empty_list())
        }
        p if p == format!("{RBAC}/clusterroles") => (200, fixture("clusterroles.json")),
        p if p == format!("{RBAC}/clusterrolebindings") => {
            (200, fixture("clusterrolebindings.json"))
        }
        p if p == format!("{RBAC}/roles") => (200, fixture("roles.json")),
        p if p == format!("{RBAC}/rolebindings") => (403, fixture("forbidden-rolebindings.json")),
        p if p == format!("{RBAC}/namespaces/ci/rolebindings") => {
            (200, fixture("rolebindings-ci.json"))
        }
        p if p == format!("{RBAC}/namespaces/ops/rolebindings") => {
            (200, fixture("rolebindings-ops.json"))
        }
        p if p == format!("{RBAC}/namespaces/payments/rolebindings") => {
            (403, fixture("forbidden-rolebindings-payments.json"))
        }
        p if p.starts_with(&format!("{RBAC}/namespaces/")) && p.ends_with("/rolebindings") => {
            (200, empty_list())
        }
        _ => (
            404,
            r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server could not find the requested resource","reason":"NotFound","code":404}"#
                .to_string(),
        ),
    }
}

fn namespaced(cluster_path: &str, namespace: &str, query: &str) -> (u16, String) {
    let mut items = Vec::new();
    let mut pages = vec![route(cluster_path, "")];
    if cluster_path == "/api/v1/serviceaccounts" {
        pages.push(route(cluster_path, &format!("{query}&continue={CONTINUE}")));
    }
    for (status, body) in pages {
        if status != 200 {
            return (status, body);
        }
        let list: serde_json::Value = serde_json::from_str(&body).expect("fixture JSON");
        items.extend(
            list["items"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|i| i["metadata"]["namespace"] == namespace)
                .cloned(),
        );
    }
    let list = serde_json::json!({"kind": "List", "apiVersion": "v1",
        "metadata": {"resourceVersion": "123456"}, "items": items});
    (200, list.to_string())
}

impl KubeServer {
    pub fn start() -> KubeServer {
        let names = ["127.0.0.1".to_string(), "localhost".to_string()];
        let (ca_pem, acceptor) = make_tls("Kubernetes", &names);
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binding");
        listener.set_nonblocking(true).expect("non-blocking");
        let addr = listener.local_addr().expect("address");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let faults = Arc::new(FaultPlan::default());
        let (shutdown, stop) = tokio::sync::oneshot::channel::<()>();
        let log = Arc::clone(&requests);
        let thread_faults = Arc::clone(&faults);
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let listener = TcpListener::from_std(listener).expect("listener");
                tokio::select! {
                    _ = stop => {}
                    _ = accept_loop(listener, acceptor, log, thread_faults) => {}
                }
            });
            rt.shutdown_background();
        });
        KubeServer {
            addr,
            ca_pem,
            requests,
            faults,
            shutdown: Some(shutdown),
            thread: Some(thread),
        }
    }

    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().expect("log").clone()
    }

    /// Answers `k` of every 5 requests that follow (0 to 4) with a fault instead
    /// ([`FaultPlan`]).
    pub fn set_faults(&self, k: u32) {
        self.faults.set(k);
    }

    /// A kubeconfig with two contexts: `fake-prod` (this server, the right token) and
    /// `other` (current; a closed port), written into `dir`.
    pub fn kubeconfig(&self, dir: &Path) -> PathBuf {
        use base64_like::encode;
        let ca = encode(self.ca_pem.as_bytes());
        let text = format!(
            "apiVersion: v1
kind: Config
current-context: other
clusters:
- name: prod-cluster
  cluster:
    server: {url}
    certificate-authority-data: {ca}
- name: other-cluster
  cluster:
    server: https://127.0.0.1:9
    certificate-authority-data: {ca}
contexts:
- name: fake-prod
  context:
    cluster: prod-cluster
    user: auditor
- name: other
  context:
    cluster: other-cluster
    user: auditor
users:
- name: auditor
  user:
    token: {TOKEN}
",
            url = self.url()
        );
        let path = dir.join("kubeconfig");
        std::fs::write(&path, text).expect("writing the kubeconfig");
        path
    }
}

impl Drop for KubeServer {
    fn drop(&mut self) {
        if let Some(stop) = self.shutdown.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Standard base64, enough for a PEM in a kubeconfig.
mod base64_like {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    pub fn encode(input: &[u8]) -> String {
        let mut out = String::new();
        for chunk in input.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }
}

async fn accept_loop(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    log: Arc<Mutex<Vec<Recorded>>>,
    faults: Arc<FaultPlan>,
) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let (acceptor, log, faults) = (acceptor.clone(), Arc::clone(&log), Arc::clone(&faults));
        tokio::spawn(async move {
            let Ok(tls) = acceptor.accept(stream).await else {
                return;
            };
            let service = hyper::service::service_fn(move |req| {
                let log = Arc::clone(&log);
                let fault = faults.next();
                async move {
                    let response = handle(&log, req, fault);
                    match fault {
                        Some(Fault::Dropped) => Err(std::io::Error::other("injected: dropped")),
                        Some(Fault::Slow) => {
                            tokio::time::sleep(SLOW_ANSWER).await;
                            Ok(response)
                        }
                        _ => Ok(response),
                    }
                }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(tls), service)
                .await;
        });
    }
}

fn handle(
    log: &Mutex<Vec<Recorded>>,
    req: Request<Incoming>,
    fault: Option<Fault>,
) -> Response<Full<Bytes>> {
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let raw_query = req.uri().query().unwrap_or_default().to_string();
    let query: String = form_urlencoded::parse(raw_query.as_bytes())
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let authorized = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        == Some(&format!("Bearer {TOKEN}"));
    let (status, body) = if fault == Some(Fault::Throttled) {
        (429, r#"{"kind":"Status","apiVersion":"v1","status":"Failure","code":429,"reason":"TooManyRequests","message":"too many requests, please try again later (injected)","details":{"retryAfterSeconds":1}}"#.to_string())
    } else if fault == Some(Fault::ServerError) {
        (500, r#"{"kind":"Status","apiVersion":"v1","status":"Failure","code":500,"reason":"InternalError","message":"an error on the server (injected)"}"#.to_string())
    } else if method != "GET" {
        (405, r#"{"kind":"Status","apiVersion":"v1","status":"Failure","code":405,"reason":"MethodNotAllowed","message":"read-only fake"}"#.to_string())
    } else if !authorized {
        (401, fixture("unauthorized.json"))
    } else if !query.contains("limit=") {
        (400, r#"{"kind":"Status","apiVersion":"v1","status":"Failure","code":400,"reason":"BadRequest","message":"the fake wants paginated lists"}"#.to_string())
    } else {
        route(&path, &query)
    };
    log.lock().expect("log").push(Recorded {
        method,
        path,
        query,
        status: if fault == Some(Fault::Dropped) {
            0
        } else {
            status
        },
        fault,
    });
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(
        CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    if status == 429 {
        response
            .headers_mut()
            .insert("retry-after", hyper::header::HeaderValue::from_static("1"));
    }
    response
}
