//! Triple-S 2.0 (<https://triple-s.org>): the XML metadata (`reponses.sss`) and the data
//! (`reponses.dat`), fixed-width: one line per response, each variable at the same character
//! positions on every line, as its `<position start finish>` says.
//!
//! A single choice is its code; a multiple choice is a bit string, one column per option
//! (`1` ticked, `0` not); a number a quantity; the date `YYYYMMDD`. Triple-S has no
//! user-missing values: a value missing for any reason is blank (the `.sav` and the
//! codebook keep the reasons apart). Line breaks and tabs inside a text are spaces: a
//! line is a response.

use std::fmt::Write as _;

use chrono::NaiveDateTime;

use crate::domain::dataset::{Cell, Dataset, Source, Storage, Variable};

pub const DATA_FILE: &str = "reponses.dat";

/// Text for XML content or attributes.
fn xml(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => s.push_str("&amp;"),
            '<' => s.push_str("&lt;"),
            '>' => s.push_str("&gt;"),
            '"' => s.push_str("&quot;"),
            '\'' => s.push_str("&apos;"),
            // XML 1.0 cannot carry other control characters, even escaped.
            c if c.is_control() => s.push(' '),
            c => s.push(c),
        }
    }
    s
}

/// A text as one line of the data file.
fn flat(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// One Triple-S variable: one dataset variable, or the 0/1 variables of a multiple choice.
struct Field {
    kind: &'static str,
    name: String,
    label: String,
    columns: Vec<usize>,
    width: usize,
    values: Vec<(i64, String)>,
    range: Option<(i64, i64)>,
}

fn digits(n: i64) -> usize {
    n.to_string().chars().count()
}

fn fields(dataset: &Dataset) -> Vec<Field> {
    let mut fields = Vec::new();
    let mut in_set = vec![false; dataset.variables.len()];
    for (i, v) in dataset.variables.iter().enumerate() {
        if in_set[i] {
            continue;
        }
        if let Some(set) = dataset
            .sets
            .iter()
            .find(|s| s.variables.first() == Some(&i))
        {
            for &member in &set.variables {
                in_set[member] = true;
            }
            fields.push(Field {
                kind: "multiple",
                name: set.name.trim_start_matches('$').to_owned(),
                label: set.label.clone(),
                columns: set.variables.clone(),
                width: set.variables.len(),
                values: set
                    .variables
                    .iter()
                    .enumerate()
                    .map(|(n, &member)| {
                        let label = match &dataset.variables[member].source {
                            Source::Option { value, .. } => dataset.variables[member]
                                .label
                                .rsplit(" : ")
                                .next()
                                .unwrap_or(value)
                                .to_owned(),
                            _ => dataset.variables[member].label.clone(),
                        };
                        (n as i64 + 1, label)
                    })
                    .collect(),
                range: None,
            });
            continue;
        }
        let chars_longest = |i: usize| {
            dataset
                .rows
                .iter()
                .map(|r| match &r[i] {
                    Cell::Text(t) => t.chars().count(),
                    _ => 0,
                })
                .max()
                .unwrap_or(0)
                .max(1)
        };
        let (kind, width, values, range) = match (&v.source, v.storage) {
            (_, Storage::Date) => ("date", 8, Vec::new(), None),
            (_, Storage::Text { .. }) => ("character", chars_longest(i), Vec::new(), None),
            (Source::Question { kind, .. }, Storage::Number) if kind == "number" => {
                let numbers = dataset.rows.iter().filter_map(|r| match r[i] {
                    Cell::Number(n) if !v.missing.iter().any(|(c, _)| *c == n) => Some(n),
                    _ => None,
                });
                let (low, high) = numbers.fold((0, 0), |(l, h), n| (l.min(n), h.max(n)));
                let width = digits(low).max(digits(high));
                ("quantity", width, Vec::new(), Some((low, high)))
            }
            (_, Storage::Number) => {
                let width = v.values.iter().map(|(c, _)| digits(*c)).max().unwrap_or(1);
                ("single", width, v.values.clone(), None)
            }
        };
        fields.push(Field {
            kind,
            name: v.name.clone(),
            label: v.label.clone(),
            columns: vec![i],
            width,
            values,
            range,
        });
    }
    fields
}

/// `(metadata XML, data)`.
pub fn write(dataset: &Dataset, created: NaiveDateTime) -> (String, String) {
    let fields = fields(dataset);
    let mut x = String::new();
    x.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    x.push_str("<sss version=\"2.0\" languages=\"fr\">\n");
    let _ = writeln!(x, "  <date>{}</date>", created.format("%d %B %Y"));
    let _ = writeln!(x, "  <time>{}</time>", created.format("%H:%M"));
    x.push_str("  <origin>jalon</origin>\n");
    x.push_str("  <survey>\n");
    let _ = writeln!(
        x,
        "    <name>{}</name>",
        xml(&format!("{} {}", dataset.questionnaire, dataset.campaign))
    );
    let _ = writeln!(x, "    <title>{}</title>", xml(&dataset.title));
    let _ = writeln!(
        x,
        "    <record ident=\"A\" href=\"{DATA_FILE}\" format=\"fixed\">"
    );
    let mut start = 1;
    for (n, f) in fields.iter().enumerate() {
        let finish = start + f.width - 1;
        let _ = writeln!(
            x,
            "      <variable ident=\"{}\" type=\"{}\">",
            n + 1,
            f.kind
        );
        let _ = writeln!(x, "        <name>{}</name>", xml(&f.name));
        let _ = writeln!(x, "        <label>{}</label>", xml(&f.label));
        let _ = writeln!(
            x,
            "        <position start=\"{start}\" finish=\"{finish}\"/>"
        );
        if !f.values.is_empty() {
            x.push_str("        <values>\n");
            for (code, label) in &f.values {
                let _ = writeln!(x, "          <value code=\"{code}\">{}</value>", xml(label));
            }
            x.push_str("        </values>\n");
        } else if let Some((low, high)) = f.range {
            let _ = writeln!(
                x,
                "        <values>\n          <range from=\"{low}\" to=\"{high}\"/>\n        </values>"
            );
        }
        x.push_str("      </variable>\n");
        start = finish + 1;
    }
    x.push_str("    </record>\n  </survey>\n</sss>\n");

    let mut data = String::new();
    for row in &dataset.rows {
        for f in &fields {
            let first = &dataset.variables[f.columns[0]];
            let valid = |n: i64, v: &Variable| !v.missing.iter().any(|(c, _)| *c == n);
            let text = match f.kind {
                "multiple" => {
                    let bits: Option<String> = f
                        .columns
                        .iter()
                        .map(|&c| match row[c] {
                            Cell::Number(n) if n == 0 || n == 1 => {
                                Some(if n == 1 { '1' } else { '0' })
                            }
                            _ => None,
                        })
                        .collect();
                    bits.unwrap_or_default()
                }
                _ => match &row[f.columns[0]] {
                    Cell::Number(n) if valid(*n, first) => format!("{n:>width$}", width = f.width),
                    Cell::Date(d) => d.format("%Y%m%d").to_string(),
                    Cell::Text(t) => flat(t),
                    _ => String::new(),
                },
            };
            let pad = f.width.saturating_sub(text.chars().count());
            data.push_str(&text);
            data.extend(std::iter::repeat_n(' ', pad));
        }
        data.push_str("\r\n");
    }
    (x, data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::dataset::tests::sample;

    #[test]
    fn every_line_is_as_long_as_the_last_position() {
        let created = NaiveDateTime::default();
        let (xml_text, data) = write(&sample(), created);
        let last = xml_text
            .rsplit("finish=\"")
            .next()
            .and_then(|rest| rest.split('"').next())
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or_default();
        for line in data.split_terminator("\r\n") {
            assert_eq!(line.chars().count(), last, "{line:?}");
        }
        assert!(xml_text.contains("type=\"multiple\""));
        assert!(xml_text.contains("&quot;") || !xml_text.contains("\"\""));
    }

    #[test]
    fn xml_text_is_escaped() {
        assert_eq!(
            xml("<a href=\"x\">&'</a>\u{1}"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt; "
        );
    }
}
