//! The account's OIDC and SAML identity providers: the trust anchors through which
//! outside workloads (GitHub Actions, Kubernetes service accounts, a corporate IdP)
//! federate into IAM roles.
//!
//! Calls: `ListOpenIDConnectProviders` and `ListSAMLProviders` (one each, not paginated),
//! then per provider `GetOpenIDConnectProvider` (URL, audiences, thumbprints, tags) or
//! `GetSAMLProvider` (tags, and the IdP's signing certificates in its metadata), bounded.
//! An account has a handful of providers, so this is a few calls per account.
//!
//! Modelling: each provider is an [`Identity`] of kind `other`, `id` its ARN, with
//! `attributes.type` = `"oidc_provider"` or `"saml_provider"`. Not attributes of the
//! roles that trust it, because
//! * a provider is an account-level object with its own ARN, creation date, tags and
//!   lifetime, and it matters even when no role trusts it (a forgotten provider is
//!   attack surface the day someone adds a role trusting it);
//! * roles already name it: a federated trust entry's `principal` is the provider's ARN,
//!   i.e. this identity's `id`, so role → provider is a join, and the provider's
//!   `attributes.trusted_by` lists the roles whose trust policy names it (provider →
//!   role), computed from what the bulk call returned, at no cost;
//! * as identities they are counted, can carry an `owner` tag and are seen by rules
//!   (the ownership rules apply to them as to any identity; the trust rules only look
//!   at roles).
//!
//! Attributes: OIDC `url` (as AWS stores it, without `https://`), `client_ids` (the
//! audiences it accepts), `thumbprints`; SAML `valid_until` and
//! `signing_certificates_expire` (earliest `notAfter` of the X.509 certificates in its
//! metadata). AWS does not record when a provider is used: `activity_tracked` is false.
//! The metadata document itself is not kept.

use super::certificate;
use crate::collect::aws::errors::{api_error, ApiError};
use crate::collect::aws::time;
use crate::inventory::{Identity, IdentityKind, Provider, Scope};
use aws_sdk_iam::types::Tag;
use aws_sdk_iam::Client;
use chrono::{DateTime, Utc};
use serde_json::json;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// What the provider calls yielded.
#[derive(Debug, Default)]
pub(super) struct Providers {
    pub(super) identities: Vec<Identity>,
    pub(super) problems: Vec<String>,
}

/// Lists and describes every OIDC and SAML provider (`trusted_by` is added later, by
/// [`link`], once the roles are built).
pub(super) async fn collect(iam: &Client, scope: &Scope, limit: &Arc<Semaphore>) -> Providers {
    let mut out = Providers::default();
    let (oidc, saml) = tokio::join!(
        iam.list_open_id_connect_providers().send(),
        iam.list_saml_providers().send()
    );
    let mut tasks = JoinSet::new();
    match oidc {
        Ok(list) => {
            for arn in list
                .open_id_connect_provider_list()
                .iter()
                .filter_map(|p| p.arn())
            {
                let (iam, limit, arn) = (iam.clone(), limit.clone(), arn.to_string());
                tasks.spawn(async move {
                    let _permit = limit.acquire().await;
                    let got = iam
                        .get_open_id_connect_provider()
                        .open_id_connect_provider_arn(&arn)
                        .send()
                        .await
                        .map_err(|e| api_error("iam:GetOpenIDConnectProvider", e));
                    Described::Oidc(
                        arn,
                        got.map(|o| OidcFacts {
                            url: o.url().map(str::to_string),
                            client_ids: o.client_id_list().to_vec(),
                            thumbprints: o.thumbprint_list().to_vec(),
                            created: o.create_date().and_then(time::from_aws),
                            tags: tags(o.tags()),
                        }),
                    )
                });
            }
        }
        Err(e) => out.problems.push(format!(
            "OIDC identity providers unknown: {}",
            api_error("iam:ListOpenIDConnectProviders", e)
        )),
    }
    match saml {
        Ok(list) => {
            for entry in list.saml_provider_list() {
                let Some(arn) = entry.arn() else {
                    continue;
                };
                let listed = SamlFacts {
                    created: entry.create_date().and_then(time::from_aws),
                    valid_until: entry.valid_until().and_then(time::from_aws),
                    ..SamlFacts::default()
                };
                let (iam, limit, arn) = (iam.clone(), limit.clone(), arn.to_string());
                tasks.spawn(async move {
                    let _permit = limit.acquire().await;
                    let got = iam
                        .get_saml_provider()
                        .saml_provider_arn(&arn)
                        .send()
                        .await
                        .map_err(|e| api_error("iam:GetSAMLProvider", e));
                    let facts = got.map(|o| SamlFacts {
                        created: o.create_date().and_then(time::from_aws).or(listed.created),
                        valid_until: o
                            .valid_until()
                            .and_then(time::from_aws)
                            .or(listed.valid_until),
                        tags: tags(o.tags()),
                        certificates_expire: o
                            .saml_metadata_document()
                            .and_then(metadata_certificates_expire),
                    });
                    Described::Saml(arn, facts, listed)
                });
            }
        }
        Err(e) => out.problems.push(format!(
            "SAML identity providers unknown: {}",
            api_error("iam:ListSAMLProviders", e)
        )),
    }

    let mut described = Vec::new();
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok(d) => described.push(d),
            Err(e) => out
                .problems
                .push(format!("an identity-provider task failed: {e}")),
        }
    }
    // Stable output whatever order the tasks finished in.
    described.sort_by(|a, b| a.arn().cmp(b.arn()));
    for d in described {
        let arn = d.arn().to_string();
        let identity = match d {
            Described::Oidc(_, Ok(facts)) => oidc_identity(scope, &arn, facts),
            Described::Oidc(_, Err(e)) => {
                out.problems
                    .push(format!("OIDC provider {arn} not described: {e}"));
                oidc_identity(scope, &arn, OidcFacts::default())
            }
            Described::Saml(_, Ok(facts), _) => saml_identity(scope, &arn, facts),
            Described::Saml(_, Err(e), listed) => {
                out.problems
                    .push(format!("SAML provider {arn} not described: {e}"));
                saml_identity(scope, &arn, listed)
            }
        };
        out.identities.push(identity);
    }
    out
}

enum Described {
    Oidc(String, Result<OidcFacts, ApiError>),
    /// The described facts, and those the list gave (kept if describing fails).
    Saml(String, Result<SamlFacts, ApiError>, SamlFacts),
}

impl Described {
    fn arn(&self) -> &str {
        match self {
            Described::Oidc(arn, _) | Described::Saml(arn, _, _) => arn,
        }
    }
}

#[derive(Debug, Default)]
pub(super) struct OidcFacts {
    pub(super) url: Option<String>,
    pub(super) client_ids: Vec<String>,
    pub(super) thumbprints: Vec<String>,
    pub(super) created: Option<DateTime<Utc>>,
    pub(super) tags: crate::inventory::Tags,
}

#[derive(Debug, Default, Clone)]
pub(super) struct SamlFacts {
    pub(super) created: Option<DateTime<Utc>>,
    pub(super) valid_until: Option<DateTime<Utc>>,
    pub(super) tags: crate::inventory::Tags,
    pub(super) certificates_expire: Option<DateTime<Utc>>,
}

fn tags(tags: &[Tag]) -> crate::inventory::Tags {
    tags.iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect()
}

fn base_identity(scope: &Scope, arn: &str, name: String) -> Identity {
    Identity::new(Provider::Aws, scope.clone(), arn, name, IdentityKind::Other)
}

/// The part of a provider ARN after `oidc-provider/` or `saml-provider/`.
fn arn_name(arn: &str) -> String {
    arn.split_once(":oidc-provider/")
        .or_else(|| arn.split_once(":saml-provider/"))
        .map_or(arn, |(_, name)| name)
        .to_string()
}

fn oidc_identity(scope: &Scope, arn: &str, facts: OidcFacts) -> Identity {
    let url = facts.url.unwrap_or_else(|| arn_name(arn));
    let mut identity = base_identity(scope, arn, url.clone());
    identity.description = Some(format!("OIDC identity provider https://{url}"));
    identity.created = facts.created;
    identity.tags = facts.tags;
    let a = &mut identity.attributes;
    a.insert("type", json!("oidc_provider"));
    a.insert("url", json!(url));
    a.insert("client_ids", json!(facts.client_ids));
    a.insert("thumbprints", json!(facts.thumbprints));
    identity
}

fn saml_identity(scope: &Scope, arn: &str, facts: SamlFacts) -> Identity {
    let name = arn_name(arn);
    let mut identity = base_identity(scope, arn, name.clone());
    identity.description = Some(format!("SAML identity provider {name}"));
    identity.created = facts.created;
    identity.tags = facts.tags;
    let a = &mut identity.attributes;
    a.insert("type", json!("saml_provider"));
    if let Some(t) = facts.valid_until {
        a.insert("valid_until", json!(t));
    }
    if let Some(t) = facts.certificates_expire {
        a.insert("signing_certificates_expire", json!(t));
    }
    identity
}

/// The earliest `notAfter` of the `<X509Certificate>` elements (any namespace prefix) of
/// a SAML metadata document.
fn metadata_certificates_expire(metadata: &str) -> Option<DateTime<Utc>> {
    let mut earliest: Option<DateTime<Utc>> = None;
    let mut rest = metadata;
    while let Some(at) = rest.find("X509Certificate>") {
        let after = rest
            .get(at + "X509Certificate>".len()..)
            .unwrap_or_default();
        let Some(end) = after.find('<') else {
            break;
        };
        let body = after.get(..end).unwrap_or_default();
        if !body.trim().is_empty() {
            let pem = format!("-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----");
            if let Some(t) = certificate::not_after(&pem) {
                earliest = Some(earliest.map_or(t, |e| e.min(t)));
            }
        }
        rest = after.get(end..).unwrap_or_default();
    }
    earliest
}

/// Sets each provider's `attributes.trusted_by`: the ARNs of the roles (among
/// `identities`) whose trust policy names it as a federated principal, sorted; empty
/// when none does.
pub(super) fn link(providers: &mut [Identity], identities: &[Identity]) {
    let mut trusted_by: HashMap<&str, BTreeSet<&str>> = HashMap::new();
    for identity in identities.iter().filter(|i| i.kind == IdentityKind::Role) {
        for trust in &identity.trust {
            trusted_by
                .entry(trust.principal.as_str())
                .or_default()
                .insert(identity.id.as_str());
        }
    }
    for provider in providers {
        let roles = trusted_by.remove(provider.id.as_str()).unwrap_or_default();
        provider.attributes.insert("trusted_by", json!(roles));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::ScopeKind;

    fn scope() -> Scope {
        Scope {
            kind: ScopeKind::Account,
            id: "111122223333".into(),
            name: None,
        }
    }

    #[test]
    fn oidc_provider_identity() {
        let arn = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com";
        let mut providers = vec![oidc_identity(
            &scope(),
            arn,
            OidcFacts {
                client_ids: vec!["sts.amazonaws.com".into()],
                ..OidcFacts::default()
            },
        )];
        let mut role = base_identity(
            &scope(),
            "arn:aws:iam::111122223333:role/deploy",
            "deploy".into(),
        );
        role.kind = IdentityKind::Role;
        role.trust.push(crate::inventory::Trust {
            principal: arn.into(),
            principal_type: crate::inventory::PrincipalType::Federated,
            conditions: Vec::new(),
        });
        link(&mut providers, &[role]);
        let identity = &providers[0];
        assert_eq!(identity.kind, IdentityKind::Other);
        assert_eq!(identity.name, "token.actions.githubusercontent.com");
        assert_eq!(identity.attributes["type"], "oidc_provider");
        assert_eq!(
            identity.attributes["client_ids"],
            json!(["sts.amazonaws.com"])
        );
        assert_eq!(
            identity.attributes["trusted_by"],
            json!(["arn:aws:iam::111122223333:role/deploy"])
        );
        assert!(!identity.activity_tracked);
    }

    #[test]
    fn saml_metadata_certificates() {
        let body = "MIIBBjCBraADAgECAgEBMAoGCCqGSM49BAMCMA0xCzAJBgNVBAMMAnUxMB4XDTIyMDEwMTAwMDAwMFoXDTI3MDEwMTAwMDAwMFowDTELMAkGA1UEAwwCdTEwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAASVG8rQExuwGhl1+yOMcc63+5zLCaX/4B4N1Y6Y4M4Q4n8BkZyfkf+FF5u45TTvYEDkmeCSVpWEtsRUuEKJzGA9MAoGCCqGSM49BAMCA0gAMEUCICLvkQEe+UqlCD4h/ZLfVLfzqbtodJewh26vBgvcwLLfAiEAv2m3ZTvlHxOWHl8KfK+MIlp7YLJ3wzEd0R8uy6+ZOo4=";
        let doc = format!(
            "<md:EntityDescriptor><ds:KeyInfo><ds:X509Data><ds:X509Certificate>\n{body}\n\
             </ds:X509Certificate></ds:X509Data></ds:KeyInfo><X509Certificate>garbage</X509Certificate></md:EntityDescriptor>"
        );
        assert_eq!(
            metadata_certificates_expire(&doc).map(|t| t.to_rfc3339()),
            Some("2027-01-01T00:00:00+00:00".into())
        );
        assert_eq!(metadata_certificates_expire("<x/>"), None);
        assert_eq!(metadata_certificates_expire("X509Certificate>"), None);
        let mut providers = vec![saml_identity(
            &scope(),
            "arn:aws:iam::111122223333:saml-provider/okta",
            SamlFacts::default(),
        )];
        link(&mut providers, &[]);
        assert_eq!(providers[0].name, "okta");
        assert_eq!(providers[0].attributes["trusted_by"], json!([]));
    }
}
