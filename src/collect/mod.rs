//! Live collectors: each reads one provider's identities and credentials, read-only,
//! into an [`Inventory`](crate::inventory::Inventory). Collectors produce inventory,
//! never findings; what they could not see goes into its coverage.

#[cfg(any(feature = "azure", feature = "gcp", feature = "github"))]
pub mod api_error;
#[cfg(feature = "aws")]
pub mod aws;
#[cfg(feature = "azure")]
pub mod azure;
pub mod choices;
pub mod counter;
#[cfg(any(feature = "gcp", feature = "github"))]
pub mod coverage;
#[cfg(feature = "gcp")]
pub mod gcp;
#[cfg(feature = "github")]
pub mod github;
pub mod http;
#[cfg(feature = "kubernetes")]
pub mod kubernetes;
pub mod live;
pub mod progress;
#[cfg(any(feature = "gcp", feature = "github"))]
pub mod token;
