//! Storing a response: the response row and all its answers in one transaction.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, Set};
use uuid::Uuid;

use super::StoreError;
use super::submissions::{Outcome, Submission, submit_batch};
use crate::domain::answers::ValidAnswers;
use crate::domain::questionnaire::Questionnaire;
use crate::entities::{answer, response_attribute};
use crate::seal_key::SealKey;

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
    pub definition: &'a Arc<Questionnaire>,
    pub origin: Origin,
    pub answers: &'a ValidAnswers,
    /// Breakdown attributes, as `domain::attributes::response_attributes` chose them.
    pub attributes: &'a [(String, String)],
    /// Encrypts an anonymous questionnaire's sealed answers (`store::anonymity::sealed_row`).
    pub seal_key: &'a SealKey,
}

/// Commits the response and its tallies (see `store::results::tallies`), or nothing: a batch
/// of one for [`submit_batch`], which the web handlers reach through the submission writer
/// (`crate::submissions`). For an invitation, the first statement claims it (`pending` →
/// `completed`), which takes the write lock at once on SQLite and a row lock on PostgreSQL:
/// of two concurrent submissions exactly one stores anything.
///
/// An anonymous questionnaire's answers are sealed instead (`store::anonymity::sealed_row`):
/// the claim keeps no day, and nothing reaches the responses or the tallies until a release
/// rewrites the whole campaign. The id returned is then the sealed row's, known to nobody.
pub async fn submit(
    db: &DatabaseConnection,
    new: NewResponse<'_>,
    now: DateTime<Utc>,
) -> Result<Uuid, SubmitError> {
    let submission = Submission {
        campaign_id: new.campaign_id,
        version: new.version.to_owned(),
        definition: new.definition.clone(),
        origin: new.origin,
        answers: new.answers.clone(),
        attributes: new.attributes.to_vec(),
        submitted_at: now,
    };
    let ready = submission.ready(db.get_database_backend());
    match submit_batch(db, new.seal_key, std::slice::from_ref(&ready))
        .await?
        .first()
    {
        Some(Outcome::Stored(id)) => Ok(*id),
        Some(Outcome::AlreadyCompleted) => Err(SubmitError::AlreadyCompleted),
        None => Err(StoreError::Corrupt("réponse sans issue".to_owned()).into()),
    }
}

/// A response id that grows with time: the rows of a batch land side by side at the end of
/// every index keyed by response, instead of dirtying a random page each (at commit, a
/// tenth of a millisecond per response). The id tells nothing the row does not: such a
/// response keeps `submitted_at`. Anonymous ones are sealed and released with random ids.
pub(super) fn time_ordered_id(at: DateTime<Utc>) -> Uuid {
    Uuid::new_v7(uuid::Timestamp::from_unix(
        uuid::NoContext,
        u64::try_from(at.timestamp()).unwrap_or(0),
        at.timestamp_subsec_nanos(),
    ))
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

/// An attribute's value as stored: cut to the column's 200 characters.
pub(super) fn attribute_value(value: &str) -> &str {
    match value.char_indices().nth(200) {
        Some((end, _)) => &value[..end],
        None => value,
    }
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
            value: Set(attribute_value(value).to_owned()),
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

#[cfg(test)]
mod tests {
    use super::attribute_value;

    #[test]
    fn attribute_values_are_cut_at_200_characters_not_bytes() {
        let long = "é".repeat(250);
        assert_eq!(attribute_value(&long).chars().count(), 200);
        assert_eq!(attribute_value("Île-de-France"), "Île-de-France");
    }
}
