//! Storing a response: the response row and all its answers in one transaction.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set,
    TransactionTrait,
};
use uuid::Uuid;

use super::StoreError;
use super::invitations::{STATUS_COMPLETED, STATUS_PENDING};
use crate::domain::answers::ValidAnswers;
use crate::domain::questionnaire::Questionnaire;
use crate::domain::results::response_tally;
use crate::entities::{answer, draft, invitation, response, response_attribute};

#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// The invitation already has its response; nothing was stored.
    #[error("réponse déjà enregistrée")]
    AlreadyCompleted,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sea_orm::DbErr> for SubmitError {
    fn from(err: sea_orm::DbErr) -> Self {
        SubmitError::Store(err.into())
    }
}

/// Where a response comes from, and so what it may keep about its origin.
#[derive(Debug, Clone, Copy)]
pub enum Origin {
    /// A personal link. For anonymous questionnaires the response keeps no trace of it.
    Invitation { id: Uuid, anonymous: bool },
    /// An open questionnaire answered without a link.
    Open,
}

#[derive(Debug, Clone)]
pub struct NewResponse<'a> {
    pub campaign_id: Uuid,
    pub version: &'a str,
    /// The definition of `version`, to keep the results' tallies.
    pub definition: &'a Questionnaire,
    pub origin: Origin,
    pub answers: &'a ValidAnswers,
    /// Breakdown attributes, as `domain::attributes::response_attributes` chose them.
    pub attributes: &'a [(String, String)],
}

/// Commits the response and its tallies (see `store::results::tallies`), or nothing. For an
/// invitation, the first statement claims it (`pending` → `completed`), which takes the write
/// lock at once on SQLite and a row lock on PostgreSQL: of two concurrent submissions exactly
/// one stores anything.
///
/// An anonymous questionnaire's answers are sealed instead (`store::anonymity::stage`): the
/// claim keeps no day, and nothing reaches the responses or the tallies until a release
/// rewrites the whole campaign. The id returned is then the sealed row's, known to nobody.
pub async fn submit(
    db: &DatabaseConnection,
    new: NewResponse<'_>,
    now: DateTime<Utc>,
) -> Result<Uuid, SubmitError> {
    // Days are French days: an answer at 00:30 in Paris belongs to that day, not the UTC one.
    let today = crate::domain::schedule::paris_date(now);
    let txn = db.begin().await?;

    let claimed_invitation = match new.origin {
        Origin::Invitation { id, .. } => Some(id),
        Origin::Open => None,
    };
    let (invitation_id, submitted_at) = match new.origin {
        Origin::Invitation { id, anonymous } => {
            // Anonymous: "completed" only, without the day, which would say when.
            let completed_on = (!anonymous).then_some(today);
            let claimed = invitation::Entity::update_many()
                .col_expr(invitation::Column::Status, Expr::value(STATUS_COMPLETED))
                .col_expr(invitation::Column::CompletedOn, Expr::value(completed_on))
                .filter(invitation::Column::Id.eq(id))
                .filter(invitation::Column::Status.eq(STATUS_PENDING))
                .exec(&txn)
                .await?;
            if claimed.rows_affected != 1 {
                txn.rollback().await?;
                return Err(SubmitError::AlreadyCompleted);
            }
            draft::Entity::delete_by_id(id).exec(&txn).await?;
            if anonymous {
                let sealed = super::anonymity::stage(
                    &txn,
                    new.campaign_id,
                    new.version,
                    new.answers,
                    new.attributes,
                )
                .await?;
                txn.commit().await?;
                return Ok(sealed);
            }
            (Some(id), Some(now))
        }
        Origin::Open if new.definition.anonymous => {
            let sealed = super::anonymity::stage(
                &txn,
                new.campaign_id,
                new.version,
                new.answers,
                new.attributes,
            )
            .await?;
            txn.commit().await?;
            return Ok(sealed);
        }
        Origin::Open => (None, Some(now)),
    };

    let response_id = Uuid::new_v4();
    response::Entity::insert(response::ActiveModel {
        id: Set(response_id),
        campaign_id: Set(new.campaign_id),
        version_id: Set(new.version.to_owned()),
        invitation_id: Set(invitation_id),
        submitted_on: Set(today),
        submitted_at: Set(submitted_at),
    })
    .exec_without_returning(&txn)
    .await?;
    insert_details(&txn, response_id, new.answers, new.attributes).await?;
    let period =
        super::results::tallies::period_of(&txn, new.definition.code, claimed_invitation, today)
            .await?;
    let tally = response_tally(new.definition, new.answers, new.attributes, today);
    super::results::tallies::record(&txn, new.campaign_id, period, new.version, &tally).await?;
    txn.commit().await?;
    Ok(response_id)
}

/// The answer rows (one per value) and attribute rows of a response.
pub(super) async fn insert_details(
    db: &impl ConnectionTrait,
    response_id: Uuid,
    answers: &ValidAnswers,
    attributes: &[(String, String)],
) -> Result<(), StoreError> {
    let stored: Vec<(String, Vec<String>)> = answers
        .0
        .iter()
        .map(|(question, value)| (question.clone(), value.stored_values()))
        .collect();
    insert_stored(db, response_id, &stored, attributes).await
}

/// Like [`insert_details`], from answers as stored: `(question, values in position order)`.
pub(super) async fn insert_stored(
    db: &impl ConnectionTrait,
    response_id: Uuid,
    answers: &[(String, Vec<String>)],
    attributes: &[(String, String)],
) -> Result<(), StoreError> {
    insert_rows(
        db,
        answer_rows(response_id, answers),
        attribute_rows(response_id, attributes),
    )
    .await
}

/// The answer rows of a response: one per value.
pub(super) fn answer_rows(
    response_id: Uuid,
    answers: &[(String, Vec<String>)],
) -> Vec<answer::ActiveModel> {
    answers
        .iter()
        .flat_map(|(question, values)| {
            values
                .iter()
                .enumerate()
                .map(move |(position, value)| answer::ActiveModel {
                    response_id: Set(response_id),
                    question_id: Set(question.clone()),
                    position: Set(i16::try_from(position).unwrap_or(i16::MAX)),
                    value: Set(value.clone()),
                })
        })
        .collect()
}

/// The attribute rows of a response.
pub(super) fn attribute_rows(
    response_id: Uuid,
    attributes: &[(String, String)],
) -> Vec<response_attribute::ActiveModel> {
    attributes
        .iter()
        .map(|(key, value)| response_attribute::ActiveModel {
            response_id: Set(response_id),
            key: Set(key.clone()),
            value: Set(value.chars().take(200).collect()),
        })
        .collect()
}

/// Inserts answer and attribute rows, a few hundred per statement, in the order given.
pub(super) async fn insert_rows(
    db: &impl ConnectionTrait,
    answers: Vec<answer::ActiveModel>,
    attributes: Vec<response_attribute::ActiveModel>,
) -> Result<(), StoreError> {
    for chunk in answers.chunks(CHUNK) {
        answer::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await?;
    }
    for chunk in attributes.chunks(CHUNK) {
        response_attribute::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Rows per multi-row insert: far below the databases' bound-parameter limits.
pub(super) const CHUNK: usize = 400;
