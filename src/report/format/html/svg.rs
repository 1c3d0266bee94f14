//! The report's charts, drawn as inline SVG by nhiscan itself: stacked horizontal bars
//! and histograms with thresholds marked. Every label is escaped ([`super::escape`]);
//! every bar has a `<title>` with its numbers, and each chart is followed by the same
//! numbers as a table, so that colour never carries a value alone.

use super::escape::html;
use std::fmt::Write as _;

/// One bar of a stacked chart: a label and its segments (name, count, CSS class).
pub struct Bar {
    pub label: String,
    pub segments: Vec<(String, u64, String)>,
}

const WIDTH: f64 = 560.0;
const LABEL: f64 = 230.0;
const ROW: f64 = 22.0;

/// Horizontal stacked bars, one row per [`Bar`], scaled to the largest total.
pub fn stacked_bars(title: &str, bars: &[Bar]) -> String {
    let max = bars
        .iter()
        .map(|b| b.segments.iter().map(|s| s.1).sum::<u64>())
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let legend_y = ROW * bars.len().max(1) as f64 + 14.0;
    let height = legend_y + 16.0;
    let mut svg = open(title, height);
    // The legend: each segment's colour and name, in the bars' order.
    let mut x = 10.0;
    for (name, _, class) in bars.first().map(|b| b.segments.as_slice()).unwrap_or(&[]) {
        let _ = write!(
            svg,
            r#"<rect class="{}" x="{x:.1}" y="{:.1}" width="10" height="10"/><text x="{:.1}" y="{:.1}">{}</text>"#,
            html(class),
            legend_y - 9.0,
            x + 14.0,
            legend_y,
            html(name)
        );
        x += 30.0 + 7.0 * name.chars().count() as f64;
    }
    let scale = (WIDTH - LABEL - 60.0) / max;
    for (row, bar) in bars.iter().enumerate() {
        let y = 5.0 + ROW * row as f64;
        let total: u64 = bar.segments.iter().map(|s| s.1).sum();
        let _ = write!(
            svg,
            r#"<text x="{:.0}" y="{:.1}" text-anchor="end">{}</text>"#,
            LABEL - 6.0,
            y + 14.0,
            html(&short(&bar.label, 30))
        );
        let mut x = LABEL;
        for (name, count, class) in &bar.segments {
            if *count == 0 {
                continue;
            }
            let w = *count as f64 * scale;
            let _ = write!(
                svg,
                r#"<rect class="{}" x="{x:.1}" y="{:.1}" width="{w:.1}" height="{:.1}"><title>{}: {} {count}</title></rect>"#,
                html(class),
                y + 2.0,
                ROW - 6.0,
                html(&bar.label),
                html(name)
            );
            x += w;
        }
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{:.1}">{total}</text>"#,
            x + 4.0,
            y + 14.0
        );
    }
    svg.push_str("</svg>");
    svg
}

/// A histogram: one column per bucket (label, count), with `thresholds` (a position in
/// buckets, from 0 at the left edge, and its label) drawn as dashed lines.
pub fn histogram(title: &str, buckets: &[(String, u64)], thresholds: &[(f64, String)]) -> String {
    let height = 200.0;
    let (top, bottom, left) = (24.0, 36.0, 40.0);
    let plot = height - top - bottom;
    let max = buckets.iter().map(|b| b.1).max().unwrap_or(0).max(1) as f64;
    let column = (WIDTH - left - 10.0) / buckets.len().max(1) as f64;
    let mut svg = open(title, height);
    let _ = write!(
        svg,
        r#"<line class="axis" x1="{left}" y1="{:.1}" x2="{:.1}" y2="{:.1}"/>"#,
        top + plot,
        WIDTH - 10.0,
        top + plot
    );
    let _ = write!(
        svg,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
        left - 4.0,
        top + 4.0,
        max as u64
    );
    for (i, (label, count)) in buckets.iter().enumerate() {
        let h = *count as f64 / max * plot;
        let x = left + column * i as f64;
        let _ = write!(
            svg,
            r#"<rect class="bar" x="{:.1}" y="{:.1}" width="{:.1}" height="{h:.1}"><title>{}: {count}</title></rect>"#,
            x + 2.0,
            top + plot - h,
            column - 4.0,
            html(label)
        );
        if *count > 0 {
            let _ = write!(
                svg,
                r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{count}</text>"#,
                x + column / 2.0,
                top + plot - h - 3.0
            );
        }
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            x + column / 2.0,
            top + plot + 14.0,
            html(label)
        );
    }
    for (position, label) in thresholds {
        let x = left + column * position;
        let _ = write!(
            svg,
            r#"<line class="threshold" x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}"/><text class="threshold-label" x="{:.1}" y="{:.1}">{}</text>"#,
            top - 6.0,
            top + plot,
            x + 3.0,
            top - 10.0 + 12.0,
            html(label)
        );
    }
    svg.push_str("</svg>");
    svg
}

fn open(title: &str, height: f64) -> String {
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH:.0} {height:.0}" width="{WIDTH:.0}" height="{height:.0}" role="img" aria-label="{}">"#,
        html(title)
    )
}

/// At most `max` characters, with an ellipsis when cut.
pub fn short(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_are_escaped_and_titled_with_their_numbers() {
        let svg = stacked_bars(
            "by provider",
            &[Bar {
                label: "<script>alert(1)</script>".into(),
                segments: vec![("high".into(), 3, "sev-fill-high".into())],
            }],
        );
        assert!(!svg.contains("<script>"), "{svg}");
        assert!(svg.contains("<title>&lt;script&gt;alert(1)&lt;/script&gt;: high 3</title>"));
    }

    #[test]
    fn a_histogram_marks_its_thresholds() {
        let svg = histogram(
            "ages",
            &[("0-30".into(), 2), ("31-90".into(), 0), ("91+".into(), 5)],
            &[(2.0, "90 days".into())],
        );
        assert!(svg.contains(r#"class="threshold""#) && svg.contains("90 days"));
        assert_eq!(svg.matches("<rect").count(), 3);
    }
}
