//! The durable outbox: every email is a row before it is sent. Rows are claimed with a lease
//! (a guarded UPDATE, honoured alike by SQLite's single writer and PostgreSQL's row locks), so
//! two instances never send the same row; a crashed sender's rows come back after the lease.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
};
use uuid::Uuid;

use super::StoreError;
use super::invitations::STATUS_PENDING;
use crate::domain::results::report::DeliveryBacklog;
use crate::entities::{invitation, outbox, outbox_body};

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
    pub body_text: String,
    pub body_html: String,
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
    let id = Uuid::new_v4();
    let row = outbox::ActiveModel {
        id: Set(id),
        invitation_id: Set(email.invitation_id),
        kind: Set(email.kind),
        recipient: Set(email.recipient),
        subject: Set(email.subject),
        unsubscribe_url: Set(email.unsubscribe_url),
        status: Set(QUEUED.to_owned()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        lease_owner: Set(None),
        lease_until: Set(None),
        last_error: Set(None),
        server_response: Set(None),
        created_at: Set(now),
        sent_at: Set(None),
        bounce_tag: Set(email.bounce_tag),
    };
    let result = outbox::Entity::insert(row)
        .on_conflict_do_nothing_on([outbox::Column::InvitationId, outbox::Column::Kind])
        .exec_without_returning(db)
        .await?;
    if !matches!(result, sea_orm::TryInsertResult::Inserted(n) if n > 0) {
        return Ok(false);
    }
    outbox_body::Entity::insert(outbox_body::ActiveModel {
        outbox_id: Set(id),
        body_text: Set(email.body_text),
        body_html: Set(email.body_html),
    })
    .exec_without_returning(db)
    .await?;
    Ok(true)
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

/// A claimed email: its outbox row and its bodies.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub row: outbox::Model,
    pub body_text: String,
    pub body_html: String,
}

/// Claims up to `limit` ready rows for `lease` and returns them with their bodies.
pub async fn claim(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    lease: Duration,
    limit: u64,
) -> Result<Vec<Claimed>, StoreError> {
    let owner = Uuid::new_v4().to_string();
    let candidates: Vec<Uuid> = outbox::Entity::find()
        .select_only()
        .column(outbox::Column::Id)
        .filter(claimable(now))
        // Due first, in the order of the index on (status, next_attempt_at): the scan stops
        // at `limit` rows. Ordered by anything else, every ready row (and its bodies) is read
        // and sorted at each claim, and a large sending slows down as its square.
        .order_by_asc(outbox::Column::NextAttemptAt)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?;
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    // The claim condition is repeated on the UPDATE: on PostgreSQL a row claimed by a
    // concurrent transaction is re-checked after its lock is released, and skipped.
    outbox::Entity::update_many()
        .col_expr(outbox::Column::LeaseOwner, Expr::value(owner.clone()))
        .col_expr(outbox::Column::LeaseUntil, Expr::value(now + lease))
        .filter(outbox::Column::Id.is_in(candidates.clone()))
        .filter(claimable(now))
        .exec(db)
        .await?;
    // Read back by primary key: the lease owner has no index.
    let rows = outbox::Entity::find()
        .filter(outbox::Column::Id.is_in(candidates))
        .filter(outbox::Column::LeaseOwner.eq(owner))
        .filter(outbox::Column::Status.eq(QUEUED))
        .order_by_asc(outbox::Column::NextAttemptAt)
        .all(db)
        .await?;
    let mut bodies = bodies(db, rows.iter().map(|r| r.id)).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            // Every queued email has its bodies (written in the same transaction); an
            // erased one has them blanked, and is no longer queued.
            let (body_text, body_html) = bodies
                .remove(&row.id)
                .map(|b| (b.body_text, b.body_html))
                .unwrap_or_default();
            Claimed {
                row,
                body_text,
                body_html,
            }
        })
        .collect())
}

/// The bodies of these emails, by outbox id.
pub async fn bodies(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<std::collections::HashMap<Uuid, outbox_body::Model>, StoreError> {
    Ok(outbox_body::Entity::find()
        .filter(outbox_body::Column::OutboxId.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|b| (b.outbox_id, b))
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

/// Records the outcome of one claimed row, if the lease is still ours.
pub async fn record(
    db: &impl ConnectionTrait,
    row: &outbox::Model,
    outcome: &Outcome,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut update = outbox::Entity::update_many()
        .col_expr(outbox::Column::Attempts, Expr::value(row.attempts + 1))
        .col_expr(
            outbox::Column::LeaseOwner,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            outbox::Column::LeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        );
    update = match outcome {
        Outcome::Sent { server_response } => update
            .col_expr(outbox::Column::Status, Expr::value(SENT))
            .col_expr(outbox::Column::SentAt, Expr::value(now))
            .col_expr(
                outbox::Column::ServerResponse,
                Expr::value(server_response.clone()),
            ),
        Outcome::Retry {
            error,
            next_attempt_at,
        } => update
            .col_expr(outbox::Column::NextAttemptAt, Expr::value(*next_attempt_at))
            .col_expr(outbox::Column::LastError, Expr::value(error.clone())),
        Outcome::Failed { error } => update
            .col_expr(outbox::Column::Status, Expr::value(FAILED))
            .col_expr(outbox::Column::LastError, Expr::value(error.clone())),
    };
    update
        .filter(outbox::Column::Id.eq(row.id))
        .filter(outbox::Column::LeaseOwner.eq(row.lease_owner.clone()))
        .exec(db)
        .await?;
    Ok(())
}

/// Records the outcomes of several claimed rows in one transaction: one commit for all the
/// messages the SMTP server accepted meanwhile.
pub async fn record_all(
    db: &DatabaseConnection,
    outcomes: &[(outbox::Model, Outcome)],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let txn = db.begin().await?;
    for (row, outcome) in outcomes {
        record(&txn, row, outcome, now).await?;
    }
    txn.commit().await?;
    Ok(())
}
