//! `--all-regions`: the regions enabled for an account, from `ec2:DescribeRegions`
//! (`AllRegions=false`: the regions the account can use, i.e. those enabled by default
//! and the opt-in ones it has opted into), sent as one signed Query request
//! ([`super::query`]) rather than through `aws-sdk-ec2`.
//!
//! Why EC2's call and not `account:ListRegions`: both answer the question, but moto (the
//! emulator the tests run against) implements only `DescribeRegions`, and it needs no
//! permission beyond a read-only one most audit roles already hold.
//!
//! The answer is filtered again here, defensively: a region whose `OptInStatus` is
//! `not-opted-in` is dropped (AWS leaves those out with `AllRegions=false`; emulators may
//! not), and so is a region of another partition than the account's (`cn-*` for an
//! `aws` account, say), which the account's credentials could not reach anyway.

use super::config::{check_region, Session};
use super::errors::{without_answer, ApiError, ErrorKind};
use super::query::{self, QueryCall};
use aws_smithy_xml::decode::{try_data, Document, ScopedDecoder, XmlDecodeError};

const DESCRIBE_REGIONS: QueryCall<'static> = QueryCall {
    service: "ec2",
    action: "DescribeRegions",
    operation: "ec2:DescribeRegions",
    version: "2016-11-15",
    params: &[("AllRegions", "false")],
};

/// The enabled regions of the account whose ARN partition is `partition`
/// (`aws`, `aws-cn`, `aws-us-gov`...), sorted; names that are not region names are
/// dropped. Asked in the first region to scan.
pub async fn enabled(
    session: &Session,
    retry: &crate::collect::http::RetryPolicy,
    partition: &str,
) -> Result<Vec<String>, ApiError> {
    let region = session
        .regions
        .first()
        .map(String::as_str)
        .unwrap_or("us-east-1");
    let xml = query::send(session, region, DESCRIBE_REGIONS, retry).await?;
    let listed = parse(&xml).map_err(|e| {
        without_answer(
            DESCRIBE_REGIONS.operation,
            ErrorKind::Other,
            &format!("unexpected answer: {e}"),
        )
    })?;
    let mut regions: Vec<String> = listed
        .into_iter()
        .filter(|r| r.opt_in_status.as_deref() != Some("not-opted-in"))
        .map(|r| r.name)
        .filter(|name| partition_of(name) == partition && check_region(name).is_ok())
        .collect();
    regions.sort();
    regions.dedup();
    Ok(regions)
}

/// One `item` of a `DescribeRegions` answer.
#[derive(Debug, PartialEq, Eq)]
struct ListedRegion {
    name: String,
    opt_in_status: Option<String>,
}

/// The `regionInfo` items of a `DescribeRegions` answer.
fn parse(xml: &str) -> Result<Vec<ListedRegion>, XmlDecodeError> {
    let mut document = Document::new(xml);
    let mut root = document.root_element()?;
    let mut regions = Vec::new();
    while let Some(mut section) = root.next_tag() {
        if !section.start_el().matches("regionInfo") {
            continue;
        }
        while let Some(mut item) = section.next_tag() {
            if item.start_el().matches("item") {
                regions.extend(parse_item(&mut item)?);
            }
        }
    }
    Ok(regions)
}

fn parse_item(item: &mut ScopedDecoder<'_, '_>) -> Result<Option<ListedRegion>, XmlDecodeError> {
    let (mut name, mut opt_in_status) = (None, None);
    while let Some(mut field) = item.next_tag() {
        if field.start_el().matches("regionName") {
            name = Some(try_data(&mut field)?.to_string());
        } else if field.start_el().matches("optInStatus") {
            opt_in_status = Some(try_data(&mut field)?.to_string());
        }
    }
    Ok(name.map(|name| ListedRegion {
        name,
        opt_in_status,
    }))
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
    fn a_describe_regions_answer_is_read() {
        // As documented (EC2 API reference, DescribeRegions, example 1), one region with
        // an opt-in status and one whose item also names its endpoint.
        let xml = r#"<DescribeRegionsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
           <requestId>59dbff89-35bd-4eac-99ed-be587EXAMPLE</requestId>
           <regionInfo>
              <item>
                 <regionName>eu-north-1</regionName>
                 <regionEndpoint>ec2.eu-north-1.amazonaws.com</regionEndpoint>
                 <optInStatus>opt-in-not-required</optInStatus>
              </item>
              <item>
                 <regionEndpoint>ec2.af-south-1.amazonaws.com</regionEndpoint>
                 <regionName>af-south-1</regionName>
                 <optInStatus>not-opted-in</optInStatus>
              </item>
           </regionInfo>
        </DescribeRegionsResponse>"#;
        let listed = parse(xml).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            listed,
            [
                ListedRegion {
                    name: "eu-north-1".into(),
                    opt_in_status: Some("opt-in-not-required".into())
                },
                ListedRegion {
                    name: "af-south-1".into(),
                    opt_in_status: Some("not-opted-in".into())
                },
            ]
        );
        // An answer cut off before any item gives no region (an error, or nothing).
        let cut = parse("<DescribeRegionsResponse><regionInfo>");
        assert!(cut.map_or(true, |r| r.is_empty()));
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
