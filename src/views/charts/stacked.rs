//! A question's answers as one horizontal bar split by option.

use maud::{Markup, Render, html};

use super::n;
use crate::views::format::{integer, percent};

pub struct Segment {
    pub label: String,
    pub count: u64,
    pub color: &'static str,
}

pub struct StackedBar<'a> {
    /// What the bar shows, read out in place of the drawing.
    pub title: &'a str,
    pub segments: Vec<Segment>,
}

impl Render for StackedBar<'_> {
    fn render(&self) -> Markup {
        let total: u64 = self.segments.iter().map(|s| s.count).sum();
        let mut offset = 0.0;
        let mut rects = Vec::new();
        for segment in &self.segments {
            if segment.count == 0 || total == 0 {
                continue;
            }
            let width = 100.0 * segment.count as f64 / total as f64;
            rects.push((offset, width, segment));
            offset += width;
        }
        let share = |count: u64| (total > 0).then(|| count as f64 / total as f64);
        let description: Vec<String> = self
            .segments
            .iter()
            .map(|s| {
                format!(
                    "{} : {} ({})",
                    s.label,
                    integer(s.count),
                    percent(share(s.count))
                )
            })
            .collect();
        let label = format!("{} – {}", self.title, description.join(" ; "));
        html! {
            svg.stacked-bar viewBox="0 0 100 6" preserveAspectRatio="none" role="img" aria-label=(label) {
                title { (label) }
                rect x="0" y="0" width="100" height="6" fill="#eee" {}
                @for (x, width, segment) in rects {
                    rect x=(n(x)) y="0" width=(n(width)) height="6" fill=(segment.color) {
                        title { (segment.label) " : " (integer(segment.count)) }
                    }
                }
            }
        }
    }
}
