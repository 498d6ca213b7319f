//! Storing many submissions in one transaction: the submission writer (`crate::submissions`)
//! hands every submission waiting to [`submit_batch`], which claims each invitation on its
//! own, stores what each claim allows, adds the tallies of the whole batch in one write, and
//! commits once.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, LockType, Order, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryTrait, Set,
    Statement,
};
use uuid::Uuid;

use super::StoreError;
use super::anonymity::sealed_row;
use super::batch::{begin_writing, execute_all, insert_statements};
use super::invitations::{STATUS_COMPLETED, STATUS_PENDING};
use super::responses::{Origin, answer_rows, attribute_rows, time_ordered_id};
use super::results::company_scores;
use super::results::tallies::{TallyBatch, TallyTarget};
use crate::domain::answers::ValidAnswers;
use crate::domain::questionnaire::Questionnaire;
use crate::domain::results::{response_tally, tally_period};
use crate::domain::schedule::paris_date;
use crate::entities::{draft, invitation, response};
use crate::seal_key::SealKey;

/// An invitation of the batch as the transaction found it, locked until it ends: on
/// PostgreSQL by `FOR UPDATE` (a concurrent claim waits, then reads the committed status), on
/// SQLite by the write lock the transaction holds since its start.
struct Link {
    pending: bool,
    /// When it was sent: the period of 3.1 and 3.2 (see `tally_period`).
    sent_at: Option<DateTime<Utc>>,
}

/// The invitations `ids` (sorted: one locking order for every process), in one statement per
/// [`CLAIM_CHUNK`]. Filtering on the status here rather than in the claim's `UPDATE` keeps
/// SQLite on the primary key: with an `IN` list beside `status = ?` its planner prefers the
/// status index and reads every pending invitation.
async fn read_links(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Link>, StoreError> {
    let mut links = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(CLAIM_CHUNK) {
        let select = Query::select()
            .columns([
                invitation::Column::Id,
                invitation::Column::Status,
                invitation::Column::SentAt,
            ])
            .from(invitation::Entity)
            .and_where(Expr::col(invitation::Column::Id).is_in(chunk.iter().copied()))
            .order_by(invitation::Column::Id, Order::Asc)
            .lock(LockType::Update)
            .to_owned();
        for row in db.query_all(&select).await? {
            let status: String = row.try_get("", "status")?;
            let link = Link {
                pending: status == STATUS_PENDING,
                sent_at: row.try_get("", "sent_at")?,
            };
            links.insert(row.try_get::<Uuid>("", "id")?, link);
        }
    }
    Ok(links)
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
/// Every response of the batch waits for this transaction, so it goes to the database as few
/// times as it can: one read of the invitations, one script of every write (claims, drafts,
/// rows, tallies), the companies' scores (one read, one write), the commit.
///
/// On SQLite the transaction takes the write lock at its first statement; on PostgreSQL the
/// read of the invitations takes row locks, so that of two batches (two processes) holding
/// the same link, exactly one stores it.
pub async fn submit_batch(
    db: &DatabaseConnection,
    seal_key: &SealKey,
    batch: &[Submission],
) -> Result<Vec<Outcome>, StoreError> {
    if batch.is_empty() {
        return Ok(Vec::new());
    }
    let txn = begin_writing(db).await?;
    let backend = txn.get_database_backend();
    let mut statements = Vec::new();
    let admissions = claim(&txn, batch, &mut statements).await?;

    let mut outcomes = Vec::with_capacity(batch.len());
    let (mut responses, mut answers, mut attributes, mut sealed) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut tallies = TallyBatch::default();
    for (submission, admission) in batch.iter().zip(admissions) {
        let Admission::Admitted { sent_at } = admission else {
            outcomes.push(Outcome::AlreadyCompleted);
            continue;
        };
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
        let response_id = time_ordered_id(submission.submitted_at);
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
        let code = submission.definition.code;
        let target = TallyTarget {
            campaign_id: submission.campaign_id,
            questionnaire: code,
            period: tally_period(code, sent_at, today),
        };
        let tally = response_tally(
            &submission.definition,
            &submission.answers,
            &submission.attributes,
            today,
        );
        tallies.add(target, &submission.version, &tally);
        outcomes.push(Outcome::Stored(response_id));
    }

    insert_statements(backend, sealed, &mut statements);
    insert_statements(backend, responses, &mut statements);
    insert_statements(backend, answers, &mut statements);
    insert_statements(backend, attributes, &mut statements);
    let touched = tallies.upserts(backend, &mut statements);
    execute_all(&txn, statements).await?;
    company_scores::refresh(&txn, &touched).await?;
    txn.commit().await?;
    Ok(outcomes)
}

/// Whether a submission of the batch may be stored.
#[derive(Debug, Clone, Copy)]
enum Admission {
    /// Its invitation was answered before, or earlier in the batch.
    Refused,
    /// An open questionnaire, or a link claimed now (sent at `sent_at`).
    Admitted { sent_at: Option<DateTime<Utc>> },
}

/// Claims the invitations of the batch and says, per submission, whether it may be stored:
/// an open questionnaire always; a personal link if it was still pending and no earlier
/// submission of the batch holds the same link. The claims (`pending` → `completed`, the day
/// kept unless the questionnaire is anonymous) and the removal of their drafts are appended
/// to `statements`.
async fn claim(
    db: &impl ConnectionTrait,
    batch: &[Submission],
    statements: &mut Vec<Statement>,
) -> Result<Vec<Admission>, StoreError> {
    let mut first = vec![false; batch.len()];
    let mut seen: HashSet<Uuid> = HashSet::new();
    for (index, submission) in batch.iter().enumerate() {
        if let Origin::Invitation { id, .. } = submission.origin {
            first[index] = seen.insert(id);
        }
    }
    let mut ids: Vec<Uuid> = seen.into_iter().collect();
    ids.sort_unstable();
    let links = read_links(db, &ids).await?;

    // Claims grouped by the day they record: one statement per group (and chunk).
    let mut claims: BTreeMap<Option<NaiveDate>, Vec<Uuid>> = BTreeMap::new();
    let mut admissions = Vec::with_capacity(batch.len());
    for (submission, first) in batch.iter().zip(first) {
        let admission = match submission.origin {
            Origin::Open => Admission::Admitted { sent_at: None },
            Origin::Invitation { id, anonymous } => match links.get(&id) {
                Some(link) if first && link.pending => {
                    // Anonymous: "completed" only, without the day, which would say when.
                    let completed_on = (!anonymous).then(|| paris_date(submission.submitted_at));
                    claims.entry(completed_on).or_default().push(id);
                    Admission::Admitted {
                        sent_at: link.sent_at,
                    }
                }
                _ => Admission::Refused,
            },
        };
        admissions.push(admission);
    }

    let backend = db.get_database_backend();
    let mut claimed = Vec::new();
    for (completed_on, ids) in claims {
        for chunk in ids.chunks(CLAIM_CHUNK) {
            statements.push(
                invitation::Entity::update_many()
                    .col_expr(invitation::Column::Status, Expr::value(STATUS_COMPLETED))
                    .col_expr(invitation::Column::CompletedOn, Expr::value(completed_on))
                    .filter(invitation::Column::Id.is_in(chunk.iter().copied()))
                    .build(backend),
            );
        }
        claimed.extend(ids);
    }
    for chunk in claimed.chunks(CLAIM_CHUNK) {
        statements.push(
            draft::Entity::delete_many()
                .filter(draft::Column::InvitationId.is_in(chunk.iter().copied()))
                .build(backend),
        );
    }
    Ok(admissions)
}
