//! Generates a large synthetic inventory for benchmarks.
//!
//! ```text
//! cargo run --release --example gen -- --identities 1000000 --credentials 2000000 \
//!     --format json --out /tmp/inventory.json [--seed 42]
//! ```
//!
//! The output is streamed: nothing but the entity being written is held in memory, so
//! millions of entities cost no more memory than ten. Every entity is a pure function of
//! the seed and its index (a SplitMix64 generator per entity), so a run is reproducible
//! and the credentials of an identity can be generated without remembering the identity.
//!
//! The estate mixes AWS, Azure, GCP and Kubernetes identities, ages, owners (from the
//! people in `examples/roster.csv`, a few departed or unknown to it), permissions and
//! trust so that each built-in rule fires on a realistic fraction (roughly 10-30%) of
//! what it applies to. Dates are relative to a fixed as-of time, 2026-11-01T00:00:00Z.
//!
//! Credentials are dealt to identities in index order, about `credentials / identities`
//! each (from none to twice that). The last one an identity gets is its current
//! credential; the earlier ones are mostly rotated-out (inactive) predecessors. Slots
//! that fall on identities that hold no credentials of their own (roles, managed
//! identities) become vault secrets owned by tags only.

// A benchmark tool: its figures are its output.
#![allow(clippy::print_stdout)]

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use nhiscan::inventory::{
    Attributes, Credential, CredentialKind, CredentialStatus, Identity, IdentityKind, Inventory,
    Location, Permissions, PrincipalType, Provider, Scope, ScopeKind, Tags, Trust,
};
use serde::Serialize;
use serde_json::Value;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo run --release --example gen -- [OPTIONS] --out PATH

Writes a synthetic nhiscan inventory for benchmarks.

options:
  --identities N     number of identities (default 1000)
  --credentials N    number of credentials (default: twice the identities)
  --format FORMAT    json (one inventory document) or jsonl (a header line, then one
                     identity or credential per line) (default json)
  --out PATH         file to write, `-` for standard output
  --seed N           generator seed (default 1); the same seed gives the same output
  -h, --help         show this help";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Jsonl,
}

#[derive(Debug)]
struct Args {
    identities: u64,
    credentials: u64,
    format: Format,
    out: String,
    seed: u64,
}

enum ArgsOutcome {
    Run(Args),
    Help,
}

fn parse_count(flag: &str, value: &str) -> Result<u64, String> {
    let cleaned: String = value.chars().filter(|c| *c != '_').collect();
    cleaned
        .parse::<u64>()
        .map_err(|_| format!("{flag} expects a non-negative integer, got `{value}`"))
}

fn parse_args(raw: impl IntoIterator<Item = String>) -> Result<ArgsOutcome, String> {
    let mut identities = None;
    let mut credentials = None;
    let mut format = Format::Json;
    let mut out = None;
    let mut seed = 1u64;

    let mut raw = raw.into_iter();
    while let Some(arg) = raw.next() {
        if arg == "-h" || arg == "--help" {
            return Ok(ArgsOutcome::Help);
        }
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_string(), Some(value.to_string()))
            }
            _ => (arg.clone(), None),
        };
        let known = [
            "--identities",
            "--credentials",
            "--format",
            "--out",
            "--seed",
        ];
        if !known.contains(&flag.as_str()) {
            return Err(format!("unknown argument `{arg}`"));
        }
        let value = match inline {
            Some(value) => value,
            None => raw.next().ok_or_else(|| format!("{flag} needs a value"))?,
        };
        match flag.as_str() {
            "--identities" => identities = Some(parse_count(&flag, &value)?),
            "--credentials" => credentials = Some(parse_count(&flag, &value)?),
            "--seed" => seed = parse_count(&flag, &value)?,
            "--format" => {
                format = match value.as_str() {
                    "json" => Format::Json,
                    "jsonl" => Format::Jsonl,
                    other => return Err(format!("--format must be json or jsonl, got `{other}`")),
                }
            }
            "--out" => {
                if value.is_empty() {
                    return Err("--out needs a path".to_string());
                }
                out = Some(value)
            }
            _ => return Err(format!("unknown argument `{arg}`")),
        }
    }
    let identities = identities.unwrap_or(1000);
    let credentials = match credentials {
        Some(n) => n,
        None => identities
            .checked_mul(2)
            .ok_or_else(|| "--identities is too large".to_string())?,
    };
    let out = out.ok_or_else(|| "--out PATH is required".to_string())?;
    Ok(ArgsOutcome::Run(Args {
        identities,
        credentials,
        format,
        out,
        seed,
    }))
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(ArgsOutcome::Run(args)) => args,
        Ok(ArgsOutcome::Help) => {
            // Ignore a closed pipe (`gen --help | head`).
            let _ = writeln!(io::stdout(), "{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("gen: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let Some(now) = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).single() else {
        eprintln!("gen: invalid as-of time");
        return ExitCode::FAILURE;
    };
    let result = if args.out == "-" {
        let stdout = io::stdout();
        generate(&args, now, BufWriter::with_capacity(1 << 20, stdout.lock()))
    } else {
        match File::create(&args.out) {
            Ok(file) => generate(&args, now, BufWriter::with_capacity(1 << 20, file)),
            Err(e) => Err(io::Error::new(
                e.kind(),
                format!("cannot create {}: {e}", args.out),
            )),
        }
    };
    match result {
        Ok(()) => {
            eprintln!(
                "gen: wrote {} identities and {} credentials ({}) to {}",
                args.identities,
                args.credentials,
                match args.format {
                    Format::Json => "json",
                    Format::Jsonl => "jsonl",
                },
                args.out
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gen: {e}");
            ExitCode::FAILURE
        }
    }
}

// ---------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------

/// Writes the entities of either format, one at a time.
struct Sink<W: Write> {
    out: W,
    format: Format,
    /// Entities written in the current JSON array (for the commas).
    in_array: u64,
}

impl<W: Write> Sink<W> {
    fn entity<T: Serialize>(&mut self, kind: &str, entity: &T) -> io::Result<()> {
        match self.format {
            Format::Json => {
                if self.in_array > 0 {
                    self.out.write_all(b",\n")?;
                } else {
                    self.out.write_all(b"\n")?;
                }
                serde_json::to_writer(&mut self.out, entity)?;
            }
            Format::Jsonl => {
                // `{"type":"<kind>",` then the entity's own fields, in declaration
                // order: the layout nhiscan reads fastest.
                let body = serde_json::to_vec(entity)?;
                let Some(fields) = body.strip_prefix(b"{") else {
                    return Err(io::Error::other(format!(
                        "{kind} did not serialize to an object"
                    )));
                };
                write!(self.out, r#"{{"type":"{kind}""#)?;
                if fields != b"}" {
                    self.out.write_all(b",")?;
                }
                self.out.write_all(fields)?;
                self.out.write_all(b"\n")?;
            }
        }
        self.in_array += 1;
        Ok(())
    }
}

fn generate<W: Write>(args: &Args, now: DateTime<Utc>, out: W) -> io::Result<()> {
    let gen = Generator::new(args.seed, now, args.identities, args.credentials);
    let mut sink = Sink {
        out,
        format: args.format,
        in_array: 0,
    };

    // Header.
    match args.format {
        Format::Json => {
            let mut header = Inventory::new();
            header.generated_at = Some(now);
            header.sources = vec!["examples/gen.rs".to_string()];
            let Value::Object(mut fields) = serde_json::to_value(&header)? else {
                return Err(io::Error::other("inventory did not serialize to an object"));
            };
            fields.remove("identities");
            fields.remove("credentials");
            sink.out.write_all(b"{")?;
            for (name, value) in &fields {
                serde_json::to_writer(&mut sink.out, name)?;
                sink.out.write_all(b":")?;
                serde_json::to_writer(&mut sink.out, value)?;
                sink.out.write_all(b",")?;
            }
            sink.out.write_all(b"\"identities\":[")?;
        }
        Format::Jsonl => {
            writeln!(
                sink.out,
                r#"{{"type":"header","schema_version":{}}}"#,
                Inventory::new().schema_version
            )?;
        }
    }

    for index in 0..args.identities {
        let (identity, _) = gen.identity(index);
        sink.entity("identity", &identity)?;
    }

    if args.format == Format::Json {
        sink.out.write_all(b"\n],\"credentials\":[")?;
        sink.in_array = 0;
    }

    let mut written = 0u64;
    if args.identities == 0 {
        for slot in 0..args.credentials {
            let credential = gen.orphan_secret(slot, None);
            sink.entity("credential", &credential)?;
            written += 1;
        }
    } else {
        for index in 0..args.identities {
            let range = gen.slots(index);
            if range.is_empty() {
                continue;
            }
            let (identity, meta) = gen.identity(index);
            let count = range.end - range.start;
            for (ordinal, slot) in range.enumerate() {
                let credential = gen.credential(slot, ordinal as u64, count, &identity, &meta);
                sink.entity("credential", &credential)?;
                written += 1;
            }
        }
    }
    debug_assert_eq!(written, args.credentials);

    if args.format == Format::Json {
        sink.out.write_all(b"\n]}\n")?;
    }
    sink.out.flush()
}

// ---------------------------------------------------------------------------------------
// Randomness
// ---------------------------------------------------------------------------------------

/// The SplitMix64 finalizer: a bijection on u64 with good mixing.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// SplitMix64.
struct Rng(u64);

impl Rng {
    /// A generator for one entity: `stream` separates identities, credentials, etc.
    fn for_entity(seed: u64, stream: u64, index: u64) -> Rng {
        Rng(mix(
            mix(seed ^ stream.wrapping_mul(0x9e37_79b9_7f4a_7c15)) ^ index
        ))
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.0)
    }

    /// Uniform in `0..n` (`n > 0`; bias is negligible for the small `n` used here).
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            lo
        } else {
            lo + self.below((hi - lo + 1) as u64) as i64
        }
    }

    /// True with probability `percent`/100.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

const STREAM_IDENTITY: u64 = 1;
const STREAM_SLOTS: u64 = 2;
const STREAM_CREDENTIAL: u64 = 3;
const STREAM_IDS: u64 = 4;

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

fn base32(mut value: u64, len: usize) -> String {
    let mut s = vec![b'A'; len];
    for c in s.iter_mut().rev() {
        *c = BASE32[(value & 31) as usize];
        value >>= 5;
    }
    s.into_iter().map(char::from).collect()
}

/// A version-4-shaped GUID holding all 64 bits of `a` (so distinct `a` give distinct
/// GUIDs) and 56 bits of `b`.
fn guid(a: u64, b: u64) -> String {
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        0x8000 | (((a >> 12) & 0xf) << 8) | ((b >> 56) & 0xff),
        b & 0xffff_ffff_ffff
    )
}

// ---------------------------------------------------------------------------------------
// The estate
// ---------------------------------------------------------------------------------------

/// People in `examples/roster.csv`: (email, departed).
const PEOPLE: &[(&str, bool)] = &[
    ("priya.shah@acme.example", false),
    ("marcus.chen@acme.example", false),
    ("elena.rossi@acme.example", false),
    ("tom.okafor@acme.example", false),
    ("aisha.rahman@acme.example", false),
    ("lukas.weber@acme.example", false),
    ("sofia.alvarez@acme.example", false),
    ("daniel.kim@acme.example", false),
    ("hannah.berg@acme.example", false),
    ("ravi.patel@acme.example", false),
    ("grace.oneill@acme.example", false),
    ("jonas.lindqvist@acme.example", false),
    ("maya.cohen@acme.example", false),
    ("omar.haddad@acme.example", false),
    ("chloe.martin@acme.example", false),
    ("ben.carter@acme.example", false),
    ("yuki.tanaka@acme.example", false),
    ("nina.petrova@acme.example", false),
    ("samuel.adeyemi@acme.example", false),
    ("laura.fischer@acme.example", false),
    ("diego.santos@acme.example", false),
    ("kevin.brooks@acme.example", true),
    ("rachel.moore@acme.example", true),
    ("victor.nguyen@acme.example", true),
    ("irene.kowalski@acme.example", true),
];
/// `PEOPLE[..ACTIVE_PEOPLE]` are active, the rest departed.
const ACTIVE_PEOPLE: usize = 21;
/// Owners the roster does not know.
const STRANGERS: &[&str] = &["alex.turner@acme.example", "build-team@acme.example"];

const TEAMS: &[&str] = &[
    "platform",
    "payments",
    "data",
    "sre",
    "security",
    "web",
    "search",
    "messaging",
    "finance-eng",
    "observability",
    "ml-platform",
    "customer-support",
];
const APPS: &[&str] = &[
    "orders", "billing", "checkout", "search", "reports", "ingest", "backup", "etl", "notify",
    "auth", "catalog", "pricing", "invoices", "exports", "metrics", "webhooks",
];
const AWS_REGIONS: &[&str] = &["eu-west-1", "us-east-1", "eu-central-1", "ap-southeast-2"];
const AZURE_REGIONS: &[&str] = &["westeurope", "northeurope", "eastus2"];
const AWS_SERVICES: &[&str] = &[
    "ec2.amazonaws.com",
    "lambda.amazonaws.com",
    "ecs-tasks.amazonaws.com",
    "glue.amazonaws.com",
    "states.amazonaws.com",
    "bedrock.amazonaws.com",
];

/// AWS accounts: at least 40, and enough that none holds more than
/// [`AWS_IDENTITIES_PER_ACCOUNT`] (IAM allows at most 5,000 users and 5,000 roles per
/// account; with 40 accounts at every size, a 1,000,000-identity estate put 11,500 in
/// each, and trusts of whole accounts made 8.7 million delegation edges).
const AWS_ACCOUNTS: u64 = 40;
const AWS_IDENTITIES_PER_ACCOUNT: u64 = 2_500;
/// The share of identities that are AWS ones (the provider draw's 0..=45 of 100).
const AWS_PERCENT: u64 = 46;
const AZURE_SUBSCRIPTIONS: u64 = 12;
const GCP_PROJECTS: u64 = 20;
const CLUSTERS: u64 = 8;

/// What the credential pass needs to know about an identity beyond the identity itself.
struct Meta {
    /// Days between the identity's creation and the as-of time.
    age_days: i64,
    /// The credential kind it holds, or `None` when its slots become vault secrets.
    credential_kind: Option<CredentialKind>,
}

struct Generator {
    seed: u64,
    now: DateTime<Utc>,
    identities: u64,
    credentials: u64,
    tenant: String,
    id_mask: u64,
    /// How many AWS accounts the AWS identities are spread over.
    aws_accounts: u64,
}

impl Generator {
    fn new(seed: u64, now: DateTime<Utc>, identities: u64, credentials: u64) -> Self {
        let mut rng = Rng::for_entity(seed, STREAM_IDS, 0);
        let tenant = guid(rng.next_u64(), rng.next_u64());
        Generator {
            seed,
            now,
            identities,
            credentials,
            tenant,
            id_mask: rng.next_u64(),
            aws_accounts: AWS_ACCOUNTS
                .max((identities * AWS_PERCENT / 100).div_ceil(AWS_IDENTITIES_PER_ACCOUNT)),
        }
    }

    /// `days` whole days (and a random part of a day) before now; negative: after.
    fn ago(&self, rng: &mut Rng, days: i64) -> DateTime<Utc> {
        let seconds = rng.range(0, 86_399);
        if days >= 0 {
            self.now - TimeDelta::seconds(days * 86_400 + seconds)
        } else {
            self.now + TimeDelta::seconds(-days * 86_400 + seconds)
        }
    }

    /// A unique, random-looking number for slot or index `n` (bijective in `n`).
    fn unique(&self, n: u64) -> u64 {
        mix(n ^ self.id_mask)
    }

    /// The first credential slot of identity `index`: about `index * ratio`, jittered by up
    /// to one `ratio`, so an identity gets from none to twice the average.
    fn slot_start(&self, index: u64) -> u64 {
        if index == 0 {
            return 0;
        }
        if index >= self.identities {
            return self.credentials;
        }
        // (index - 1 + jitter) * credentials / identities, jitter in [0, 1), exactly.
        const ONE: u128 = 1 << 20;
        let jitter = u128::from(Rng::for_entity(self.seed, STREAM_SLOTS, index).below(1 << 20));
        let start = ((u128::from(index - 1) * ONE + jitter) * u128::from(self.credentials))
            / (u128::from(self.identities) * ONE);
        u64::try_from(start).map_or(self.credentials, |s| s.min(self.credentials))
    }

    fn slots(&self, index: u64) -> std::ops::Range<u64> {
        let start = self.slot_start(index);
        let end = self.slot_start(index + 1).max(start);
        start..end
    }

    fn owner_tags(&self, rng: &mut Rng, tags: &mut Tags) {
        let team = rng.pick(TEAMS).to_string();
        let roll = rng.below(100);
        if roll < 10 {
            // No owner at all.
            return;
        }
        let owner = if roll < 13 {
            rng.pick(STRANGERS).to_string()
        } else if roll < 22 {
            rng.pick(&PEOPLE[ACTIVE_PEOPLE..]).0.to_string()
        } else {
            rng.pick(&PEOPLE[..ACTIVE_PEOPLE]).0.to_string()
        };
        let key = match rng.below(10) {
            0 => "created-by",
            1 => "owner-email",
            2 => "Owner",
            _ => "owner",
        };
        tags.insert(key.to_string(), owner);
        tags.insert("team".to_string(), team);
    }

    /// Identity `index`, a pure function of the seed and the index.
    fn identity(&self, index: u64) -> (Identity, Meta) {
        let mut rng = Rng::for_entity(self.seed, STREAM_IDENTITY, index);
        let app = rng.pick(APPS);
        let env = if rng.chance(70) { "prod" } else { "dev" };
        let age_days = match rng.below(100) {
            0..=19 => rng.range(20, 180),
            20..=79 => rng.range(180, 900),
            _ => rng.range(900, 2200),
        };
        let roll = rng.below(100);
        let (provider, kind) = match roll {
            0..=29 => (Provider::Aws, IdentityKind::ServiceUser),
            30..=45 => (Provider::Aws, IdentityKind::Role),
            46..=56 => (Provider::Azure, IdentityKind::AppRegistration),
            57..=60 => (Provider::Azure, IdentityKind::ServicePrincipal),
            61..=66 => (Provider::Azure, IdentityKind::ManagedIdentity),
            67..=83 => (Provider::Gcp, IdentityKind::ServiceAccount),
            _ => (Provider::Kubernetes, IdentityKind::ServiceAccount),
        };
        let name = format!("{app}-{env}-{index}");
        let mut tags = Tags::new();
        let mut owners = Vec::new();
        let mut attributes = Attributes::new();
        let mut trust = Vec::new();
        let mut activity_tracked = true;
        let mut interactive_login = false;

        let (scope, id, credential_kind) = match (provider, kind) {
            (Provider::Aws, _) => {
                let account = format!(
                    "{:012}",
                    100_000_000_000 + rng.below(self.aws_accounts) * 1_010_101
                );
                let scope = Scope {
                    kind: ScopeKind::Account,
                    id: account.clone().into(),
                    name: Some(format!("acme-{env}-{}", &account[8..]).into()),
                };
                if kind == IdentityKind::ServiceUser {
                    interactive_login = rng.chance(3);
                    let id = format!("arn:aws:iam::{account}:user/{name}");
                    (scope, id, Some(CredentialKind::AccessKey))
                } else {
                    trust.push(self.aws_trust(&mut rng, &account, app));
                    let id = format!("arn:aws:iam::{account}:role/{name}");
                    (scope, id, None)
                }
            }
            (Provider::Azure, IdentityKind::ManagedIdentity) => {
                let sub = rng.below(AZURE_SUBSCRIPTIONS);
                let scope = Scope {
                    kind: ScopeKind::Subscription,
                    id: guid(mix(sub ^ 0x5ab5), mix(sub ^ 0x5ab6)).into(),
                    name: Some(format!("acme-sub-{sub:02}").into()),
                };
                let id = guid(self.unique(index), rng.next_u64());
                attributes.insert(
                    "identityType".to_string(),
                    Value::from(if rng.chance(50) {
                        "SystemAssigned"
                    } else {
                        "UserAssigned"
                    }),
                );
                (scope, id, None)
            }
            (Provider::Azure, _) => {
                let scope = Scope {
                    kind: ScopeKind::Tenant,
                    id: self.tenant.clone().into(),
                    name: Some("acme.onmicrosoft.com".to_string().into()),
                };
                let id = guid(self.unique(index), rng.next_u64());
                attributes.insert(
                    "appId".to_string(),
                    Value::from(guid(rng.next_u64(), rng.next_u64())),
                );
                let credential_kind = if kind == IdentityKind::ServicePrincipal {
                    if rng.chance(30) {
                        // A third-party multi-tenant application.
                        attributes.insert(
                            "appOwnerOrganizationId".to_string(),
                            Value::from(guid(rng.next_u64(), rng.next_u64())),
                        );
                    }
                    Some(CredentialKind::Certificate)
                } else if rng.chance(85) {
                    Some(CredentialKind::ClientSecret)
                } else {
                    Some(CredentialKind::Certificate)
                };
                (scope, id, credential_kind)
            }
            (Provider::Gcp, _) => {
                let project = format!("acme-{app}-{:02}", rng.below(GCP_PROJECTS));
                let id = format!("{name}@{project}.iam.gserviceaccount.com");
                let scope = Scope {
                    kind: ScopeKind::Project,
                    id: project.into(),
                    name: None,
                };
                (scope, id, Some(CredentialKind::ServiceAccountKey))
            }
            _ => {
                activity_tracked = false;
                let cluster = format!("{env}-eks-{}", rng.below(CLUSTERS));
                let namespace = *app;
                let id = format!("system:serviceaccount:{namespace}:{name}");
                let scope = Scope {
                    kind: ScopeKind::Cluster,
                    id: cluster.into(),
                    name: None,
                };
                (scope, id, Some(CredentialKind::Token))
            }
        };

        // Owners: Entra applications declare theirs, everything else uses tags.
        if kind == IdentityKind::AppRegistration {
            if rng.chance(85) {
                let (email, _) = rng.pick(PEOPLE);
                owners.push(email.to_string());
            }
        } else if !attributes.contains_key("appOwnerOrganizationId") {
            self.owner_tags(&mut rng, &mut tags);
        }
        tags.insert("environment".to_string(), env.to_string());

        let mut permissions = Permissions::default();
        let admin_roll = rng.below(100);
        if admin_roll < 3 {
            permissions.admin = true;
            permissions.policies.push(
                match provider {
                    Provider::Aws => "AdministratorAccess",
                    Provider::Azure => "Owner",
                    Provider::Gcp => "roles/owner",
                    _ => "cluster-admin",
                }
                .to_string(),
            );
        } else {
            permissions.policies.push(format!("{app}-{env}-access"));
        }
        if rng.chance(12) {
            let wildcard = match provider {
                Provider::Aws => *rng.pick(&["s3:*", "dynamodb:*", "iam:*", "ec2:*", "*"]),
                Provider::Azure => "*",
                Provider::Gcp => "*",
                _ => *rng.pick(&["*", "secrets/*"]),
            };
            permissions.wildcard_actions.push(wildcard.to_string());
        }
        if rng.chance(10) {
            let privileged = match provider {
                Provider::Aws => {
                    *rng.pick(&["iam:PassRole", "iam:CreateAccessKey", "sts:AssumeRole"])
                }
                Provider::Azure => "Microsoft.Authorization/roleAssignments/write",
                Provider::Gcp => "iam.serviceAccountKeys.create",
                _ => "pods/exec/create",
            };
            permissions.privileged_actions.push(privileged.to_string());
        }
        if rng.chance(2) {
            tags.insert("workload-type".to_string(), "ai-agent".to_string());
            if provider == Provider::Aws {
                permissions
                    .privileged_actions
                    .push("bedrock:InvokeModel".to_string());
            }
            attributes.insert(
                "ai_models".to_string(),
                serde_json::json!(["anthropic.claude-3-5-sonnet"]),
            );
        }

        let last_activity = if !activity_tracked {
            None
        } else {
            match rng.below(100) {
                0..=79 => Some(rng.range(0, 14.min(age_days))),
                80..=93 => Some(rng.range(46.min(age_days), age_days)),
                _ => None,
            }
        };

        let created = self.ago(&mut rng, age_days);
        let last_activity = last_activity.map(|d| {
            let t = self.ago(&mut rng, d);
            t.max(created)
        });

        let identity = Identity {
            provider,
            scope,
            id,
            name,
            kind,
            description: rng.chance(40).then(|| format!("{app} service ({env})")),
            created: Some(created),
            last_activity,
            activity_tracked,
            enabled: !rng.chance(2),
            tags,
            owners,
            interactive_login,
            permissions,
            trust,
            attributes,
            usage: None,
        };
        (
            identity,
            Meta {
                age_days,
                credential_kind,
            },
        )
    }

    fn aws_trust(&self, rng: &mut Rng, account: &str, app: &str) -> Trust {
        match rng.below(100) {
            0..=59 => Trust {
                principal: rng.pick(AWS_SERVICES).to_string(),
                principal_type: PrincipalType::Service,
                conditions: Vec::new(),
            },
            60..=84 => {
                let host = "token.actions.githubusercontent.com";
                let mut conditions = vec![format!("{host}:aud StringEquals sts.amazonaws.com")];
                // One in eight GitHub trusts forgets to pin the repository.
                if !rng.chance(12) {
                    conditions.push(format!(
                        "{host}:sub StringLike repo:acme/{app}:ref:refs/heads/main"
                    ));
                }
                Trust {
                    principal: format!("arn:aws:iam::{account}:oidc-provider/{host}"),
                    principal_type: PrincipalType::Federated,
                    conditions,
                }
            }
            85..=98 => {
                let other = format!(
                    "{:012}",
                    100_000_000_000 + rng.below(self.aws_accounts + 5) * 1_010_101
                );
                let conditions = if rng.chance(50) {
                    vec![format!(
                        "sts:ExternalId StringEquals acme-{}",
                        rng.below(1_000_000)
                    )]
                } else {
                    Vec::new()
                };
                Trust {
                    principal: other,
                    principal_type: PrincipalType::Account,
                    conditions,
                }
            }
            _ => Trust {
                principal: "*".to_string(),
                principal_type: PrincipalType::Any,
                conditions: Vec::new(),
            },
        }
    }

    /// Credential `slot`, the `ordinal`-th of the `count` dealt to `identity`.
    fn credential(
        &self,
        slot: u64,
        ordinal: u64,
        count: u64,
        identity: &Identity,
        meta: &Meta,
    ) -> Credential {
        let Some(kind) = meta.credential_kind else {
            return self.orphan_secret(slot, Some(identity));
        };
        let mut rng = Rng::for_entity(self.seed, STREAM_CREDENTIAL, slot);
        let unique = self.unique(slot);
        let current = ordinal + 1 == count;
        // The current credential is always active; a predecessor is forgotten (still
        // active) one time in six.
        let active = current || rng.chance(16);

        // How long it is valid for, when it expires at all.
        let lifetime: Option<i64> = match kind {
            CredentialKind::ClientSecret | CredentialKind::Certificate => match rng.below(100) {
                0..=14 => None,
                15..=69 => Some(365),
                _ => Some(180),
            },
            // Org policy `iam.serviceAccountKeyExpiryHours` on most projects.
            CredentialKind::ServiceAccountKey if rng.chance(65) => Some(90),
            // Most tokens are time-bound; legacy service-account token secrets are not.
            CredentialKind::Token if rng.chance(65) => Some(90),
            _ => None,
        };

        // Age of the current credential: mostly recent, some never rotated.
        let mut current_age = match rng.below(100) {
            0..=75 => rng.range(1, 90),
            76..=91 => rng.range(91, 730),
            _ => rng.range(731, 1500),
        };
        if let Some(lifetime) = lifetime {
            // Most expiring credentials get replaced before they lapse.
            if current && current_age >= lifetime && rng.chance(70) {
                current_age = rng.range(1, lifetime - 1);
            }
        }
        let age = if current {
            current_age
        } else {
            current_age + rng.range(30, 400) * (count - ordinal) as i64
        }
        .min(meta.age_days);

        let (id, name, usage_tracked) = match kind {
            CredentialKind::AccessKey => (
                format!("AKIA{}{}", base32(unique, 13), base32(rng.next_u64(), 3)),
                None,
                true,
            ),
            CredentialKind::ClientSecret | CredentialKind::Certificate => (
                guid(unique, rng.next_u64()),
                Some(format!("{}-{}", identity.name, 2026 - age / 365)),
                false,
            ),
            CredentialKind::ServiceAccountKey => (
                format!(
                    "projects/{}/serviceAccounts/{}/keys/{:016x}{:024x}",
                    identity.scope.id,
                    identity.id,
                    unique,
                    (u128::from(rng.next_u64()) << 32) | u128::from(rng.next_u64() & 0xffff_ffff)
                ),
                None,
                true,
            ),
            _ => {
                let namespace = identity.name.split('-').next().unwrap_or("default");
                let suffix = base32(unique, 13).to_lowercase();
                (
                    format!("{namespace}/{}-token-{suffix}", identity.name),
                    Some(format!("{}-token-{suffix}", identity.name)),
                    false,
                )
            }
        };

        let created_days = age;
        let created = self.ago(&mut rng, created_days);
        let created = identity.created.map_or(created, |born| created.max(born));
        let expires = lifetime.map(|days| created + TimeDelta::days(days));
        let last_used = if !usage_tracked {
            None
        } else if active {
            match rng.below(100) {
                0..=83 => Some(rng.range(0, 7.min(created_days))),
                84..=93 => Some(rng.range(46.min(created_days), created_days)),
                _ => None,
            }
        } else {
            // A predecessor was last used about when its successor took over.
            Some(rng.range(current_age.min(created_days), created_days))
        };
        let last_used = last_used.map(|d| self.ago(&mut rng, d).max(created));

        Credential {
            provider: identity.provider,
            scope: identity.scope.clone(),
            id,
            name,
            kind,
            identity_id: Some(identity.id.clone()),
            created: Some(created),
            expires,
            last_used,
            usage_tracked,
            last_rotated: None,
            rotation_enabled: None,
            rotation_interval_days: None,
            status: if active {
                CredentialStatus::Active
            } else {
                CredentialStatus::Inactive
            },
            location: Location::default(),
            tags: Tags::new(),
            attributes: Attributes::new(),
        }
    }

    /// A vault secret that belongs to no identity, in the scope of `near` when given.
    fn orphan_secret(&self, slot: u64, near: Option<&Identity>) -> Credential {
        let mut rng = Rng::for_entity(self.seed, STREAM_CREDENTIAL, slot);
        let unique = self.unique(slot);
        let app = rng.pick(APPS);
        let azure = match near {
            Some(identity) => identity.provider == Provider::Azure,
            None => rng.chance(40),
        };
        let scope = match near {
            Some(identity) => identity.scope.clone(),
            None if azure => Scope {
                kind: ScopeKind::Subscription,
                id: guid(mix(0x5ab5), mix(0x5ab6)).into(),
                name: Some("acme-sub-00".to_string().into()),
            },
            None => Scope {
                kind: ScopeKind::Account,
                id: format!("{:012}", 100_000_000_000u64).into(),
                name: Some("acme-prod-00000000".to_string().into()),
            },
        };
        let age = match rng.below(100) {
            0..=49 => rng.range(1, 90),
            50..=79 => rng.range(91, 365),
            _ => rng.range(366, 1800),
        };
        let created = self.ago(&mut rng, age);
        let mut tags = Tags::new();
        self.owner_tags(&mut rng, &mut tags);

        if azure {
            let vault = format!("kv-acme-{app}");
            let name = format!("{app}-secret-{slot}");
            // An expiry date on most secrets, set when the current version was written;
            // a few have lapsed.
            let expires = rng.chance(70).then(|| {
                let days = rng.range(-20, 365);
                self.ago(&mut rng, -days).max(created)
            });
            let last_rotated = (age > 90 && rng.chance(65)).then(|| {
                let days = rng.range(0, (age - 1).min(120));
                self.ago(&mut rng, days)
            });
            Credential {
                provider: Provider::Azure,
                id: format!("https://{vault}.vault.azure.net/secrets/{name}"),
                scope,
                name: Some(name),
                kind: CredentialKind::VaultSecret,
                identity_id: None,
                created: Some(created),
                expires,
                last_used: None,
                usage_tracked: false,
                last_rotated,
                rotation_enabled: None,
                rotation_interval_days: None,
                status: CredentialStatus::Active,
                location: Location {
                    region: Some(rng.pick(AZURE_REGIONS).to_string().into()),
                    vault: Some(vault.into()),
                },
                tags,
                attributes: Attributes::new(),
            }
        } else {
            let region = rng.pick(AWS_REGIONS).to_string();
            let name = format!("prod/{app}/secret-{slot}");
            let rotation = rng.chance(70);
            let interval = if rotation {
                Some(*rng.pick(&[30u32, 60, 90]))
            } else {
                None
            };
            let last_rotated = match interval {
                Some(interval) if age > 1 => {
                    // Most rotations keep up; one in ten is overdue.
                    let days = if rng.chance(90) {
                        rng.range(0, i64::from(interval).min(age - 1))
                    } else {
                        rng.range(
                            i64::from(interval) + 1,
                            (i64::from(interval) * 4).max(age - 1),
                        )
                        .min(age - 1)
                    };
                    Some(self.ago(&mut rng, days))
                }
                _ => None,
            };
            let last_used = if rng.chance(90) {
                let days = rng_days(&mut rng, age);
                Some(self.ago(&mut rng, days))
            } else {
                None
            };
            Credential {
                provider: Provider::Aws,
                id: format!(
                    "arn:aws:secretsmanager:{region}:{}:secret:{name}-{}",
                    scope.id,
                    &base32(unique, 13)[7..]
                ),
                scope,
                name: Some(name),
                kind: CredentialKind::VaultSecret,
                identity_id: None,
                created: Some(created),
                expires: None,
                last_used: last_used.map(|t| t.max(created)),
                usage_tracked: true,
                last_rotated: last_rotated.map(|t| t.max(created)),
                rotation_enabled: Some(rotation),
                rotation_interval_days: interval,
                status: CredentialStatus::Active,
                location: Location {
                    region: Some(region.into()),
                    vault: Some("secretsmanager".to_string().into()),
                },
                tags,
                attributes: Attributes::new(),
            }
        }
    }
}

/// Days since a secret was last read: usually recently, sometimes long ago.
fn rng_days(rng: &mut Rng, age: i64) -> i64 {
    if rng.chance(85) {
        rng.range(0, 3.min(age))
    } else {
        rng.range(46.min(age), age)
    }
}
