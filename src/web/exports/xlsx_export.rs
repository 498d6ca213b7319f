//! `GET /exports/indicateurs.xlsx?annee=` (or `?vague=`): a workbook with a summary sheet,
//! one sheet per indicator (per-question rates; the companies of 3.1), and one sheet of raw
//! responses of the non-anonymous questionnaires of the period. Anonymous questionnaires
//! (6, 7) appear only through their aggregated figures.
//!
//! Text goes in with `write_string` only, never `write` or `write_formula`: a string cell
//! is not evaluated, so a comment typed as `=HYPERLINK(…)` stays text without the `'` the
//! CSV files need (here it would show as part of the text).

use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use super::columns::RawColumns;
use crate::domain::QuestionnaireCode;
use crate::domain::indicators::QuestionRate;
use crate::domain::questionnaire::Questionnaire;
use crate::domain::results::labels::indicator_title;
use crate::domain::results::report::{IndicatorEntry, Overview, PeriodRef};
use crate::domain::widget::{ResourceResult, WidgetResults};
use crate::store::results::raw::StoredResponse;

pub const SUMMARY_SHEET: &str = "Synthèse";
pub const RAW_SHEET: &str = "Réponses";
pub const RESOURCES_SHEET: &str = "Indicateur 4 par ressource";

/// The columns of indicator 4 per resource, in the workbook and the CSV file alike.
pub const RESOURCE_COLUMNS: [&str; 10] = [
    "ressource",
    "titre",
    "thème",
    "satisfaction",
    "intervalle bas",
    "intervalle haut",
    "avis satisfaits",
    "avis",
    "téléchargements",
    "participation",
];

/// The text cells of a resource's row: id, title, theme.
pub fn resource_cells(r: &ResourceResult) -> [String; 3] {
    [
        r.resource
            .clone()
            .unwrap_or_else(|| "(sans ressource)".to_owned()),
        r.title.clone().unwrap_or_default(),
        r.theme.clone().unwrap_or_default(),
    ]
}
/// Excel's last row; the raw sheet stops one before, with a note.
const MAX_ROWS: u32 = 1_048_575;

/// The sheet of one indicator: "Indicateur 3.1".
pub fn sheet_name(code: QuestionnaireCode) -> String {
    format!("Indicateur {}", code.as_str().trim_start_matches('i'))
}

struct Formats {
    bold: Format,
    percent: Format,
}

impl Formats {
    fn header(&self, sheet: &mut Worksheet, row: u32, cells: &[&str]) -> Result<(), XlsxError> {
        for (col, text) in cells.iter().enumerate() {
            sheet.write_string_with_format(row, col as u16, *text, &self.bold)?;
        }
        Ok(())
    }

    /// A ratio, shown as a percentage but kept as a number for computing.
    fn ratio(
        &self,
        sheet: &mut Worksheet,
        row: u32,
        col: u16,
        value: Option<f64>,
    ) -> Result<(), XlsxError> {
        if let Some(v) = value.filter(|v| v.is_finite()) {
            sheet.write_number_with_format(row, col, v, &self.percent)?;
        }
        Ok(())
    }
}

fn count(sheet: &mut Worksheet, row: u32, col: u16, value: Option<u64>) -> Result<(), XlsxError> {
    if let Some(v) = value {
        sheet.write_number(row, col, v as f64)?;
    }
    Ok(())
}

pub struct Book {
    workbook: Workbook,
    formats: Formats,
    raw_row: u32,
    raw_full: bool,
}

impl Default for Book {
    fn default() -> Self {
        Self {
            workbook: Workbook::new(),
            formats: Formats {
                bold: Format::new().set_bold(),
                percent: Format::new().set_num_format("0.0%"),
            },
            raw_row: 0,
            raw_full: false,
        }
    }
}

impl Book {
    pub fn summary(&mut self, overview: &Overview) -> Result<(), XlsxError> {
        let this = &self.formats;
        let sheet = self.workbook.add_worksheet();
        sheet.set_name(SUMMARY_SHEET)?;
        this.header(
            sheet,
            0,
            &[
                "Indicateur",
                "Intitulé",
                "Période",
                "Valeur",
                "Objectif",
                "Objectif atteint",
                "Répondants",
                "Invitations envoyées",
                "Échecs d’envoi définitifs",
                "Taux de participation",
                "Objectif de participation",
                "IC 95 % bas",
                "IC 95 % haut",
                "Tous répondants regroupés (3.1)",
                "Entreprises notées (3.1)",
                "Évolution (points)",
                "Au-delà de la marge d’erreur",
                "Adresses non distribuables (échecs d’envoi et retours)",
                "Taux de participation des personnes jointes",
            ],
        )?;
        for (i, entry) in overview.entries.iter().enumerate() {
            let row = i as u32 + 1;
            let r = &entry.report;
            sheet.write_string(row, 0, r.code.as_str())?;
            sheet.write_string(row, 1, indicator_title(r.code))?;
            sheet.write_string(row, 2, period_label(&entry.period))?;
            this.ratio(sheet, row, 3, r.value)?;
            this.ratio(sheet, row, 4, Some(r.target.threshold()))?;
            sheet.write_string(row, 5, yes_no(r.target_met()))?;
            count(sheet, row, 6, Some(r.respondents))?;
            count(sheet, row, 7, r.invited())?;
            count(sheet, row, 8, r.participation.map(|p| p.failed()))?;
            this.ratio(sheet, row, 9, r.participation_rate())?;
            this.ratio(
                sheet,
                row,
                10,
                r.participation_target.map(|t| t.threshold()),
            )?;
            this.ratio(sheet, row, 11, r.interval.map(|i| i.0))?;
            this.ratio(sheet, row, 12, r.interval.map(|i| i.1))?;
            if let Some(two_level) = &r.two_level {
                this.ratio(sheet, row, 13, two_level.pooled_value)?;
                count(sheet, row, 14, Some(two_level.companies_counted as u64))?;
            }
            if let Some((_, change)) = &entry.change {
                if let Some(points) = change.points {
                    sheet.write_number(row, 15, points)?;
                }
                if let Some(test) = change.test {
                    sheet.write_string(row, 16, if test.significant { "oui" } else { "non" })?;
                }
            }
            count(sheet, row, 17, r.participation.map(|p| p.undeliverable()))?;
            this.ratio(
                sheet,
                row,
                18,
                r.participation.and_then(|p| p.rate_over_reached()),
            )?;
        }
        sheet.set_column_width(1, 50)?;
        Ok(())
    }

    pub fn indicator(
        &mut self,
        entry: &IndicatorEntry,
        definition: Option<&Questionnaire>,
    ) -> Result<(), XlsxError> {
        let this = &self.formats;
        let r = &entry.report;
        let sheet = self.workbook.add_worksheet();
        sheet.set_name(sheet_name(r.code))?;
        sheet.write_string_with_format(0, 0, indicator_title(r.code), &this.bold)?;
        sheet.write_string(1, 0, period_label(&entry.period))?;
        if entry.masked {
            sheet.write_string(
                2,
                0,
                "Trop peu de réponses : résultats non publiés (anonymat).",
            )?;
        }
        let text_of = |id: &str| {
            definition
                .and_then(|d| d.question(id))
                .map_or_else(|| id.to_owned(), |q| q.text.clone())
        };
        this.header(
            sheet,
            4,
            &[
                "Question",
                "Intitulé",
                "Favorables",
                "Réponses exprimées",
                "Taux",
                "IC 95 % bas",
                "IC 95 % haut",
            ],
        )?;
        let mut row = 5;
        let rates: Vec<&QuestionRate> = r.mean.questions.iter().chain(r.overall()).collect();
        for rate in rates {
            sheet.write_string(row, 0, rate.question.as_str())?;
            sheet.write_string(row, 1, text_of(&rate.question))?;
            count(sheet, row, 2, Some(rate.proportion.favorable()))?;
            count(sheet, row, 3, Some(rate.proportion.total()))?;
            this.ratio(sheet, row, 4, rate.rate())?;
            let interval = rate.proportion.interval_95();
            this.ratio(sheet, row, 5, interval.map(|i| i.0))?;
            this.ratio(sheet, row, 6, interval.map(|i| i.1))?;
            row += 1;
        }
        if let Some(two_level) = &r.two_level {
            row += 1;
            this.header(sheet, row, &["Entreprise", "Score", "Questions notées"])?;
            for company in &two_level.companies {
                row += 1;
                sheet.write_string(row, 0, company.company.as_str())?;
                this.ratio(sheet, row, 1, company.score)?;
                count(sheet, row, 2, Some(company.questions_averaged as u64))?;
            }
        }
        sheet.set_column_width(1, 60)?;
        Ok(())
    }

    /// Starts the raw sheet with its header: questionnaire, campaign, response, day, then
    /// each questionnaire's own columns side by side.
    pub fn raw_header(
        &mut self,
        parts: &[(QuestionnaireCode, &RawColumns)],
    ) -> Result<(), XlsxError> {
        let bold = &self.formats.bold;
        let sheet = self.workbook.add_worksheet();
        sheet.set_name(RAW_SHEET)?;
        let mut col: u16 = 0;
        for title in ["questionnaire", "campagne", "réponse", "date"] {
            sheet.write_string_with_format(0, col, title, bold)?;
            col += 1;
        }
        for (code, columns) in parts {
            for title in columns.header(&[]) {
                sheet.write_string_with_format(
                    0,
                    col,
                    format!("{} · {title}", code.as_str()),
                    bold,
                )?;
                col += 1;
            }
        }
        self.raw_row = 1;
        Ok(())
    }

    /// Appends responses of `code`, whose columns start at `offset`.
    pub fn raw_rows(
        &mut self,
        code: QuestionnaireCode,
        campaign: &dyn Fn(&StoredResponse) -> String,
        columns: &RawColumns,
        offset: u16,
        responses: &[StoredResponse],
    ) -> Result<(), XlsxError> {
        let sheet = self.workbook.worksheet_from_name(RAW_SHEET)?;
        for r in responses {
            if self.raw_row >= MAX_ROWS {
                if !self.raw_full {
                    sheet.write_string(
                        MAX_ROWS,
                        0,
                        "Limite d’Excel atteinte : utilisez les exports CSV par campagne.",
                    )?;
                    self.raw_full = true;
                }
                return Ok(());
            }
            let row = self.raw_row;
            sheet.write_string(row, 0, code.as_str())?;
            sheet.write_string(row, 1, campaign(r))?;
            sheet.write_string(row, 2, r.id.to_string())?;
            sheet.write_string(row, 3, r.submitted_on.format("%Y-%m-%d").to_string())?;
            for (i, cell) in columns.cells(r).into_iter().enumerate() {
                if !cell.is_empty() {
                    sheet.write_string(row, offset + i as u16, cell)?;
                }
            }
            self.raw_row += 1;
        }
        Ok(())
    }

    /// Indicator 4 per resource: satisfaction and participation of each resource of the year.
    pub fn resources(&mut self, results: &WidgetResults) -> Result<(), XlsxError> {
        let formats = &self.formats;
        let sheet = self.workbook.add_worksheet();
        sheet.set_name(RESOURCES_SHEET)?;
        formats.header(sheet, 0, &RESOURCE_COLUMNS)?;
        for (i, r) in results.resources.iter().enumerate() {
            let row = u32::try_from(i + 1).unwrap_or(u32::MAX);
            let cells = resource_cells(r);
            for (col, text) in cells.iter().take(3).enumerate() {
                sheet.write_string(row, col as u16, text)?;
            }
            let s = r.rates.satisfaction;
            formats.ratio(sheet, row, 3, s.rate())?;
            formats.ratio(sheet, row, 4, s.interval_95().map(|b| b.0))?;
            formats.ratio(sheet, row, 5, s.interval_95().map(|b| b.1))?;
            count(sheet, row, 6, Some(s.favorable()))?;
            count(sheet, row, 7, Some(s.total()))?;
            count(sheet, row, 8, Some(r.rates.participation.downloads))?;
            formats.ratio(sheet, row, 9, r.rates.participation.rate())?;
        }
        Ok(())
    }

    pub fn note(&mut self, text: &str) -> Result<(), XlsxError> {
        let sheet = self.workbook.worksheet_from_name(RAW_SHEET)?;
        sheet.write_string(self.raw_row + 1, 0, text)?;
        Ok(())
    }

    pub fn finish(mut self) -> Result<Vec<u8>, XlsxError> {
        self.workbook.save_to_buffer()
    }
}

fn period_label(period: &PeriodRef) -> String {
    match period {
        PeriodRef::Year(year) => year.to_string(),
        PeriodRef::Wave { label, .. } => format!("vague {label}"),
        PeriodRef::NoWave { year } => format!("aucune vague en {year}"),
    }
}

fn yes_no(value: Option<bool>) -> &'static str {
    match value {
        Some(true) => "oui",
        Some(false) => "non",
        None => "",
    }
}
