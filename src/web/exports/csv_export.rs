//! `GET /exports/campagnes/{id}/reponses.csv`: a campaign's responses, one row each, for a
//! spreadsheet (UTF-8 with a byte-order mark and `;` so that French Excel opens it, `,` with
//! `?sep=,`). An anonymous questionnaire exports its aggregated answers instead: no row of
//! anyone, only counts per option, and nothing below the anonymity threshold.
//!
//! Every text cell goes through [`neutralised`]: what people typed never opens as a formula.

use csv::WriterBuilder;

use super::columns::RawColumns;
use crate::domain::results::report::CampaignResults;
use crate::domain::spreadsheet_cell::{Figure, neutralised};
use crate::store::results::raw::StoredResponse;

/// What Excel needs to read a CSV file as UTF-8.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A CSV file whose only way in is text, neutralised, and [`Figure`]s: a cell a person typed
/// cannot reach it as a formula, whichever export writes it.
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

    /// A row of text cells.
    pub fn row<I, S>(&mut self, texts: I) -> Result<(), csv::Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.row_with_figures(texts, std::iter::empty())
    }

    /// A row of text cells, then figures.
    pub fn row_with_figures<I, S, F>(&mut self, texts: I, figures: F) -> Result<(), csv::Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
        F: IntoIterator<Item = Figure>,
    {
        for text in texts {
            self.writer
                .write_field(neutralised(text.as_ref()).as_bytes())?;
        }
        for figure in figures {
            self.writer.write_field(figure.as_str())?;
        }
        // `write_field` leaves the record open; an empty one closes it.
        self.writer.write_record(None::<&[u8]>)
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
            let share = (d.answered > 0).then(|| o.count as f64 / d.answered as f64);
            file.row_with_figures(
                [
                    d.id.as_str(),
                    d.text.as_str(),
                    o.value.as_str(),
                    o.label.as_str(),
                ],
                [
                    Figure::count(o.count),
                    // French spreadsheets read "0,5" with `;` files, "0.5" with `,` ones.
                    Figure::decimal(share, decimal_comma),
                ],
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_cells_are_neutralised_and_figures_are_not() {
        let mut file = CsvFile::new(b';');
        assert!(file.row(["commentaire", "=nombre", "avis", "part"]).is_ok());
        assert!(
            file.row_with_figures(
                [r#"=HYPERLINK("http://evil.example.com","cliquez")"#, "-3"],
                [Figure::count(2), Figure::decimal(Some(-0.5), true)],
            )
            .is_ok()
        );
        let Ok(bytes) = file.finish() else {
            panic!("the file is written");
        };
        assert_eq!(
            String::from_utf8_lossy(&bytes),
            "\u{feff}commentaire;'=nombre;avis;part\n\
             \"'=HYPERLINK(\"\"http://evil.example.com\"\",\"\"cliquez\"\")\";'-3;2;-0,5000\n"
        );
    }
}
