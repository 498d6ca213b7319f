//! `GET /exports/campagnes/{id}/reponses.csv`: a campaign's responses, one row each, for a
//! spreadsheet (UTF-8 with a byte-order mark and `;` so that French Excel opens it, `,` with
//! `?sep=,`). An anonymous questionnaire exports its aggregated answers instead: no row of
//! anyone, only counts per option, and nothing below the anonymity threshold.

use csv::WriterBuilder;

use super::columns::RawColumns;
use crate::domain::results::report::CampaignResults;
use crate::store::results::raw::StoredResponse;

/// What Excel needs to read a CSV file as UTF-8.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

pub struct CsvFile {
    writer: csv::Writer<Vec<u8>>,
}

impl CsvFile {
    pub fn new(separator: u8) -> Self {
        Self {
            writer: WriterBuilder::new()
                .delimiter(separator)
                .from_writer(BOM.to_vec()),
        }
    }

    pub fn row<I, S>(&mut self, cells: I) -> Result<(), csv::Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        self.writer.write_record(cells)
    }

    pub fn finish(self) -> Result<Vec<u8>, String> {
        self.writer.into_inner().map_err(|e| e.to_string())
    }
}

pub const RAW_LEADING: [&str; 3] = ["réponse", "date", "version"];

/// One raw response row.
pub fn raw_row(
    file: &mut CsvFile,
    columns: &RawColumns,
    r: &StoredResponse,
) -> Result<(), csv::Error> {
    let leading = [
        r.id.to_string(),
        r.submitted_on.format("%Y-%m-%d").to_string(),
        r.version.chars().take(12).collect(),
    ];
    file.row(leading.into_iter().chain(columns.cells(r)))
}

/// The aggregated answers of an anonymous campaign: per question and option, the count and
/// its share of the question's respondents. Empty (header only) below the threshold.
pub fn aggregated(
    file: &mut CsvFile,
    results: &CampaignResults,
    decimal_comma: bool,
) -> Result<(), csv::Error> {
    file.row([
        "question",
        "intitulé",
        "réponse",
        "libellé",
        "nombre",
        "part des répondants à la question",
    ])?;
    for d in &results.distributions {
        for o in &d.options {
            let share = if d.answered > 0 {
                let share = format!("{:.4}", o.count as f64 / d.answered as f64);
                // French spreadsheets read "0,5" with `;` files, "0.5" with `,` ones.
                if decimal_comma {
                    share.replace('.', ",")
                } else {
                    share
                }
            } else {
                String::new()
            };
            file.row([
                d.id.as_str(),
                d.text.as_str(),
                o.value.as_str(),
                o.label.as_str(),
                &o.count.to_string(),
                &share,
            ])?;
        }
    }
    Ok(())
}
