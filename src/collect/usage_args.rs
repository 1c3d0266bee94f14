//! `--usage`: one switch for every provider that can read which of its granted rights each
//! identity used. Each provider reads its own record (AWS: [`crate::collect::aws`]'s
//! service last accessed data; GCP: [`crate::collect::gcp`]'s policy insights; Azure:
//! [`crate::collect::azure`]'s sign-in activity).

use clap::Args;

/// Whether to read permission use (shared by the providers' arguments: one flag however
/// many providers a scan reads).
#[derive(Debug, Clone, Copy, Default, Args)]
#[command(next_help_heading = "Permission use (AWS, GCP, Azure)")]
pub struct UsageArgs {
    /// Also read which of its granted rights each identity used, and when, for the rule
    /// permissions-unused. It costs calls: on AWS, IAM's service last accessed data
    /// (iam:GenerateServiceLastAccessedDetails and iam:GetServiceLastAccessedDetails: two
    /// or more per user and role); on GCP, the IAM Recommender's policy insights
    /// (recommender.iamPolicyInsights.list: one per project and page; Google serves them
    /// with Security Command Center Premium or Enterprise); on Azure, no call: the sign-in
    /// activity report already read (last app-only and delegated sign-in).
    #[arg(long)]
    pub usage: bool,
}
