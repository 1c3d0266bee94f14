//! One `nhiscan scan` of all five live providers at once gives one merged report: AWS
//! against moto's server (the real emulator), Azure, GitHub and Google Cloud against their
//! local fakes over real HTTPS behind one CONNECT proxy (tests/integration/support/https_fake.rs), and
//! Kubernetes against the fake API server of a kubeconfig. Each provider is reached the
//! way a real scan reaches it; none is mocked inside the binary.

#![allow(clippy::unwrap_used)]

use crate::support::https_fake::FakeServer;
use crate::support::kube_server::KubeServer;
use crate::support::moto::Moto;
use crate::support::output::{json, root, run, stderr};
use crate::support::{azure_server, gcp_server, github_server};
use std::collections::BTreeSet;

#[test]
fn one_scan_of_aws_azure_gcp_kubernetes_and_github_gives_one_report() {
    let Some(moto) = Moto::start(&[]) else {
        return; // moto is not installed and not required (see tests/integration/support/moto.rs)
    };
    let fakes = FakeServer::start_shared(vec![
        (azure_server::profile(), Vec::new()),
        (github_server::profile(), Vec::new()),
        (gcp_server::profile(), Vec::new()),
    ]);
    let kube = KubeServer::start();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = kube.kubeconfig(dir.path());
    let adc = gcp_server::write_adc_file(dir.path());
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();

    let out = run(crate::support::nhiscan()
        .env("PATH", &bin)
        .env("HOME", dir.path())
        .envs(fakes.proxy_env())
        // The emulator and the API server are local: not through the proxy.
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost")
        .envs(azure_server::login_env())
        .env("GH_TOKEN", github_server::TOKEN)
        .env("GOOGLE_APPLICATION_CREDENTIALS", &adc)
        .env("KUBECONFIG", &kubeconfig)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent/config")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
        .current_dir(root())
        .args(["scan", "--now", "2026-11-29", "-f", "json"])
        .args([
            "--provider",
            "aws",
            "--endpoint-url",
            &moto.endpoint,
            "--region",
            "us-east-1",
        ])
        .args(["--provider", "azure", "--auth", "env"])
        .args(["--provider", "gcp"])
        .args(["--provider", "kubernetes", "--context", "fake-prod"])
        .args(["--provider", "github", "--github-org", "acme"]));
    let err = stderr(&out);
    // The fakes deny some parts on purpose (an Azure subscription, a GitHub repository's
    // secrets, two GCP projects): an incomplete scan, with everything else reported.
    assert_eq!(out.status.code(), Some(3), "{err}");
    let printed = format!("{}{err}", String::from_utf8_lossy(&out.stdout));
    for secret in [
        github_server::TOKEN,
        gcp_server::TOKEN,
        gcp_server::REFRESH_TOKEN,
        azure_server::CLIENT_SECRET,
        crate::support::kube_server::TOKEN,
    ] {
        assert!(!printed.contains(secret), "a secret was printed");
    }
    let report = json(&out);

    let all: BTreeSet<String> = ["aws", "azure", "gcp", "github", "kubernetes"]
        .map(String::from)
        .into();
    let by_provider = report["inventory"]["by_provider"].as_object().unwrap();
    let inventoried: BTreeSet<String> = by_provider
        .iter()
        .filter(|(_, counts)| counts["identities"].as_u64().unwrap_or(0) > 0)
        .map(|(provider, _)| provider.clone())
        .collect();
    assert_eq!(
        inventoried, all,
        "identities of every provider; stderr: {err}"
    );
    let found: BTreeSet<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            f["entity"]["provider"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    assert_eq!(found, all, "findings on every provider");

    // Coverage from each collector, and the parts the fakes deny reported as such.
    let coverage = report["coverage"].as_array().unwrap();
    let covered: BTreeSet<&str> = coverage
        .iter()
        .map(|c| c["provider"].as_str().unwrap())
        .collect();
    assert_eq!(covered.len(), 5, "{coverage:?}");
    assert!(coverage
        .iter()
        .any(|c| c["target"] == "gcp:project:acme-sandbox" && c["status"] == "failed"));
    assert!(
        coverage.iter().all(|c| c["target"] != "aws"
            && c["target"] != "azure"
            && c["target"] != "gcp"
            && c["target"] != "github"
            && c["target"] != "kubernetes"),
        "no provider failed as a whole: {coverage:?}"
    );
    let sources = report["scan"]["sources"].as_array().unwrap();
    assert!(sources.len() >= 5, "{sources:?}");

    // Every service was really called.
    let hosts: BTreeSet<String> = fakes.requests().into_iter().map(|r| r.host).collect();
    for host in [
        "graph.microsoft.com",
        "management.azure.com",
        "api.github.com",
        "iam.googleapis.com",
        "oauth2.googleapis.com",
    ] {
        assert!(hosts.contains(host), "{host} not called: {hosts:?}");
    }
    assert!(fakes.unmatched().is_empty(), "{:?}", fakes.unmatched());
    assert!(!kube.requests().is_empty());
    assert!(!moto.requests().is_empty());

    // The delegation graph spans the merged inventory: the GCP chatbot reaches the
    // owner account, next to the AWS and Azure findings.
    assert!(report["findings"].as_array().unwrap().iter().any(|f| {
        f["rule_id"] == "ai-agent-can-delegate"
            && f["entity"]["id"] == "support-llm@acme-prod.iam.gserviceaccount.com"
    }));
}
