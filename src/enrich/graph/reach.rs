//! What every identity reaches, computed once per run.
//!
//! * **How many** identities each one reaches: strongly connected components (Tarjan,
//!   iterative), then over the condensed graph a component with one successor adds its
//!   successor's total and one with several is walked breadth-first (in parallel): linear
//!   in the graph plus the reach of the branching components. Should the walks cost more
//!   than bit sets would (edges × nodes / 64 word operations: a large DAG where much is
//!   reached from many places), they stop and bit sets count instead.
//! * **Nearest labels with shortest paths**: the [`PATH_LIMIT`] nearest admins and the
//!   nearest other boundaries of each identity, by one breadth-first pass backwards from
//!   all of them at once, level by level. Each identity keeps the labels that are nearest
//!   by (hops, label), and the next hop towards each: a predecessor on a shortest path
//!   keeps the label too (whatever precedes it for the successor precedes it for the
//!   predecessor), so following next hops gives the shortest path. Cost: at most
//!   [`PATH_LIMIT`] × the edges.

use super::{Graph, NONE};
use rayon::prelude::*;
use std::sync::atomic::{AtomicU64, Ordering};

/// How many admins (and boundaries) each identity keeps a shortest path to.
pub const PATH_LIMIT: usize = 10;

/// A label a node reaches: an admin node or a boundary, at `dist` hops, `next` being the
/// first hop on a shortest path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Label {
    pub target: u32,
    pub next: u32,
    pub dist: u32,
}

/// The nearest labels of every node, nearest first.
#[derive(Debug, Default)]
pub struct Labels {
    /// Per node: where its labels start in `labels`, or [`NONE`] (it has no out-edges).
    start: Vec<u32>,
    count: Vec<u8>,
    labels: Vec<Label>,
}

impl Labels {
    /// The labels of `node`, nearest first (its own label, if any, is not among them).
    pub fn of(&self, node: usize) -> &[Label] {
        match self.start.get(node) {
            Some(&start) if start != NONE => {
                let start = start as usize;
                &self.labels[start..start + self.count[node] as usize]
            }
            _ => &[],
        }
    }

    pub fn has_any(&self, node: usize) -> bool {
        self.count.get(node).is_some_and(|c| *c > 0)
    }

    fn find(&self, node: usize, target: u32) -> Option<&Label> {
        self.of(node).iter().find(|l| l.target == target)
    }

    /// Labels every node by the `limit` nearest of the labels `own` gives nodes
    /// (counting a node's own label, which is implicit at distance 0).
    fn nearest(graph: &Graph, own: impl Fn(usize) -> Option<u32>, limit: usize) -> Labels {
        let n = graph.node_count();
        let mut start = vec![NONE; n];
        let mut slots = 0usize;
        for (node, start) in start.iter_mut().enumerate() {
            if !graph.successors(node).is_empty() {
                *start = slots as u32;
                slots += limit;
            }
        }
        let mut labels = Labels {
            start,
            count: vec![0; n],
            labels: vec![
                Label {
                    target: NONE,
                    next: NONE,
                    dist: 0
                };
                slots
            ],
        };
        let capacity = |node: usize| limit - usize::from(own(node).is_some());

        let mut frontier: Vec<(u32, u32)> = (0..n)
            .filter(|&y| graph.predecessors(y).next().is_some())
            .filter_map(|y| own(y).map(|label| (label, y as u32)))
            .collect();
        frontier.sort_unstable();
        let mut dist = 1;
        while !frontier.is_empty() {
            let mut next = Vec::new();
            // In label order, so each node takes the smallest labels of a level first.
            for &(label, y) in &frontier {
                for x in graph.predecessors(y as usize) {
                    if own(x) == Some(label) {
                        continue;
                    }
                    let count = labels.count[x] as usize;
                    if count >= capacity(x) || labels.of(x).iter().any(|l| l.target == label) {
                        continue;
                    }
                    let at = labels.start[x] as usize + count;
                    labels.labels[at] = Label {
                        target: label,
                        next: y,
                        dist,
                    };
                    labels.count[x] += 1;
                    next.push((label, x as u32));
                }
            }
            next.sort_unstable();
            frontier = next;
            dist += 1;
        }
        labels.compact()
    }

    /// The same labels without the unused slots: most nodes reach fewer than the limit.
    fn compact(self) -> Labels {
        let total: usize = self.count.iter().map(|&c| usize::from(c)).sum();
        let mut start = vec![NONE; self.start.len()];
        let mut labels = Vec::with_capacity(total);
        for (node, start) in start.iter_mut().enumerate() {
            let of = self.of(node);
            if !of.is_empty() {
                *start = labels.len() as u32;
                labels.extend_from_slice(of);
            }
        }
        Labels {
            start,
            count: self.count,
            labels,
        }
    }
}

/// Every identity's reach.
#[derive(Debug, Default)]
pub struct Reach {
    /// Per node: how many other nodes it reaches (empty when there are no edges).
    counts: Vec<u32>,
    /// The nearest admin nodes (label = node index).
    pub admins: Labels,
    /// The nearest boundaries (label = boundary index).
    pub boundaries: Labels,
    /// Whether the counts came from bit sets (walking would have cost more).
    pub counted_by_bit_sets: bool,
}

impl Reach {
    pub fn compute(graph: &Graph) -> Reach {
        if graph.edge_count() == 0 {
            return Reach::default();
        }
        // The two label sets one after the other: each needs room for every node's limit
        // until it is compacted.
        let ((admins, boundaries), counts) = rayon::join(
            || {
                let admins =
                    Labels::nearest(graph, |n| graph.is_admin(n).then_some(n as u32), PATH_LIMIT);
                let boundaries =
                    Labels::nearest(graph, |n| Some(graph.boundary_of(n)), PATH_LIMIT + 1);
                (admins, boundaries)
            },
            || reachable_counts(graph),
        );
        let (counts, counted_by_bit_sets) = counts;
        Reach {
            counts,
            admins,
            boundaries,
            counted_by_bit_sets,
        }
    }

    /// How many other identities `node` can act as, directly or not.
    pub fn reachable_count(&self, node: usize) -> u32 {
        self.counts.get(node).copied().unwrap_or(0)
    }

    /// The shortest path from `from` to the admin `admin`, if `from` keeps one.
    pub fn admin_path(&self, graph: &Graph, from: usize, admin: u32) -> Option<Vec<usize>> {
        follow(&self.admins, graph, from, admin, |node| {
            node as u32 == admin
        })
    }

    /// The shortest path from `from` into boundary `boundary`, if `from` keeps one.
    pub fn boundary_path(&self, graph: &Graph, from: usize, boundary: u32) -> Option<Vec<usize>> {
        follow(&self.boundaries, graph, from, boundary, |node| {
            graph.boundary_of(node) == boundary
        })
    }
}

/// Follows next hops from `from` towards `target` until `reached`.
fn follow(
    labels: &Labels,
    graph: &Graph,
    from: usize,
    target: u32,
    reached: impl Fn(usize) -> bool,
) -> Option<Vec<usize>> {
    let mut path = vec![from];
    let mut at = from;
    while path.len() == 1 || !reached(at) {
        at = labels.find(at, target)?.next as usize;
        path.push(at);
        if path.len() > graph.node_count() + 1 {
            return None;
        }
    }
    Some(path)
}

/// Per node, how many other nodes it reaches; and whether bit sets counted them.
fn reachable_counts(graph: &Graph) -> (Vec<u32>, bool) {
    reachable_counts_within(graph, None)
}

/// [`reachable_counts`], walking the condensed graph unless that costs more than
/// `budget` steps (default: what the bit-set method costs), then by bit sets.
fn reachable_counts_within(graph: &Graph, budget: Option<u64>) -> (Vec<u32>, bool) {
    let (component, components) = strongly_connected(graph);
    let mut size = vec![0u32; components];
    for &c in &component {
        size[c as usize] += 1;
    }
    // The condensed graph; Tarjan numbers components so that successors come first.
    let mut successors: Vec<Vec<u32>> = vec![Vec::new(); components];
    for node in 0..graph.node_count() {
        let from = component[node];
        for &to in graph.successors(node) {
            let to = component[to as usize];
            if to != from {
                successors[from as usize].push(to);
            }
        }
    }
    successors.par_iter_mut().for_each(|s| {
        s.sort_unstable();
        s.dedup();
    });
    let condensed = Condensed { size, successors };
    let budget = budget.unwrap_or_else(|| condensed.bit_set_cost());
    let (total, by_bit_sets) = match condensed.walk_totals(budget) {
        Some(total) => (total, false),
        None => (condensed.bit_set_totals(), true),
    };
    let counts = component.iter().map(|&c| total[c as usize] - 1).collect();
    (counts, by_bit_sets)
}

/// The graph of strongly connected components: a DAG whose successors come first.
struct Condensed {
    size: Vec<u32>,
    successors: Vec<Vec<u32>>,
}

/// Bit-set words held per worker at most (32 MiB).
const BIT_SET_WORDS: usize = 4 << 20;

impl Condensed {
    fn edges(&self) -> usize {
        self.successors.iter().map(Vec::len).sum()
    }

    /// The components that some component can act as: the bit-set columns.
    fn targets(&self) -> Vec<bool> {
        let mut target = vec![false; self.size.len()];
        for s in self.successors.iter().flatten() {
            target[*s as usize] = true;
        }
        target
    }

    /// Word operations of [`Condensed::bit_set_totals`]: edges × columns / 64.
    fn bit_set_cost(&self) -> u64 {
        let columns: u64 = self
            .targets()
            .iter()
            .zip(&self.size)
            .filter(|(t, _)| **t)
            .map(|(_, s)| u64::from(*s))
            .sum();
        (self.edges() as u64 * columns.div_ceil(64)).max(1 << 20)
    }

    /// Per component, how many nodes it reaches including its own, breadth-first from
    /// each branching component; `None` once the walks take more than `budget` steps.
    fn walk_totals(&self, budget: u64) -> Option<Vec<u32>> {
        let components = self.size.len();
        let branching: Vec<usize> = (0..components)
            .filter(|&c| self.successors[c].len() > 1)
            .collect();
        let spent = AtomicU64::new(0);
        let walked: Vec<(usize, u32)> = branching
            .par_iter()
            .map_init(
                || (vec![0u32; components], 0u32, Vec::new()),
                |(seen, stamp, queue), &c| {
                    if spent.load(Ordering::Relaxed) > budget {
                        return (c, 0);
                    }
                    *stamp += 1;
                    seen[c] = *stamp;
                    queue.clear();
                    queue.push(c as u32);
                    let (mut total, mut steps, mut head) = (0u32, 0u64, 0);
                    while let Some(&at) = queue.get(head) {
                        head += 1;
                        total += self.size[at as usize];
                        steps += 1 + self.successors[at as usize].len() as u64;
                        for &next in &self.successors[at as usize] {
                            if seen[next as usize] != *stamp {
                                seen[next as usize] = *stamp;
                                queue.push(next);
                            }
                        }
                        if steps > 4096 {
                            if spent.fetch_add(steps, Ordering::Relaxed) > budget {
                                return (c, 0);
                            }
                            steps = 0;
                        }
                    }
                    spent.fetch_add(steps, Ordering::Relaxed);
                    (c, total)
                },
            )
            .collect();
        if spent.load(Ordering::Relaxed) > budget {
            return None;
        }
        let mut total = vec![0u32; components];
        for (c, t) in walked {
            total[c] = t;
        }
        for c in 0..components {
            match self.successors[c].as_slice() {
                [] => total[c] = self.size[c],
                [only] => total[c] = self.size[c] + total[*only as usize],
                _ => {}
            }
        }
        Some(total)
    }

    /// Per component, how many nodes it reaches including its own, by bit sets: each
    /// target component's nodes are a run of columns, each component with successors a
    /// row (the union of its successors' runs and rows, successors first), computed a
    /// band of columns at a time, bands in parallel. Cost: edges × columns / 64.
    fn bit_set_totals(&self) -> Vec<u32> {
        let components = self.size.len();
        let target = self.targets();
        let mut first_column = vec![0u64; components];
        let mut columns = 0u64;
        for c in 0..components {
            if target[c] {
                first_column[c] = columns;
                columns += u64::from(self.size[c]);
            }
        }
        let mut row_of = vec![NONE; components];
        let mut rows = 0usize;
        for (c, row) in row_of.iter_mut().enumerate() {
            if !self.successors[c].is_empty() {
                *row = rows as u32;
                rows += 1;
            }
        }
        let words = (BIT_SET_WORDS / rows.max(1)).clamp(1, columns.div_ceil(64).max(1) as usize);
        let band = words as u64 * 64;
        let bands = columns.div_ceil(band).max(1);
        let reached: Vec<u32> = (0..bands)
            .into_par_iter()
            .fold(
                || (vec![0u64; rows * words], vec![0u32; rows]),
                |(mut bits, mut counts), b| {
                    let (lo, hi) = (b * band, (b + 1) * band);
                    for c in 0..components {
                        let row = row_of[c];
                        if row == NONE {
                            continue;
                        }
                        let at = row as usize * words;
                        bits[at..at + words].fill(0);
                        for &s in &self.successors[c] {
                            let s = s as usize;
                            // Successors come first, so their rows are done (and lower).
                            let from = row_of[s] as usize * words;
                            if row_of[s] != NONE && from < at {
                                let (done, mine) = bits.split_at_mut(at);
                                for (m, t) in mine[..words].iter_mut().zip(&done[from..]) {
                                    *m |= t;
                                }
                            }
                            let start = first_column[s].max(lo);
                            let end = (first_column[s] + u64::from(self.size[s])).min(hi);
                            if start < end {
                                set_bits(&mut bits[at..at + words], start - lo, end - lo);
                            }
                        }
                        counts[row as usize] += bits[at..at + words]
                            .iter()
                            .map(|w| w.count_ones())
                            .sum::<u32>();
                    }
                    (bits, counts)
                },
            )
            .map(|(_, counts)| counts)
            .reduce(
                || vec![0u32; rows],
                |mut a, b| {
                    for (x, y) in a.iter_mut().zip(b) {
                        *x += y;
                    }
                    a
                },
            );
        (0..components)
            .map(|c| match row_of[c] {
                NONE => self.size[c],
                row => self.size[c] + reached[row as usize],
            })
            .collect()
    }
}

/// Sets bits `start..end` of `words`.
fn set_bits(words: &mut [u64], start: u64, end: u64) {
    let mut bit = start;
    while bit < end {
        let word = (bit / 64) as usize;
        let offset = bit % 64;
        let span = (64 - offset).min(end - bit);
        let mask = if span == 64 {
            u64::MAX
        } else {
            ((1u64 << span) - 1) << offset
        };
        words[word] |= mask;
        bit += span;
    }
}

/// Tarjan's strongly connected components, without recursion: each node's component,
/// numbered so that a component's successors have smaller numbers; and how many.
fn strongly_connected(graph: &Graph) -> (Vec<u32>, usize) {
    let n = graph.node_count();
    let mut t = Tarjan {
        index: vec![NONE; n],
        low: vec![0; n],
        on_stack: vec![false; n],
        stack: Vec::new(),
        calls: Vec::new(),
        next_index: 0,
    };
    let mut component = vec![NONE; n];
    let mut components = 0u32;
    for root in 0..n {
        if t.index[root] != NONE {
            continue;
        }
        t.enter(root);
        while let Some(&(v, position)) = t.calls.last() {
            let v = v as usize;
            if let Some(&w) = graph.successors(v).get(position as usize) {
                if let Some(call) = t.calls.last_mut() {
                    call.1 += 1;
                }
                let w = w as usize;
                if t.index[w] == NONE {
                    t.enter(w);
                } else if t.on_stack[w] {
                    t.low[v] = t.low[v].min(t.index[w]);
                }
                continue;
            }
            t.calls.pop();
            if let Some(&(parent, _)) = t.calls.last() {
                let parent = parent as usize;
                t.low[parent] = t.low[parent].min(t.low[v]);
            }
            if t.low[v] == t.index[v] {
                while let Some(w) = t.stack.pop() {
                    t.on_stack[w as usize] = false;
                    component[w as usize] = components;
                    if w as usize == v {
                        break;
                    }
                }
                components += 1;
            }
        }
    }
    (component, components as usize)
}

/// The state of [`strongly_connected`]: an explicit call stack of (node, next edge).
struct Tarjan {
    index: Vec<u32>,
    low: Vec<u32>,
    on_stack: Vec<bool>,
    stack: Vec<u32>,
    calls: Vec<(u32, u32)>,
    next_index: u32,
}

impl Tarjan {
    fn enter(&mut self, v: usize) {
        self.index[v] = self.next_index;
        self.low[v] = self.next_index;
        self.next_index += 1;
        self.stack.push(v as u32);
        self.on_stack[v] = true;
        self.calls.push((v as u32, 0));
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::inventory::{Identity, IdentityKind, Provider, Scope, ScopeKind};
    use std::collections::VecDeque;

    /// A graph of `n` nodes (admins where `admin(i)`, account `i % accounts`) and edges.
    fn graph(
        n: usize,
        accounts: usize,
        admin: impl Fn(usize) -> bool,
        edges: &[(u32, u32)],
    ) -> Graph {
        let identities: Vec<Identity> = (0..n)
            .map(|i| {
                let scope = Scope {
                    kind: ScopeKind::Account,
                    id: format!("{}", i % accounts).into(),
                    name: None,
                };
                let mut identity = Identity::new(
                    Provider::Other,
                    scope,
                    format!("n{i}"),
                    format!("n{i}"),
                    IdentityKind::Role,
                );
                identity.permissions.admin = admin(i);
                identity
            })
            .collect();
        let edges = edges.iter().map(|&(a, b)| (a, b, 0)).collect();
        Graph::new(&identities, edges, vec!["r".into()])
    }

    fn distances(graph: &Graph, from: usize) -> Vec<Option<u32>> {
        let mut dist = vec![None; graph.node_count()];
        dist[from] = Some(0);
        let mut queue = VecDeque::from([from]);
        while let Some(at) = queue.pop_front() {
            for &next in graph.successors(at) {
                if dist[next as usize].is_none() {
                    dist[next as usize] = Some(dist[at].unwrap() + 1);
                    queue.push_back(next as usize);
                }
            }
        }
        dist
    }

    #[test]
    fn bits_are_set_across_words() {
        let mut words = [0u64; 3];
        set_bits(&mut words, 60, 130);
        assert_eq!(words[0], 0xf << 60);
        assert_eq!(words[1], u64::MAX);
        assert_eq!(words[2], 0b11);
    }

    #[test]
    fn a_chain_gives_counts_and_the_shortest_path() {
        // 0 → 1 → 2 → 3 (admin), and a shortcut 0 → 2.
        let g = graph(4, 1, |i| i == 3, &[(0, 1), (1, 2), (2, 3), (0, 2)]);
        let reach = Reach::compute(&g);
        assert_eq!(
            (0..4).map(|i| reach.reachable_count(i)).collect::<Vec<_>>(),
            vec![3, 2, 1, 0]
        );
        assert_eq!(reach.admin_path(&g, 0, 3), Some(vec![0, 2, 3]));
        assert_eq!(reach.admin_path(&g, 1, 3), Some(vec![1, 2, 3]));
        assert!(!reach.admins.has_any(3), "an admin's own label is implicit");
    }

    #[test]
    fn cycles_are_counted_once_and_terminate() {
        // 0 ⇄ 1 → 2 ⇄ 3 → 4 (admin) → 0: one component of five.
        let g = graph(
            6,
            1,
            |i| i == 4,
            &[
                (0, 1),
                (1, 0),
                (1, 2),
                (2, 3),
                (3, 2),
                (3, 4),
                (4, 0),
                (5, 5),
            ],
        );
        let reach = Reach::compute(&g);
        assert_eq!(reach.reachable_count(0), 4);
        assert_eq!(reach.reachable_count(4), 4);
        assert_eq!(reach.reachable_count(5), 0, "self-edges are dropped");
        assert_eq!(reach.admin_path(&g, 0, 4), Some(vec![0, 1, 2, 3, 4]));
        assert_eq!(reach.admin_path(&g, 5, 4), None);
    }

    #[test]
    fn boundaries_are_reached_by_their_nearest_node() {
        // Accounts: node i in account i % 2. 0 → 2 → 1 → 3.
        let g = graph(4, 2, |_| false, &[(0, 2), (2, 1), (1, 3)]);
        let reach = Reach::compute(&g);
        let b1 = g.boundary_of(1);
        assert_eq!(reach.boundary_path(&g, 0, b1), Some(vec![0, 2, 1]));
        let own = g.boundary_of(0);
        assert!(reach.boundaries.of(0).iter().all(|l| l.target != own));
    }

    #[test]
    fn nearest_labels_match_brute_force_on_random_graphs() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut random = move |bound: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % bound
        };
        for round in 0..40 {
            let n = 30 + random(60) as usize;
            let m = n * (1 + random(4) as usize);
            let edges: Vec<(u32, u32)> = (0..m)
                .map(|_| (random(n as u64) as u32, random(n as u64) as u32))
                .collect();
            let admin_every = 2 + random(5) as usize;
            let g = graph(n, 1 + (round % 13), |i| i % admin_every == 0, &edges);
            let reach = Reach::compute(&g);
            let (by_bit_sets, _) = reachable_counts_within(&g, Some(0));
            for (from, by_bit_set) in by_bit_sets.iter().enumerate() {
                let dist = distances(&g, from);
                let reachable = dist.iter().filter(|d| d.is_some()).count() - 1;
                assert_eq!(
                    reach.reachable_count(from) as usize,
                    reachable,
                    "round {round}"
                );
                assert_eq!(*by_bit_set as usize, reachable, "round {round}");
                // The expected nearest admins: by (hops, index), at most PATH_LIMIT with self.
                let mut expected: Vec<(u32, usize)> = (0..n)
                    .filter(|&a| g.is_admin(a) && a != from)
                    .filter_map(|a| dist[a].map(|d| (d, a)))
                    .collect();
                expected.sort_unstable();
                expected.truncate(PATH_LIMIT - usize::from(g.is_admin(from)));
                let got: Vec<(u32, usize)> = reach
                    .admins
                    .of(from)
                    .iter()
                    .map(|l| (l.dist, l.target as usize))
                    .collect();
                assert_eq!(got, expected, "round {round}, node {from}");
                for (d, admin) in expected {
                    let path = reach.admin_path(&g, from, admin as u32).unwrap();
                    assert_eq!(path.len() as u32, d + 1);
                    assert!(path.windows(2).all(|p| g.reason(p[0], p[1]).is_some()));
                }
            }
        }
    }
}
