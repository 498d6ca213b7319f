//! Storing many submissions in one transaction: the submission writer (`crate::submissions`)
//! hands every submission waiting to [`submit_batch`], which claims each invitation on its
//! own, stores what each claim allows with its row of the tally backlog, and commits once.
//! [`submit`] is a batch of one, for callers without a writer (the demo).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, LockType, Order, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use uuid::Uuid;

use super::StoreError;
use super::anonymity::sealed_row;
use super::batch::{begin_writing, execute_all};
use super::invitations::{STATUS_COMPLETED, STATUS_PENDING};
use super::json_rows::{Cell, JsonRows, Kind, Table, cell, source};
use super::responses::{Origin, SubmitError, attribute_value, time_ordered_id};
use crate::domain::answers::ValidAnswers;
use crate::domain::questionnaire::Questionnaire;
use crate::domain::schedule::paris_date;
use crate::entities::invitation;
use crate::seal_key::SealKey;

/// The tables a batch fills, each from one JSON array (see `store::json_rows`): the text of
/// the batch's statements is the same from one batch to the next.
const SEALED: Table = Table {
    name: "anonymous_pending",
    columns: &[
        ("id", Kind::Uuid),
        ("campaign_id", Kind::Uuid),
        ("version_id", Kind::Text),
        ("payload", Kind::Text),
    ],
    on_conflict: None,
};
const RESPONSES: Table = Table {
    name: "responses",
    columns: &[
        ("id", Kind::Uuid),
        ("campaign_id", Kind::Uuid),
        ("version_id", Kind::Text),
        ("invitation_id", Kind::Uuid),
        ("submitted_on", Kind::Date),
        ("submitted_at", Kind::Timestamp),
    ],
    on_conflict: None,
};
const ANSWERS: Table = Table {
    name: "answers",
    columns: &[
        ("response_id", Kind::Uuid),
        ("question_id", Kind::Text),
        ("position", Kind::Int),
        ("value", Kind::Text),
    ],
    on_conflict: None,
};
/// Each stored response waits here until the folder adds it to the tallies.
const BACKLOG: Table = Table {
    name: "tally_backlog",
    columns: &[("response_id", Kind::Uuid)],
    on_conflict: None,
};
const ATTRIBUTES: Table = Table {
    name: "response_attributes",
    columns: &[
        ("response_id", Kind::Uuid),
        ("key", Kind::Text),
        ("value", Kind::Text),
    ],
    on_conflict: None,
};

/// An invitation of the batch as the transaction found it, locked until it ends: on
/// PostgreSQL by `FOR UPDATE` (a concurrent claim waits, then reads the committed status), on
/// SQLite by the write lock the transaction holds since its start.
struct Link {
    pending: bool,
}

/// The invitations `ids` (sorted: one locking order for every process), in one statement per
/// [`LINKS_PER_READ`]. Filtering on the status here rather than in the claims' `UPDATE` keeps
/// SQLite on the primary key: with an `IN` list beside `status = ?` its planner prefers the
/// status index and reads every pending invitation. The claims then update exactly the rows
/// found pending.
async fn read_links(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Link>, StoreError> {
    let mut links = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(LINKS_PER_READ) {
        let select = Query::select()
            .columns([invitation::Column::Id, invitation::Column::Status])
            .from(invitation::Entity)
            .and_where(Expr::col(invitation::Column::Id).is_in(chunk.iter().copied()))
            .order_by(invitation::Column::Id, Order::Asc)
            .lock(LockType::Update)
            .to_owned();
        for row in db.query_all(&select).await? {
            let status: String = row.try_get("", "status")?;
            let link = Link {
                pending: status == STATUS_PENDING,
            };
            links.insert(row.try_get::<Uuid>("", "id")?, link);
        }
    }
    Ok(links)
}

/// Invitations read per statement.
const LINKS_PER_READ: usize = 500;

/// A checked response, waiting to be stored.
#[derive(Debug, Clone)]
pub struct Submission {
    pub campaign_id: Uuid,
    pub version: String,
    /// The definition of `version`: whether its answers are sealed.
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

    /// Writes out its rows for `backend`, on the caller's thread: the request's, when the
    /// submission goes to the writer, which every response of a batch waits for and which
    /// then only strings the rows together.
    pub fn ready(self, backend: DbBackend) -> Ready {
        let rows = if self.sealed() {
            // Sealed by the writer, which holds the key.
            Prepared::Sealed
        } else {
            Prepared::Rows(Box::new(Rows::of(&self, backend)))
        };
        Ready {
            submission: self,
            rows,
        }
    }
}

/// A submission with its rows written out (see [`Submission::ready`]).
#[derive(Debug, Clone)]
pub struct Ready {
    pub submission: Submission,
    rows: Prepared,
}

#[derive(Debug, Clone)]
enum Prepared {
    Sealed,
    Rows(Box<Rows>),
}

/// What a response adds to the database, but for its claim, which depends on what the
/// batch's transaction reads.
#[derive(Debug, Clone)]
struct Rows {
    response_id: Uuid,
    response: JsonRows,
    answers: JsonRows,
    attributes: JsonRows,
}

impl Rows {
    fn of(submission: &Submission, backend: DbBackend) -> Self {
        let today = paris_date(submission.submitted_at);
        let response_id = time_ordered_id(submission.submitted_at);
        let invitation_id = match submission.origin {
            Origin::Invitation { id, .. } => Some(id),
            Origin::Open => None,
        };
        let mut response = JsonRows::new(backend);
        response.push(&[
            Cell::Uuid(response_id),
            Cell::Uuid(submission.campaign_id),
            Cell::Text(&submission.version),
            Cell::from(invitation_id),
            Cell::Date(today),
            Cell::Timestamp(submission.submitted_at),
        ]);
        let mut answers = JsonRows::new(backend);
        for (question, value) in &submission.answers.0 {
            for (position, value) in value.stored_values().iter().enumerate() {
                answers.push(&[
                    Cell::Uuid(response_id),
                    Cell::Text(question),
                    Cell::Int(i64::try_from(position).unwrap_or(i64::MAX)),
                    Cell::Text(value),
                ]);
            }
        }
        let mut attributes = JsonRows::new(backend);
        for (key, value) in &submission.attributes {
            let value = attribute_value(value);
            attributes.push(&[Cell::Uuid(response_id), Cell::Text(key), Cell::Text(value)]);
        }
        Self {
            response_id,
            response,
            answers,
            attributes,
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

/// Stores the batch in one transaction, or nothing of it, and says what became of each
/// submission, in order. Each invitation is claimed on its own (`pending` → `completed`,
/// guarded by its status), so an invitation already answered turns its own submission away
/// without failing the others; what the claims allow is then stored (responses, or rows sealed under `seal_key` for
/// anonymous questionnaires), each response with its row of the tally backlog.
///
/// Every response of the batch waits for this transaction, so it goes to the database as few
/// times as it can: one read of the invitations, one script of every write (claims, drafts,
/// rows, backlog), the commit.
///
/// On SQLite the transaction takes the write lock at its first statement; on PostgreSQL the
/// read of the invitations takes row locks, so that of two batches (two processes) holding
/// the same link, exactly one stores it.
pub async fn submit_batch(
    db: &DatabaseConnection,
    seal_key: &SealKey,
    batch: &[Ready],
) -> Result<Vec<Outcome>, StoreError> {
    if batch.is_empty() {
        return Ok(Vec::new());
    }
    let txn = begin_writing(db).await?;
    let backend = txn.get_database_backend();
    let mut statements = Vec::new();
    let admissions = claim(&txn, batch, &mut statements).await?;

    let mut outcomes = Vec::with_capacity(batch.len());
    let mut sealed = JsonRows::new(backend);
    let mut responses = JsonRows::new(backend);
    let mut answers = JsonRows::new(backend);
    let mut attributes = JsonRows::new(backend);
    let mut backlog = JsonRows::new(backend);
    for (ready, admission) in batch.iter().zip(admissions) {
        let Admission::Admitted = admission else {
            outcomes.push(Outcome::AlreadyCompleted);
            continue;
        };
        let submission = &ready.submission;
        let rows = match &ready.rows {
            Prepared::Rows(rows) => rows,
            Prepared::Sealed => {
                let (id, payload) = sealed_row(
                    seal_key,
                    submission.campaign_id,
                    &submission.version,
                    &submission.answers,
                    &submission.attributes,
                )?;
                sealed.push(&[
                    Cell::Uuid(id),
                    Cell::Uuid(submission.campaign_id),
                    Cell::Text(&submission.version),
                    Cell::Text(&payload),
                ]);
                outcomes.push(Outcome::Stored(id));
                continue;
            }
        };
        responses.append(&rows.response);
        answers.append(&rows.answers);
        attributes.append(&rows.attributes);
        backlog.push(&[Cell::Uuid(rows.response_id)]);
        outcomes.push(Outcome::Stored(rows.response_id));
    }

    statements.push(SEALED.insert(sealed));
    statements.push(RESPONSES.insert(responses));
    statements.push(ANSWERS.insert(answers));
    statements.push(ATTRIBUTES.insert(attributes));
    statements.push(BACKLOG.insert(backlog));
    execute_all(&txn, statements).await?;
    txn.commit().await?;
    Ok(outcomes)
}

/// Whether a submission of the batch may be stored.
#[derive(Debug, Clone, Copy)]
enum Admission {
    /// Its invitation was answered before, or earlier in the batch.
    Refused,
    /// An open questionnaire, or a link claimed now.
    Admitted,
}

/// Claims the invitations of the batch and says, per submission, whether it may be stored:
/// an open questionnaire always; a personal link if it was still pending and no earlier
/// submission of the batch holds the same link. The claims (`pending` → `completed`, the day
/// kept unless the questionnaire is anonymous) and the removal of their drafts are appended
/// to `statements`.
async fn claim(
    db: &impl ConnectionTrait,
    batch: &[Ready],
    statements: &mut Vec<Statement>,
) -> Result<Vec<Admission>, StoreError> {
    let mut first = vec![false; batch.len()];
    let mut seen: HashSet<Uuid> = HashSet::new();
    for (index, ready) in batch.iter().enumerate() {
        if let Origin::Invitation { id, .. } = ready.submission.origin {
            first[index] = seen.insert(id);
        }
    }
    let mut ids: Vec<Uuid> = seen.into_iter().collect();
    ids.sort_unstable();
    let links = read_links(db, &ids).await?;

    let backend = db.get_database_backend();
    // `[invitation, day completed]` per claim.
    let mut claims = JsonRows::new(backend);
    let mut admissions = Vec::with_capacity(batch.len());
    for (submission, first) in batch.iter().map(|r| &r.submission).zip(first) {
        let admission = match submission.origin {
            Origin::Open => Admission::Admitted,
            Origin::Invitation { id, anonymous } => match links.get(&id) {
                Some(link) if first && link.pending => {
                    // Anonymous: "completed" only, without the day, which would say when.
                    let completed_on = (!anonymous).then(|| paris_date(submission.submitted_at));
                    claims.push(&[Cell::Uuid(id), Cell::from(completed_on)]);
                    Admission::Admitted
                }
                _ => Admission::Refused,
            },
        };
        admissions.push(admission);
    }

    statements.push(claims_update(backend, claims.clone()));
    statements.push(drafts_delete(backend, claims));
    Ok(admissions)
}

/// Marks the claimed invitations completed, on the day each row carries (`[id, day]`).
fn claims_update(backend: DbBackend, claims: JsonRows) -> Statement {
    let sql = format!(
        "UPDATE invitations SET status = '{STATUS_COMPLETED}', completed_on = {day} \
         FROM {rows} WHERE invitations.id = {id}",
        day = cell(backend, 1, Kind::Date),
        rows = source(backend),
        id = cell(backend, 0, Kind::Uuid),
    );
    claims.statement(sql)
}

/// Removes the drafts of the claimed invitations: their answers are now stored.
fn drafts_delete(backend: DbBackend, claims: JsonRows) -> Statement {
    let sql = format!(
        "DELETE FROM drafts WHERE invitation_id IN (SELECT {id} FROM {rows})",
        id = cell(backend, 0, Kind::Uuid),
        rows = source(backend),
    );
    claims.statement(sql)
}
