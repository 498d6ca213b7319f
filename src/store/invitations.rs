//! Invitations: one person asked to answer one campaign, through a personal link.
//!
//! The link's token is derived from the invitation's id (`crate::link_key`): only its keyed
//! hash is stored, and a presented token is found by hashing it (or, for a link made before
//! tokens were derived, by its plain SHA-256: `legacy_token_hash`).

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set,
    TryInsertResult,
};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::StoreError;
use crate::domain::{Email, QuestionnaireCode, Token};
use crate::entities::{campaign, invitation};
use crate::link_key::{LinkKey, legacy_digest};

pub const STATUS_PENDING: &str = "pending";
pub const STATUS_COMPLETED: &str = "completed";
/// Past its closing instant without a response.
pub const STATUS_CLOSED: &str = "closed";

/// Where an invitation comes from; with the email, its natural key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Intervention(Uuid),
    Coproduction(Uuid),
    Wave(Uuid),
}

impl Source {
    fn kind(self) -> &'static str {
        match self {
            Source::Intervention(_) => "intervention",
            Source::Coproduction(_) => "coproduction",
            Source::Wave(_) => "wave",
        }
    }

    /// The source an invitation row records (`source_kind`, `source_id`).
    pub fn from_parts(kind: Option<&str>, id: Option<Uuid>) -> Option<Self> {
        match (kind?, id?) {
            ("intervention", id) => Some(Source::Intervention(id)),
            ("coproduction", id) => Some(Source::Coproduction(id)),
            ("wave", id) => Some(Source::Wave(id)),
            _ => None,
        }
    }

    fn id(self) -> Uuid {
        match self {
            Source::Intervention(id) | Source::Coproduction(id) | Source::Wave(id) => id,
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewInvitation<'a> {
    pub campaign_id: Uuid,
    pub email: &'a Email,
    pub name: Option<&'a str>,
    pub role: Option<&'a str>,
    pub attributes: &'a Map<String, Value>,
    pub source: Option<Source>,
    /// When the invitation email is due; `None` for a link handed out at once.
    pub scheduled_for: Option<DateTime<Utc>>,
    /// Already sent (demo data, links printed by `jalon invite`).
    pub sent_at: Option<DateTime<Utc>>,
}

/// What a personal link leads to.
#[derive(Debug, Clone)]
pub struct Invitation {
    pub id: Uuid,
    pub campaign_id: Uuid,
    pub campaign_open: bool,
    pub questionnaire: QuestionnaireCode,
    pub completed: bool,
    /// Closed by dispatch, or past its closing instant.
    pub closes_at: Option<DateTime<Utc>>,
    pub closed: bool,
    pub unsubscribed: bool,
    pub opened: bool,
    pub attributes: Map<String, Value>,
}

impl Invitation {
    /// Whether a response may still be stored at `now`.
    pub fn is_closed_at(&self, now: DateTime<Utc>) -> bool {
        self.closed || !self.campaign_open || self.closes_at.is_some_and(|at| at <= now)
    }
}

/// Inserts an invitation. With a source, an existing (source, email) is kept as it is and
/// `None` is returned: registering the same thing twice creates nothing new.
pub async fn insert(
    db: &impl ConnectionTrait,
    links: &LinkKey,
    new: NewInvitation<'_>,
    now: DateTime<Utc>,
) -> Result<Option<(Uuid, Token)>, StoreError> {
    let id = Uuid::new_v4();
    let token = links.token(id);
    let row = invitation::ActiveModel {
        id: Set(id),
        campaign_id: Set(new.campaign_id),
        token_hash: Set(links.digest(&token)),
        legacy_token_hash: Set(None),
        email: Set(Some(new.email.as_str().to_owned())),
        attributes: Set(Value::Object(new.attributes.clone()).to_string()),
        status: Set(STATUS_PENDING.to_owned()),
        completed_on: Set(None),
        created_at: Set(now),
        source_kind: Set(new.source.map(|s| s.kind().to_owned())),
        source_id: Set(new.source.map(Source::id)),
        name: Set(new.name.map(str::to_owned)),
        role: Set(new.role.map(str::to_owned)),
        scheduled_for: Set(new.scheduled_for),
        sent_at: Set(new.sent_at),
        ..Default::default()
    };
    let inserted = invitation::Entity::insert(row)
        .on_conflict_do_nothing_on([invitation::Column::SourceId, invitation::Column::Email])
        .exec_without_returning(db)
        .await?;
    Ok(match inserted {
        TryInsertResult::Inserted(rows) if rows > 0 => Some((id, token)),
        _ => None,
    })
}

/// A link handed out at once (CLI `invite`, demo data): no source, no schedule.
pub async fn create(
    db: &impl ConnectionTrait,
    links: &LinkKey,
    campaign_id: Uuid,
    email: &Email,
    attributes: &Map<String, Value>,
    now: DateTime<Utc>,
) -> Result<(Uuid, Token), StoreError> {
    let new = NewInvitation {
        campaign_id,
        email,
        name: None,
        role: None,
        attributes,
        source: None,
        scheduled_for: None,
        sent_at: Some(now),
    };
    insert(db, links, new, now)
        .await?
        .ok_or_else(|| StoreError::Corrupt("invitation sans source en conflit".into()))
}

/// Records the first day the link was opened (participation follow-up).
pub async fn mark_opened(
    db: &impl ConnectionTrait,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    use sea_orm::sea_query::Expr;
    invitation::Entity::update_many()
        .col_expr(
            invitation::Column::OpenedOn,
            Expr::value(crate::domain::schedule::paris_date(now)),
        )
        .filter(invitation::Column::Id.eq(id))
        .filter(invitation::Column::OpenedOn.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// The ways to find the invitation whose link `token` is, in the order to try them: by the
/// keyed hash of a derived token, then by the plain hash of a random one made before (the two
/// cannot collide: a keyed hash is never the plain hash of a 22-character token).
///
/// One column each rather than both in one `OR`: under answering load PostgreSQL's plan cache
/// kept planning the `OR` lookup again at most calls; a lookup by one unique column was
/// planned a few times per connection. The second, for the few links from before derived tokens,
/// only runs when the first finds nothing.
///
/// Read only here, and without `LIMIT` (`.all`, not `.one`; at most one row matches). With a
/// limit, PostgreSQL costs a sequential scan by how soon it should meet a matching row, and
/// before it has statistics on a table just filled (an import) it guesses that 0.5 % of the
/// rows share a `legacy_token_hash`: it then reads the table rather than the index, to its
/// end for an unknown token. The figures of both are in the README (*Performance*).
fn with_token(links: &LinkKey, token: &Token) -> [Condition; 2] {
    [
        Condition::all().add(invitation::Column::TokenHash.eq(links.digest(token))),
        Condition::all().add(invitation::Column::LegacyTokenHash.eq(legacy_digest(token))),
    ]
}

/// Gives the invitations made before tokens were derived (migration 13 left them with
/// `token_hash = legacy_token_hash`) the keyed hash of their derived token, so that the
/// reminders dispatch now writes with that token lead to them too; their first link keeps
/// working by `legacy_token_hash`. Needs the key, so it runs when the key is opened
/// (`store::anonymity::open_seal_key`); a no-op once done. Returns how many were keyed.
pub async fn key_legacy_links(
    db: &sea_orm::DatabaseConnection,
    links: &LinkKey,
) -> Result<u64, StoreError> {
    use sea_orm::TransactionTrait as _;
    use sea_orm::sea_query::{Expr, ExprTrait as _};
    let ids: Vec<Uuid> = invitation::Entity::find()
        .select_only()
        .column(invitation::Column::Id)
        .filter(
            Expr::col(invitation::Column::TokenHash).equals(invitation::Column::LegacyTokenHash),
        )
        .into_tuple()
        .all(db)
        .await?;
    // A few hundred per transaction: one commit (one sync) each, not one per row.
    for chunk in ids.chunks(500) {
        let txn = db.begin().await?;
        for id in chunk {
            invitation::Entity::update_many()
                .col_expr(
                    invitation::Column::TokenHash,
                    Expr::value(links.digest(&links.token(*id))),
                )
                .filter(invitation::Column::Id.eq(*id))
                .exec(&txn)
                .await?;
        }
        txn.commit().await?;
    }
    Ok(ids.len() as u64)
}

/// The stored row of the invitation whose link `token` is (see [`with_token`]).
pub async fn row_by_token(
    db: &impl ConnectionTrait,
    links: &LinkKey,
    token: &Token,
) -> Result<Option<invitation::Model>, StoreError> {
    first_with_token(links, token, |condition| {
        invitation::Entity::find().filter(condition).all(db)
    })
    .await
}

/// The first row found by `read` with one of [`with_token`]'s conditions, tried in order.
async fn first_with_token<T, Read>(
    links: &LinkKey,
    token: &Token,
    read: impl Fn(Condition) -> Read,
) -> Result<Option<T>, StoreError>
where
    Read: Future<Output = Result<Vec<T>, sea_orm::DbErr>>,
{
    for condition in with_token(links, token) {
        if let Some(row) = read(condition).await?.into_iter().next() {
            return Ok(Some(row));
        }
    }
    Ok(None)
}

pub async fn find_by_token(
    db: &impl ConnectionTrait,
    links: &LinkKey,
    token: &Token,
) -> Result<Option<Invitation>, StoreError> {
    let found = first_with_token(links, token, |condition| {
        invitation::Entity::find()
            .filter(condition)
            .find_also_related(campaign::Entity)
            .all(db)
    })
    .await?;
    let Some((row, Some(campaign))) = found else {
        return Ok(None);
    };
    let questionnaire = campaign.questionnaire_code.parse().map_err(
        |e: crate::domain::newtypes::UnknownQuestionnaireCode| StoreError::Corrupt(e.to_string()),
    )?;
    let attributes = match serde_json::from_str(&row.attributes) {
        Ok(Value::Object(map)) => map,
        _ => {
            return Err(StoreError::Corrupt(
                "attributs d'invitation illisibles".into(),
            ));
        }
    };
    Ok(Some(Invitation {
        id: row.id,
        campaign_id: row.campaign_id,
        campaign_open: super::campaigns::accepts_responses(&campaign.status),
        questionnaire,
        completed: row.status == STATUS_COMPLETED,
        closes_at: row.closes_at,
        closed: row.status == STATUS_CLOSED,
        unsubscribed: row.unsubscribed_at.is_some(),
        opened: row.opened_on.is_some(),
        attributes,
    }))
}
