//! The nine report formats of `nhiscan scan`, one module each: `write(report, …, out)`
//! from the [`Report`](crate::report::Report) ([`outputs`](crate::report::outputs)
//! picks them).

pub mod csv;
pub mod html;
pub mod json;
pub mod jsonl;
pub mod markdown;
pub mod ocsf;
pub mod pipeline;
pub mod pretty;
pub mod sarif;
pub mod table;
pub mod xlsx;
