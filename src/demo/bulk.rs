//! Synthetic campaigns of any size, written in bulk: what the benchmarks load before they
//! measure the dashboard (100,000 or 1,000,000 responses) or the answering pages (thousands
//! of fresh personal links).
//!
//! The answers are drawn like the demo's and validated by the same code as real ones; the
//! rows and the tallies are those the answering pages would have written, only in large
//! transactions instead of one per response, so loading a million responses takes minutes,
//! not hours.

use chrono::{DateTime, Duration, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, Set, TransactionTrait};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::draw_answers;
use crate::catalog::LoadedQuestionnaire;
use crate::domain::Token;
use crate::domain::answers::{UnknownKeys, ValidAnswers, validate};
use crate::domain::attributes::response_attributes;
use crate::domain::results::{response_tally, tally_period};
use crate::domain::schedule::paris_date;
use crate::entities::{answer, invitation, response, response_attribute};
use crate::link_key::LinkKey;
use crate::progress::Progress;
use crate::store::invitations::{STATUS_COMPLETED, STATUS_PENDING};
use crate::store::results::tallies::{TallyBatch, TallyTarget};
use crate::store::{StoreError, campaigns};

/// Responses written per transaction.
const RESPONSES_PER_TRANSACTION: usize = 5_000;
/// Rows per multi-row INSERT: well under SQLite's 32,766 bound parameters.
const ROWS_PER_STATEMENT: usize = 1_000;
/// Participants per company on average (3.1 consolidates per company).
const PARTICIPANTS_PER_COMPANY: usize = 4;

const ENTITIES: [(&str, &str); 6] = [
    ("aract-bretagne", "Bretagne"),
    ("aract-normandie", "Normandie"),
    ("aract-occitanie", "Occitanie"),
    ("aract-grand-est", "Grand Est"),
    ("aract-hdf", "Hauts-de-France"),
    ("aract-ara", "Auvergne-Rhône-Alpes"),
];
const KINDS: [&str; 3] = [
    "accompagnement_individuel",
    "accompagnement_collectif",
    "formation_intra",
];
const SIZE_BANDS: [&str; 4] = ["1-9", "10-49", "50-249", "250+"];

/// A campaign loaded in bulk.
#[derive(Debug, Clone)]
pub struct BulkCampaign {
    pub id: Uuid,
    pub responses: usize,
    /// The personal links left unanswered (for the answering benchmark).
    pub pending_tokens: Vec<Token>,
}

/// Creates the campaign `label` of `loaded`'s questionnaire, sent 30 days before `now`, with
/// `answered` invitations answered over the following weeks and `pending` ones not yet
/// answered. Open questionnaires (4) get responses without invitations. `progress` is told
/// of each transaction's participants (a bar on a terminal: a million takes minutes).
#[allow(clippy::too_many_arguments)]
pub async fn load(
    db: &DatabaseConnection,
    links: &LinkKey,
    loaded: &LoadedQuestionnaire,
    label: &str,
    answered: usize,
    pending: usize,
    now: DateTime<Utc>,
    progress: &dyn Progress,
) -> Result<BulkCampaign, StoreError> {
    progress.set_length((answered + pending) as u64);
    let definition = &loaded.definition;
    let sent_at = now - Duration::days(30);
    let campaign = campaigns::find_or_create(db, definition.code, label, sent_at).await?;
    let mut rng = StdRng::seed_from_u64(answered as u64 ^ 0x006a_616c_6f6e);
    let mut pending_tokens = Vec::with_capacity(pending);
    let mut written = 0;
    let mut next = 0;
    while next < answered + pending {
        let end = (next + RESPONSES_PER_TRANSACTION).min(answered + pending);
        let mut rows = Rows::default();
        for i in next..end {
            let answering = i < answered;
            let attributes = participant_attributes(i);
            let day = sent_at + Duration::days(rng.random_range(0..28));
            let invitation_id = (!definition.open).then(Uuid::new_v4);
            if let Some(id) = invitation_id {
                let token = links.token(id);
                rows.invitations.push(invitation_row(
                    id,
                    campaign.id,
                    links.digest(&token),
                    i,
                    &attributes,
                    sent_at,
                    answering,
                    day,
                ));
                if !answering {
                    pending_tokens.push(token);
                    continue;
                }
            }
            let raw = draw_answers(definition, 0.7, &mut rng);
            let Ok(answers) = validate(definition, &raw, UnknownKeys::Reject) else {
                continue;
            };
            let response_id = Uuid::new_v4();
            let kept = response_attributes(definition, &attributes, &answers);
            let today = paris_date(day);
            let period = tally_period(definition.code, Some(sent_at), today);
            rows.tallies.add(
                TallyTarget {
                    campaign_id: campaign.id,
                    questionnaire: definition.code,
                    period,
                },
                &loaded.version,
                &response_tally(definition, &answers, &kept, today),
            );
            rows.responses.push(response::ActiveModel {
                id: Set(response_id),
                campaign_id: Set(campaign.id),
                version_id: Set(loaded.version.clone()),
                invitation_id: Set(invitation_id.filter(|_| !definition.anonymous)),
                submitted_on: Set(today),
                submitted_at: Set((!definition.anonymous).then_some(day)),
            });
            for (question, value) in &answers.0 {
                for (position, value) in value.stored_values().into_iter().enumerate() {
                    rows.answers.push(answer::ActiveModel {
                        response_id: Set(response_id),
                        question_id: Set(question.clone()),
                        position: Set(i16::try_from(position).unwrap_or(i16::MAX)),
                        value: Set(value),
                    });
                }
            }
            for (key, value) in kept {
                rows.attributes.push(response_attribute::ActiveModel {
                    response_id: Set(response_id),
                    key: Set(key),
                    value: Set(value),
                });
            }
            written += 1;
        }
        let txn = db.begin().await?;
        rows.write(&txn).await?;
        txn.commit().await?;
        progress.advance((end - next) as u64);
        next = end;
    }
    progress.finish();
    Ok(BulkCampaign {
        id: campaign.id,
        responses: written,
        pending_tokens,
    })
}

/// The roster or registration attributes of participant `i`: a company every
/// [`PARTICIPANTS_PER_COMPANY`] participants, its entity, region, kind and size band.
fn participant_attributes(i: usize) -> Map<String, Value> {
    let company = i / PARTICIPANTS_PER_COMPANY;
    let (entity, region) = ENTITIES[company % ENTITIES.len()];
    let value = json!({
        "company": format!("BENCH-{company:07}"),
        "entity": entity,
        "region": region,
        "kind": KINDS[company % KINDS.len()],
        "size_band": SIZE_BANDS[company % SIZE_BANDS.len()],
        "college": if i.is_multiple_of(2) { "employeurs" } else { "salaries" },
    });
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

#[allow(clippy::too_many_arguments)]
fn invitation_row(
    id: Uuid,
    campaign_id: Uuid,
    token_hash: String,
    i: usize,
    attributes: &Map<String, Value>,
    sent_at: DateTime<Utc>,
    answered: bool,
    day: DateTime<Utc>,
) -> invitation::ActiveModel {
    invitation::ActiveModel {
        id: Set(id),
        campaign_id: Set(campaign_id),
        token_hash: Set(token_hash),
        legacy_token_hash: Set(None),
        // example.org is reserved for documentation: nobody receives these.
        email: Set(Some(format!("participant.{i}@example.org"))),
        attributes: Set(Value::Object(attributes.clone()).to_string()),
        status: Set(if answered {
            STATUS_COMPLETED
        } else {
            STATUS_PENDING
        }
        .to_owned()),
        completed_on: Set(answered.then(|| paris_date(day))),
        created_at: Set(sent_at),
        source_kind: Set(None),
        source_id: Set(None),
        name: Set(None),
        role: Set(None),
        scheduled_for: Set(None),
        sent_at: Set(Some(sent_at)),
        reminders_sent: Set(0),
        closes_at: Set(None),
        unsubscribed_at: Set(None),
        opened_on: Set(answered.then(|| paris_date(day))),
        delivery: Set(None),
        delivery_status: Set(None),
        delivery_reason: Set(None),
        delivery_at: Set(None),
        soft_bounces: Set(0),
    }
}

/// One transaction's worth of rows.
#[derive(Default)]
struct Rows {
    invitations: Vec<invitation::ActiveModel>,
    responses: Vec<response::ActiveModel>,
    answers: Vec<answer::ActiveModel>,
    attributes: Vec<response_attribute::ActiveModel>,
    tallies: TallyBatch,
}

impl Rows {
    async fn write(self, db: &impl ConnectionTrait) -> Result<(), StoreError> {
        insert_all::<invitation::Entity, _>(db, self.invitations).await?;
        insert_all::<response::Entity, _>(db, self.responses).await?;
        insert_all::<answer::Entity, _>(db, self.answers).await?;
        insert_all::<response_attribute::Entity, _>(db, self.attributes).await?;
        self.tallies.write(db).await
    }
}

async fn insert_all<E, A>(db: &impl ConnectionTrait, rows: Vec<A>) -> Result<(), StoreError>
where
    E: EntityTrait,
    A: sea_orm::ActiveModelTrait<Entity = E> + Clone + Send,
{
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        E::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Creates `count` invitations of a new campaign, due to be sent (scheduled an hour before
/// `now`, never sent): what dispatch picks up after a large registration.
pub async fn load_due(
    db: &DatabaseConnection,
    links: &LinkKey,
    loaded: &LoadedQuestionnaire,
    label: &str,
    count: usize,
    now: DateTime<Utc>,
) -> Result<Uuid, StoreError> {
    let campaign = campaigns::find_or_create(db, loaded.definition.code, label, now).await?;
    for start in (0..count).step_by(RESPONSES_PER_TRANSACTION) {
        let end = (start + RESPONSES_PER_TRANSACTION).min(count);
        let rows: Vec<invitation::ActiveModel> = (start..end)
            .map(|i| {
                let id = Uuid::new_v4();
                let mut row = invitation_row(
                    id,
                    campaign.id,
                    links.digest(&links.token(id)),
                    i,
                    &participant_attributes(i),
                    now,
                    false,
                    now,
                );
                row.sent_at = Set(None);
                row.opened_on = Set(None);
                row.scheduled_for = Set(Some(now - Duration::hours(1)));
                row
            })
            .collect();
        let txn = db.begin().await?;
        insert_all::<invitation::Entity, _>(&txn, rows).await?;
        txn.commit().await?;
    }
    Ok(campaign.id)
}

/// One valid response to `loaded`, the same for every call: the answers the benchmarks send
/// through the form and the JSON API, and the attributes a participant of a bulk campaign
/// gives them. `None` if no valid draw was found (a questionnaire whose conditions the draws
/// never meet).
pub fn sample_response(
    loaded: &LoadedQuestionnaire,
) -> Option<(ValidAnswers, Vec<(String, String)>)> {
    let mut rng = StdRng::seed_from_u64(15);
    let answers = (0..1_000).find_map(|_| {
        let raw = draw_answers(&loaded.definition, 0.7, &mut rng);
        validate(&loaded.definition, &raw, UnknownKeys::Reject).ok()
    })?;
    let attributes = response_attributes(&loaded.definition, &participant_attributes(0), &answers);
    Some((answers, attributes))
}

/// [`sample_response`]'s answers as the respondent's browser would post them
/// (`application/x-www-form-urlencoded`, a multiple choice repeated per ticked box).
pub fn sample_form_body(loaded: &LoadedQuestionnaire) -> Option<String> {
    use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
    let (answers, _) = sample_response(loaded)?;
    let mut fields = Vec::new();
    for (question, value) in &answers.0 {
        for value in value.stored_values() {
            fields.push(format!(
                "{}={}",
                utf8_percent_encode(question, NON_ALPHANUMERIC),
                utf8_percent_encode(&value, NON_ALPHANUMERIC)
            ));
        }
    }
    Some(fields.join("&"))
}

/// [`sample_response`]'s answers as a program posts them to the JSON API.
pub fn sample_json_body(loaded: &LoadedQuestionnaire) -> Option<String> {
    let (answers, _) = sample_response(loaded)?;
    let mut fields = Map::new();
    for (question, value) in &answers.0 {
        let values: Vec<Value> = value
            .stored_values()
            .into_iter()
            .map(Value::String)
            .collect();
        fields.insert(question.clone(), Value::Array(values));
    }
    Some(json!({ "answers": fields }).to_string())
}
