//! A seeded moto server (the real AWS emulator, from PyPI) for the tests that need AWS:
//! `scripts/moto/server.py` started as a child process, seeded through the AWS API by
//! scripts/moto/seed.py.
//!
//! Needs the virtualenv made by `bash scripts/moto/setup.sh` (target/moto-venv). Without
//! it the tests print why and pass, unless NHISCAN_REQUIRE_MOTO is set (as in CI): then
//! they fail.
#![allow(dead_code)]

use nhiscan::collect::aws::{AwsOptions, Credentials, SharedCredentialsProvider};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The region the seeded server reports as not enabled.
pub const DISABLED_REGION: &str = "ap-southeast-2";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The virtualenv's Python, or None (test skipped) when it is missing and
/// NHISCAN_REQUIRE_MOTO is unset.
pub fn moto_python() -> Option<PathBuf> {
    let python = root().join("target/moto-venv/bin/python");
    if python.exists() {
        return Some(python);
    }
    let why = format!(
        "moto is not installed ({} is missing): run `bash scripts/moto/setup.sh`",
        python.display()
    );
    if std::env::var_os("NHISCAN_REQUIRE_MOTO").is_some() {
        panic!("{why} (NHISCAN_REQUIRE_MOTO is set, so this is a failure)");
    }
    // Once, and past the test harness's output capture, so that it is seen.
    static SAID: std::sync::Once = std::sync::Once::new();
    SAID.call_once(|| {
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "tests/integration/aws.rs SKIPPED: {why}");
    });
    None
}

/// One seeded moto server: a child process that exits when we kill it or when our end
/// of its stdin closes (so it never outlives the test binary).
pub struct Moto {
    child: Child,
    pub endpoint: String,
    pub ready: Value,
    pub dir: tempfile::TempDir,
}

impl Moto {
    pub fn start(extra: &[&str]) -> Option<Moto> {
        let python = moto_python()?;
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let log = dir.path().join("requests.log");
        let stderr = std::fs::File::create(dir.path().join("stderr.txt"))
            .unwrap_or_else(|e| panic!("stderr file: {e}"));
        let mut child = Command::new(&python)
            .arg(root().join("scripts/moto/server.py"))
            .arg("--request-log")
            .arg(&log)
            .args(["--disabled-region", DISABLED_REGION])
            .args(extra)
            .current_dir(root())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", python.display()));
        let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
        let (send, receive) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = std::time::Instant::now() + Duration::from_secs(240);
        let ready = loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match receive.recv_timeout(left) {
                Ok(line) => {
                    if let Ok(value) = serde_json::from_str::<Value>(&line) {
                        if value["ready"] == true {
                            break value;
                        }
                    }
                }
                Err(e) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    let err =
                        std::fs::read_to_string(dir.path().join("stderr.txt")).unwrap_or_default();
                    panic!("moto did not become ready ({e}); its stderr:\n{err}");
                }
            }
        };
        let endpoint = ready["endpoint"]
            .as_str()
            .unwrap_or_else(|| panic!("no endpoint in {ready}"))
            .to_string();
        Some(Moto {
            child,
            endpoint,
            ready,
            dir,
        })
    }

    /// Injects faults into the requests that follow (scripts/moto/server.py, `Faults`):
    /// `{"throttle": 0.2, "error": 0, "reset": 0, "slow": 0, "slow_seconds": 3,
    /// "seed": 1}`; `{}` switches them off. Returns how many of each were injected
    /// before this call.
    pub fn set_faults(&self, spec: &Value) -> Value {
        use std::io::{Read, Write};
        let address = self.endpoint.trim_start_matches("http://");
        let mut stream = std::net::TcpStream::connect(address)
            .unwrap_or_else(|e| panic!("cannot reach moto at {address}: {e}"));
        let body = spec.to_string();
        let request = format!(
            "POST /__nhiscan/faults HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        stream
            .write_all(request.as_bytes())
            .unwrap_or_else(|e| panic!("{e}"));
        let mut response = String::new();
        stream
            .read_to_string(&mut response)
            .unwrap_or_else(|e| panic!("{e}"));
        let json = response.split("\r\n\r\n").nth(1).unwrap_or_default();
        serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {response}"))
    }

    /// Requests the server saw: (service, region, operation, status, access key).
    pub fn requests(&self) -> Vec<[String; 5]> {
        let text = std::fs::read_to_string(self.dir.path().join("requests.log"))
            .unwrap_or_else(|e| panic!("request log: {e}"));
        text.lines()
            .filter_map(|line| {
                let parts: Vec<String> = line.split(' ').map(str::to_string).collect();
                parts.try_into().ok()
            })
            .collect()
    }

    pub fn options(&self, regions: &[&str], key: (&str, &str)) -> AwsOptions {
        AwsOptions {
            regions: regions.iter().map(|r| r.to_string()).collect(),
            endpoint_url: Some(self.endpoint.clone()),
            credentials: Some(SharedCredentialsProvider::new(Credentials::new(
                key.0, key.1, None, None, "test",
            ))),
            max_attempts: 2,
            ..AwsOptions::default()
        }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
