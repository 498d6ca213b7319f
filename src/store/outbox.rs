//! The durable outbox: every email is a row before it is sent. Rows are claimed with a lease
//! (a guarded UPDATE, honoured alike by SQLite's single writer and PostgreSQL's row locks), so
//! two instances never send the same row; a crashed sender's rows come back after the lease.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, LockBehavior, LockType, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, TransactionTrait,
};
use uuid::Uuid;

use super::StoreError;
use super::invitations::STATUS_PENDING;
use super::json_rows::{self, Cell, JsonRows, Kind, Table};
use crate::domain::results::report::DeliveryBacklog;
use crate::entities::{email_body, invitation, outbox};

pub const QUEUED: &str = "queued";
pub const SENT: &str = "sent";
pub const FAILED: &str = "failed";
/// Not sent because it no longer makes sense (answered, closed, unsubscribed).
pub const CANCELLED: &str = "cancelled";

#[derive(Debug, Clone)]
pub struct NewEmail {
    pub invitation_id: Option<Uuid>,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    /// Shared by the emails of a sending that read the same (one allocation, one row).
    pub body_text: Arc<str>,
    pub body_html: Arc<str>,
    pub unsubscribe_url: Option<String>,
    /// `crate::link_key::LinkKey::bounce_tag` of the invitation and kind: how a bounce finds
    /// this email (`None` for a test email, which has no invitation).
    pub bounce_tag: Option<String>,
}

/// Queues an email; an (invitation, kind) already queued is left alone (false).
pub async fn enqueue(
    db: &impl ConnectionTrait,
    email: NewEmail,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    Ok(enqueue_all(db, std::slice::from_ref(&email), now).await? == 1)
}

const OUTBOX: Table = Table {
    name: "outbox",
    columns: &[
        ("id", Kind::Uuid),
        ("invitation_id", Kind::Uuid),
        ("kind", Kind::Text),
        ("recipient", Kind::Text),
        ("subject", Kind::Text),
        ("unsubscribe_url", Kind::Text),
        ("status", Kind::Text),
        ("attempts", Kind::Int),
        ("next_attempt_at", Kind::Timestamp),
        ("created_at", Kind::Timestamp),
        ("bounce_tag", Kind::Text),
        ("body_id", Kind::Uuid),
        ("lease_owner", Kind::Text),
        ("lease_until", Kind::Timestamp),
    ],
    on_conflict: Some("(invitation_id, kind) DO NOTHING"),
};

/// Queues many emails in two statements; those whose (invitation, kind) is already queued
/// are left alone. Emails with the same bodies share one row of them. Returns how many were
/// queued.
pub async fn enqueue_all(
    db: &impl ConnectionTrait,
    emails: &[NewEmail],
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    if emails.is_empty() {
        return Ok(0);
    }
    let written = Written::new(db.get_database_backend(), emails, now, None);
    let queued = db.execute_raw(written.rows).await?.rows_affected();
    db.execute_raw(written.bodies).await?;
    Ok(queued)
}

/// [`enqueue_all`] for a sender that sends them at once: the rows are queued already leased
/// to it until `lease_until`, and come back as a [`claim`] returns them (with the contacts' `names`,
/// which the caller has at hand), so that nothing is claimed or read back.
pub async fn enqueue_leased(
    db: &impl ConnectionTrait,
    emails: &[NewEmail],
    names: &HashMap<Uuid, Option<String>>,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> Result<Vec<Claimed>, StoreError> {
    if emails.is_empty() {
        return Ok(Vec::new());
    }
    let owner = Uuid::new_v4().to_string();
    let written = Written::new(
        db.get_database_backend(),
        emails,
        now,
        Some((&owner, lease_until)),
    );
    let inserted = db.execute_raw(written.rows).await?.rows_affected();
    db.execute_raw(written.bodies).await?;
    let mut rows = written.models;
    // An (invitation, kind) already queued was left alone: only the rows written are this
    // sender's to send. The statement says how many; which, only when some were left.
    if inserted < rows.len() as u64 {
        use sea_orm::QuerySelect;
        let ids: HashSet<Uuid> = outbox::Entity::find()
            .select_only()
            .column(outbox::Column::Id)
            .filter(outbox::Column::Id.is_in(rows.iter().map(|row| row.id)))
            .into_tuple()
            .all(db)
            .await?
            .into_iter()
            .collect();
        rows.retain(|row| ids.contains(&row.id));
    }
    Ok(rows
        .into_iter()
        .map(|row| Claimed::of(row, &written.shared, names))
        .collect())
}

/// The two statements that queue emails, the rows they write when leased (none otherwise),
/// and the bodies they share, by id.
struct Written {
    rows: sea_orm::Statement,
    bodies: sea_orm::Statement,
    models: Vec<outbox::Model>,
    shared: SharedBodies,
}

impl Written {
    fn new(
        backend: sea_orm::DbBackend,
        emails: &[NewEmail],
        now: DateTime<Utc>,
        lease: Option<(&str, DateTime<Utc>)>,
    ) -> Self {
        // Emails that share their bodies' allocations are matched by address, the others by
        // content: each text is hashed once, however many emails share it.
        let mut by_address: HashMap<(*const u8, *const u8), Uuid> = HashMap::new();
        let mut by_content: HashMap<(&str, &str), Uuid> = HashMap::new();
        let mut shared = SharedBodies::new();
        let mut rows = JsonRows::new(backend);
        let mut bodies = JsonRows::new(backend);
        let mut models = Vec::with_capacity(if lease.is_some() { emails.len() } else { 0 });
        for email in emails {
            let address = (
                Arc::as_ptr(&email.body_text).cast::<u8>(),
                Arc::as_ptr(&email.body_html).cast::<u8>(),
            );
            let body_id = *by_address.entry(address).or_insert_with(|| {
                *by_content
                    .entry((&email.body_text, &email.body_html))
                    .or_insert_with(|| {
                        // Ids in the order of time: each new row goes at the end of the
                        // key's index, where a random id would land on any of its pages.
                        let id = Uuid::now_v7();
                        bodies.push(&[
                            Cell::Uuid(id),
                            Cell::Text(&email.body_text),
                            Cell::Text(&email.body_html),
                        ]);
                        shared.insert(id, (email.body_text.clone(), email.body_html.clone()));
                        id
                    })
            });
            let id = Uuid::now_v7();
            rows.push(&[
                Cell::Uuid(id),
                email.invitation_id.into(),
                Cell::Text(&email.kind),
                Cell::Text(&email.recipient),
                Cell::Text(&email.subject),
                email
                    .unsubscribe_url
                    .as_deref()
                    .map_or(Cell::Null, Cell::Text),
                Cell::Text(QUEUED),
                Cell::Int(0),
                Cell::Timestamp(now),
                Cell::Timestamp(now),
                email.bounce_tag.as_deref().map_or(Cell::Null, Cell::Text),
                Cell::Uuid(body_id),
                lease.map_or(Cell::Null, |(owner, _)| Cell::Text(owner)),
                lease.map_or(Cell::Null, |(_, until)| Cell::Timestamp(until)),
            ]);
            // The rows as written, for a sender that sends them at once: only then.
            if let Some((owner, until)) = lease {
                models.push(outbox::Model {
                    id,
                    invitation_id: email.invitation_id,
                    kind: email.kind.clone(),
                    recipient: email.recipient.clone(),
                    subject: email.subject.clone(),
                    unsubscribe_url: email.unsubscribe_url.clone(),
                    status: QUEUED.to_owned(),
                    attempts: 0,
                    next_attempt_at: now,
                    lease_owner: Some(owner.to_owned()),
                    lease_until: Some(until),
                    last_error: None,
                    server_response: None,
                    created_at: now,
                    sent_at: None,
                    bounce_tag: email.bounce_tag.clone(),
                    body_id: Some(body_id),
                });
            }
        }
        // Only the bodies that an email just queued uses: those of emails left alone are not
        // written.
        let id = json_rows::cell(backend, 0, Kind::Uuid);
        let text = json_rows::cell(backend, 1, Kind::Text);
        let html = json_rows::cell(backend, 2, Kind::Text);
        let sql = format!(
            "INSERT INTO email_bodies (id, body_text, body_html) \
             SELECT {id}, {text}, {html} FROM {} WHERE EXISTS (SELECT 1 FROM outbox WHERE outbox.body_id = {id})",
            json_rows::source(backend)
        );
        Self {
            rows: OUTBOX.insert(rows),
            bodies: bodies.statement(sql),
            models,
            shared,
        }
    }
}

/// The emails of `campaign` still queued, those that already failed at least once, and the
/// most recent error among them: what staff see while an SMTP server is down.
pub async fn backlog(
    db: &impl ConnectionTrait,
    campaign: Uuid,
) -> Result<DeliveryBacklog, StoreError> {
    use sea_orm::{PaginatorTrait, QueryOrder, QuerySelect};
    let mut invitations = Query::select();
    invitations
        .column(invitation::Column::Id)
        .from(invitation::Entity)
        .and_where(invitation::Column::CampaignId.eq(campaign));
    let queued = || {
        outbox::Entity::find()
            .filter(outbox::Column::Status.eq(QUEUED))
            .filter(outbox::Column::InvitationId.in_subquery(invitations.clone()))
    };
    let retrying = queued().filter(outbox::Column::Attempts.gt(0));
    let last_error: Option<Option<String>> = retrying
        .clone()
        .select_only()
        .column(outbox::Column::LastError)
        .order_by_desc(outbox::Column::NextAttemptAt)
        .into_tuple()
        .one(db)
        .await?;
    let bounces = super::bounces::delivery_counts(db, campaign).await?;
    Ok(DeliveryBacklog {
        queued: queued().count(db).await?,
        retrying: retrying.count(db).await?,
        last_error: last_error.flatten(),
        bounced: bounces.bounced,
        deferred: bounces.deferred,
        complained: bounces.complained,
    })
}

/// Cancels queued emails whose invitation was answered, closed, unsubscribed or found
/// undeliverable meanwhile.
pub async fn cancel_moot(db: &impl ConnectionTrait) -> Result<u64, StoreError> {
    let mut moot = Query::select();
    moot.column(invitation::Column::Id)
        .from(invitation::Entity)
        .cond_where(
            sea_orm::Condition::any()
                .add(invitation::Column::Status.ne(STATUS_PENDING))
                .add(invitation::Column::UnsubscribedAt.is_not_null())
                .add(invitation::Column::Delivery.eq(super::bounces::BOUNCED)),
        );
    let result = outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, Expr::value(CANCELLED))
        .filter(outbox::Column::Status.eq(QUEUED))
        .filter(outbox::Column::InvitationId.in_subquery(moot))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

fn claimable(now: DateTime<Utc>) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(outbox::Column::Status.eq(QUEUED))
        .add(outbox::Column::NextAttemptAt.lte(now))
        .add(
            sea_orm::Condition::any()
                .add(outbox::Column::LeaseUntil.is_null())
                .add(outbox::Column::LeaseUntil.lte(now)),
        )
}

/// How many rows are ready to be sent now: the length of a dispatch's progress bar.
pub async fn ready_count(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64, StoreError> {
    use sea_orm::PaginatorTrait;
    Ok(outbox::Entity::find()
        .filter(claimable(now))
        .count(db)
        .await?)
}

/// A claimed email: its outbox row, its bodies (shared with the claimed emails that read the
/// same), and the name of its invitation's contact, which the bodies leave as a slot.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub row: outbox::Model,
    pub body_text: Arc<str>,
    pub body_html: Arc<str>,
    pub name: Option<String>,
}

/// Shared bodies by id: the text and the HTML.
type SharedBodies = HashMap<Uuid, (Arc<str>, Arc<str>)>;

impl Claimed {
    /// `row` with its bodies, out of `bodies`, and its contact's name, out of `names`.
    fn of(
        row: outbox::Model,
        bodies: &SharedBodies,
        names: &HashMap<Uuid, Option<String>>,
    ) -> Self {
        // Every queued email has its bodies (written in the same transaction); an erased
        // one has them blanked, and is no longer queued.
        let (body_text, body_html) = row
            .body_id
            .and_then(|id| bodies.get(&id))
            .cloned()
            .unwrap_or_else(|| (Arc::from(""), Arc::from("")));
        let name = row
            .invitation_id
            .and_then(|id| names.get(&id).cloned().flatten());
        Self {
            row,
            body_text,
            body_html,
            name,
        }
    }
}

/// Claims up to `limit` rows ready at `now`, leased until `lease_until`, and returns them
/// with their bodies.
pub async fn claim(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<Claimed>, StoreError> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    let owner = Uuid::new_v4().to_string();
    // One statement picks and leases the rows. The pick is due first, in the order of the
    // index on (status, next_attempt_at), so the scan stops at `limit` rows (ordered by
    // anything else, every ready row and its bodies would be read and sorted at each
    // claim). The lease then finds each picked row by its key: an UPDATE that re-checked
    // the claim's condition itself was planned on that index, and read every queued row at
    // each claim. On PostgreSQL the pick skips the rows another instance is leasing
    // (SKIP LOCKED) instead of waiting for it; SQLite runs the statement as a whole.
    let mut picked = Query::select();
    picked
        .column(outbox::Column::Id)
        .from(outbox::Entity)
        .cond_where(claimable(now))
        .order_by(outbox::Column::NextAttemptAt, sea_orm::Order::Asc)
        .limit(limit)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    let mut rows = outbox::Entity::update_many()
        .col_expr(outbox::Column::LeaseOwner, Expr::value(owner))
        .col_expr(outbox::Column::LeaseUntil, Expr::value(lease_until))
        .filter(outbox::Column::Id.in_subquery(picked))
        .exec_with_returning(db)
        .await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    rows.sort_by_key(|row| row.next_attempt_at);
    let bodies: SharedBodies = bodies(db, rows.iter().filter_map(|r| r.body_id))
        .await?
        .into_iter()
        .map(|(id, b)| (id, (b.body_text.into(), b.body_html.into())))
        .collect();
    let names = names(db, rows.iter().filter_map(|r| r.invitation_id)).await?;
    Ok(rows
        .into_iter()
        .map(|row| Claimed::of(row, &bodies, &names))
        .collect())
}

/// These bodies, by id: each read once, however many emails share it.
pub async fn bodies(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<HashMap<Uuid, email_body::Model>, StoreError> {
    let ids: HashSet<Uuid> = ids.into_iter().collect();
    Ok(email_body::Entity::find()
        .filter(email_body::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|b| (b.id, b))
        .collect())
}

/// The contact's name of these invitations, by id.
async fn names(
    db: &impl ConnectionTrait,
    invitations: impl IntoIterator<Item = Uuid>,
) -> Result<HashMap<Uuid, Option<String>>, StoreError> {
    use sea_orm::QuerySelect;
    Ok(invitation::Entity::find()
        .select_only()
        .columns([invitation::Column::Id, invitation::Column::Name])
        .filter(invitation::Column::Id.is_in(invitations))
        .into_tuple::<(Uuid, Option<String>)>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}

pub enum Outcome {
    Sent {
        server_response: String,
    },
    Retry {
        error: String,
        next_attempt_at: DateTime<Utc>,
    },
    Failed {
        error: String,
    },
}

/// Records the outcomes of claimed rows whose lease is still ours, in one statement: the
/// rows travel as one JSON array; a cell left null keeps the column as it is.
pub async fn record_all(
    db: &impl ConnectionTrait,
    outcomes: &[(outbox::Model, Outcome)],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    const COLUMNS: [(&str, Kind); 7] = [
        ("id", Kind::Uuid),
        ("lease_owner", Kind::Text),
        ("status", Kind::Text),
        ("next_attempt_at", Kind::Timestamp),
        ("last_error", Kind::Text),
        ("server_response", Kind::Text),
        ("sent_at", Kind::Timestamp),
    ];
    if outcomes.is_empty() {
        return Ok(());
    }
    let backend = db.get_database_backend();
    let mut rows = JsonRows::new(backend);
    for (row, outcome) in outcomes {
        let owner = row.lease_owner.as_deref().map_or(Cell::Null, Cell::Text);
        let cells = match outcome {
            Outcome::Sent { server_response } => [
                Cell::Text(SENT),
                Cell::Null,
                Cell::Null,
                Cell::Text(server_response),
                Cell::Timestamp(now),
            ],
            Outcome::Retry {
                error,
                next_attempt_at,
            } => [
                Cell::Text(QUEUED),
                Cell::Timestamp(*next_attempt_at),
                Cell::Text(error),
                Cell::Null,
                Cell::Null,
            ],
            Outcome::Failed { error } => [
                Cell::Text(FAILED),
                Cell::Null,
                Cell::Text(error),
                Cell::Null,
                Cell::Null,
            ],
        };
        let mut row_cells = vec![Cell::Uuid(row.id), owner];
        row_cells.extend(cells);
        rows.push(&row_cells);
    }
    let selected: Vec<String> = COLUMNS
        .iter()
        .enumerate()
        .map(|(index, (name, kind))| {
            format!("{} AS {name}", json_rows::cell(backend, index, *kind))
        })
        .collect();
    let sql = format!(
        "UPDATE outbox SET attempts = attempts + 1, lease_owner = NULL, lease_until = NULL, \
         status = r.status, \
         next_attempt_at = COALESCE(r.next_attempt_at, outbox.next_attempt_at), \
         last_error = COALESCE(r.last_error, outbox.last_error), \
         server_response = COALESCE(r.server_response, outbox.server_response), \
         sent_at = COALESCE(r.sent_at, outbox.sent_at) \
         FROM (SELECT {} FROM {}) AS r \
         WHERE outbox.id = r.id AND outbox.lease_owner = r.lease_owner",
        selected.join(", "),
        json_rows::source(backend),
    );
    db.execute_raw(rows.statement(sql)).await?;
    Ok(())
}

/// Records `outcomes` (see [`record_all`]) and claims up to `limit` more ready rows (see
/// [`claim`]), in one transaction: one commit for both.
pub async fn record_and_claim(
    db: &DatabaseConnection,
    outcomes: &[(outbox::Model, Outcome)],
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<Claimed>, StoreError> {
    if outcomes.is_empty() {
        return claim(db, now, lease_until, limit).await;
    }
    // The write first: on SQLite a transaction that read before writing can find another
    // connection's commit in between and fail at once instead of waiting.
    let txn = db.begin().await?;
    record_all(&txn, outcomes, now).await?;
    let claimed = claim(&txn, now, lease_until, limit).await?;
    txn.commit().await?;
    Ok(claimed)
}
