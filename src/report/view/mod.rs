//! The other commands' views of an inventory, a scan or two reports: `owners`,
//! `inventory`, `report --framework`, `graph`, `rules` and `diff`.

pub mod diff;
pub mod framework;
pub mod graph;
pub mod graph_svg;
pub mod inventory;
pub mod owners;
pub mod rules;
