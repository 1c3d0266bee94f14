//! Which proxy the Kubernetes client uses, as kubectl decides it: the cluster's
//! `proxy-url` in the kubeconfig, else `HTTPS_PROXY`/`https_proxy` unless the API server's
//! host is excluded by `NO_PROXY`/`no_proxy` (names and their subdomains, `.suffix`, IP
//! addresses, CIDR ranges, `*`). kube itself checks NO_PROXY against the proxy's own
//! address, which would send a local cluster's traffic to a corporate proxy.

use ipnet::IpNet;
use std::net::IpAddr;

fn nonempty(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// The proxy for an API server at `host`: `explicit` (the kubeconfig's), else the
/// environment's unless NO_PROXY excludes `host`.
pub fn proxy_for(explicit: Option<&str>, host: &str) -> Option<String> {
    if let Some(proxy) = explicit.map(str::trim).filter(|p| !p.is_empty()) {
        return Some(proxy.to_string());
    }
    let proxy = nonempty("HTTPS_PROXY").or_else(|| nonempty("https_proxy"))?;
    let no_proxy = nonempty("NO_PROXY")
        .or_else(|| nonempty("no_proxy"))
        .unwrap_or_default();
    (!excluded(host, &no_proxy)).then_some(proxy)
}

/// Whether a NO_PROXY list excludes `host` (a name or an IP address, without port).
pub fn excluded(host: &str, no_proxy: &str) -> bool {
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase();
    let ip: Option<IpAddr> = host.parse().ok();
    no_proxy.split(',').map(str::trim).any(|entry| {
        let entry = entry.to_ascii_lowercase();
        if entry.is_empty() {
            return false;
        }
        if entry == "*" {
            return true;
        }
        // `host:port` entries: the port is ignored (the API server's port varies).
        let entry = match entry.rsplit_once(':') {
            Some((name, port))
                if !name.contains(':') && port.chars().all(|c| c.is_ascii_digit()) =>
            {
                name.to_string()
            }
            _ => entry,
        };
        if let Some(ip) = ip {
            if let Ok(net) = entry.parse::<IpNet>() {
                return net.contains(&ip);
            }
            return entry
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<IpAddr>()
                == Ok(ip);
        }
        let name = entry.trim_start_matches("*.").trim_start_matches('.');
        host == name || host.ends_with(&format!(".{name}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_proxy_lists_as_kubectl_reads_them() {
        let list = "localhost,127.0.0.1,10.0.0.0/8,.internal.example,corp.example:443,[::1]";
        assert!(excluded("127.0.0.1", list));
        assert!(excluded("10.20.30.40", list));
        assert!(!excluded("11.0.0.1", list));
        assert!(excluded("api.internal.example", list));
        assert!(excluded("internal.example", list));
        assert!(excluded("k8s.corp.example", list));
        assert!(excluded("::1", list));
        assert!(excluded("localhost", list));
        assert!(!excluded("notlocalhost", list));
        assert!(!excluded("api.example.com", list));
        assert!(excluded("anything", "*"));
        assert!(!excluded("anything", ""));
    }

    #[test]
    fn the_kubeconfig_proxy_wins() {
        assert_eq!(
            proxy_for(Some("http://proxy.kube:3128"), "10.0.0.1").as_deref(),
            Some("http://proxy.kube:3128")
        );
    }
}
