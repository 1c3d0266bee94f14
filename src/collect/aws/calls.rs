//! An SDK interceptor on every client the collector builds. It
//! * counts each request sent (every attempt, retries included) by
//!   `aws:<service>:<Operation>`, for `Inventory::api_calls`;
//! * refuses, before anything is sent, any operation that is not a read
//!   (`List*`, `Get*`, `Describe*`, `GenerateCredentialReport`) and every operation that
//!   would return a secret's value (`GetSecretValue`, `BatchGetSecretValue`), so that no
//!   code path of the collector can change an account or read a secret.

use aws_sdk_iam::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// Operations that return secret material; never allowed.
pub const SECRET_VALUE_OPERATIONS: &[&str] = &["GetSecretValue", "BatchGetSecretValue"];

/// Shared per-collection tally of API requests.
#[derive(Debug, Clone, Default)]
pub struct CallCounter {
    counts: Arc<Mutex<BTreeMap<String, u64>>>,
}

impl CallCounter {
    /// An interceptor for one service's client (`service` as in `aws:<service>:...`).
    pub fn interceptor(&self, service: &'static str) -> CountCalls {
        CountCalls {
            service,
            counter: self.clone(),
        }
    }

    /// The counts so far.
    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        match self.counts.lock() {
            Ok(counts) => counts.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn add(&self, key: String) {
        let mut counts = match self.counts.lock() {
            Ok(counts) => counts,
            Err(poisoned) => poisoned.into_inner(),
        };
        *counts.entry(key).or_default() += 1;
    }
}

/// Whether an operation may be called by the collector.
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
        if is_read_only(operation) {
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
}
