//! The delegation-graph benchmark: generates an estate whose trust makes a large graph,
//! and measures building the graph and computing every identity's facts.
//!
//! ```text
//! cargo run --release --example graph -- generate --identities 100000 --edges 1000000 --out g.jsonl
//! cargo run --release --example graph -- measure g.jsonl
//! ```
//!
//! The estate: AWS accounts of 1,000 identities each: 250 IAM users (every tenth may
//! `sts:AssumeRole` on `*`), then roles in tiers — 300 deploy, 250 ops, 195 platform and
//! 5 admin (0.5% of all identities). Each role's trust names identities (one edge each,
//! exactly `--edges` in all, no duplicates): 60% from the tier below in its account
//! (chains: user → deploy → ops → platform → admin), 15% from its own tier and 5% from
//! the tier above (cycles), 10% from the tier below in another account (by one of the
//! users or roles that may assume `*`: cross-account hops), 10% from anyone in its
//! account. With `--shape layered` the trust only ever points one tier up (80% in the
//! account, 20% from another): no cycles, so reach is a large DAG, the hard case for
//! counting. Deterministic per `--seed`. `scripts/bench-graph.sh` runs both modes under
//! `/usr/bin/time -v`, with the parse-only baseline and a full `nhiscan scan`.

// A benchmark tool: its figures are its output.
#![allow(clippy::print_stdout)]

use nhiscan::enrich::graph::{edges, reach::Reach, Delegation};
use nhiscan::inventory::{
    Identity, IdentityKind, Inventory, PrincipalType, Provider, Scope, ScopeKind, Trust,
};
use serde_json::json;
use std::collections::HashSet;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

const USAGE: &str = "\
usage: graph generate [--identities N] [--edges N] [--shape cyclic|layered] [--seed N] --out PATH.jsonl
       graph measure INVENTORY";

const ACCOUNT_SIZE: u64 = 1000;
/// Position ranges of the tiers within an account.
const TIERS: [(u64, u64); 5] = [(0, 250), (250, 550), (550, 800), (800, 995), (995, 1000)];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("generate") => generate(&args[1..]),
        Some("measure") => match args.get(1) {
            Some(path) => measure(Path::new(path)),
            None => Err(USAGE.to_string()),
        },
        _ => Err(USAGE.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

/// SplitMix64.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

struct Estate {
    identities: u64,
    accounts: u64,
    /// Trust only from the tier below (a DAG).
    layered: bool,
}

impl Estate {
    fn account(&self, index: u64) -> String {
        format!("{:012}", 100_000_000_000 + index / ACCOUNT_SIZE)
    }

    fn tier(position: u64) -> usize {
        TIERS
            .iter()
            .position(|(lo, hi)| (*lo..*hi).contains(&position))
            .unwrap_or(0)
    }

    fn arn(&self, index: u64) -> String {
        let position = index % ACCOUNT_SIZE;
        let kind = if Self::tier(position) == 0 {
            "user"
        } else {
            "role"
        };
        let tier = ["ci", "deploy", "ops", "platform", "admin"][Self::tier(position)];
        format!("arn:aws:iam::{}:{kind}/{tier}-{index}", self.account(index))
    }

    /// A random identity of tier `tier` in account `account`, if it has any.
    fn pick(&self, rng: &mut Rng, account: u64, tier: usize, may_assume_any: bool) -> Option<u64> {
        let (lo, hi) = TIERS[tier];
        let base = account * ACCOUNT_SIZE;
        let hi = hi.min(self.identities.saturating_sub(base));
        if lo >= hi {
            return None;
        }
        let mut index = base + lo + rng.below(hi - lo);
        if may_assume_any {
            index -= index % 10; // every tenth identity may sts:AssumeRole on `*`
            if index < base + lo {
                return None;
            }
        }
        Some(index)
    }

    fn identity(&self, index: u64, in_edges: u64, seed: u64) -> Identity {
        let position = index % ACCOUNT_SIZE;
        let tier = Self::tier(position);
        let account = self.account(index);
        let arn = self.arn(index);
        let name = arn.rsplit('/').next().unwrap_or_default().to_string();
        let scope = Scope {
            kind: ScopeKind::Account,
            id: account.into(),
            name: None,
        };
        let kind = if tier == 0 {
            IdentityKind::ServiceUser
        } else {
            IdentityKind::Role
        };
        let mut identity = Identity::new(Provider::Aws, scope, arn, name, kind);
        identity.permissions.admin = tier == 4;
        if index.is_multiple_of(10) {
            identity
                .attributes
                .insert("assume_role_targets", json!(["*"]));
        }
        if tier == 0 {
            return identity;
        }
        let mut rng = Rng(seed ^ index.wrapping_mul(0x2545_f491_4f6c_dd1d));
        let own = index / ACCOUNT_SIZE;
        let mut sources = HashSet::new();
        let mut attempts = 0;
        while (sources.len() as u64) < in_edges && attempts < in_edges * 20 {
            attempts += 1;
            let roll = rng.below(100);
            let roll = match (self.layered, roll) {
                (true, 0..=79) => 0,
                (true, _) => 80,
                (false, roll) => roll,
            };
            let source = match roll {
                0..=59 => self.pick(&mut rng, own, tier - 1, false),
                60..=74 => self.pick(&mut rng, own, tier, false),
                75..=79 => self.pick(&mut rng, own, (tier + 1).min(4), false),
                80..=89 => {
                    let other = rng.below(self.accounts);
                    if other == own {
                        None
                    } else {
                        self.pick(&mut rng, other, tier - 1, true)
                    }
                }
                _ => {
                    let any = rng.below(5) as usize;
                    self.pick(&mut rng, own, any, false)
                }
            };
            if let Some(source) = source.filter(|s| *s != index) {
                sources.insert(source);
            }
        }
        let mut sources: Vec<u64> = sources.into_iter().collect();
        sources.sort_unstable();
        identity.trust = sources
            .into_iter()
            .map(|s| Trust {
                principal: self.arn(s),
                principal_type: PrincipalType::Identity,
                conditions: Vec::new(),
            })
            .collect();
        identity
    }
}

fn generate(args: &[String]) -> Result<(), String> {
    let (mut identities, mut edges, mut seed, mut out) = (100_000u64, 1_000_000u64, 1u64, None);
    let mut layered = false;
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = || {
            value
                .replace('_', "")
                .parse::<u64>()
                .map_err(|e| format!("{flag}: {e}"))
        };
        match flag.as_str() {
            "--identities" => identities = number()?,
            "--edges" => edges = number()?,
            "--seed" => seed = number()?,
            "--out" => out = Some(value.clone()),
            "--shape" => {
                layered = match value.as_str() {
                    "cyclic" => false,
                    "layered" => true,
                    other => return Err(format!("--shape: cyclic or layered, not `{other}`")),
                }
            }
            _ => return Err(format!("unknown argument `{flag}`\n{USAGE}")),
        }
    }
    let out = out.ok_or_else(|| USAGE.to_string())?;
    let estate = Estate {
        identities,
        accounts: identities.div_ceil(ACCOUNT_SIZE),
        layered,
    };
    let roles: Vec<u64> = (0..identities)
        .filter(|i| Estate::tier(i % ACCOUNT_SIZE) > 0)
        .collect();
    let per_role = edges / roles.len().max(1) as u64;
    let extra = edges % roles.len().max(1) as u64;
    let mut inventory = Inventory::new();
    let mut rank = 0u64;
    for index in 0..identities {
        let in_edges = if Estate::tier(index % ACCOUNT_SIZE) > 0 {
            rank += 1;
            per_role + u64::from(rank <= extra)
        } else {
            0
        };
        inventory
            .identities
            .push(estate.identity(index, in_edges, seed));
    }
    let written: usize = inventory.identities.iter().map(|i| i.trust.len()).sum();
    let file = std::fs::File::create(&out).map_err(|e| format!("{out}: {e}"))?;
    let mut writer = std::io::BufWriter::new(file);
    nhiscan::report::view::inventory::write_lines(&inventory, &mut writer)
        .map_err(|e| format!("{out}: {e}"))?;
    println!("wrote {identities} identities with {written} trust edges to {out}");
    Ok(())
}

fn measure(path: &Path) -> Result<(), String> {
    let started = Instant::now();
    let inventory = nhiscan::import::read_path(path).map_err(|e| e.to_string())?;
    let identities = &inventory.identities;
    println!(
        "read      {:>8.3} s  {} identities",
        started.elapsed().as_secs_f64(),
        identities.len()
    );

    let started = Instant::now();
    let graph = edges::build(identities);
    println!(
        "edges     {:>8.3} s  {} edges",
        started.elapsed().as_secs_f64(),
        graph.edge_count()
    );
    let started = Instant::now();
    let reach = Reach::compute(&graph);
    println!(
        "reach     {:>8.3} s  (counted by {})",
        started.elapsed().as_secs_f64(),
        if reach.counted_by_bit_sets {
            "bit sets"
        } else {
            "walks"
        }
    );
    let delegation = Delegation::from_parts(graph, reach);

    let started = Instant::now();
    let (mut reaching, mut paths, mut crossing, mut reachable, mut direct) = (0, 0, 0, 0u64, 0);
    for i in 0..identities.len() {
        let facts = delegation.node(identities, i);
        reaching += usize::from(facts.reaches_admin());
        reachable += u64::from(facts.reachable_count());
        paths += facts.admin_paths().len();
        crossing += facts.cross_boundary_paths().len();
        direct += facts.delegates_to().len();
    }
    println!(
        "facts     {:>8.3} s  (every fact of every identity, paths rendered)",
        started.elapsed().as_secs_f64()
    );
    let n = identities.len().max(1);
    println!(
        "{reaching} identities reach an admin ({:.1}%); on average each reaches {:.0} identities, \
         keeps {:.1} admin paths and {:.1} cross-boundary paths, and acts as {:.1} directly",
        100.0 * reaching as f64 / n as f64,
        reachable as f64 / n as f64,
        paths as f64 / n as f64,
        crossing as f64 / n as f64,
        direct as f64 / n as f64,
    );
    Ok(())
}
