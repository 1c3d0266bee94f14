//! The token: `GH_TOKEN`, then `GITHUB_TOKEN` (as the GitHub CLI and Actions set them),
//! else the GitHub CLI's own login (`gh auth token --hostname HOST`). The token is held
//! in memory only: it is never printed, logged or written, and [`Token`]'s `Debug`
//! hides it.

pub use crate::collect::token::Token;
use anyhow::{anyhow, Result};
use std::process::Command;

/// A token and where it came from (`GH_TOKEN`, `GITHUB_TOKEN`, `gh auth token`).
#[derive(Debug, Clone)]
pub struct Login {
    pub token: Token,
    pub source: String,
}

/// The host `gh` knows the API by: `github.com` for `https://api.github.com`, else the
/// API URL's host (GitHub Enterprise Server: `https://HOST/api/v3`).
pub fn gh_host(api: &str) -> String {
    let host = reqwest::Url::parse(api)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_else(|| "github.com".into());
    if host == "api.github.com" {
        "github.com".into()
    } else {
        host
    }
}

/// Finds a token for `api`.
pub fn login(api: &str) -> Result<Login> {
    for name in ["GH_TOKEN", "GITHUB_TOKEN"] {
        if let Some(token) = std::env::var(name)
            .ok()
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
        {
            return Ok(Login {
                token: Token::new(token),
                source: name.into(),
            });
        }
    }
    let host = gh_host(api);
    let output = Command::new("gh")
        .args(["auth", "token", "--hostname", &host])
        .output()
        .map_err(|e| {
            anyhow!(
                "no GitHub token: GH_TOKEN and GITHUB_TOKEN are not set and the GitHub CLI \
                 could not be run ({e}); set one of them, or sign in with `gh auth login`"
            )
        })?;
    let token = String::from_utf8_lossy(&output.stdout).trim().to_string();
    if !output.status.success() || token.is_empty() {
        // gh's own message (never the token: it failed to give one).
        let said = String::from_utf8_lossy(&output.stderr)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        return Err(anyhow!(
            "no GitHub token: GH_TOKEN and GITHUB_TOKEN are not set and `gh auth token \
             --hostname {host}` gave none ({}); sign in with `gh auth login --hostname {host}` \
             or set GH_TOKEN",
            if said.is_empty() {
                "no output".to_string()
            } else {
                said.chars().take(200).collect()
            }
        ));
    }
    Ok(Login {
        token: Token::new(token),
        source: "gh auth token".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_never_shows_in_debug() {
        let login = Login {
            token: Token::new("ghp_secretvalue"),
            source: "GH_TOKEN".into(),
        };
        assert!(!format!("{login:?}").contains("ghp_secretvalue"));
    }

    #[test]
    fn gh_hosts() {
        assert_eq!(gh_host("https://api.github.com"), "github.com");
        assert_eq!(gh_host("https://ghe.example.com/api/v3"), "ghe.example.com");
    }
}
