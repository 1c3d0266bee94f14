//! `--all-regions`: the regions enabled for an account, from `ec2:DescribeRegions`
//! (`AllRegions=false`: the regions the account can use, i.e. those enabled by default
//! and the opt-in ones it has opted into).
//!
//! Why EC2's call and not `account:ListRegions`: both answer the question, but moto (the
//! emulator the tests run against) implements only `DescribeRegions`, and it needs no
//! permission beyond a read-only one most audit roles already hold.
//!
//! The answer is filtered again here, defensively: a region whose `OptInStatus` is
//! `not-opted-in` is dropped (AWS leaves those out with `AllRegions=false`; emulators may
//! not), and so is a region of another partition than the account's (`cn-*` for an
//! `aws` account, say), which the account's credentials could not reach anyway.

use super::config::check_region;
use super::errors::{api_error, ApiError};

/// The enabled regions of the account whose ARN partition is `partition`
/// (`aws`, `aws-cn`, `aws-us-gov`...), sorted; names that are not region names are
/// dropped.
pub async fn enabled(ec2: &aws_sdk_ec2::Client, partition: &str) -> Result<Vec<String>, ApiError> {
    let out = ec2
        .describe_regions()
        .all_regions(false)
        .send()
        .await
        .map_err(|e| api_error("ec2:DescribeRegions", e))?;
    let mut regions: Vec<String> = out
        .regions()
        .iter()
        .filter(|r| r.opt_in_status() != Some("not-opted-in"))
        .filter_map(|r| r.region_name())
        .filter(|name| partition_of(name) == partition && check_region(name).is_ok())
        .map(str::to_string)
        .collect();
    regions.sort();
    regions.dedup();
    Ok(regions)
}

/// The partition a region belongs to, from its name.
pub fn partition_of(region: &str) -> &'static str {
    const PREFIXES: &[(&str, &str)] = &[
        ("cn-", "aws-cn"),
        ("us-gov-", "aws-us-gov"),
        ("us-isob-", "aws-iso-b"),
        ("us-isof-", "aws-iso-f"),
        ("us-iso-", "aws-iso"),
        ("eu-isoe-", "aws-iso-e"),
        ("eusc-", "aws-eusc"),
    ];
    PREFIXES
        .iter()
        .find(|(prefix, _)| region.starts_with(prefix))
        .map_or("aws", |(_, partition)| partition)
}

/// The partition of an ARN (`arn:aws-cn:...` → `aws-cn`); `aws` when it is not an ARN.
pub fn partition_of_arn(arn: &str) -> &str {
    let mut parts = arn.split(':');
    match (parts.next(), parts.next()) {
        (Some("arn"), Some(partition)) if !partition.is_empty() => partition,
        _ => "aws",
    }
}

/// The regions to scan with `--all-regions`: the ones asked for explicitly first (so
/// that one not enabled is still tried and reported), then the enabled ones.
pub fn union(explicit: &[String], enabled: &[String]) -> Vec<String> {
    let mut all: Vec<String> = Vec::with_capacity(explicit.len() + enabled.len());
    for region in explicit.iter().chain(enabled) {
        if !all.contains(region) {
            all.push(region.clone());
        }
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions() {
        assert_eq!(partition_of("eu-west-1"), "aws");
        assert_eq!(partition_of("cn-north-1"), "aws-cn");
        assert_eq!(partition_of("us-gov-west-1"), "aws-us-gov");
        assert_eq!(partition_of("us-isob-east-1"), "aws-iso-b");
        assert_eq!(partition_of("us-iso-east-1"), "aws-iso");
        assert_eq!(
            partition_of_arn("arn:aws-cn:iam::123456789012:user/x"),
            "aws-cn"
        );
        assert_eq!(partition_of_arn("arn:aws:sts::1:assumed-role/r/s"), "aws");
        assert_eq!(partition_of_arn("not an arn"), "aws");
    }

    #[test]
    fn explicit_regions_come_first_and_once() {
        let explicit = vec!["us-east-1".to_string(), "ap-east-1".to_string()];
        let enabled = vec!["eu-west-1".to_string(), "us-east-1".to_string()];
        assert_eq!(
            union(&explicit, &enabled),
            vec!["us-east-1", "ap-east-1", "eu-west-1"]
        );
    }
}
