//! Staff accounts, API tokens, sessions and failed-sign-in throttling.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::StoreError;
use crate::domain::Email;
use crate::domain::staff::secret;
use crate::domain::staff::throttle::ThrottleRules;
use crate::domain::staff::{Identity, Role};
use crate::entities::{api_token, login_throttle, oidc_flow, staff_session, staff_user};

fn role_of(name: &str, entity: Option<&str>) -> Result<Role, StoreError> {
    Role::from_parts(name, entity)
        .map_err(|e| StoreError::Corrupt(format!("rôle enregistré : {e}")))
}

/// Adds an account; `None` if one already has this email.
pub async fn add_user(
    db: &impl ConnectionTrait,
    email: &Email,
    password_hash: &str,
    role: &Role,
    now: DateTime<Utc>,
) -> Result<Option<Uuid>, StoreError> {
    if find_user(db, email.as_str()).await?.is_some() {
        return Ok(None);
    }
    let id = Uuid::new_v4();
    staff_user::Entity::insert(staff_user::ActiveModel {
        id: Set(id),
        email: Set(email.as_str().to_lowercase()),
        password_hash: Set(password_hash.to_owned()),
        role: Set(role.name().to_owned()),
        entity: Set(role.entity().map(str::to_owned)),
        created_at: Set(now),
    })
    .exec(db)
    .await?;
    Ok(Some(id))
}

/// The account of `email` (case-insensitive).
pub async fn find_user(
    db: &impl ConnectionTrait,
    email: &str,
) -> Result<Option<staff_user::Model>, StoreError> {
    Ok(staff_user::Entity::find()
        .filter(staff_user::Column::Email.eq(email.trim().to_lowercase()))
        .one(db)
        .await?)
}

/// Creates an API token and returns it: the only time it is seen in clear.
pub async fn create_api_token(
    db: &impl ConnectionTrait,
    name: &str,
    role: &Role,
    now: DateTime<Utc>,
) -> Result<String, StoreError> {
    let token = secret::api_token();
    api_token::Entity::insert(api_token::ActiveModel {
        id: Set(Uuid::new_v4()),
        name: Set(name.to_owned()),
        token_hash: Set(secret::digest(&token)),
        role: Set(role.name().to_owned()),
        entity: Set(role.entity().map(str::to_owned)),
        created_at: Set(now),
    })
    .exec(db)
    .await?;
    Ok(token)
}

/// Who a bearer token belongs to, if anyone.
pub async fn identify_token(
    db: &impl ConnectionTrait,
    token: &str,
) -> Result<Option<Identity>, StoreError> {
    let Some(row) = api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(secret::digest(token)))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(Identity {
        actor: format!("jeton:{}", row.name),
        role: role_of(&row.role, row.entity.as_deref())?,
    }))
}

/// Opens a session for `user` until `now + lifetime`; returns the cookie's secret.
/// `id_token`: the provider's ID token when signed in through single sign-on.
pub async fn open_session(
    db: &impl ConnectionTrait,
    user: Uuid,
    lifetime: Duration,
    id_token: Option<String>,
    now: DateTime<Utc>,
) -> Result<String, StoreError> {
    // Expired sessions are of no use to anyone: each sign-in sweeps them.
    staff_session::Entity::delete_many()
        .filter(staff_session::Column::ExpiresAt.lte(now))
        .exec(db)
        .await?;
    let token = secret::session_token();
    staff_session::Entity::insert(staff_session::ActiveModel {
        token_hash: Set(secret::digest(&token)),
        user_id: Set(user),
        created_at: Set(now),
        expires_at: Set(now + lifetime),
        id_token: Set(id_token),
    })
    .exec(db)
    .await?;
    Ok(token)
}

/// The staff member of an unexpired session.
pub async fn identify_session(
    db: &impl ConnectionTrait,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<Identity>, StoreError> {
    let found = staff_session::Entity::find_by_id(secret::digest(token))
        .filter(staff_session::Column::ExpiresAt.gt(now))
        .one(db)
        .await?;
    let Some(session) = found else {
        return Ok(None);
    };
    let Some(user) = staff_user::Entity::find_by_id(session.user_id)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(Identity {
        actor: user.email,
        role: role_of(&user.role, user.entity.as_deref())?,
    }))
}

/// Ends a session; the provider's ID token it was opened with, if any (for the provider's
/// logout).
pub async fn close_session(
    db: &impl ConnectionTrait,
    token: &str,
) -> Result<Option<String>, StoreError> {
    let id = secret::digest(token);
    let id_token = staff_session::Entity::find_by_id(id.clone())
        .one(db)
        .await?
        .and_then(|session| session.id_token);
    staff_session::Entity::delete_by_id(id).exec(db).await?;
    Ok(id_token)
}

/// Records a single sign-on under way until `expires_at`; returns the flow cookie's secret.
pub async fn start_oidc_flow(
    db: &impl ConnectionTrait,
    flow: OidcFlow,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<String, StoreError> {
    oidc_flow::Entity::delete_many()
        .filter(oidc_flow::Column::ExpiresAt.lte(now))
        .exec(db)
        .await?;
    let token = secret::session_token();
    oidc_flow::Entity::insert(oidc_flow::ActiveModel {
        token_hash: Set(secret::digest(&token)),
        state: Set(flow.state),
        nonce: Set(flow.nonce),
        pkce_verifier: Set(flow.pkce_verifier),
        back: Set(flow.back),
        expires_at: Set(expires_at),
    })
    .exec(db)
    .await?;
    Ok(token)
}

/// Takes (reads and deletes: it serves once) the unexpired sign-on of a flow cookie.
pub async fn take_oidc_flow(
    db: &impl ConnectionTrait,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<OidcFlow>, StoreError> {
    let id = secret::digest(token);
    let Some(row) = oidc_flow::Entity::find_by_id(id.clone()).one(db).await? else {
        return Ok(None);
    };
    let deleted = oidc_flow::Entity::delete_by_id(id).exec(db).await?;
    // Two callbacks at once: only the one that deleted the row goes on.
    if deleted.rows_affected == 0 || row.expires_at <= now {
        return Ok(None);
    }
    Ok(Some(OidcFlow {
        state: row.state,
        nonce: row.nonce,
        pkce_verifier: row.pkce_verifier,
        back: row.back,
    }))
}

/// What the callback of a single sign-on must match, and where it goes next.
#[derive(Debug, Clone)]
pub struct OidcFlow {
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: Option<String>,
    pub back: String,
}

/// The latest instant until which any of `keys` must wait, if one must wait now.
pub async fn locked_until(
    db: &impl ConnectionTrait,
    keys: &[String],
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    let rows = login_throttle::Entity::find()
        .filter(login_throttle::Column::Key.is_in(keys.iter().cloned()))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| row.locked_until)
        .filter(|until| *until > now)
        .max())
}

/// Counts one more failure for `key`.
pub async fn record_failure(
    db: &impl ConnectionTrait,
    key: &str,
    rules: &ThrottleRules,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let previous = login_throttle::Entity::find_by_id(key.to_owned())
        .one(db)
        .await?;
    let failures = match &previous {
        Some(row) => rules.failures_after(
            u32::try_from(row.failures).unwrap_or(0),
            row.last_failure_at,
            now,
        ),
        None => 1,
    };
    let row = login_throttle::ActiveModel {
        key: Set(key.to_owned()),
        failures: Set(i32::try_from(failures).unwrap_or(i32::MAX)),
        last_failure_at: Set(now),
        locked_until: Set(rules.wait_until(failures, now)),
    };
    login_throttle::Entity::insert(row)
        .on_conflict(
            OnConflict::column(login_throttle::Column::Key)
                .update_columns([
                    login_throttle::Column::Failures,
                    login_throttle::Column::LastFailureAt,
                    login_throttle::Column::LockedUntil,
                ])
                .to_owned(),
        )
        .exec(db)
        .await?;
    Ok(())
}

/// Forgets the failures of `key` (after a successful sign-in).
pub async fn clear_failures(db: &impl ConnectionTrait, key: &str) -> Result<(), StoreError> {
    login_throttle::Entity::delete_by_id(key.to_owned())
        .exec(db)
        .await?;
    Ok(())
}

/// Every account, by email.
pub async fn users(db: &impl ConnectionTrait) -> Result<Vec<staff_user::Model>, StoreError> {
    use sea_orm::QueryOrder;
    Ok(staff_user::Entity::find()
        .order_by_asc(staff_user::Column::Email)
        .all(db)
        .await?)
}

/// Every API token (hashes only), newest first.
pub async fn api_tokens(db: &impl ConnectionTrait) -> Result<Vec<api_token::Model>, StoreError> {
    use sea_orm::QueryOrder;
    Ok(api_token::Entity::find()
        .order_by_desc(api_token::Column::CreatedAt)
        .all(db)
        .await?)
}

/// Removes an account (its sessions go with it); its email if it existed.
pub async fn remove_user(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<String>, StoreError> {
    let Some(user) = staff_user::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    staff_session::Entity::delete_many()
        .filter(staff_session::Column::UserId.eq(id))
        .exec(db)
        .await?;
    staff_user::Entity::delete_by_id(id).exec(db).await?;
    Ok(Some(user.email))
}

/// Revokes an API token; its name if it existed.
pub async fn revoke_token(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<String>, StoreError> {
    let Some(token) = api_token::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    api_token::Entity::delete_by_id(id).exec(db).await?;
    Ok(Some(token.name))
}
