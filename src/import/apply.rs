//! Applying a checked import: all or nothing unless asked to skip invalid rows.

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

use super::{Rejection, table};
use crate::catalog::Catalog;
use crate::domain::QuestionnaireCode;
use crate::progress::Progress;
use crate::store::{StoreError, registration};

#[derive(Debug, Clone, Copy)]
pub enum ImportKind {
    Interventions,
    Coproductions,
    Roster(uuid::Uuid),
}

#[derive(Debug, Default)]
pub struct ImportReport {
    pub rows: usize,
    /// Interventions, co-productions or people accepted.
    pub accepted: usize,
    /// Of which new (a second import of the same file adds nothing).
    pub created: usize,
    pub invitations_added: usize,
    pub rejected: Vec<Rejection>,
    pub ignored_columns: Vec<String>,
    /// True when errors stopped the whole import.
    pub aborted: bool,
}

impl ImportReport {
    pub fn render(&self) -> String {
        let mut out = format!("{} ligne(s) lue(s).\n", self.rows);
        if !self.ignored_columns.is_empty() {
            out.push_str(&format!(
                "Colonnes ignorées : {}\n",
                self.ignored_columns.join(", ")
            ));
        }
        for rejection in &self.rejected {
            out.push_str(&format!("{rejection}\n"));
        }
        if self.aborted {
            out.push_str(&format!(
                "{} erreur(s) : rien n'a été importé (--skip-invalid importe les lignes valides).\n",
                self.rejected.len()
            ));
        } else {
            out.push_str(&format!(
                "{} élément(s) accepté(s), dont {} nouveau(x) ; {} invitation(s) ajoutée(s) ; {} ligne(s) rejetée(s).\n",
                self.accepted,
                self.created,
                self.invitations_added,
                self.rejected.len()
            ));
        }
        out
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{0}")]
    Table(#[from] table::TableError),
    #[error("vague inconnue : {0}")]
    UnknownWave(uuid::Uuid),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Checks every row of `bytes`, then registers the valid ones (none if any is invalid,
/// unless `skip_invalid`), reporting the rows registered to `progress`.
#[allow(clippy::too_many_arguments)]
pub async fn run(
    db: &DatabaseConnection,
    links: &crate::link_key::LinkKey,
    catalog: &Catalog,
    kind: ImportKind,
    bytes: &[u8],
    skip_invalid: bool,
    now: DateTime<Utc>,
    progress: &dyn Progress,
) -> Result<ImportReport, ImportError> {
    let rules = |code| {
        catalog
            .get(code)
            .map(|q| q.definition.schedule.clone())
            .unwrap_or_default()
    };
    let columns = match kind {
        ImportKind::Interventions => super::INTERVENTION_COLUMNS,
        ImportKind::Coproductions => super::COPRODUCTION_COLUMNS,
        ImportKind::Roster(_) => super::ROSTER_COLUMNS,
    };
    let table = table::read(bytes, columns)?;
    let mut report = ImportReport {
        rows: table.rows.len(),
        ignored_columns: table.ignored_columns.clone(),
        ..Default::default()
    };
    let network = &catalog.network;
    match kind {
        ImportKind::Interventions => {
            let checked = super::interventions(&table, network);
            report.rejected = checked.rejected;
            if !report.rejected.is_empty() && !skip_invalid {
                report.aborted = true;
                return Ok(report);
            }
            let rules = rules(QuestionnaireCode::I3_1);
            progress.set_length(checked.valid.len() as u64);
            for new in &checked.valid {
                let done =
                    registration::register_intervention(db, links, new, network, &rules, now)
                        .await?;
                report.accepted += 1;
                report.created += usize::from(done.created);
                report.invitations_added += done.added;
                progress.advance(1);
            }
        }
        ImportKind::Coproductions => {
            let checked = super::coproductions(&table, network);
            report.rejected = checked.rejected;
            if !report.rejected.is_empty() && !skip_invalid {
                report.aborted = true;
                return Ok(report);
            }
            let rules = rules(QuestionnaireCode::I3_2);
            progress.set_length(checked.valid.len() as u64);
            for new in &checked.valid {
                let done =
                    registration::register_coproduction(db, links, new, network, &rules, now)
                        .await?;
                report.accepted += 1;
                report.created += usize::from(done.created);
                report.invitations_added += done.added;
                progress.advance(1);
            }
        }
        ImportKind::Roster(wave_id) => {
            let (code, wave) = registration::find_wave(db, wave_id, rules)
                .await?
                .ok_or(ImportError::UnknownWave(wave_id))?;
            let checked = super::roster(&table, code, network);
            report.rejected = checked.rejected;
            if !report.rejected.is_empty() && !skip_invalid {
                report.aborted = true;
                return Ok(report);
            }
            // One transaction: the roster is whole or absent.
            progress.set_length(checked.valid.len() as u64);
            let done =
                registration::add_roster(db, links, code, &wave, &checked.valid, now).await?;
            progress.advance(checked.valid.len() as u64);
            report.accepted = checked.valid.len();
            report.created = done.added;
            report.invitations_added = done.added;
        }
    }
    progress.finish();
    Ok(report)
}
