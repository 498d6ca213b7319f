//! Questionnaires edited by staff: the draft of each, its publication (a version, who, when,
//! in the audit log too), what the database knows that may refuse a publication, and the
//! pilot of a draft (links and responses kept apart from `responses`, never counted).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};
use uuid::Uuid;

use super::StoreError;
use crate::catalog::{Catalog, content_version};
use crate::domain::QuestionnaireCode;
use crate::domain::answers::RawAnswers;
use crate::domain::email_template::EmailTemplate;
use crate::domain::questionnaire::{PublishContext, parse_questionnaire};
use crate::domain::staff::secret;
use crate::entities::{
    answer, answer_tally, campaign, pilot_link, pilot_response, questionnaire_draft,
    questionnaire_publication, questionnaire_version, response,
};

/// Most pilot links made at once.
pub const MAX_PILOT_LINKS: u32 = 200;

pub async fn draft(
    db: &impl ConnectionTrait,
    code: QuestionnaireCode,
) -> Result<Option<questionnaire_draft::Model>, StoreError> {
    Ok(
        questionnaire_draft::Entity::find_by_id(code.as_str().to_owned())
            .one(db)
            .await?,
    )
}

/// Saves the draft of `code` (checked by the caller), replacing the previous one: its
/// definition, and its emails when it changes them (`None`: the emails in use stay).
pub async fn save_draft(
    db: &impl ConnectionTrait,
    code: QuestionnaireCode,
    source: &str,
    emails: Option<&str>,
    by: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let row = questionnaire_draft::ActiveModel {
        code: Set(code.as_str().to_owned()),
        source: Set(source.to_owned()),
        emails: Set(emails.map(str::to_owned)),
        saved_by: Set(by.chars().take(300).collect()),
        saved_at: Set(now),
    };
    questionnaire_draft::Entity::insert(row)
        .on_conflict(
            OnConflict::column(questionnaire_draft::Column::Code)
                .update_columns([
                    questionnaire_draft::Column::Source,
                    questionnaire_draft::Column::Emails,
                    questionnaire_draft::Column::SavedBy,
                    questionnaire_draft::Column::SavedAt,
                ])
                .to_owned(),
        )
        .exec(db)
        .await?;
    Ok(())
}

/// The latest publication of `code`, if staff ever published it.
pub async fn latest_publication(
    db: &impl ConnectionTrait,
    code: QuestionnaireCode,
) -> Result<Option<questionnaire_publication::Model>, StoreError> {
    Ok(questionnaire_publication::Entity::find()
        .filter(questionnaire_publication::Column::Code.eq(code.as_str()))
        .order_by_desc(questionnaire_publication::Column::Id)
        .one(db)
        .await?)
}

/// The id of the newest publication of all: what instances watch to notice one.
pub async fn newest_publication_id(db: &impl ConnectionTrait) -> Result<i32, StoreError> {
    let newest = questionnaire_publication::Entity::find()
        .select_only()
        .column_as(questionnaire_publication::Column::Id.max(), "newest")
        .into_tuple::<Option<i32>>()
        .one(db)
        .await?;
    Ok(newest.flatten().unwrap_or(0))
}

/// Makes the checked `source` of `code` the version in use, with the checked `emails` if
/// given (else the emails last published stay, or the file's if none ever was): records the
/// version (by content hash, once), the publication and its audit entry in one transaction,
/// and drops the draft (the published version is the starting point of the next one).
/// Returns the version.
pub async fn publish(
    db: &DatabaseConnection,
    code: QuestionnaireCode,
    source: &str,
    emails: Option<&str>,
    by: &str,
    now: DateTime<Utc>,
) -> Result<String, StoreError> {
    let version = content_version(source);
    let txn = db.begin().await?;
    // Each publication names the emails in use after it, so the newest one alone says
    // what every instance sends.
    let emails = match emails {
        Some(emails) => Some(emails.to_owned()),
        None => latest_publication(&txn, code).await?.and_then(|p| p.emails),
    };
    let detail = match &emails {
        Some(emails) => format!("version {version}, messages {}", content_version(emails)),
        None => format!("version {version}"),
    };
    questionnaire_version::Entity::insert(questionnaire_version::ActiveModel {
        id: Set(version.clone()),
        code: Set(code.as_str().to_owned()),
        source: Set(source.to_owned()),
        created_at: Set(now),
    })
    .on_conflict_do_nothing_on([questionnaire_version::Column::Id])
    .exec(&txn)
    .await?;
    questionnaire_publication::Entity::insert(questionnaire_publication::ActiveModel {
        code: Set(code.as_str().to_owned()),
        version_id: Set(version.clone()),
        published_by: Set(by.chars().take(300).collect()),
        published_at: Set(now),
        emails: Set(emails),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    questionnaire_draft::Entity::delete_by_id(code.as_str().to_owned())
        .exec(&txn)
        .await?;
    super::audit::record(
        &txn,
        by,
        "questionnaire.publish",
        code.as_str(),
        &detail,
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(version)
}

/// Loads into `catalog` the version and emails last published of each questionnaire, where
/// they differ from those in use. Returns how many changed.
pub async fn apply_publications(
    db: &impl ConnectionTrait,
    catalog: &Catalog,
) -> Result<usize, StoreError> {
    let publications = questionnaire_publication::Entity::find()
        .order_by_asc(questionnaire_publication::Column::Id)
        .all(db)
        .await?;
    let mut newest: BTreeMap<String, questionnaire_publication::Model> = BTreeMap::new();
    for publication in publications {
        newest.insert(publication.code.clone(), publication);
    }
    let mut changed = 0;
    for (code, publication) in newest {
        let Ok(code) = code.parse::<QuestionnaireCode>() else {
            continue;
        };
        let version = publication.version_id;
        if catalog.get(code).is_some_and(|l| {
            l.version == version
                && publication
                    .emails
                    .as_ref()
                    .is_none_or(|emails| *emails == l.email_source)
        }) {
            continue;
        }
        let Some(row) = questionnaire_version::Entity::find_by_id(version.clone())
            .one(db)
            .await?
        else {
            return Err(StoreError::Corrupt(format!(
                "version publiée {version} introuvable"
            )));
        };
        let definition = parse_questionnaire(&row.source)
            .map_err(|_| StoreError::Corrupt(format!("version {version} ne se relit plus")))?;
        let emails = match publication.emails {
            Some(text) => Some((
                EmailTemplate::parse(&text).map_err(|_| {
                    StoreError::Corrupt(format!("messages publiés de {code} illisibles"))
                })?,
                text,
            )),
            None => None,
        };
        if catalog.publish(definition, row.source, emails) {
            changed += 1;
        }
    }
    Ok(changed)
}

/// What may refuse publishing a draft of `code`: the option values with stored answers, an
/// open campaign, the questions of every earlier version.
pub async fn publish_context(
    db: &impl ConnectionTrait,
    code: QuestionnaireCode,
) -> Result<PublishContext, StoreError> {
    let backend = db.get_database_backend();
    let mut context = PublishContext::default();

    let open = campaign::Entity::find()
        .filter(campaign::Column::QuestionnaireCode.eq(code.as_str()))
        .filter(campaign::Column::Status.ne(super::campaigns::STATUS_CLOSED))
        .count(db)
        .await?;
    context.campaign_open = open > 0;

    // Answers kept one by one (personal questionnaires)…
    let stored = Query::select()
        .distinct()
        .column((answer::Entity, answer::Column::QuestionId))
        .column((answer::Entity, answer::Column::Value))
        .from(answer::Entity)
        .inner_join(
            response::Entity,
            Expr::col((response::Entity, response::Column::Id))
                .equals((answer::Entity, answer::Column::ResponseId)),
        )
        .inner_join(
            campaign::Entity,
            Expr::col((campaign::Entity, campaign::Column::Id))
                .equals((response::Entity, response::Column::CampaignId)),
        )
        .and_where(
            Expr::col((campaign::Entity, campaign::Column::QuestionnaireCode)).eq(code.as_str()),
        )
        .to_owned();
    // …and counted (anonymous questionnaires keep only counts).
    let counted = Query::select()
        .distinct()
        .column((answer_tally::Entity, answer_tally::Column::QuestionId))
        .column((answer_tally::Entity, answer_tally::Column::Value))
        .from(answer_tally::Entity)
        .inner_join(
            campaign::Entity,
            Expr::col((campaign::Entity, campaign::Column::Id))
                .equals((answer_tally::Entity, answer_tally::Column::CampaignId)),
        )
        .and_where(
            Expr::col((campaign::Entity, campaign::Column::QuestionnaireCode)).eq(code.as_str()),
        )
        .and_where(Expr::col((answer_tally::Entity, answer_tally::Column::Count)).gt(0))
        .to_owned();
    for query in [stored, counted] {
        for row in db.query_all_raw(backend.build(&query)).await? {
            let question: String = row.try_get("", "question_id")?;
            let value: String = row.try_get("", "value")?;
            context.answered.entry(question).or_default().insert(value);
        }
    }

    let versions = questionnaire_version::Entity::find()
        .filter(questionnaire_version::Column::Code.eq(code.as_str()))
        .order_by_asc(questionnaire_version::Column::CreatedAt)
        .all(db)
        .await?;
    for version in versions {
        // A version that no longer reads (an older format) has nothing to compare.
        if let Ok(definition) = parse_questionnaire(&version.source) {
            for question in definition.questions() {
                context
                    .past_questions
                    .insert(question.id.clone(), question.clone());
            }
        }
    }
    Ok(context)
}

/// A pilot link, as handed to staff once (only its hash is kept).
#[derive(Debug, Clone)]
pub struct NewPilotLink {
    pub token: String,
    pub open: bool,
}

/// Makes `count` personal pilot links (one response each), or one open link, for the draft
/// of `code`.
pub async fn create_pilot_links(
    db: &impl ConnectionTrait,
    code: QuestionnaireCode,
    count: u32,
    open: bool,
    by: &str,
    now: DateTime<Utc>,
) -> Result<Vec<NewPilotLink>, StoreError> {
    let count = if open {
        1
    } else {
        Ord::min(count, MAX_PILOT_LINKS)
    };
    let links: Vec<NewPilotLink> = (0..count)
        .map(|_| NewPilotLink {
            token: secret::session_token(),
            open,
        })
        .collect();
    let rows = links.iter().map(|link| pilot_link::ActiveModel {
        token_hash: Set(secret::digest(&link.token)),
        code: Set(code.as_str().to_owned()),
        open: Set(open),
        created_by: Set(by.chars().take(300).collect()),
        created_at: Set(now),
    });
    if !links.is_empty() {
        pilot_link::Entity::insert_many(rows).exec(db).await?;
    }
    Ok(links)
}

/// The pilot link of `token`, if it exists.
pub async fn pilot_link(
    db: &impl ConnectionTrait,
    token: &str,
) -> Result<Option<pilot_link::Model>, StoreError> {
    Ok(pilot_link::Entity::find_by_id(secret::digest(token))
        .one(db)
        .await?)
}

/// Whether a personal pilot link has been answered already.
pub async fn pilot_link_used(
    db: &impl ConnectionTrait,
    link: &pilot_link::Model,
) -> Result<bool, StoreError> {
    if link.open {
        return Ok(false);
    }
    let found = pilot_response::Entity::find()
        .filter(pilot_response::Column::LinkHash.eq(link.token_hash.as_str()))
        .count(db)
        .await?;
    Ok(found > 0)
}

/// Stores a pilot response (already checked against the draft `version`).
pub async fn record_pilot_response(
    db: &impl ConnectionTrait,
    link: &pilot_link::Model,
    version: &str,
    answers: &RawAnswers,
    started_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let json = serde_json::to_string(answers)
        .map_err(|e| StoreError::Corrupt(format!("réponse pilote non sérialisable : {e}")))?;
    pilot_response::Entity::insert(pilot_response::ActiveModel {
        id: Set(Uuid::now_v7()),
        code: Set(link.code.clone()),
        link_hash: Set(link.token_hash.clone()),
        version_id: Set(version.to_owned()),
        answers: Set(json),
        started_at: Set(started_at),
        submitted_at: Set(now),
    })
    .exec(db)
    .await?;
    Ok(())
}

/// A pilot response, read back.
#[derive(Debug, Clone)]
pub struct PilotResponse {
    pub version: String,
    pub answers: RawAnswers,
    pub started_at: Option<DateTime<Utc>>,
    pub submitted_at: DateTime<Utc>,
}

/// The pilot responses of `code`, oldest first.
pub async fn pilot_responses(
    db: &impl ConnectionTrait,
    code: QuestionnaireCode,
) -> Result<Vec<PilotResponse>, StoreError> {
    let rows = pilot_response::Entity::find()
        .filter(pilot_response::Column::Code.eq(code.as_str()))
        .order_by_asc(pilot_response::Column::SubmittedAt)
        .order_by_asc(pilot_response::Column::Id)
        .all(db)
        .await?;
    rows.into_iter()
        .map(|row| {
            let answers = serde_json::from_str(&row.answers)
                .map_err(|e| StoreError::Corrupt(format!("réponse pilote illisible : {e}")))?;
            Ok(PilotResponse {
                version: row.version_id,
                answers,
                started_at: row.started_at,
                submitted_at: row.submitted_at,
            })
        })
        .collect()
}

/// Deletes the pilot responses and links of `code`; returns how many responses went.
pub async fn purge_pilot(
    db: &DatabaseConnection,
    code: QuestionnaireCode,
    by: &str,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let txn = db.begin().await?;
    let deleted = pilot_response::Entity::delete_many()
        .filter(pilot_response::Column::Code.eq(code.as_str()))
        .exec(&txn)
        .await?
        .rows_affected;
    pilot_link::Entity::delete_many()
        .filter(pilot_link::Column::Code.eq(code.as_str()))
        .exec(&txn)
        .await?;
    super::audit::record(
        &txn,
        by,
        "questionnaire.pilot_purge",
        code.as_str(),
        &format!("{deleted} réponse(s) pilote supprimée(s)"),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(deleted)
}
