//! Erasing who was invited once the retention period is over: what the privacy notice
//! (`/confidentialite/{code}`) promises, run by every dispatch.

use chrono::{DateTime, Months, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::StoreError;
use crate::entities::{invitation, outbox};

/// Contacts are kept this long after their invitation closed.
pub const RETENTION_MONTHS: u32 = 24;

/// Erases the email, name and role of every invitation closed more than
/// [`RETENTION_MONTHS`] ago, and the recipient and bodies of its emails (they hold the
/// address, the name and the personal link). The answers stay. Returns the invitations
/// erased.
pub async fn erase_expired_contacts(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let Some(cutoff) = now.checked_sub_months(Months::new(RETENTION_MONTHS)) else {
        return Ok(0);
    };
    let expired = || {
        Query::select()
            .column(invitation::Column::Id)
            .from(invitation::Entity)
            .and_where(Expr::col(invitation::Column::ClosesAt).lt(cutoff))
            .to_owned()
    };
    outbox::Entity::update_many()
        .col_expr(outbox::Column::Recipient, Expr::value(""))
        .col_expr(outbox::Column::Subject, Expr::value(""))
        .col_expr(outbox::Column::BodyText, Expr::value(""))
        .col_expr(outbox::Column::BodyHtml, Expr::value(""))
        .col_expr(
            outbox::Column::UnsubscribeUrl,
            Expr::value(Option::<String>::None),
        )
        .filter(outbox::Column::InvitationId.in_subquery(expired()))
        .filter(outbox::Column::Recipient.ne(""))
        .exec(db)
        .await?;
    let erased = invitation::Entity::update_many()
        .col_expr(
            invitation::Column::Email,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            invitation::Column::Name,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            invitation::Column::Role,
            Expr::value(Option::<String>::None),
        )
        .filter(invitation::Column::ClosesAt.lt(cutoff))
        .filter(invitation::Column::Email.is_not_null())
        .exec(db)
        .await?;
    Ok(erased.rows_affected)
}
