//! Files for statisticians (issue 15): a campaign's responses for SPSS, PSPP, R, Stata and
//! market-research tools, with every label, and their codebook. One description,
//! [`crate::domain::dataset::Dataset`], built here from the store; each writer turns it into
//! bytes. Used by the staff exports (`/exports/campagnes/{id}/…`) and `jalon export`.
//!
//! Anonymous questionnaires (6, 7) have no row-level export: [`StatsError::Anonymous`].

pub mod codebook;
pub mod sav;
pub mod sss;
pub mod syntax;

use std::io::Write as _;
use std::sync::Arc;

use chrono::NaiveDateTime;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::catalog::Catalog;
use crate::domain::QuestionnaireCode;
use crate::domain::dataset::{Dataset, ResponseRecord, build};
use crate::domain::results::Versions;
use crate::domain::results::labels::dimension_label;
use crate::entities::campaign;
use crate::store::StoreError;
use crate::store::results::campaigns;
use crate::store::results::raw::{RawScope, StoredResponse, responses_page};
use crate::store::versions;

/// Responses read at a time.
const PAGE: u64 = 1000;

#[derive(Debug, thiserror::Error)]
pub enum StatsError {
    #[error("campagne introuvable")]
    NotFound,
    #[error("questionnaire anonyme : aucune donnée individuelle n’est exportée")]
    Anonymous,
    #[error("questionnaire {0} absent du catalogue")]
    MissingQuestionnaire(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("écriture du fichier impossible : {0}")]
    Write(String),
}

/// A file for statisticians.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// SPSS system file.
    Sav,
    /// CSV and an R script, zipped.
    R,
    /// CSV and SPSS syntax, zipped.
    Sps,
    /// Triple-S 2.0 metadata and fixed-width data, zipped.
    Sss,
    CodebookCsv,
    CodebookHtml,
}

impl Format {
    pub const ALL: [Format; 6] = [
        Self::Sav,
        Self::R,
        Self::Sps,
        Self::Sss,
        Self::CodebookCsv,
        Self::CodebookHtml,
    ];

    /// The route's file name, also the `jalon export` argument.
    pub fn file_name(self) -> &'static str {
        match self {
            Self::Sav => "reponses.sav",
            Self::R => "reponses-r.zip",
            Self::Sps => "reponses-sps.zip",
            Self::Sss => "reponses-sss.zip",
            Self::CodebookCsv => "codebook.csv",
            Self::CodebookHtml => "codebook.html",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.file_name() == name)
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Sav => "application/x-spss-sav",
            Self::R | Self::Sps | Self::Sss => "application/zip",
            Self::CodebookCsv => "text/csv; charset=utf-8",
            Self::CodebookHtml => "text/html; charset=utf-8",
        }
    }

    /// What the audit journal records.
    pub fn audit_action(self) -> &'static str {
        match self {
            Self::Sav => "export_sav",
            Self::R => "export_r",
            Self::Sps => "export_sps",
            Self::Sss => "export_sss",
            Self::CodebookCsv | Self::CodebookHtml => "export_codebook",
        }
    }
}

/// A non-anonymous campaign and its dataset.
pub struct CampaignData {
    pub campaign: campaign::Model,
    pub code: QuestionnaireCode,
    pub dataset: Dataset,
}

/// Reads a campaign's responses and builds its dataset; refuses anonymous questionnaires.
pub async fn campaign_dataset(
    db: &impl ConnectionTrait,
    catalog: &Catalog,
    id: Uuid,
) -> Result<CampaignData, StatsError> {
    let campaign = campaigns::by_id(db, id)
        .await?
        .ok_or(StatsError::NotFound)?;
    let code: QuestionnaireCode = campaign
        .questionnaire_code
        .parse()
        .map_err(|_| StatsError::MissingQuestionnaire(campaign.questionnaire_code.clone()))?;
    let loaded = catalog
        .get(code)
        .ok_or_else(|| StatsError::MissingQuestionnaire(campaign.questionnaire_code.clone()))?;
    if loaded.definition.anonymous {
        return Err(StatsError::Anonymous);
    }
    let mut responses: Vec<StoredResponse> = Vec::new();
    let mut after = None;
    loop {
        let page = responses_page(db, RawScope::Campaign(id), after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        responses.extend(page);
    }
    let mut known = Versions::new(Some((loaded.version.clone(), loaded.definition.clone())));
    for r in &responses {
        if !known.contains(&r.version)
            && let Some(definition) = versions::load(db, &r.version).await?
        {
            known.insert(r.version.clone(), Arc::new(definition));
        }
    }
    let mut keys: Vec<String> = responses
        .iter()
        .flat_map(|r| r.attributes.iter().map(|(k, _)| k.clone()))
        .collect();
    keys.sort();
    keys.dedup();
    let attributes: Vec<(String, String)> = keys
        .into_iter()
        .map(|k| {
            let label = dimension_label(Some(&loaded.definition), &k);
            (k, label)
        })
        .collect();
    let records: Vec<ResponseRecord<'_>> = responses
        .iter()
        .map(|r| ResponseRecord {
            id: r.id,
            version: &r.version,
            submitted_on: r.submitted_on,
            answers: &r.answers,
            attributes: &r.attributes,
        })
        .collect();
    let dataset = build(&known, &campaign.label, &attributes, &records);
    Ok(CampaignData {
        campaign,
        code,
        dataset,
    })
}

/// The bytes of `format`. `codebook_html`: the HTML codebook, rendered by the views.
pub fn render(
    format: Format,
    dataset: &Dataset,
    created: NaiveDateTime,
    codebook_html: impl FnOnce(&Dataset) -> String,
) -> Result<Vec<u8>, StatsError> {
    let failed = |e: &dyn std::fmt::Display| StatsError::Write(e.to_string());
    Ok(match format {
        Format::Sav => sav::write(dataset, created),
        Format::R => zip(&[
            (
                syntax::DATA_FILE,
                syntax::data_csv(dataset).map_err(|e| failed(&e))?,
            ),
            ("reponses.R", syntax::r_script(dataset).into_bytes()),
            (
                "codebook.csv",
                codebook::csv(dataset).map_err(|e| failed(&e))?,
            ),
        ])
        .map_err(|e| failed(&e))?,
        Format::Sps => zip(&[
            (
                syntax::DATA_FILE,
                syntax::data_csv(dataset).map_err(|e| failed(&e))?,
            ),
            ("reponses.sps", syntax::sps(dataset).into_bytes()),
            (
                "codebook.csv",
                codebook::csv(dataset).map_err(|e| failed(&e))?,
            ),
        ])
        .map_err(|e| failed(&e))?,
        Format::Sss => {
            let (metadata, data) = sss::write(dataset, created);
            zip(&[
                ("reponses.sss", metadata.into_bytes()),
                (sss::DATA_FILE, data.into_bytes()),
            ])
            .map_err(|e| failed(&e))?
        }
        Format::CodebookCsv => codebook::csv(dataset).map_err(|e| failed(&e))?,
        Format::CodebookHtml => codebook_html(dataset).into_bytes(),
    })
}

fn zip(files: &[(&str, Vec<u8>)]) -> Result<Vec<u8>, zip::result::ZipError> {
    let mut archive = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in files {
        archive.start_file(*name, options)?;
        archive.write_all(bytes)?;
    }
    Ok(archive.finish()?.into_inner())
}
