//! The rows of a stored response (its id, answers and attributes), where it comes from, and
//! why it could not be stored. Storing itself is `store::submissions`, which builds on these;
//! nothing here depends on it.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, EntityTrait, Set};
use uuid::Uuid;

use super::StoreError;
use crate::entities::{answer, response_attribute};

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
