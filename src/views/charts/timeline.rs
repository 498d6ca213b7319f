//! A campaign over time: cumulative invitations sent, links opened and responses, with a
//! mark on each day a reminder went out, to see the effect of each reminder.

use maud::{Markup, Render, html};

use super::{n, nice_ceiling};
use crate::domain::results::Timeline;
use crate::domain::results::timeline::Step;
use crate::views::format::{day, integer};
use crate::views::layout::table_scroll_named;

pub struct TimelineChart<'a> {
    pub id: &'a str,
    pub timeline: &'a Timeline,
    /// Whether invitations exist (an open questionnaire only has responses).
    pub with_invitations: bool,
}

const W: f64 = 760.0;
const H: f64 = 280.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 22.0;
const BOTTOM: f64 = 36.0;

/// Line styles differ by dash as well as colour: the chart reads in grey too.
const SENT: (&str, &str) = ("#000091", "");
const OPENED: (&str, &str) = ("#6a6af4", "6 4");
const ANSWERED: (&str, &str) = ("#18753c", "2 3");
const REMINDER: &str = "#b34000";

fn cumulative(values: impl Iterator<Item = u64>) -> Vec<u64> {
    values
        .scan(0, |sum, v| {
            *sum += v;
            Some(*sum)
        })
        .collect()
}

impl Render for TimelineChart<'_> {
    fn render(&self) -> Markup {
        let points = &self.timeline.points;
        if points.is_empty() {
            return html! { p { "Aucune invitation envoyée ni réponse pour l’instant." } };
        }
        let sent = cumulative(points.iter().map(|p| p.sent));
        let opened = cumulative(points.iter().map(|p| p.opened));
        let answered = cumulative(points.iter().map(|p| p.answered));
        let top = [&sent, &opened, &answered]
            .iter()
            .filter_map(|s| s.last().copied())
            .max()
            .unwrap_or(0);
        let max = nice_ceiling(top as f64);
        let count = points.len();
        let x = |i: usize| {
            if count == 1 {
                LEFT + (W - LEFT - RIGHT) / 2.0
            } else {
                LEFT + (W - LEFT - RIGHT) * i as f64 / (count - 1) as f64
            }
        };
        let y = |v: u64| TOP + (H - TOP - BOTTOM) * (1.0 - v as f64 / max);
        let path = |series: &[u64]| -> String {
            series
                .iter()
                .enumerate()
                .map(|(i, v)| format!("{},{}", n(x(i)), n(y(*v))))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let step = match self.timeline.step {
            Step::Day => "jour",
            Step::Week => "semaine (à partir du lundi)",
        };
        let first = points.first().map(|p| day(p.start)).unwrap_or_default();
        let last = points.last().map(|p| day(p.start)).unwrap_or_default();
        let reminders: Vec<(usize, String, String)> = points
            .iter()
            .enumerate()
            .filter(|(_, p)| p.reminders_total() > 0)
            .map(|(i, p)| {
                let which: Vec<String> = p
                    .reminders
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| **c > 0)
                    .map(|(k, c)| format!("relance {} : {}", k + 1, integer(*c)))
                    .collect();
                let numbers: Vec<String> = p
                    .reminders
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| **c > 0)
                    .map(|(k, _)| (k + 1).to_string())
                    .collect();
                let mark = format!("relance {}", numbers.join(" et "));
                (i, format!("{} – {}", day(p.start), which.join(", ")), mark)
            })
            .collect();
        let mut summary = format!(
            "Par {step}, du {first} au {last}. Cumuls : {} réponses",
            integer(answered.last().copied().unwrap_or(0))
        );
        if self.with_invitations {
            summary.push_str(&format!(
                ", {} invitations envoyées, {} liens ouverts",
                integer(sent.last().copied().unwrap_or(0)),
                integer(opened.last().copied().unwrap_or(0))
            ));
        }
        summary.push('.');
        if !reminders.is_empty() {
            let listed: Vec<&str> = reminders.iter().map(|(_, text, _)| text.as_str()).collect();
            summary.push_str(&format!(" Relances : {}.", listed.join(" ; ")));
        }
        let title_id = format!("{}-titre", self.id);
        let desc_id = format!("{}-desc", self.id);
        let ticks = [0.0, max / 2.0, max];
        let x_labels: Vec<usize> = if count <= 2 {
            (0..count).collect()
        } else {
            vec![0, count / 2, count - 1]
        };
        html! {
            figure.chart.timeline {
                svg viewBox={"0 0 " (W) " " (H)} role="img" aria-labelledby={(title_id) " " (desc_id)} {
                    title id=(title_id) { "Participation dans le temps (cumuls)" }
                    desc id=(desc_id) { (summary) }
                    @for tick in ticks {
                        line x1=(n(LEFT)) x2=(n(W - RIGHT)) y1=(n(y(tick as u64))) y2=(n(y(tick as u64)))
                            stroke="#ddd" {}
                        text x=(n(LEFT - 6.0)) y=(n(y(tick as u64) + 4.0)) text-anchor="end" font-size="12" {
                            (integer(tick as u64))
                        }
                    }
                    @for i in &x_labels {
                        @let anchor = if *i == 0 && count > 1 { "start" } else if *i + 1 == count && count > 1 { "end" } else { "middle" };
                        text x=(n(x(*i))) y=(n(H - 12.0)) text-anchor=(anchor) font-size="12" {
                            (day(points[*i].start))
                        }
                    }
                    @for (i, _, mark) in &reminders {
                        line x1=(n(x(*i))) x2=(n(x(*i))) y1=(n(TOP)) y2=(n(H - BOTTOM))
                            stroke=(REMINDER) stroke-dasharray="3 3" {}
                        text x=(n(x(*i))) y=(n(TOP - 6.0)) text-anchor="middle" font-size="11" fill=(REMINDER) {
                            (mark)
                        }
                    }
                    @if self.with_invitations {
                        polyline points=(path(&sent)) fill="none" stroke=(SENT.0) stroke-width="2" {}
                        polyline points=(path(&opened)) fill="none" stroke=(OPENED.0) stroke-width="2"
                            stroke-dasharray=(OPENED.1) {}
                    }
                    polyline points=(path(&answered)) fill="none" stroke=(ANSWERED.0) stroke-width="3"
                        stroke-dasharray=(ANSWERED.1) {}
                    @if count == 1 {
                        // A single day draws no line: mark the points.
                        @if self.with_invitations {
                            circle cx=(n(x(0))) cy=(n(y(sent[0]))) r="4" fill=(SENT.0) {}
                            circle cx=(n(x(0))) cy=(n(y(opened[0]))) r="4" fill=(OPENED.0) {}
                        }
                        circle cx=(n(x(0))) cy=(n(y(answered[0]))) r="4" fill=(ANSWERED.0) {}
                    }
                }
                figcaption {
                    ul.legend {
                        @if self.with_invitations {
                            li { (swatch(SENT)) "Invitations envoyées" }
                            li { (swatch(OPENED)) "Liens ouverts" }
                        }
                        li { (swatch(ANSWERED)) "Réponses" }
                        li { (swatch((REMINDER, "3 3"))) "Jour de relance" }
                    }
                }
                details {
                    summary { "Données du graphique (par " (step) ")" }
                    (table_scroll_named("Données du graphique", html! {
                        table {
                            thead {
                                tr {
                                    th scope="col" { "Date" }
                                    @if self.with_invitations {
                                        th scope="col" { "Envoyées" }
                                        th scope="col" { "Ouvertes" }
                                    }
                                    th scope="col" { "Réponses" }
                                    @if self.with_invitations {
                                        th scope="col" { "Relances" }
                                    }
                                }
                            }
                            tbody {
                                @for p in points {
                                    tr {
                                        th scope="row" { (day(p.start)) }
                                        @if self.with_invitations {
                                            td { (integer(p.sent)) }
                                            td { (integer(p.opened)) }
                                        }
                                        td { (integer(p.answered)) }
                                        @if self.with_invitations {
                                            td { (integer(p.reminders_total())) }
                                        }
                                    }
                                }
                            }
                        }
                    }))
                }
            }
        }
    }
}

fn swatch((color, dash): (&str, &str)) -> Markup {
    html! {
        svg.swatch width="28" height="10" aria-hidden="true" focusable="false" {
            line x1="0" x2="28" y1="5" y2="5" stroke=(color) stroke-width="3" stroke-dasharray=(dash) {}
        }
    }
}
