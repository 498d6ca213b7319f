//! An indicator over the years or waves, against its target.

use maud::{Markup, Render, html};

use super::n;
use crate::views::format::percent;

pub struct TrendChart<'a> {
    /// Unique in the page: ids of the title and description.
    pub id: &'a str,
    pub title: &'a str,
    /// (period, value) in order; `None` values are gaps.
    pub points: &'a [(String, Option<f64>, bool)],
    pub target: f64,
}

const W: f64 = 280.0;
const H: f64 = 110.0;
const LEFT: f64 = 36.0;
const RIGHT: f64 = 24.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 24.0;

impl Render for TrendChart<'_> {
    fn render(&self) -> Markup {
        let count = self.points.len().max(1);
        let x = |i: usize| {
            if count == 1 {
                LEFT + (W - LEFT - RIGHT) / 2.0
            } else {
                LEFT + (W - LEFT - RIGHT) * i as f64 / (count - 1) as f64
            }
        };
        let y = |v: f64| TOP + (H - TOP - BOTTOM) * (1.0 - v.clamp(0.0, 1.0));
        let line: Vec<String> = self
            .points
            .iter()
            .enumerate()
            .filter_map(|(i, (_, v, _))| v.map(|v| format!("{},{}", n(x(i)), n(y(v)))))
            .collect();
        let summary: Vec<String> = self
            .points
            .iter()
            .map(|(label, v, _)| format!("{label} : {}", percent(*v)))
            .collect();
        let title_id = format!("{}-titre", self.id);
        let desc_id = format!("{}-desc", self.id);
        html! {
            figure.chart.trend {
                svg width=(W) height=(H) viewBox={"0 0 " (W) " " (H)} role="img"
                    aria-labelledby={(title_id) " " (desc_id)} {
                    title id=(title_id) { (self.title) }
                    desc id=(desc_id) {
                        (summary.join(" ; ")) " ; objectif " (percent(Some(self.target)))
                    }
                    // Axis: 0 % and 100 %.
                    line x1=(n(LEFT)) x2=(n(W - RIGHT)) y1=(n(y(0.0))) y2=(n(y(0.0))) stroke="#666" {}
                    text x=(n(LEFT - 4.0)) y=(n(y(0.0) + 4.0)) text-anchor="end" font-size="10" { "0 %" }
                    text x=(n(LEFT - 4.0)) y=(n(y(1.0) + 4.0)) text-anchor="end" font-size="10" { "100 %" }
                    // Target.
                    line x1=(n(LEFT)) x2=(n(W - RIGHT)) y1=(n(y(self.target))) y2=(n(y(self.target)))
                        stroke="#b34000" stroke-dasharray="4 3" {}
                    text x=(n(LEFT + 2.0)) y=(n(y(self.target) - 3.0)) text-anchor="start" font-size="10" fill="#b34000" {
                        "objectif"
                    }
                    @if line.len() > 1 {
                        polyline points=(line.join(" ")) fill="none" stroke="#000091" stroke-width="2" {}
                    }
                    @for (i, (label, value, selected)) in self.points.iter().enumerate() {
                        @if let Some(v) = value {
                            circle cx=(n(x(i))) cy=(n(y(*v))) r=(if *selected { "5" } else { "3.5" })
                                fill=(if *selected { "#000091" } else { "#fff" }) stroke="#000091" stroke-width="2" {}
                        }
                        text x=(n(x(i))) y=(n(H - 6.0)) text-anchor="middle" font-size="10"
                            font-weight=(if *selected { "bold" } else { "normal" }) { (label) }
                    }
                }
                // Hidden by a wrapper, not on the table itself: a table grows to its content
                // whatever its width, and its overflow would widen the page (reflow at 320 px).
                div.visually-hidden {
                    table {
                        caption { (self.title) }
                        thead { tr { th scope="col" { "Période" } th scope="col" { "Valeur" } } }
                        tbody {
                            @for (label, value, _) in self.points {
                                tr { th scope="row" { (label) } td { (percent(*value)) } }
                            }
                        }
                    }
                }
            }
        }
    }
}
