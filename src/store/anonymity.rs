//! Anonymous questionnaires (6, 7): sealing each response when it is given, and releasing a
//! campaign's sealed responses into the results together (rules in `domain::anonymity`).
//!
//! What an administrator with the whole database can see, and cannot:
//! - a sealed response (`anonymous_pending`) has a random id, its campaign, version, answers
//!   and the attributes the questionnaire keeps; no invitation, no time. It is written in the
//!   transaction that marks the invitation completed (so nothing acknowledged can be lost),
//!   which PostgreSQL's `xmin` records: until the release, a sealed row can be tied to its
//!   claim that way (and, on any database, to the few people who completed since the last
//!   release). The release deletes it.
//! - a release rewrites *every* anonymous response of the campaign, already released or
//!   sealed, in one transaction: fresh random (v4) ids, random order, one common day, no
//!   invitation, attributes coarsened so that every stored combination is shared by at least
//!   `k` responses, and the campaign's tallies recomputed. Row ids, row order (SQLite's
//!   `rowid`), `xmin`, days and tallies then say nothing finer than "one of the campaign's
//!   respondents".
//! - on SQLite deleted rows are overwritten (`secure_delete`, see `connect`) and the
//!   write-ahead log is truncated after a release, so the file keeps no copy of the sealed
//!   rows. PostgreSQL keeps dead row versions until `VACUUM` and its own write-ahead log:
//!   reading those needs the server's files, not SQL.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rand::seq::SliceRandom;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QuerySelect, Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::StoreError;
use super::invitations::STATUS_PENDING;
use super::responses::{CHUNK, answer_rows, attribute_rows, insert_rows};
use super::results::raw::{RawScope, responses_page};
use super::results::tallies::TallyBatch;
use crate::domain::QuestionnaireCode;
use crate::domain::anonymity::{coarsen, release_due};
use crate::domain::answers::ValidAnswers;
use crate::domain::questionnaire::Questionnaire;
use crate::domain::results::tally::answers_from_stored;
use crate::domain::results::{response_tally, tally_period};
use crate::entities::{
    anonymous_pending, answer_tally, campaign, group_tally, invitation, response,
};

/// What a sealed response keeps.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Sealed {
    /// `(question, values in position order)`, as the answer rows store them.
    answers: Vec<(String, Vec<String>)>,
    attributes: Vec<(String, String)>,
}

/// The row sealing a validated anonymous response, and its id: to be inserted in the
/// transaction that claims its invitation (`store::submissions`).
pub fn sealed_row(
    campaign_id: Uuid,
    version: &str,
    answers: &ValidAnswers,
    attributes: &[(String, String)],
) -> Result<(Uuid, anonymous_pending::ActiveModel), StoreError> {
    let sealed = Sealed {
        answers: answers
            .0
            .iter()
            .map(|(question, value)| (question.clone(), value.stored_values()))
            .collect(),
        attributes: attributes.to_vec(),
    };
    let payload = serde_json::to_string(&sealed)
        .map_err(|e| StoreError::Corrupt(format!("réponse impossible à sceller : {e}")))?;
    let id = Uuid::new_v4();
    let row = anonymous_pending::ActiveModel {
        id: Set(id),
        campaign_id: Set(campaign_id),
        version_id: Set(version.to_owned()),
        payload: Set(payload),
    };
    Ok((id, row))
}

/// Sealed responses of a campaign, not yet in the results.
pub async fn pending_count(
    db: &impl ConnectionTrait,
    campaign_id: Uuid,
) -> Result<u64, StoreError> {
    Ok(anonymous_pending::Entity::find()
        .filter(anonymous_pending::Column::CampaignId.eq(campaign_id))
        .count(db)
        .await?)
}

/// What a release run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReleaseSummary {
    /// Campaigns rewritten.
    pub campaigns: u64,
    /// Sealed responses that joined the results.
    pub released: u64,
}

/// Releases, campaign by campaign, the anonymous responses whose time has come
/// ([`release_due`]): called by every dispatch run, and directly by tests.
pub async fn release_due_campaigns(
    db: &DatabaseConnection,
    anonymous: &[QuestionnaireCode],
    threshold: u64,
    now: DateTime<Utc>,
) -> Result<ReleaseSummary, StoreError> {
    let mut summary = ReleaseSummary::default();
    if anonymous.is_empty() {
        return Ok(summary);
    }
    let campaigns = campaign::Entity::find()
        .filter(
            campaign::Column::QuestionnaireCode
                .is_in(anonymous.iter().map(|c| c.as_str().to_owned())),
        )
        .all(db)
        .await?;
    for campaign in campaigns {
        forget_completion_days(db, campaign.id).await?;
        let pending = pending_count(db, campaign.id).await?;
        let over = campaign_over(db, campaign.id, now).await?;
        let unreleased = unreleased(db, &campaign).await?;
        if release_due(pending, threshold, over, unreleased) {
            summary.released += release_campaign(db, campaign.id, threshold, now).await?;
            summary.campaigns += 1;
        }
    }
    Ok(summary)
}

/// Invitations answered before anonymous claims kept no day still have one: erased, in a
/// statement of its own (a write in the release's transaction would share its `xmin`).
async fn forget_completion_days(
    db: &impl ConnectionTrait,
    campaign_id: Uuid,
) -> Result<(), StoreError> {
    invitation::Entity::update_many()
        .col_expr(
            invitation::Column::CompletedOn,
            Expr::value(Option::<chrono::NaiveDate>::None),
        )
        .filter(invitation::Column::CampaignId.eq(campaign_id))
        .filter(invitation::Column::CompletedOn.is_not_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Nobody can answer any more: no invitation is still pending and open.
async fn campaign_over(
    db: &impl ConnectionTrait,
    campaign_id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let open = invitation::Entity::find()
        .filter(invitation::Column::CampaignId.eq(campaign_id))
        .filter(invitation::Column::Status.eq(STATUS_PENDING))
        .filter(
            Condition::any()
                .add(invitation::Column::ClosesAt.is_null())
                .add(invitation::Column::ClosesAt.gt(now)),
        )
        .count(db)
        .await?;
    Ok(open == 0)
}

/// Whether the campaign has responses that no release wrote (stored before releases
/// existed): any response without the day of the last release.
async fn unreleased(
    db: &impl ConnectionTrait,
    campaign: &campaign::Model,
) -> Result<bool, StoreError> {
    let mut query = response::Entity::find().filter(response::Column::CampaignId.eq(campaign.id));
    if let Some(day) = campaign.released_on {
        query = query.filter(response::Column::SubmittedOn.ne(day));
    }
    Ok(query.limit(1).count(db).await? > 0)
}

/// One response as the release rewrites it.
struct Entry {
    version: String,
    answers: Vec<(String, Vec<String>)>,
    attributes: Vec<(String, String)>,
}

/// Rewrites every anonymous response of the campaign, in one transaction: sealed ones and
/// those already released, with fresh random ids, in random order, on the day of `now`,
/// attributes coarsened (`domain::anonymity::coarsen`), and the campaign's tallies rebuilt.
/// Returns the number of sealed responses released.
pub async fn release_campaign(
    db: &DatabaseConnection,
    campaign_id: Uuid,
    threshold: u64,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let today = crate::domain::schedule::paris_date(now);
    let txn = db.begin().await?;
    // First statement: a write on the campaign, which serialises releases of one campaign
    // (SQLite's write lock, PostgreSQL's row lock); everything read after it is current.
    let locked = campaign::Entity::update_many()
        .col_expr(campaign::Column::ReleasedOn, Expr::value(today))
        .filter(campaign::Column::Id.eq(campaign_id))
        .exec(&txn)
        .await?;
    let Some(campaign) = campaign::Entity::find_by_id(campaign_id).one(&txn).await? else {
        txn.rollback().await?;
        return Ok(0);
    };
    if locked.rows_affected != 1 {
        txn.rollback().await?;
        return Ok(0);
    }
    let code: QuestionnaireCode = campaign.questionnaire_code.parse().map_err(|_| {
        StoreError::Corrupt(format!("questionnaire {}", campaign.questionnaire_code))
    })?;

    let sealed = anonymous_pending::Entity::find()
        .filter(anonymous_pending::Column::CampaignId.eq(campaign_id))
        .all(&txn)
        .await?;
    let released = sealed.len() as u64;
    let mut entries: Vec<Entry> = Vec::new();
    for row in &sealed {
        let payload: Sealed = serde_json::from_str(&row.payload)
            .map_err(|e| StoreError::Corrupt(format!("réponse scellée illisible : {e}")))?;
        entries.push(Entry {
            version: row.version_id.clone(),
            answers: payload.answers,
            attributes: payload.attributes,
        });
    }
    let mut after = None;
    loop {
        let page = responses_page(&txn, RawScope::Campaign(campaign_id), after, 500).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        entries.extend(page.into_iter().map(|r| Entry {
            version: r.version,
            answers: r.answers,
            attributes: r.attributes,
        }));
    }

    let mut definitions: HashMap<String, Arc<Questionnaire>> = HashMap::new();
    for entry in &entries {
        if !definitions.contains_key(&entry.version) {
            let definition = super::versions::load(&txn, &entry.version)
                .await?
                .ok_or_else(|| StoreError::Corrupt(format!("version {}", entry.version)))?;
            definitions.insert(entry.version.clone(), Arc::new(definition));
        }
    }
    // The attributes the questionnaire declares, in any of the versions answered.
    let mut keys: Vec<String> = Vec::new();
    for entry in &entries {
        if let Some(definition) = definitions.get(&entry.version) {
            for attribute in &definition.attributes {
                if !keys.contains(&attribute.key) {
                    keys.push(attribute.key.clone());
                }
            }
        }
    }
    let attributes: Vec<Vec<(String, String)>> =
        entries.iter().map(|e| e.attributes.clone()).collect();
    let coarse = coarsen(&keys, &attributes, threshold);
    for (entry, kept) in entries.iter_mut().zip(coarse) {
        entry.attributes = kept;
    }
    entries.shuffle(&mut rand::rng());

    // Out with the old rows (answers, attributes and hidden marks follow by cascade)…
    response::Entity::delete_many()
        .filter(response::Column::CampaignId.eq(campaign_id))
        .exec(&txn)
        .await?;
    let sealed_ids: Vec<Uuid> = sealed.iter().map(|r| r.id).collect();
    for chunk in sealed_ids.chunks(400) {
        anonymous_pending::Entity::delete_many()
            .filter(anonymous_pending::Column::Id.is_in(chunk.iter().copied()))
            .exec(&txn)
            .await?;
    }
    answer_tally::Entity::delete_many()
        .filter(answer_tally::Column::CampaignId.eq(campaign_id))
        .exec(&txn)
        .await?;
    group_tally::Entity::delete_many()
        .filter(group_tally::Column::CampaignId.eq(campaign_id))
        .exec(&txn)
        .await?;

    // …in with the new, in random order, and the tallies they make.
    let period = tally_period(code, None, today);
    let mut batch = TallyBatch::default();
    let (mut responses, mut answers, mut attributes) = (Vec::new(), Vec::new(), Vec::new());
    for entry in &entries {
        let id = Uuid::new_v4();
        responses.push(response::ActiveModel {
            id: Set(id),
            campaign_id: Set(campaign_id),
            version_id: Set(entry.version.clone()),
            invitation_id: Set(None),
            submitted_on: Set(today),
            submitted_at: Set(None),
        });
        answers.extend(answer_rows(id, &entry.answers));
        attributes.extend(attribute_rows(id, &entry.attributes));
        if let Some(definition) = definitions.get(&entry.version) {
            let valid = answers_from_stored(definition, entry.answers.clone());
            let tally = response_tally(definition, &valid, &entry.attributes, today);
            batch.add(campaign_id, period, &entry.version, &tally);
        }
    }
    // In the shuffled order, a few hundred rows per statement.
    for chunk in responses.chunks(CHUNK) {
        response::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&txn)
            .await?;
    }
    insert_rows(&txn, answers, attributes).await?;
    batch.write(&txn).await?;
    txn.commit().await?;
    forget_old_pages(db).await;
    Ok(released)
}

/// On SQLite, empties the write-ahead log so that it keeps no image of the deleted pages
/// (best effort: a reader holding it open only delays this to the next release).
async fn forget_old_pages(db: &DatabaseConnection) {
    if db.get_database_backend() == DatabaseBackend::Sqlite {
        let _ = db
            .execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
            .await;
    }
}
