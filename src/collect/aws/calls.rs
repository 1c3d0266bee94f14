//! An SDK interceptor on every client the collector builds. It
//! * counts each request sent (every attempt, retries included) by
//!   `aws:<service>:<Operation>`, for `Inventory::api_calls`;
//! * refuses, before anything is sent, any operation that is not a read
//!   (`List*`, `Get*`, `Describe*`, `GenerateCredentialReport`) and every operation that
//!   would return a secret's value (`GetSecretValue`, `BatchGetSecretValue`), so that no
//!   code path of the collector can change an account or read a secret. One exception,
//!   by service and name ([`ALSO_ALLOWED`]): `sts:AssumeRole`, which `--org` needs to
//!   read each member account (it changes nothing; it returns temporary credentials for
//!   the read-only audit role), and `iam:GenerateServiceLastAccessedDetails`, which
//!   `--usage` needs to read service last accessed data.

use aws_sdk_iam::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;

/// Operations that return secret material; never allowed.
pub const SECRET_VALUE_OPERATIONS: &[&str] = &["GetSecretValue", "BatchGetSecretValue"];

pub use crate::collect::counter::CallCounter;

/// An interceptor for one service's client (`service` as in `aws:<service>:...`).
pub fn interceptor(counter: &CallCounter, service: &'static str) -> CountCalls {
    CountCalls {
        service,
        counter: counter.clone(),
    }
}

/// Operations that are not reads by name but that the collector may call, as
/// `(service, operation)`: exactly these, on exactly these services.
/// (`organizations:ListAccounts` needs no entry: it is a `List*` read.)
pub const ALSO_ALLOWED: &[(&str, &str)] = &[
    ("sts", "AssumeRole"),
    // `--usage`: asks IAM to compile its records of the identity's service use; it
    // changes nothing.
    ("iam", "GenerateServiceLastAccessedDetails"),
];

/// Whether the collector may call `operation` of `service` (as in `aws:<service>:...`):
/// a read ([`is_read_only`]) or one of [`ALSO_ALLOWED`].
pub fn is_allowed(service: &str, operation: &str) -> bool {
    is_read_only(operation) || ALSO_ALLOWED.contains(&(service, operation))
}

/// Whether an operation is a read that returns no secret value.
pub fn is_read_only(operation: &str) -> bool {
    if SECRET_VALUE_OPERATIONS.contains(&operation) {
        return false;
    }
    ["List", "Get", "Describe"]
        .iter()
        .any(|prefix| operation.starts_with(prefix))
        || operation == "GenerateCredentialReport"
}

#[derive(Debug)]
pub struct CountCalls {
    service: &'static str,
    counter: CallCounter,
}

fn operation_name(cfg: &ConfigBag) -> &str {
    cfg.load::<Metadata>().map_or("Unknown", Metadata::name)
}

impl Intercept for CountCalls {
    fn name(&self) -> &'static str {
        "nhiscan::CountCalls"
    }

    // Not `read_before_execution`: a client's interceptors run that before the
    // operation's metadata is in the config bag.
    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let operation = operation_name(cfg);
        if is_allowed(self.service, operation) {
            Ok(())
        } else {
            Err(format!(
                "nhiscan refuses to call {}:{operation}: the collector only reads metadata",
                self.service
            )
            .into())
        }
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let key = format!("aws:{}:{}", self.service, operation_name(cfg));
        self.counter.add(key);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_reads_pass() {
        for op in [
            "ListSecrets",
            "GetAccountAuthorizationDetails",
            "GenerateCredentialReport",
            "GetCallerIdentity",
        ] {
            assert!(is_read_only(op), "{op}");
        }
        for op in [
            "GetSecretValue",
            "BatchGetSecretValue",
            "CreateAccessKey",
            "PutSecretValue",
            "DeleteUser",
        ] {
            assert!(!is_read_only(op), "{op}");
        }
    }

    #[test]
    fn assume_role_is_allowed_on_sts_only_and_nothing_else_is_added() {
        assert!(is_allowed("sts", "AssumeRole"));
        assert!(is_allowed("iam", "GenerateServiceLastAccessedDetails"));
        assert!(is_allowed("organizations", "ListAccounts"));
        assert!(is_allowed("ec2", "DescribeRegions"));
        for (service, op) in [
            ("iam", "AssumeRole"),
            ("organizations", "AssumeRole"),
            ("sts", "AssumeRoleWithWebIdentity"),
            ("sts", "AssumeRoleWithSAML"),
            ("sts", "AssumeRoot"),
            ("organizations", "CreateAccount"),
            ("organizations", "InviteAccountToOrganization"),
            ("ec2", "EnableRegion"),
            ("secretsmanager", "GetSecretValue"),
            ("sts", "GenerateServiceLastAccessedDetails"),
            ("iam", "GenerateOrganizationsAccessReport"),
        ] {
            assert!(!is_allowed(service, op), "{service}:{op}");
        }
    }
}
