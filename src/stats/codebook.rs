//! The codebook as CSV: one line per variable, what it holds and how it is coded. The HTML
//! codebook is a view (`views::dashboard::codebook`) of the same [`Dataset`].

use crate::domain::dataset::{Dataset, Source, Storage, Variable};
use crate::domain::spreadsheet_cell::neutralised;

/// What a variable is, in French.
pub fn kind(variable: &Variable) -> String {
    match (&variable.source, variable.storage) {
        (Source::Response, _) => "identifiant".into(),
        (Source::Date, _) => "date".into(),
        (Source::Version, _) => "version du questionnaire".into(),
        (Source::Attribute { .. }, _) => "attribut du répondant (texte)".into(),
        (Source::Option { .. }, _) => "option de choix multiple (0/1)".into(),
        (Source::Question { kind, .. }, Storage::Text { .. }) => format!("question {kind} (texte)"),
        (Source::Question { kind, .. }, _) => format!("question {kind} (codes)"),
    }
}

/// The question id a variable comes from, if any.
pub fn question(variable: &Variable) -> &str {
    match &variable.source {
        Source::Question { id, .. } => id,
        Source::Option { question, .. } => question,
        Source::Attribute { key } => key,
        _ => "",
    }
}

/// `1, 2` or « toutes ».
pub fn versions(variable: &Variable) -> String {
    if variable.versions.is_empty() {
        return "toutes".into();
    }
    variable
        .versions
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn codes(pairs: &[(i64, &str)]) -> String {
    pairs
        .iter()
        .map(|(c, l)| format!("{c} = {l}"))
        .collect::<Vec<_>>()
        .join(" ; ")
}

pub const COLUMNS: [&str; 8] = [
    "variable",
    "libellé",
    "question",
    "type",
    "mesure",
    "versions",
    "valeurs",
    "codes manquants",
];

/// UTF-8 with a byte-order mark and `;`, for French spreadsheets; every cell is text,
/// neutralised.
pub fn csv(dataset: &Dataset) -> Result<Vec<u8>, csv::Error> {
    let mut file = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(b"\xEF\xBB\xBF".to_vec());
    file.write_record(COLUMNS.map(|c| neutralised(c).into_owned()))?;
    for v in &dataset.variables {
        let values: Vec<(i64, &str)> = v.values.iter().map(|(c, l)| (*c, l.as_str())).collect();
        let missing: Vec<(i64, &str)> = v.missing.iter().map(|(c, m)| (*c, m.label())).collect();
        file.write_record(
            [
                v.name.clone(),
                v.label.clone(),
                question(v).to_owned(),
                kind(v),
                v.measure.french().to_owned(),
                versions(v),
                codes(&values),
                codes(&missing),
            ]
            .map(|cell| neutralised(&cell).into_owned()),
        )?;
    }
    file.into_inner()
        .map_err(|e| csv::Error::from(std::io::Error::other(e.to_string())))
}
