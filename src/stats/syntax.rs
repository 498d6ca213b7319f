//! The data as CSV (`reponses.csv`, comma-separated, UTF-8 without byte-order mark, codes as
//! numbers; a line break inside a text becomes a space, as PSPP and SPSS read one case per
//! line) with a script that reads it with every label: SPSS syntax (`reponses.sps`, for
//! SPSS and PSPP versions that do not open the `.sav`) and R (`reponses.R`, base R only).
//!
//! What a respondent typed is hostile: a CSV text cell is neutralised as in every CSV jalon
//! writes (`domain::spreadsheet_cell`), and every text in a script is a string literal,
//! escaped for its language; names are the dataset's, valid in both.

use crate::domain::dataset::{Cell, Dataset, Measure, Storage, Variable};
use crate::domain::spreadsheet_cell::neutralised;

/// The data file the scripts read, by this name, from the working directory.
pub const DATA_FILE: &str = "reponses.csv";

pub fn data_csv(dataset: &Dataset) -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    writer.write_record(dataset.variables.iter().map(|v| v.name.as_bytes()))?;
    for row in &dataset.rows {
        for cell in row {
            match cell {
                Cell::Number(n) => writer.write_field(n.to_string())?,
                Cell::Date(d) => writer.write_field(d.format("%Y-%m-%d").to_string())?,
                // PSPP and SPSS read a case per line: a line break inside a text is a space.
                Cell::Text(t) => writer.write_field(neutralised(&one_line(t)).as_bytes())?,
                Cell::Empty => writer.write_field("")?,
            }
        }
        writer.write_record(None::<&[u8]>)?;
    }
    writer
        .into_inner()
        .map_err(|e| csv::Error::from(std::io::Error::other(e.to_string())))
}

/// `text` without control characters (a label is one line).
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// An SPSS string literal: single quotes doubled, cut into pieces joined with `+` so that no
/// line of the script is long.
fn sps_string(text: &str) -> String {
    let text = one_line(text);
    let chars: Vec<char> = text.chars().collect();
    if chars.is_empty() {
        return "''".into();
    }
    chars
        .chunks(60)
        .map(|piece| format!("'{}'", piece.iter().collect::<String>().replace('\'', "''")))
        .collect::<Vec<_>>()
        .join("\n    + ")
}

fn sps_input_format(v: &Variable) -> String {
    match v.storage {
        Storage::Number => "F8.0".into(),
        Storage::Date => "SDATE10".into(),
        Storage::Text { width } => format!("A{width}"),
    }
}

pub fn sps(dataset: &Dataset) -> String {
    let mut s = String::new();
    s.push_str("* Encoding: UTF-8.\n");
    s.push_str(&format!(
        "* jalon : {} – {}.\n",
        one_line(&dataset.questionnaire).replace('.', " "),
        one_line(&dataset.campaign).replace('.', " ")
    ));
    s.push_str("* Lit reponses.csv (dans le dossier courant) avec ses libellés.\n\n");
    s.push_str(&format!(
        "GET DATA\n  /TYPE=TXT\n  /FILE='{DATA_FILE}'\n  /ENCODING='UTF8'\n  /ARRANGEMENT=DELIMITED\n  /DELCASE=LINE\n  /FIRSTCASE=2\n  /DELIMITERS=\",\"\n  /QUALIFIER='\"'\n  /VARIABLES=\n"
    ));
    for v in &dataset.variables {
        s.push_str(&format!("    {} {}\n", v.name, sps_input_format(v)));
    }
    s.push_str(".\n\nFORMATS date_reponse (DATE11).\n\nVARIABLE LABELS\n");
    let labels: Vec<String> = dataset
        .variables
        .iter()
        .map(|v| format!("  {} {}", v.name, sps_string(&v.label)))
        .collect();
    s.push_str(&labels.join("\n  /"));
    s.push_str(".\n\n");
    let valued: Vec<&Variable> = dataset
        .variables
        .iter()
        .filter(|v| v.storage == Storage::Number && !v.labelled_codes().is_empty())
        .collect();
    if !valued.is_empty() {
        s.push_str("VALUE LABELS\n");
        let blocks: Vec<String> = valued
            .iter()
            .map(|v| {
                let codes: Vec<String> = v
                    .labelled_codes()
                    .into_iter()
                    .map(|(c, l)| format!("    {c} {}", sps_string(l)))
                    .collect();
                format!("  {}\n{}", v.name, codes.join("\n"))
            })
            .collect();
        s.push_str(&blocks.join("\n  /"));
        s.push_str(".\n\n");
    }
    let missing: Vec<String> = dataset
        .variables
        .iter()
        .filter(|v| v.storage == Storage::Number && !v.missing.is_empty())
        .map(|v| {
            let codes: Vec<i64> = v.missing.iter().map(|(c, _)| *c).collect();
            let spec = if codes.len() > 3 {
                let low = codes.iter().min().copied().unwrap_or_default();
                let high = codes.iter().max().copied().unwrap_or_default();
                format!("{low} THRU {high}")
            } else {
                codes
                    .iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            format!("  {} ({spec})", v.name)
        })
        .collect();
    if !missing.is_empty() {
        s.push_str("MISSING VALUES\n");
        s.push_str(&missing.join("\n  /"));
        s.push_str(".\n\n");
    }
    for (measure, keyword) in [
        (Measure::Nominal, "NOMINAL"),
        (Measure::Ordinal, "ORDINAL"),
        (Measure::Scale, "SCALE"),
    ] {
        let names: Vec<&str> = dataset
            .variables
            .iter()
            .filter(|v| v.measure == measure)
            .map(|v| v.name.as_str())
            .collect();
        if !names.is_empty() {
            s.push_str(&format!(
                "VARIABLE LEVEL\n  {} ({keyword}).\n",
                names.join("\n  ")
            ));
        }
    }
    let sets: Vec<String> = dataset
        .sets
        .iter()
        .filter(|set| set.variables.len() >= 2)
        .map(|set| {
            let names: Vec<&str> = set
                .variables
                .iter()
                .map(|&i| dataset.variables[i].name.as_str())
                .collect();
            format!(
                "  /MDGROUP NAME={} LABEL={}\n    VARIABLES={}\n    VALUE=1",
                set.name,
                sps_string(&set.label),
                names.join(" ")
            )
        })
        .collect();
    if !sets.is_empty() {
        s.push_str(&format!("\nMRSETS\n{}.\n", sets.join("\n")));
    }
    s.push_str("\nEXECUTE.\n");
    s
}

/// An R string literal: `"`, `\` and control characters escaped.
fn r_string(text: &str) -> String {
    let mut s = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            '\n' => s.push_str("\\n"),
            '\r' => s.push_str("\\r"),
            '\t' => s.push_str("\\t"),
            c if c.is_control() => s.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => s.push(c),
        }
    }
    s.push('"');
    s
}

pub fn r_script(dataset: &Dataset) -> String {
    let mut s = String::new();
    s.push_str(&format!(
        "# jalon : {} – {}\n",
        one_line(&dataset.questionnaire),
        one_line(&dataset.campaign)
    ));
    s.push_str(
        "# Lit reponses.csv (dans le dossier courant) : un facteur par question à modalités,\n\
         # ses niveaux dans l'ordre de l'échelle puis les codes manquants (attribut\n\
         # « manquantes »), le libellé de chaque variable dans l'attribut « label » ; un nombre\n\
         # reste un nombre, ses codes manquants nommés dans l'attribut « manquantes ».\n\
         # sans_manquantes(x) rend NA les codes manquants d'un facteur ou d'un nombre.\n\n",
    );
    let classes: Vec<String> = dataset
        .variables
        .iter()
        .map(|v| {
            let class = match v.storage {
                Storage::Number => "integer",
                Storage::Date | Storage::Text { .. } => "character",
            };
            format!("  {} = \"{class}\"", r_string(&v.name))
        })
        .collect();
    s.push_str(&format!(
        "reponses <- read.csv(\n  \"{DATA_FILE}\",\n  fileEncoding = \"UTF-8\",\n  encoding = \"UTF-8\",\n  na.strings = \"\",\n  check.names = FALSE,\n  colClasses = c(\n{}\n  )\n)\n\n",
        classes.join(",\n")
    ));
    s.push_str(
        "sans_manquantes <- function(x) {\n  \
         if (!is.factor(x)) {\n    \
         x[x %in% attr(x, \"manquantes\")] <- NA\n    \
         return(x)\n  \
         }\n  \
         factor(x, levels = setdiff(levels(x), attr(x, \"manquantes\")), ordered = is.ordered(x))\n\
         }\n\n",
    );
    for v in &dataset.variables {
        let column = format!("reponses[[{}]]", r_string(&v.name));
        if v.storage == Storage::Date {
            s.push_str(&format!("{column} <- as.Date({column})\n"));
        }
        let codes = v.labelled_codes();
        if v.storage == Storage::Number && v.values.is_empty() && !v.missing.is_empty() {
            // A number: its missing codes by reason, the values stay numbers.
            let missing: Vec<String> = v
                .missing
                .iter()
                .map(|(c, m)| format!("{} = {c}L", r_string(m.label())))
                .collect();
            s.push_str(&format!(
                "attr({column}, \"manquantes\") <- c({})\n",
                missing.join(", ")
            ));
        } else if v.storage == Storage::Number && !codes.is_empty() {
            let levels: Vec<String> = codes.iter().map(|(c, _)| c.to_string()).collect();
            let labels: Vec<String> = codes.iter().map(|(_, l)| r_string(l)).collect();
            let ordered = if v.measure == Measure::Ordinal {
                ", ordered = TRUE"
            } else {
                ""
            };
            s.push_str(&format!(
                "{column} <- factor(\n  {column},\n  levels = c({}),\n  labels = c({}){ordered}\n)\n",
                levels.join(", "),
                labels.join(", ")
            ));
            if !v.missing.is_empty() {
                let missing: Vec<String> =
                    v.missing.iter().map(|(_, m)| r_string(m.label())).collect();
                s.push_str(&format!(
                    "attr({column}, \"manquantes\") <- c({})\n",
                    missing.join(", ")
                ));
            }
        }
        s.push_str(&format!(
            "attr({column}, \"label\") <- {}\n",
            r_string(&v.label)
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::dataset::tests::sample;

    #[test]
    fn literals_cannot_be_closed_by_what_was_typed() {
        assert_eq!(sps_string("l'outil"), "'l''outil'");
        assert_eq!(sps_string("a\nb"), "'a b'");
        assert_eq!(
            r_string("\"); system(\"rm -rf /\") #\\\n"),
            r#""\"); system(\"rm -rf /\") #\\\n""#
        );
        assert_eq!(r_string("\u{7}"), r#""\u{7}""#);
    }

    #[test]
    fn csv_text_cells_are_neutralised_and_codes_are_numbers() {
        let bytes = data_csv(&sample()).unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.starts_with("reponse,date_reponse,version,entity,utile,"));
        assert!(text.contains("'=HYPERLINK"));
        assert!(text.contains(",-1,"));
    }

    #[test]
    fn scripts_name_every_variable() {
        let dataset = sample();
        let sps = sps(&dataset);
        let r = r_script(&dataset);
        for v in &dataset.variables {
            assert!(sps.contains(&format!("    {} ", v.name)), "{}", v.name);
            assert!(
                r.contains(&format!("reponses[[\"{}\"]]", v.name)),
                "{}",
                v.name
            );
        }
        assert!(sps.contains("MISSING VALUES\n  version") || sps.contains("  utile (-1, -3)"));
        assert!(r.contains("ordered = TRUE"));
    }
}
