//! Live collectors: each reads one provider's identities and credentials, read-only,
//! into an [`Inventory`](crate::inventory::Inventory). Collectors produce inventory,
//! never findings; what they could not see goes into its coverage.

#[cfg(any(feature = "azure", feature = "gcp", feature = "github"))]
pub mod api_error;
pub mod aws;
pub mod azure;
pub mod counter;
#[cfg(any(feature = "gcp", feature = "github"))]
pub mod coverage;
pub mod gcp;
pub mod github;
pub mod http;
pub mod kubernetes;
pub mod progress;
pub mod registry;
#[cfg(any(feature = "gcp", feature = "github"))]
pub mod token;
pub mod usage_args;
