//! One identity's whole reach (or who reaches it), with a shortest path to each: what
//! `nhiscan graph ID` shows. Also which identity a user means by `ID`.

use super::{short_label, Graph, NONE};
use crate::inventory::Identity;

/// Which way to walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// What the root can act as.
    Forward,
    /// Who can act as the root.
    Reverse,
}

/// A breadth-first walk from one identity: every node reached, nearest first, with the
/// neighbour it was reached from (a shortest-path tree).
#[derive(Debug)]
pub struct Walk {
    pub root: usize,
    pub direction: Direction,
    /// The nodes reached (the root excluded), in the order found: by hops, then by
    /// inventory order.
    pub reached: Vec<usize>,
    /// Per node: the tree parent (towards the root), or [`NONE`].
    parent: Vec<u32>,
    hops: Vec<u32>,
}

impl Walk {
    pub fn new(graph: &Graph, root: usize, direction: Direction) -> Walk {
        let n = graph.node_count();
        let mut parent = vec![NONE; n];
        let mut hops = vec![NONE; n];
        hops[root] = 0;
        let mut reached = Vec::new();
        let mut queue = vec![root];
        let mut head = 0;
        let mut neighbours = Vec::new();
        while let Some(&at) = queue.get(head) {
            head += 1;
            neighbours.clear();
            match direction {
                Direction::Forward => {
                    neighbours.extend(graph.successors(at).iter().map(|&n| n as usize))
                }
                Direction::Reverse => {
                    neighbours.extend(graph.predecessors(at));
                    neighbours.sort_unstable();
                }
            }
            for &next in &neighbours {
                if hops[next] == NONE {
                    hops[next] = hops[at] + 1;
                    parent[next] = at as u32;
                    reached.push(next);
                    queue.push(next);
                }
            }
        }
        Walk {
            root,
            direction,
            reached,
            parent,
            hops,
        }
    }

    pub fn hops(&self, node: usize) -> u32 {
        self.hops[node]
    }

    /// The tree parent of a reached node.
    pub fn parent(&self, node: usize) -> Option<usize> {
        let p = self.parent[node];
        (p != NONE).then_some(p as usize)
    }

    /// The shortest path between the root and `node`, in acting order: root → … → node
    /// walking forward, node → … → root walking in reverse.
    pub fn path(&self, node: usize) -> Vec<usize> {
        let mut path = vec![node];
        let mut at = node;
        while let Some(p) = self.parent(at) {
            path.push(p);
            at = p;
        }
        if self.direction == Direction::Forward {
            path.reverse();
        }
        path
    }

    /// Whether a node is the root or was reached.
    pub fn contains(&self, node: usize) -> bool {
        self.hops[node] != NONE
    }
}

/// The identity `text` means: its id, else the only identity with that name or short
/// label (`role/deploy`). Otherwise an error naming the candidates or close matches.
pub fn resolve(identities: &[Identity], text: &str) -> Result<usize, String> {
    if let Some(i) = identities.iter().position(|i| i.id == text) {
        return Ok(i);
    }
    for key in [
        (|i: &Identity| i.name.as_str()) as fn(&Identity) -> &str,
        short_label,
    ] {
        let named: Vec<usize> = (0..identities.len())
            .filter(|&i| key(&identities[i]) == text)
            .collect();
        match named.as_slice() {
            [one] => return Ok(*one),
            [] => {}
            many => {
                let ids: Vec<&str> = many.iter().map(|&i| identities[i].id.as_str()).collect();
                return Err(format!(
                    "`{text}` names {} identities; give one's id: {}",
                    many.len(),
                    ids.join(", ")
                ));
            }
        }
    }
    let close = close_matches(identities, text);
    if close.is_empty() {
        Err(format!("no identity has the id or name `{text}`"))
    } else {
        Err(format!(
            "no identity has the id or name `{text}`; close matches: {}",
            close.join(", ")
        ))
    }
}

/// Up to five names of identities like `text`: whose name, label or id contains it, or
/// whose name or label is a few edits away; closest first.
fn close_matches(identities: &[Identity], text: &str) -> Vec<String> {
    let wanted = text.to_lowercase();
    let limit = (wanted.chars().count() / 3).max(2);
    let mut scored: Vec<(usize, usize, &str)> = identities
        .iter()
        .filter_map(|i| {
            let keys = [i.name.as_str(), short_label(i)];
            let score = if keys
                .iter()
                .chain([&i.id.as_str()])
                .any(|k| k.to_lowercase().contains(&wanted))
            {
                0
            } else {
                keys.iter()
                    .map(|k| edit_distance(&k.to_lowercase(), &wanted))
                    .min()
                    .filter(|d| *d <= limit)?
            };
            Some((score, i.name.len().abs_diff(text.len()), i.name.as_str()))
        })
        .collect();
    scored.sort_unstable();
    let mut out: Vec<String> = Vec::new();
    for (_, _, name) in scored {
        if !out.iter().any(|o| o == name) {
            out.push(name.to_string());
        }
        if out.len() == 5 {
            break;
        }
    }
    out
}

/// Levenshtein distance.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(previous + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::super::edges::tests::identity;
    use super::*;
    use serde_json::json;

    fn chain() -> Vec<Identity> {
        let trust = |p: &str| json!([{"principal": p, "principal_type": "identity"}]);
        vec![
            identity(json!({"provider": "other", "id": "a", "name": "ci"})),
            identity(
                json!({"provider": "other", "id": "b", "name": "deploy", "trust": trust("a")}),
            ),
            identity(json!({"provider": "other", "id": "c", "name": "admin", "trust": trust("b")})),
            identity(json!({"provider": "other", "id": "d", "name": "side", "trust": trust("a")})),
        ]
    }

    #[test]
    fn forward_and_reverse_walks_give_shortest_paths_in_acting_order() {
        let identities = chain();
        let graph = super::super::edges::build(&identities);
        let forward = Walk::new(&graph, 0, Direction::Forward);
        assert_eq!(forward.reached, vec![1, 3, 2]);
        assert_eq!(forward.path(2), vec![0, 1, 2]);
        assert_eq!(forward.hops(2), 2);
        let reverse = Walk::new(&graph, 2, Direction::Reverse);
        assert_eq!(reverse.reached, vec![1, 0]);
        assert_eq!(reverse.path(0), vec![0, 1, 2]);
        assert!(!reverse.contains(3));
    }

    #[test]
    fn identities_are_found_by_id_name_or_label_with_suggestions() {
        let mut identities = chain();
        assert_eq!(resolve(&identities, "c"), Ok(2));
        assert_eq!(resolve(&identities, "deploy"), Ok(1));
        let error = resolve(&identities, "deplyo").unwrap_err();
        assert!(error.contains("close matches: deploy"), "{error}");
        assert!(resolve(&identities, "zzzzzzzzzz")
            .unwrap_err()
            .ends_with("`zzzzzzzzzz`"));
        identities.push(identity(
            json!({"provider": "other", "id": "e", "name": "deploy"}),
        ));
        let error = resolve(&identities, "deploy").unwrap_err();
        assert!(
            error.contains("names 2 identities; give one's id: b, e"),
            "{error}"
        );
        let role = identity(json!({"id": "arn:aws:iam::1:role/x", "name": "x"}));
        assert_eq!(resolve(&[role], "role/x"), Ok(0));
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
