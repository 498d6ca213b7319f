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
const H: f64 = 122.0;
const LEFT: f64 = 36.0;
const RIGHT: f64 = 24.0;
const TOP: f64 = 10.0;
/// Room under the axis for period labels of up to two lines.
const BOTTOM: f64 = 36.0;
const LABEL_SIZE: f64 = 10.0;
/// A generous guess at the average advance of a character of a label (bold included): SVG
/// cannot measure text on the server, so labels are laid out with this and kept short enough
/// that the guess errs on the wide side.
const CHAR_WIDTH: f64 = 0.6 * LABEL_SIZE;
/// Lines of a period label at most.
const LABEL_LINES: usize = 2;

/// A period label laid out under its point: its lines, where it is anchored, and whether it
/// had to be shortened (then the full label is its `<title>`; it is also in the chart's
/// description and in its table).
#[derive(Debug, Clone, PartialEq)]
struct Label {
    lines: Vec<String>,
    x: f64,
    anchor: &'static str,
    shortened: bool,
}

/// The widest a label may be: no wider than the gap between two points (nor a share of the
/// chart), so that neighbours never overlap.
fn label_room(count: usize) -> f64 {
    let plot = W - LEFT - RIGHT;
    let room = if count <= 1 {
        W
    } else {
        (plot / (count - 1) as f64).min(W / count as f64)
    };
    (room - 6.0).max(4.0 * CHAR_WIDTH)
}

/// Wraps `label` on words into lines of at most `max` characters, at most `LABEL_LINES` of
/// them; a word too long for a line, or text past the last line, is cut with "…".
fn wrap(label: &str, max: usize) -> (Vec<String>, bool) {
    let fits = |text: &str| text.chars().count() <= max;
    if fits(label) {
        return (vec![label.to_owned()], false);
    }
    // "Démonstration (vague précédente)": a parenthesis reads best on its own line.
    if let Some((before, after)) = label.split_once(" (") {
        let after = format!("({after}");
        if fits(before) && fits(&after) {
            return (vec![before.to_owned(), after], false);
        }
    }
    let mut lines: Vec<String> = Vec::new();
    let mut shortened = false;
    for word in label.split_whitespace() {
        let fits_last = lines
            .last()
            .is_some_and(|line| line.chars().count() + 1 + word.chars().count() <= max);
        if fits_last {
            if let Some(line) = lines.last_mut() {
                line.push(' ');
                line.push_str(word);
            }
        } else if lines.len() == LABEL_LINES {
            shortened = true;
            break;
        } else {
            lines.push(word.to_owned());
        }
    }
    for line in &mut lines {
        if line.chars().count() > max {
            *line = line.chars().take(max.saturating_sub(1)).collect();
            line.push('…');
            shortened = true;
        }
    }
    if shortened
        && let Some(last) = lines.last_mut()
        && !last.ends_with('…')
    {
        // Room for the ellipsis: drop characters until it fits.
        while last.chars().count() + 1 > max {
            last.pop();
        }
        last.push('…');
    }
    (lines, shortened)
}

/// Lays out the label of the point at `x`: centred under it, unless that would cross an
/// edge of the chart; then it starts at the left edge or ends at the right one.
fn place(label: &str, x: f64, room: f64) -> Label {
    let max = ((room / CHAR_WIDTH).floor() as usize).max(4);
    let (lines, shortened) = wrap(label, max);
    let longest = lines.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    let half = longest as f64 * CHAR_WIDTH / 2.0;
    let (x, anchor) = if x - half < 0.0 {
        (0.0, "start")
    } else if x + half > W {
        (W, "end")
    } else {
        (x, "middle")
    };
    Label {
        lines,
        x,
        anchor,
        shortened,
    }
}

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
        let room = label_room(self.points.len());
        let labels: Vec<Label> = self
            .points
            .iter()
            .enumerate()
            .map(|(i, (label, _, _))| place(label, x(i), room))
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
                    @for (i, ((label, value, selected), placed)) in self.points.iter().zip(&labels).enumerate() {
                        @if let Some(v) = value {
                            circle cx=(n(x(i))) cy=(n(y(*v))) r=(if *selected { "5" } else { "3.5" })
                                fill=(if *selected { "#000091" } else { "#fff" }) stroke="#000091" stroke-width="2" {}
                        }
                        text.period x=(n(placed.x)) y=(n(y(0.0) + 16.0)) text-anchor=(placed.anchor) font-size=(LABEL_SIZE)
                            font-weight=(if *selected { "bold" } else { "normal" }) {
                            @if placed.shortened {
                                title { (label) }
                            }
                            @for (k, line) in placed.lines.iter().enumerate() {
                                tspan x=(n(placed.x)) dy=(if k == 0 { "0" } else { "1.2em" }) { (line) }
                            }
                        }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A period label as drawn: where it is anchored, its lines, its `<title>` if any.
    #[derive(Debug)]
    struct Drawn {
        x: f64,
        anchor: String,
        lines: Vec<String>,
        title: Option<String>,
    }

    impl Drawn {
        /// Its horizontal extent, with the same generous guess of a character's width as
        /// the layout (SVG text cannot be measured here; the browser test measures it).
        fn extent(&self) -> (f64, f64) {
            let longest = self.lines.iter().map(|l| l.chars().count()).max();
            let width = longest.unwrap_or(0) as f64 * CHAR_WIDTH;
            match self.anchor.as_str() {
                "start" => (self.x, self.x + width),
                "end" => (self.x - width, self.x),
                _ => (self.x - width / 2.0, self.x + width / 2.0),
            }
        }
    }

    fn attribute(tag: &str, name: &str) -> String {
        let start = tag.find(&format!(" {name}=\"")).expect(name) + name.len() + 3;
        tag[start..]
            .split('"')
            .next()
            .unwrap_or_default()
            .to_owned()
    }

    fn inner<'a>(text: &'a str, open: &str, close: &str) -> Vec<&'a str> {
        text.split(open)
            .skip(1)
            .filter_map(|piece| {
                let body = &piece[piece.find('>')? + 1..];
                body.split(close).next()
            })
            .collect()
    }

    fn drawn_labels(labels: &[&str]) -> Vec<Drawn> {
        let points: Vec<(String, Option<f64>, bool)> = labels
            .iter()
            .enumerate()
            .map(|(i, l)| ((*l).to_owned(), Some(0.7), i + 1 == labels.len()))
            .collect();
        let svg = TrendChart {
            id: "t",
            title: "Évolution",
            points: &points,
            target: 0.8,
        }
        .render()
        .into_string();
        svg.split("<text class=\"period\"")
            .skip(1)
            .map(|piece| {
                let element = piece.split("</text>").next().unwrap_or_default();
                let tag = element.split('>').next().unwrap_or_default();
                Drawn {
                    x: attribute(tag, "x").parse().expect("a number"),
                    anchor: attribute(tag, "text-anchor"),
                    lines: inner(element, "<tspan", "</tspan>")
                        .into_iter()
                        .map(str::to_owned)
                        .collect(),
                    title: inner(element, "<title", "</title>")
                        .first()
                        .map(|t| (*t).to_owned()),
                }
            })
            .collect()
    }

    /// The dashboard's indicators 6 and 7 cut "Démonstration (vague précédente)" to
    /// "…tion (vague précédente)": centred under the first point, it started left of 0.
    #[test]
    fn the_first_label_starts_inside_the_chart() {
        let drawn = drawn_labels(&["Démonstration (vague précédente)", "Démonstration"]);
        assert_eq!(drawn.len(), 2);
        let first = &drawn[0];
        assert_eq!(first.anchor, "start");
        assert!(first.x >= 0.0, "{first:?}");
        assert_eq!(first.lines, ["Démonstration", "(vague précédente)"]);
        assert_eq!(first.title, None, "nothing shortened");
        let last = &drawn[1];
        assert_eq!(last.anchor, "end");
        assert!(last.x <= W, "{last:?}");
        assert_eq!(last.lines, ["Démonstration"]);
        assert!(first.extent().1 < last.extent().0, "{drawn:?}");
    }

    #[test]
    fn every_label_fits_the_chart_and_leaves_its_neighbours_alone() {
        let long = "Vague de fin de contrat d’objectifs et de performance (deuxième mesure)";
        let cases: &[&[&str]] = &[
            &["2026"],
            &[long],
            &["2024", "2025", "2026"],
            &["2021", "2022", "2023", "2024", "2025", "2026"],
            &["Démonstration (vague précédente)", "Démonstration"],
            &[
                "Première vague (2024)",
                "Deuxième vague (2026)",
                "Troisième vague (2028)",
            ],
            &[long, long, long, long, long],
            &["Vague2024-de-démonstration-sans-espace", "x"],
        ];
        for labels in cases {
            let drawn = drawn_labels(labels);
            assert_eq!(drawn.len(), labels.len());
            for (label, d) in labels.iter().zip(&drawn) {
                let (left, right) = d.extent();
                assert!(left >= 0.0 && right <= W, "{label}: {d:?}");
                assert!(!d.lines.is_empty() && d.lines.len() <= LABEL_LINES, "{d:?}");
                // A shortened label keeps its full text in its <title>.
                let shown = d.lines.join(" ");
                if shown != *label {
                    assert!(shown.contains('…'), "{label}: {d:?}");
                    assert_eq!(d.title.as_deref(), Some(*label));
                }
            }
            for pair in drawn.windows(2) {
                assert!(
                    pair[0].extent().1 <= pair[1].extent().0,
                    "{labels:?}: {pair:?} overlap"
                );
            }
        }
    }
}
