//! Storing many submissions in one transaction: the submission writer (`crate::submissions`)
//! hands every submission waiting to [`submit_batch`], which claims each invitation on its
//! own, stores what each claim allows, adds the tallies of the whole batch in one write, and
//! commits once.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, LockType, Order, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::StoreError;
use super::anonymity::sealed_row;
use super::batch::{begin_writing, execute_all, insert_statements};
use super::invitations::{STATUS_COMPLETED, STATUS_PENDING};
use super::responses::{Origin, answer_rows, attribute_rows};
use super::results::tallies::{TallyBatch, periods_of};
use crate::domain::answers::ValidAnswers;
use crate::domain::questionnaire::Questionnaire;
use crate::domain::results::response_tally;
use crate::domain::schedule::paris_date;
use crate::entities::{draft, invitation, response};
use crate::seal_key::SealKey;

/// Of `ids`, those still pending, locked until the transaction ends: on PostgreSQL by
/// `FOR UPDATE` (a concurrent claim waits, then reads the committed status), on SQLite by the
/// write lock the transaction holds since its start. Filtering on the status here rather than
/// in the claim's `UPDATE` keeps SQLite on the primary key: with an `IN` list beside
/// `status = ?` its planner prefers the status index and reads every pending invitation.
async fn lock_pending(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<Vec<Uuid>, StoreError> {
    let select = Query::select()
        .columns([invitation::Column::Id, invitation::Column::Status])
        .from(invitation::Entity)
        .and_where(Expr::col(invitation::Column::Id).is_in(ids.iter().copied()))
        .order_by(invitation::Column::Id, Order::Asc)
        .lock(LockType::Update)
        .to_owned();
    let mut pending = Vec::new();
    for row in db.query_all(&select).await? {
        let status: String = row.try_get("", "status")?;
        if status == STATUS_PENDING {
            pending.push(row.try_get::<Uuid>("", "id")?);
        }
    }
    Ok(pending)
}

/// Invitations claimed per statement.
const CLAIM_CHUNK: usize = 500;

/// A checked response, waiting to be stored.
#[derive(Debug, Clone)]
pub struct Submission {
    pub campaign_id: Uuid,
    pub version: String,
    /// The definition of `version`, to keep the results' tallies.
    pub definition: Arc<Questionnaire>,
    pub origin: Origin,
    pub answers: ValidAnswers,
    /// Breakdown attributes, as `domain::attributes::response_attributes` chose them.
    pub attributes: Vec<(String, String)>,
    pub submitted_at: DateTime<Utc>,
}

impl Submission {
    /// Sealed in `anonymous_pending` rather than stored as a response.
    fn sealed(&self) -> bool {
        match self.origin {
            Origin::Invitation { anonymous, .. } => anonymous,
            Origin::Open => self.definition.anonymous,
        }
    }
}

/// What became of one submission of a committed batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Committed: the response's id (for an anonymous questionnaire the sealed row's, known
    /// to nobody).
    Stored(Uuid),
    /// Its invitation already had a response (before this batch, or from an earlier
    /// submission of the same batch): nothing of it was stored.
    AlreadyCompleted,
}

/// Stores the batch in one transaction, or nothing of it, and says what became of each
/// submission, in order. Each invitation is claimed on its own (`pending` → `completed`,
/// guarded by its status, as `responses::submit` does), so an invitation already answered
/// turns its own submission away without failing the others; what the claims allow is then
/// stored as `responses::submit` would (responses, or rows sealed under `seal_key` for
/// anonymous questionnaires), and the tallies of the whole batch are summed and written once.
///
/// On SQLite the transaction takes the write lock at its first statement; on PostgreSQL the
/// claims take row locks, so that of two batches (two processes) holding the same link,
/// exactly one stores it.
pub async fn submit_batch(
    db: &DatabaseConnection,
    seal_key: &SealKey,
    batch: &[Submission],
) -> Result<Vec<Outcome>, StoreError> {
    if batch.is_empty() {
        return Ok(Vec::new());
    }
    let txn = begin_writing(db).await?;
    let claimed = claim(&txn, batch).await?;

    let drafts: Vec<Uuid> = batch
        .iter()
        .zip(&claimed)
        .filter_map(|(s, claimed)| match s.origin {
            Origin::Invitation { id, .. } if *claimed => Some(id),
            _ => None,
        })
        .collect();
    for chunk in drafts.chunks(CLAIM_CHUNK) {
        draft::Entity::delete_many()
            .filter(draft::Column::InvitationId.is_in(chunk.iter().copied()))
            .exec(&txn)
            .await?;
    }

    // The periods of the responses stored (3.1 and 3.2 read when each invitation was sent),
    // in batch order.
    let stored: Vec<_> = batch
        .iter()
        .zip(&claimed)
        .filter(|(s, claimed)| **claimed && !s.sealed())
        .map(|(s, _)| {
            let invitation = match s.origin {
                Origin::Invitation { id, .. } => Some(id),
                Origin::Open => None,
            };
            (s.definition.code, invitation, paris_date(s.submitted_at))
        })
        .collect();
    let mut periods = periods_of(&txn, &stored).await?.into_iter();

    let mut outcomes = Vec::with_capacity(batch.len());
    let (mut responses, mut answers, mut attributes, mut sealed) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut tallies = TallyBatch::default();
    for (submission, claimed) in batch.iter().zip(&claimed) {
        if !claimed {
            outcomes.push(Outcome::AlreadyCompleted);
            continue;
        }
        if submission.sealed() {
            let (id, row) = sealed_row(
                seal_key,
                submission.campaign_id,
                &submission.version,
                &submission.answers,
                &submission.attributes,
            )?;
            outcomes.push(Outcome::Stored(id));
            sealed.push(row);
            continue;
        }
        let today = paris_date(submission.submitted_at);
        let response_id = Uuid::new_v4();
        let invitation_id = match submission.origin {
            Origin::Invitation { id, .. } => Some(id),
            Origin::Open => None,
        };
        responses.push(response::ActiveModel {
            id: Set(response_id),
            campaign_id: Set(submission.campaign_id),
            version_id: Set(submission.version.clone()),
            invitation_id: Set(invitation_id),
            submitted_on: Set(today),
            submitted_at: Set(Some(submission.submitted_at)),
        });
        let values: Vec<(String, Vec<String>)> = submission
            .answers
            .0
            .iter()
            .map(|(question, value)| (question.clone(), value.stored_values()))
            .collect();
        answers.extend(answer_rows(response_id, &values));
        attributes.extend(attribute_rows(response_id, &submission.attributes));
        let period = periods
            .next()
            .ok_or_else(|| StoreError::Corrupt("période de réponse manquante".to_owned()))?;
        let tally = response_tally(
            &submission.definition,
            &submission.answers,
            &submission.attributes,
            today,
        );
        tallies.add(submission.campaign_id, period, &submission.version, &tally);
        outcomes.push(Outcome::Stored(response_id));
    }

    let backend = txn.get_database_backend();
    let mut statements = Vec::new();
    insert_statements(backend, sealed, &mut statements);
    insert_statements(backend, responses, &mut statements);
    insert_statements(backend, answers, &mut statements);
    insert_statements(backend, attributes, &mut statements);
    execute_all(&txn, statements).await?;
    tallies.write(&txn).await?;
    txn.commit().await?;
    Ok(outcomes)
}

/// Claims the invitations of the batch (`pending` → `completed`, the day kept unless the
/// questionnaire is anonymous) and says, per submission, whether it may be stored: an open
/// questionnaire always; a personal link if its claim succeeded and no earlier submission of
/// the batch holds the same link.
async fn claim(db: &impl ConnectionTrait, batch: &[Submission]) -> Result<Vec<bool>, StoreError> {
    let mut first = vec![false; batch.len()];
    let mut seen: HashSet<Uuid> = HashSet::new();
    // Claims grouped by the day they record: one statement per group (and chunk).
    let mut groups: BTreeMap<Option<NaiveDate>, Vec<Uuid>> = BTreeMap::new();
    for (index, submission) in batch.iter().enumerate() {
        if let Origin::Invitation { id, anonymous } = submission.origin
            && seen.insert(id)
        {
            first[index] = true;
            // Anonymous: "completed" only, without the day, which would say when.
            let completed_on = (!anonymous).then(|| paris_date(submission.submitted_at));
            groups.entry(completed_on).or_default().push(id);
        }
    }
    let mut won: HashSet<Uuid> = HashSet::new();
    for (completed_on, mut ids) in groups {
        // One order for every process: two batches lock shared rows alike.
        ids.sort_unstable();
        for chunk in ids.chunks(CLAIM_CHUNK) {
            let pending = lock_pending(db, chunk).await?;
            if pending.is_empty() {
                continue;
            }
            invitation::Entity::update_many()
                .col_expr(invitation::Column::Status, Expr::value(STATUS_COMPLETED))
                .col_expr(invitation::Column::CompletedOn, Expr::value(completed_on))
                .filter(invitation::Column::Id.is_in(pending.iter().copied()))
                .exec(db)
                .await?;
            won.extend(pending);
        }
    }
    Ok(batch
        .iter()
        .zip(first)
        .map(|(submission, first)| match submission.origin {
            Origin::Invitation { id, .. } => first && won.contains(&id),
            Origin::Open => true,
        })
        .collect())
}
