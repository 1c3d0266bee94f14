//! Which kind of its permissions each application used (`--usage`), from the service
//! principal sign-in activity report the collector already reads: the last app-only sign-in
//! as a client (its application permissions: Microsoft Graph app roles and Azure role
//! assignments) and the last delegated one (on behalf of a user). Graph keeps no per-resource
//! record longer than the 30 days of its sign-in logs, so the "services" judged are these
//! two kinds: an application that holds application permissions but signs in only on behalf
//! of users does not need them.
//!
//! Microsoft notes that, during the report's preview, some partial sign-ins may show as
//! app-only: that can only make the application permissions look used, never unused.

use super::msgraph::SignInActivity;
use crate::inventory::{Identity, IdentityKind, ServiceUse, Usage};
use chrono::{DateTime, Utc};
use serde_json::json;

/// The service name of an application's application permissions.
pub const APPLICATION: &str = "application permissions";
/// The service name of its delegated permissions.
pub const DELEGATED: &str = "delegated permissions";

/// The usage of an application or service principal that holds application permissions,
/// from its sign-in activity (`None`: no record, never signed in since the report began).
/// `None` for other identities, and for one that holds no application permission.
pub fn application_usage(
    identity: &Identity,
    activity: Option<&SignInActivity>,
    as_of: DateTime<Utc>,
) -> Option<Usage> {
    if !matches!(
        identity.kind,
        IdentityKind::AppRegistration | IdentityKind::ServicePrincipal
    ) || identity.permissions.policies.is_empty()
    {
        return None;
    }
    let last = |flow: Option<&super::msgraph::LastSignIn>| {
        flow.and_then(|f| f.last_sign_in_date_time.as_deref())
            .and_then(crate::inventory::time::parse)
    };
    let mut services = vec![ServiceUse {
        service: APPLICATION.to_string(),
        name: Some("app-only sign-ins as a client".to_string()),
        last_used: last(activity.and_then(|a| {
            a.application_authentication_client_sign_in_activity
                .as_ref()
        })),
        used_within_days: None,
        region: None,
        statements: identity
            .permissions
            .policies
            .iter()
            .map(|grant| json!({ "grant": grant }))
            .collect(),
    }];
    // Its delegated grants are not read: the kind is listed once it was used.
    if let Some(used) = last(activity.and_then(|a| a.delegated_client_sign_in_activity.as_ref())) {
        services.push(ServiceUse {
            service: DELEGATED.to_string(),
            name: Some("sign-ins on behalf of a user".to_string()),
            last_used: Some(used),
            used_within_days: None,
            region: None,
            statements: Vec::new(),
        });
    }
    Some(Usage {
        as_of,
        tracking_days: None,
        services,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::{Provider, Scope, ScopeKind};

    fn app(policies: &[&str]) -> Identity {
        let mut identity = Identity::new(
            Provider::Azure,
            Scope {
                kind: ScopeKind::Tenant,
                id: "t".into(),
                name: None,
            },
            "o1",
            "report-bot",
            IdentityKind::AppRegistration,
        );
        identity.permissions.policies = policies.iter().map(|p| p.to_string()).collect();
        identity
    }

    fn activity(app_only: Option<&str>, delegated: Option<&str>) -> SignInActivity {
        let flow =
            |at: Option<&str>| json!({"lastSignInDateTime": at, "lastSignInRequestId": null});
        serde_json::from_value(json!({
            "appId": "a1",
            "lastSignInActivity": flow(delegated.or(app_only)),
            "applicationAuthenticationClientSignInActivity": flow(app_only),
            "delegatedClientSignInActivity": flow(delegated),
        }))
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn application_permissions_and_delegated_use_are_two_services() {
        let now = DateTime::UNIX_EPOCH;
        let identity = app(&["Microsoft Graph: Mail.Send (Application)"]);
        let usage = application_usage(
            &identity,
            Some(&activity(
                Some("2025-01-10T09:30:00Z"),
                Some("2026-11-25T10:00:00Z"),
            )),
            now,
        )
        .unwrap_or_else(|| panic!("usage"));
        assert_eq!(usage.services.len(), 2);
        assert_eq!(usage.services[0].service, APPLICATION);
        assert_eq!(
            usage.services[0].last_used.map(|t| t.to_rfc3339()),
            Some("2025-01-10T09:30:00+00:00".to_string())
        );
        assert_eq!(
            usage.services[0].statements,
            [json!({"grant": "Microsoft Graph: Mail.Send (Application)"})]
        );
        assert_eq!(usage.services[1].service, DELEGATED);
        assert!(usage.services[1].statements.is_empty());
    }

    #[test]
    fn never_delegated_or_no_record_leaves_one_service_and_no_permission_none() {
        let identity = app(&["Contributor on /subscriptions/s"]);
        let now = DateTime::UNIX_EPOCH;
        let usage = application_usage(
            &identity,
            Some(&activity(Some("2026-11-20T08:00:00Z"), None)),
            now,
        )
        .unwrap_or_else(|| panic!("usage"));
        assert_eq!(usage.services.len(), 1);
        let unrecorded = application_usage(&identity, None, now).unwrap_or_else(|| panic!("usage"));
        assert_eq!(unrecorded.services[0].last_used, None);
        assert!(application_usage(&app(&[]), None, now).is_none());
        let mut managed = app(&["Contributor on /subscriptions/s"]);
        managed.kind = IdentityKind::ManagedIdentity;
        assert!(application_usage(&managed, None, now).is_none());
    }
}
