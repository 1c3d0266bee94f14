//! `nhiscan graph ID`: one identity's reach (or who reaches it) as a tree of shortest
//! paths (text), a Graphviz digraph (dot), an SVG drawing laid out by nhiscan
//! ([`super::graph_svg`]) or a versioned JSON document.

use crate::enrich::graph::walk::{Direction, Walk};
use crate::enrich::graph::{hop, render_path, short_label, Delegation};
use crate::inventory::{Identity, Scope};
use crate::report::sanitize::terminal;
use crate::report::view::graph_svg::{DrawNode, Drawing};
use serde::Serialize;
use std::collections::HashMap;
use std::io::{self, Write};

/// Version of the JSON document. Bump on incompatible changes.
pub const GRAPH_VERSION: u32 = 1;

/// What the writers need: the walk and the graph it walked.
pub struct GraphView<'a> {
    pub walk: &'a Walk,
    pub delegation: &'a Delegation,
    pub identities: &'a [Identity],
}

impl GraphView<'_> {
    fn name(&self, node: usize) -> String {
        terminal(&self.identities[node].name)
    }

    /// `node` as a hop from the tree neighbour it was reached through.
    fn hop_from(&self, node: usize) -> String {
        let label = match self.walk.parent(node) {
            Some(parent) => hop(self.delegation, self.identities, parent, node),
            None => short_label(&self.identities[node]).to_string(),
        };
        terminal(&label)
    }

    /// The reason of the edge between `node` and its tree parent, in acting order.
    fn reason_to_parent(&self, node: usize) -> &str {
        let graph = &self.delegation.graph;
        let reason = self
            .walk
            .parent(node)
            .and_then(|p| match self.walk.direction {
                Direction::Forward => graph.reason(p, node),
                Direction::Reverse => graph.reason(node, p),
            });
        reason.unwrap_or_default()
    }

    fn path_text(&self, node: usize) -> String {
        terminal(&render_path(
            self.delegation,
            self.identities,
            &self.walk.path(node),
        ))
    }

    fn admins(&self) -> Vec<usize> {
        let graph = &self.delegation.graph;
        self.walk
            .reached
            .iter()
            .copied()
            .filter(|&n| graph.is_admin(n))
            .collect()
    }

    /// The first node reached in each other boundary, when the path to it crosses one.
    fn boundary_entries(&self) -> Vec<usize> {
        let graph = &self.delegation.graph;
        let mut seen = vec![graph.boundary_of(self.walk.root)];
        let mut entries = Vec::new();
        for &node in &self.walk.reached {
            let boundary = graph.boundary_of(node);
            if !seen.contains(&boundary) {
                seen.push(boundary);
                if graph.path_crosses(&self.walk.path(node)) {
                    entries.push(node);
                }
            }
        }
        entries
    }
}

/// The tree of shortest paths, then the paths to admins and into other boundaries.
pub fn write_text(view: &GraphView, out: &mut dyn Write) -> io::Result<()> {
    let root = view.walk.root;
    let identity = &view.identities[root];
    let admin = if identity.permissions.admin {
        " (admin)"
    } else {
        ""
    };
    writeln!(
        out,
        "{}{admin}: {} {} in {}",
        view.name(root),
        identity.provider,
        identity.kind,
        terminal(&identity.scope.to_string())
    )?;
    writeln!(out, "  {}", terminal(&identity.id))?;
    writeln!(out)?;
    let count = view.walk.reached.len();
    let admins = view.admins();
    let entries = view.boundary_entries();
    match view.walk.direction {
        Direction::Forward if count == 0 => {
            return writeln!(out, "It cannot act as any other identity.")
        }
        Direction::Reverse if count == 0 => {
            return writeln!(out, "No other identity can act as it.")
        }
        Direction::Forward => writeln!(
            out,
            "It can act as {count} {}: {} admin, {} in another boundary.",
            plural(count, "identity", "identities"),
            admins.len(),
            entries.len()
        )?,
        Direction::Reverse => writeln!(
            out,
            "{count} {} can act as it ({} admin, {} from another boundary); each line acts as the one above.",
            plural(count, "identity", "identities"),
            admins.len(),
            entries.len()
        )?,
    }
    writeln!(out)?;
    writeln!(out, "{}", view.name(root))?;
    write_tree(view, out)?;
    if view.walk.direction == Direction::Forward {
        for (title, nodes) in [
            ("Paths to admins:", &admins),
            ("Paths into other boundaries:", &entries),
        ] {
            if !nodes.is_empty() {
                writeln!(out)?;
                writeln!(out, "{title}")?;
                for &node in nodes {
                    writeln!(out, "  {}", view.path_text(node))?;
                }
            }
        }
    }
    Ok(())
}

/// The tree below `root`, depth first, without recursion (a chain may be long).
fn write_tree(view: &GraphView, out: &mut dyn Write) -> io::Result<()> {
    let mut children: HashMap<usize, Vec<usize>> = HashMap::new();
    for &node in &view.walk.reached {
        if let Some(parent) = view.walk.parent(node) {
            children.entry(parent).or_default().push(node);
        }
    }
    // (node, the indent of its line)
    let mut stack: Vec<(usize, String)> = Vec::new();
    let push_children = |stack: &mut Vec<(usize, String)>, node: usize, indent: &str| {
        for &child in children.get(&node).into_iter().flatten().rev() {
            stack.push((child, indent.to_string()));
        }
    };
    push_children(&mut stack, view.walk.root, "");
    while let Some((node, indent)) = stack.pop() {
        let siblings = view
            .walk
            .parent(node)
            .and_then(|p| children.get(&p))
            .map_or(&[][..], Vec::as_slice);
        let last = siblings.last() == Some(&node);
        writeln!(
            out,
            "{indent}{} {}   ({})",
            if last { "└──" } else { "├──" },
            view.hop_from(node),
            terminal(view.reason_to_parent(node))
        )?;
        let deeper = format!("{indent}{}", if last { "    " } else { "│   " });
        push_children(&mut stack, node, &deeper);
    }
    Ok(())
}

fn plural<'a>(count: usize, one: &'a str, many: &'a str) -> &'a str {
    if count == 1 {
        one
    } else {
        many
    }
}

/// A Graphviz digraph of the walked identities and every edge between them: the root
/// in bold, admins red with a double border, edges labelled with their reason.
pub fn write_dot(view: &GraphView, out: &mut dyn Write) -> io::Result<()> {
    let graph = &view.delegation.graph;
    let mut nodes = vec![view.walk.root];
    nodes.extend(&view.walk.reached);
    writeln!(out, "digraph nhiscan {{")?;
    writeln!(out, "  rankdir=LR;")?;
    writeln!(out, "  node [shape=box, fontname=\"Helvetica\"];")?;
    writeln!(out, "  edge [fontname=\"Helvetica\", fontsize=10];")?;
    for &node in &nodes {
        let identity = &view.identities[node];
        let mut label = short_label(identity).to_string();
        if graph.is_admin(node) {
            label.push_str(" (admin)");
        }
        let boundary = graph.boundary(graph.boundary_of(node)).label();
        let label = format!(
            "{}\\n{} {} · {}",
            dot_text(&label),
            identity.provider,
            identity.kind,
            dot_text(&boundary)
        );
        let mut style = Vec::new();
        if node == view.walk.root {
            style.push("style=bold");
        }
        if graph.is_admin(node) {
            style.push("color=red, fontcolor=red, peripheries=2");
        }
        let extra = if style.is_empty() {
            String::new()
        } else {
            format!(", {}", style.join(", "))
        };
        writeln!(out, "  n{node} [label=\"{label}\"{extra}];")?;
    }
    for &node in &nodes {
        for edge in graph.out_edges(node) {
            if view.walk.contains(edge.to) {
                writeln!(
                    out,
                    "  n{} -> n{} [label=\"{}\"];",
                    edge.from,
                    edge.to,
                    dot_text(edge.reason)
                )?;
            }
        }
    }
    writeln!(out, "}}")
}

/// The walk drawn as SVG: a column per hop from the identity (for `--reverse`, towards
/// it), every edge between the identities drawn.
pub fn write_svg(view: &GraphView, out: &mut dyn Write) -> io::Result<()> {
    let graph = &view.delegation.graph;
    let mut nodes = vec![view.walk.root];
    nodes.extend(&view.walk.reached);
    let hops = |node: usize| view.walk.path(node).len().saturating_sub(1);
    let deepest = nodes.iter().map(|&n| hops(n)).max().unwrap_or(0);
    let mut drawing = Drawing::default();
    let mut position = HashMap::new();
    for &node in &nodes {
        let identity = &view.identities[node];
        let layer = match view.walk.direction {
            Direction::Forward => hops(node),
            Direction::Reverse => deepest - hops(node),
        };
        let at = drawing.node(DrawNode {
            id: identity.id.clone(),
            label: short_label(identity).to_string(),
            detail: format!(
                "{} {} · {}",
                identity.provider,
                identity.kind,
                graph.boundary(graph.boundary_of(node)).label()
            ),
            layer,
            admin: graph.is_admin(node),
            start: node == view.walk.root,
        });
        position.insert(node, at);
    }
    for &node in &nodes {
        for edge in graph.out_edges(node) {
            if let (Some(&from), Some(&to)) = (position.get(&edge.from), position.get(&edge.to)) {
                drawing.edge(from, to, edge.reason);
            }
        }
    }
    let title = format!(
        "Delegation from {}",
        short_label(&view.identities[view.walk.root])
    );
    writeln!(out, "{}", drawing.svg(&title))
}

/// Text inside a DOT double-quoted string: control characters escaped, quotes and
/// backslashes escaped.
fn dot_text(text: &str) -> String {
    terminal(text).replace('\\', "\\\\").replace('"', "\\\"")
}

#[derive(Serialize)]
struct Document<'a> {
    graph_version: u32,
    identity: Node<'a>,
    direction: &'static str,
    /// How many identities were reached.
    count: usize,
    reached: Vec<Reached<'a>>,
    /// Every edge between the identities above.
    edges: Vec<Step<'a>>,
}

#[derive(Serialize)]
struct Node<'a> {
    id: &'a str,
    name: &'a str,
    label: &'a str,
    provider: &'a str,
    kind: &'a str,
    scope: &'a Scope,
    admin: bool,
}

#[derive(Serialize)]
struct Reached<'a> {
    #[serde(flatten)]
    node: Node<'a>,
    hops: u32,
    /// The shortest path, in acting order.
    path: String,
    steps: Vec<Step<'a>>,
}

#[derive(Serialize)]
struct Step<'a> {
    from: &'a str,
    to: &'a str,
    reason: &'a str,
}

/// The walk as JSON: the root, each identity reached with its shortest path and its
/// steps' reasons, and every edge between them.
pub fn write_json(view: &GraphView, out: &mut dyn Write) -> io::Result<()> {
    let graph = &view.delegation.graph;
    let node = |n: usize| {
        let identity = &view.identities[n];
        Node {
            id: &identity.id,
            name: &identity.name,
            label: short_label(identity),
            provider: identity.provider.as_str(),
            kind: identity.kind.as_str(),
            scope: &identity.scope,
            admin: graph.is_admin(n),
        }
    };
    let step = |from: usize, to: usize| Step {
        from: &view.identities[from].id,
        to: &view.identities[to].id,
        reason: graph.reason(from, to).unwrap_or_default(),
    };
    let reached = view
        .walk
        .reached
        .iter()
        .map(|&n| {
            let path = view.walk.path(n);
            Reached {
                node: node(n),
                hops: view.walk.hops(n),
                path: render_path(view.delegation, view.identities, &path),
                steps: path.windows(2).map(|p| step(p[0], p[1])).collect(),
            }
        })
        .collect();
    let mut nodes = vec![view.walk.root];
    nodes.extend(&view.walk.reached);
    let edges = nodes
        .iter()
        .flat_map(|&n| graph.out_edges(n))
        .filter(|e| view.walk.contains(e.to))
        .map(|e| step(e.from, e.to))
        .collect();
    let document = Document {
        graph_version: GRAPH_VERSION,
        identity: node(view.walk.root),
        direction: match view.walk.direction {
            Direction::Forward => "forward",
            Direction::Reverse => "reverse",
        },
        count: view.walk.reached.len(),
        reached,
        edges,
    };
    serde_json::to_writer_pretty(&mut *out, &document)?;
    writeln!(out)
}
