//! Delegation paths drawn as SVG, laid out here (no Graphviz): nodes in columns by hops
//! from where the paths start, ordered in each column by their predecessors' rows (one
//! barycentre pass), edges as curves with arrowheads. Used by `nhiscan graph ID
//! --format svg` and the HTML report; each node links to its findings there
//! (`data-entity`).

use crate::report::format::html::escape::html;
use crate::report::format::html::svg::short;
use std::collections::HashMap;
use std::fmt::Write as _;

/// One identity in a drawing.
#[derive(Debug, Clone)]
pub struct DrawNode {
    /// The identity's id (the findings filter's key).
    pub id: String,
    pub label: String,
    /// Second line: provider, kind and boundary.
    pub detail: String,
    /// Column: hops from the start of its path.
    pub layer: usize,
    pub admin: bool,
    /// Where the paths start.
    pub start: bool,
}

/// Nodes and the edges between them (positions in `nodes`, and the reason).
#[derive(Debug, Default)]
pub struct Drawing {
    pub nodes: Vec<DrawNode>,
    pub edges: Vec<(usize, usize, String)>,
    /// Position in `nodes` by id.
    index: HashMap<String, usize>,
}

const BOX_W: f64 = 240.0;
const BOX_H: f64 = 44.0;
const GAP_X: f64 = 70.0;
const GAP_Y: f64 = 14.0;
const MARGIN: f64 = 10.0;

impl Drawing {
    /// The node with `node.id`, added when it is new; a node met again keeps the
    /// smallest layer.
    pub fn node(&mut self, node: DrawNode) -> usize {
        match self.index.get(&node.id) {
            Some(&at) => {
                let existing = &mut self.nodes[at];
                existing.layer = existing.layer.min(node.layer);
                existing.start |= node.start;
                at
            }
            None => {
                self.index.insert(node.id.clone(), self.nodes.len());
                self.nodes.push(node);
                self.nodes.len() - 1
            }
        }
    }

    /// Adds the edge once.
    pub fn edge(&mut self, from: usize, to: usize, reason: &str) {
        if from != to && !self.edges.iter().any(|e| e.0 == from && e.1 == to) {
            self.edges.push((from, to, reason.to_string()));
        }
    }

    /// Each node's column: at least its own layer, and one past every predecessor's, so
    /// that every edge points right (the longest path; where edges make a cycle, the
    /// nodes' own layers are kept).
    fn columns(&self) -> Vec<usize> {
        let mut column: Vec<usize> = self.nodes.iter().map(|n| n.layer).collect();
        for _ in 0..=self.nodes.len() {
            let mut changed = false;
            for (from, to, _) in &self.edges {
                if column[*to] < column[*from] + 1 {
                    column[*to] = column[*from] + 1;
                    changed = true;
                }
            }
            if !changed {
                return column;
            }
        }
        self.nodes.iter().map(|n| n.layer).collect()
    }

    /// Rows of each node within its column.
    fn rows(&self, column: &[usize]) -> Vec<usize> {
        let layers = column.iter().max().map_or(0, |m| m + 1);
        let mut row = vec![0usize; self.nodes.len()];
        for layer in 0..layers {
            let mut members: Vec<usize> = (0..self.nodes.len())
                .filter(|&n| column[n] == layer)
                .collect();
            // Barycentre of the predecessors already placed (in earlier columns).
            let centre = |n: usize| -> f64 {
                let rows: Vec<f64> = (self.edges.iter())
                    .filter(|e| e.1 == n && column[e.0] < layer)
                    .map(|e| row[e.0] as f64)
                    .collect();
                if rows.is_empty() {
                    f64::MAX
                } else {
                    rows.iter().sum::<f64>() / rows.len() as f64
                }
            };
            members.sort_by(|&a, &b| {
                centre(a)
                    .total_cmp(&centre(b))
                    .then_with(|| self.nodes[a].label.cmp(&self.nodes[b].label))
            });
            for (i, n) in members.into_iter().enumerate() {
                row[n] = i;
            }
        }
        row
    }

    /// The SVG, titled `title` for screen readers.
    pub fn svg(&self, title: &str) -> String {
        let column = self.columns();
        let rows = self.rows(&column);
        let columns = column.iter().max().map_or(1, |m| m + 1);
        let most_rows = rows.iter().max().map_or(1, |m| m + 1);
        let width = MARGIN * 2.0 + columns as f64 * (BOX_W + GAP_X) - GAP_X;
        let height = MARGIN * 2.0 + most_rows as f64 * (BOX_H + GAP_Y) - GAP_Y;
        let at = |n: usize| {
            (
                MARGIN + column[n] as f64 * (BOX_W + GAP_X),
                MARGIN + rows[n] as f64 * (BOX_H + GAP_Y),
            )
        };
        let mut svg = format!(
            r##"<svg xmlns="http://www.w3.org/2000/svg" class="delegation" viewBox="0 0 {width:.0} {height:.0}" width="{width:.0}" height="{height:.0}" role="img" aria-label="{}"><defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#57606a"/></marker></defs>"##,
            html(title)
        );
        for (from, to, reason) in &self.edges {
            let ((x1, y1), (x2, y2)) = (at(*from), at(*to));
            let (sx, sy, ex, ey) = if x2 > x1 {
                (x1 + BOX_W, y1 + BOX_H / 2.0, x2, y2 + BOX_H / 2.0)
            } else {
                // Back or same column: from the bottom of one to the bottom of the other.
                (x1 + BOX_W / 2.0, y1 + BOX_H, x2 + BOX_W / 2.0, y2 + BOX_H)
            };
            let bend = if x2 > x1 { (ex - sx) / 2.0 } else { 0.0 };
            let drop = if x2 > x1 { 0.0 } else { GAP_Y + 6.0 };
            let _ = write!(
                svg,
                r##"<path class="edge" d="M{sx:.1},{sy:.1} C{:.1},{:.1} {:.1},{:.1} {ex:.1},{ey:.1}" fill="none" stroke="#57606a" marker-end="url(#arrow)"><title>{}</title></path>"##,
                sx + bend,
                sy + drop,
                ex - bend,
                ey + drop,
                html(reason)
            );
        }
        for (n, node) in self.nodes.iter().enumerate() {
            let (x, y) = at(n);
            let class = match (node.admin, node.start) {
                (true, _) => "node admin",
                (false, true) => "node start",
                _ => "node",
            };
            let label = short(&node.label, 30);
            let detail = short(&node.detail, 38);
            let admin = if node.admin { " (admin)" } else { "" };
            let _ = write!(
                svg,
                r##"<a href="#findings" data-entity="{}" class="{class}"><title>{}{admin}: {}</title><rect x="{x:.1}" y="{y:.1}" width="{BOX_W}" height="{BOX_H}" rx="5" fill="{}" stroke="{}" stroke-width="{}"/><text x="{:.1}" y="{:.1}" font-weight="600">{}{admin}</text><text x="{:.1}" y="{:.1}" font-size="11">{}</text></a>"##,
                html(&node.id),
                html(&node.id),
                html(&node.detail),
                if node.admin {
                    "#fee2e2"
                } else if node.start {
                    "#e0ecff"
                } else {
                    "#ffffff"
                },
                if node.admin { "#8b0000" } else { "#57606a" },
                if node.admin || node.start { 2 } else { 1 },
                x + 8.0,
                y + 18.0,
                html(&label),
                x + 8.0,
                y + 34.0,
                html(&detail),
            );
        }
        svg.push_str("</svg>");
        svg
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: &str, layer: usize, admin: bool) -> DrawNode {
        DrawNode {
            id: id.into(),
            label: id.into(),
            detail: "aws role · account:1".into(),
            layer,
            admin,
            start: layer == 0,
        }
    }

    #[test]
    fn a_path_is_drawn_left_to_right_with_the_admin_marked_and_names_escaped() {
        let mut drawing = Drawing::default();
        let a = drawing.node(node("agent\"><script>", 0, false));
        let b = drawing.node(node("deployer", 1, false));
        let c = drawing.node(node("admin", 2, true));
        drawing.edge(a, b, "trusts <it>");
        drawing.edge(b, c, "iam:PassRole");
        drawing.edge(b, c, "again");
        assert_eq!(drawing.edges.len(), 2);
        assert_eq!(drawing.node(node("admin", 1, true)), c);
        assert_eq!(drawing.nodes[c].layer, 1, "the nearer layer wins");
        assert_eq!(drawing.columns(), [0, 1, 2], "every edge points right");
        let svg = drawing.svg("paths");
        assert!(!svg.contains("<script>") && svg.contains("&lt;script&gt;"));
        assert!(svg.contains("trusts &lt;it&gt;"));
        assert_eq!(svg.matches("<a ").count(), 3);
        assert!(svg.contains("class=\"node admin\""));
        assert!(svg.contains(r#"data-entity="deployer""#));
    }
}
