//! Anonymous questionnaires (6, 7): sealing each response when it is given, and releasing a
//! campaign's sealed responses into the results together (rules in `domain::anonymity`).
//!
//! What an administrator with the whole database can see, and cannot:
//! - a sealed response (`anonymous_pending`) has a random id, its campaign and version in
//!   clear (what the release needs to find it), and its answers and attributes encrypted
//!   ([`seal`]: XChaCha20-Poly1305 under the key of `JALON_SEAL_KEY_FILE`, which is not in
//!   the database, campaign and version as associated data, padded to whole kibibytes); no
//!   invitation, no time. It is written in the transaction that marks the invitation completed
//!   (so nothing acknowledged can be lost), which PostgreSQL's `xmin` records: until the
//!   release, a sealed row can be tied to its claim that way, but read only with the key.
//!   The release deletes it.
//! - a release rewrites *every* anonymous response of the campaign, already released or
//!   sealed, in one transaction: fresh random (v4) ids, random order, one common day, no
//!   invitation, attributes coarsened so that every stored combination is shared by at least
//!   `k` responses, and the campaign's tallies recomputed. Row ids, row order (SQLite's
//!   `rowid`), `xmin`, days and tallies then say nothing finer than "one of the campaign's
//!   respondents". A campaign with a sealed row the key cannot open is not released at all
//!   (the rows stay, the run reports them as withheld).
//! - on SQLite deleted rows are overwritten (`secure_delete`, see `connect`) and the
//!   write-ahead log is truncated after a release (`scrub`), so the file keeps no copy of
//!   the sealed rows. PostgreSQL keeps dead row versions until `VACUUM` (run on the tables
//!   after a release, `scrub`) and its own write-ahead log: reading those needs the
//!   server's files, not SQL, and the key to read a sealed one.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rand::seq::SliceRandom;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::StoreError;
use super::invitations::STATUS_PENDING;
use super::responses::{CHUNK, answer_rows, attribute_rows, insert_rows};
use super::results::raw::{RawScope, responses_page};
use crate::domain::QuestionnaireCode;
use crate::domain::anonymity::{coarsen, release_due};
use crate::domain::answers::ValidAnswers;
use crate::domain::questionnaire::Questionnaire;
use crate::entities::{
    anonymous_pending, answer_tally, campaign, group_tally, invitation, response, tally_backlog,
};
use crate::seal_key::{SealKey, SealKeyError};

/// What a sealed response keeps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Sealed {
    /// `(question, values in position order)`, as the answer rows store them.
    answers: Vec<(String, Vec<String>)>,
    attributes: Vec<(String, String)>,
}

/// How an encrypted payload starts (rows sealed before encryption are bare JSON, `{…}`).
const ENCRYPTED: &str = "xchacha20poly1305:";
/// Plaintexts are padded with spaces to a multiple of this, so that a sealed row's length
/// does not give away the length of its comments.
const PAD: usize = 1024;

/// What binds a payload to its row's clear columns: moved to another campaign or version,
/// it no longer opens.
fn associated_data(campaign_id: Uuid, version: &str) -> Vec<u8> {
    format!("jalon anonymous_pending {campaign_id} {version}").into_bytes()
}

/// The `payload` column of a sealed response: its JSON, padded, encrypted under `key`.
fn seal(
    key: &SealKey,
    campaign_id: Uuid,
    version: &str,
    sealed: &Sealed,
) -> Result<String, StoreError> {
    let mut plain = serde_json::to_vec(sealed)
        .map_err(|e| StoreError::Corrupt(format!("réponse impossible à sceller : {e}")))?;
    plain.resize(plain.len().div_ceil(PAD) * PAD, b' ');
    let encrypted = key.seal(&plain, &associated_data(campaign_id, version))?;
    Ok(format!("{ENCRYPTED}{}", BASE64.encode(encrypted)))
}

/// The sealed response of a `payload`, encrypted by [`seal`] or, from before encryption,
/// bare JSON; `None` when `key` cannot open it (or it is damaged).
fn unseal(key: &SealKey, campaign_id: Uuid, version: &str, payload: &str) -> Option<Sealed> {
    let plain = match payload.strip_prefix(ENCRYPTED) {
        Some(encoded) => {
            let encrypted = BASE64.decode(encoded).ok()?;
            key.open(&encrypted, &associated_data(campaign_id, version))?
        }
        None => payload.as_bytes().to_vec(),
    };
    serde_json::from_slice(&plain).ok()
}

/// The id and the sealed payload of a validated anonymous response: a row of
/// `anonymous_pending`, inserted in the transaction that claims its invitation
/// (`store::submissions`).
pub fn sealed_row(
    key: &SealKey,
    campaign_id: Uuid,
    version: &str,
    answers: &ValidAnswers,
    attributes: &[(String, String)],
) -> Result<(Uuid, String), StoreError> {
    let sealed = Sealed {
        answers: answers
            .0
            .iter()
            .map(|(question, value)| (question.clone(), value.stored_values()))
            .collect(),
        attributes: attributes.to_vec(),
    };
    let payload = seal(key, campaign_id, version, &sealed)?;
    Ok((Uuid::new_v4(), payload))
}

/// Sealed responses stored encrypted, which only a key opens (rows sealed before encryption
/// need none).
pub async fn sealed_with_a_key(db: &impl ConnectionTrait) -> Result<u64, StoreError> {
    Ok(anonymous_pending::Entity::find()
        .filter(anonymous_pending::Column::Payload.starts_with(ENCRYPTED))
        .count(db)
        .await?)
}

/// Sealed responses that `key` cannot open: sealed with another key, or damaged.
pub async fn unreadable_with(db: &impl ConnectionTrait, key: &SealKey) -> Result<u64, StoreError> {
    let mut unreadable = 0;
    let mut after: Option<Uuid> = None;
    loop {
        let mut query = anonymous_pending::Entity::find();
        if let Some(last) = after {
            query = query.filter(anonymous_pending::Column::Id.gt(last));
        }
        let page = query
            .order_by_asc(anonymous_pending::Column::Id)
            .limit(500)
            .all(db)
            .await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        unreadable += page
            .iter()
            .filter(|row| unseal(key, row.campaign_id, &row.version_id, &row.payload).is_none())
            .count() as u64;
    }
    Ok(unreadable)
}

/// The key of `path` for this database: read, or created when absent and no sealed response
/// waits for one; refused when some sealed response stored cannot be opened with it. It
/// never touches those rows. What `serve`, `dispatch` and `demo` call at start. The key also
/// makes personal links: links made before they were derived from it get their keyed hash
/// here (`invitations::key_legacy_links`, a no-op once done).
pub async fn open_seal_key(db: &DatabaseConnection, path: &Path) -> Result<SealKey, SealKeyError> {
    let key = match SealKey::read(path)? {
        Some(key) => key,
        None => {
            let sealed = sealed_with_a_key(db).await?;
            if sealed > 0 {
                return Err(SealKeyError::Missing {
                    path: path.to_owned(),
                    sealed,
                });
            }
            let key = SealKey::create(path)?;
            tracing::info!(path = %path.display(), "seal key file created");
            key
        }
    };
    let unreadable = unreadable_with(db, &key).await?;
    if unreadable > 0 {
        return Err(SealKeyError::Wrong {
            path: path.to_owned(),
            unreadable,
        });
    }
    let keyed = super::invitations::key_legacy_links(db, key.links()).await?;
    if keyed > 0 {
        tracing::info!(keyed, "links made before derived tokens keyed");
    }
    Ok(key)
}

/// Sealed responses of a campaign, not yet in the results.
pub async fn pending_count(
    db: &impl ConnectionTrait,
    campaign_id: Uuid,
) -> Result<u64, StoreError> {
    Ok(anonymous_pending::Entity::find()
        .filter(anonymous_pending::Column::CampaignId.eq(campaign_id))
        .count(db)
        .await?)
}

/// What a release run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReleaseSummary {
    /// Campaigns rewritten.
    pub campaigns: u64,
    /// Sealed responses that joined the results.
    pub released: u64,
    /// Sealed responses kept back because the key cannot open them (or one of their
    /// campaign's): they stay sealed until the right key comes back.
    pub withheld: u64,
}

/// Releases, campaign by campaign, the anonymous responses whose time has come
/// ([`release_due`]): called by every dispatch run, and directly by tests.
pub async fn release_due_campaigns(
    db: &DatabaseConnection,
    key: &SealKey,
    anonymous: &[QuestionnaireCode],
    threshold: u64,
    now: DateTime<Utc>,
) -> Result<ReleaseSummary, StoreError> {
    let mut summary = ReleaseSummary::default();
    if anonymous.is_empty() {
        return Ok(summary);
    }
    let campaigns = campaign::Entity::find()
        .filter(
            campaign::Column::QuestionnaireCode
                .is_in(anonymous.iter().map(|c| c.as_str().to_owned())),
        )
        .all(db)
        .await?;
    for campaign in campaigns {
        forget_completion_days(db, campaign.id).await?;
        let pending = pending_count(db, campaign.id).await?;
        let over = campaign_over(db, campaign.id, now).await?;
        let unreleased = unreleased(db, &campaign).await?;
        if release_due(pending, threshold, over, unreleased) {
            match release_campaign(db, key, campaign.id, threshold, now).await {
                Ok(released) => {
                    summary.released += released;
                    summary.campaigns += 1;
                }
                // Kept, and said loudly; the other campaigns go on.
                Err(StoreError::Unsealable(unreadable)) => {
                    tracing::error!(
                        campaign = %campaign.id,
                        unreadable,
                        pending,
                        "sealed responses the seal key cannot open: campaign not released, \
                         rows kept (is JALON_SEAL_KEY_FILE the key every instance shares?) / \
                         réponses scellées illisibles avec la clé de scellement : campagne non \
                         publiée, réponses conservées"
                    );
                    summary.withheld += pending;
                }
                Err(e) => return Err(e),
            }
        }
    }
    Ok(summary)
}

/// Invitations answered before anonymous claims kept no day still have one: erased, in a
/// statement of its own (a write in the release's transaction would share its `xmin`).
async fn forget_completion_days(
    db: &impl ConnectionTrait,
    campaign_id: Uuid,
) -> Result<(), StoreError> {
    invitation::Entity::update_many()
        .col_expr(
            invitation::Column::CompletedOn,
            Expr::value(Option::<chrono::NaiveDate>::None),
        )
        .filter(invitation::Column::CampaignId.eq(campaign_id))
        .filter(invitation::Column::CompletedOn.is_not_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Nobody can answer any more: no invitation is still pending and open.
async fn campaign_over(
    db: &impl ConnectionTrait,
    campaign_id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let open = invitation::Entity::find()
        .filter(invitation::Column::CampaignId.eq(campaign_id))
        .filter(invitation::Column::Status.eq(STATUS_PENDING))
        .filter(
            Condition::any()
                .add(invitation::Column::ClosesAt.is_null())
                .add(invitation::Column::ClosesAt.gt(now)),
        )
        .count(db)
        .await?;
    Ok(open == 0)
}

/// Whether the campaign has responses that no release wrote (stored before releases
/// existed): any response without the day of the last release.
async fn unreleased(
    db: &impl ConnectionTrait,
    campaign: &campaign::Model,
) -> Result<bool, StoreError> {
    let mut query = response::Entity::find().filter(response::Column::CampaignId.eq(campaign.id));
    if let Some(day) = campaign.released_on {
        query = query.filter(response::Column::SubmittedOn.ne(day));
    }
    Ok(query.limit(1).count(db).await? > 0)
}

/// One response as the release rewrites it.
struct Entry {
    version: String,
    answers: Vec<(String, Vec<String>)>,
    attributes: Vec<(String, String)>,
}

/// Rewrites every anonymous response of the campaign, in one transaction: sealed ones and
/// those already released, with fresh random ids, in random order, on the day of `now`,
/// attributes coarsened (`domain::anonymity::coarsen`), and the campaign's tallies rebuilt.
/// Returns the number of sealed responses released, or [`StoreError::Unsealable`] (and
/// nothing done) if `key` cannot open one of them.
pub async fn release_campaign(
    db: &DatabaseConnection,
    key: &SealKey,
    campaign_id: Uuid,
    threshold: u64,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let today = crate::domain::schedule::paris_date(now);
    let txn = db.begin().await?;
    // First statement: a write on the campaign, which serialises releases of one campaign
    // (SQLite's write lock, PostgreSQL's row lock); everything read after it is current.
    let locked = campaign::Entity::update_many()
        .col_expr(campaign::Column::ReleasedOn, Expr::value(today))
        .filter(campaign::Column::Id.eq(campaign_id))
        .exec(&txn)
        .await?;
    if locked.rows_affected != 1 {
        txn.rollback().await?;
        return Ok(0);
    }

    let sealed = anonymous_pending::Entity::find()
        .filter(anonymous_pending::Column::CampaignId.eq(campaign_id))
        .all(&txn)
        .await?;
    let released = sealed.len() as u64;
    let mut entries: Vec<Entry> = Vec::new();
    let mut unreadable = 0;
    for row in &sealed {
        match unseal(key, campaign_id, &row.version_id, &row.payload) {
            Some(payload) => entries.push(Entry {
                version: row.version_id.clone(),
                answers: payload.answers,
                attributes: payload.attributes,
            }),
            None => unreadable += 1,
        }
    }
    if unreadable > 0 {
        txn.rollback().await?;
        return Err(StoreError::Unsealable(unreadable));
    }
    let mut after = None;
    loop {
        let page = responses_page(&txn, RawScope::Campaign(campaign_id), after, 500).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        entries.extend(page.into_iter().map(|r| Entry {
            version: r.version,
            answers: r.answers,
            attributes: r.attributes,
        }));
    }

    let mut definitions: HashMap<String, Arc<Questionnaire>> = HashMap::new();
    for entry in &entries {
        if !definitions.contains_key(&entry.version) {
            let definition = super::versions::load(&txn, &entry.version)
                .await?
                .ok_or_else(|| StoreError::Corrupt(format!("version {}", entry.version)))?;
            definitions.insert(entry.version.clone(), Arc::new(definition));
        }
    }
    // The attributes the questionnaire declares, in any of the versions answered.
    let mut keys: Vec<String> = Vec::new();
    for entry in &entries {
        if let Some(definition) = definitions.get(&entry.version) {
            for attribute in &definition.attributes {
                if !keys.contains(&attribute.key) {
                    keys.push(attribute.key.clone());
                }
            }
        }
    }
    let attributes: Vec<Vec<(String, String)>> =
        entries.iter().map(|e| e.attributes.clone()).collect();
    let coarse = coarsen(&keys, &attributes, threshold);
    for (entry, kept) in entries.iter_mut().zip(coarse) {
        entry.attributes = kept;
    }
    entries.shuffle(&mut rand::rng());

    // Out with the old rows (answers, attributes and hidden marks follow by cascade)…
    response::Entity::delete_many()
        .filter(response::Column::CampaignId.eq(campaign_id))
        .exec(&txn)
        .await?;
    let sealed_ids: Vec<Uuid> = sealed.iter().map(|r| r.id).collect();
    for chunk in sealed_ids.chunks(400) {
        anonymous_pending::Entity::delete_many()
            .filter(anonymous_pending::Column::Id.is_in(chunk.iter().copied()))
            .exec(&txn)
            .await?;
    }
    answer_tally::Entity::delete_many()
        .filter(answer_tally::Column::CampaignId.eq(campaign_id))
        .exec(&txn)
        .await?;
    group_tally::Entity::delete_many()
        .filter(group_tally::Column::CampaignId.eq(campaign_id))
        .exec(&txn)
        .await?;

    // …in with the new, in random order, each with its row of the tally backlog: counted by
    // the next fold like every other response (readers fold what is left before reading).
    let (mut responses, mut answers, mut attributes) = (Vec::new(), Vec::new(), Vec::new());
    let mut waiting = Vec::with_capacity(entries.len());
    for entry in &entries {
        let id = Uuid::new_v4();
        responses.push(response::ActiveModel {
            id: Set(id),
            campaign_id: Set(campaign_id),
            version_id: Set(entry.version.clone()),
            invitation_id: Set(None),
            submitted_on: Set(today),
            submitted_at: Set(None),
        });
        answers.extend(answer_rows(id, &entry.answers));
        attributes.extend(attribute_rows(id, &entry.attributes));
        waiting.push(tally_backlog::ActiveModel {
            response_id: Set(id),
        });
    }
    // In the shuffled order, a few hundred rows per statement.
    for chunk in responses.chunks(CHUNK) {
        response::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&txn)
            .await?;
    }
    insert_rows(&txn, answers, attributes).await?;
    for chunk in waiting.chunks(CHUNK) {
        tally_backlog::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await?;
    super::scrub::forget_erased(
        db,
        &[
            "anonymous_pending",
            "responses",
            "answers",
            "response_attributes",
        ],
    )
    .await;
    Ok(released)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SealKey {
        SealKey::from_bytes(SealKey::generate().unwrap())
    }

    fn response() -> Sealed {
        Sealed {
            answers: vec![
                ("q1".into(), vec!["plutot_d_accord".into()]),
                ("commentaire".into(), vec!["Mon chef, M. Dupont".into()]),
            ],
            attributes: vec![("region".into(), "Corse".into())],
        }
    }

    #[test]
    fn a_sealed_payload_says_nothing_without_the_key() {
        let (key, campaign) = (key(), Uuid::new_v4());
        let payload = seal(&key, campaign, "v1", &response()).unwrap();
        assert!(payload.starts_with(ENCRYPTED));
        // (Base64 could show a short word by chance: these are long, or not base64 at all.)
        for clear in [
            "plutot_d_accord",
            "Dupont",
            "Corse",
            "region",
            "commentaire",
            "{",
        ] {
            assert!(!payload.contains(clear), "{clear} in {payload}");
        }
        assert_eq!(unseal(&key, campaign, "v1", &payload), Some(response()));
        // Another key, campaign or version: unreadable.
        assert_eq!(unseal(&self::key(), campaign, "v1", &payload), None);
        assert_eq!(unseal(&key, Uuid::new_v4(), "v1", &payload), None);
        assert_eq!(unseal(&key, campaign, "v2", &payload), None);
        assert_eq!(unseal(&key, campaign, "v1", "xchacha20poly1305:%%%"), None);
    }

    #[test]
    fn lengths_are_padded_so_a_comment_does_not_show_its_size() {
        let (key, campaign) = (key(), Uuid::new_v4());
        let short = seal(&key, campaign, "v1", &response()).unwrap();
        let mut long = response();
        long.answers[1].1[0] = "x".repeat(600);
        let long = seal(&key, campaign, "v1", &long).unwrap();
        assert_eq!(short.len(), long.len());
    }

    #[test]
    fn responses_sealed_before_encryption_are_still_read() {
        let legacy = serde_json::to_string(&response()).unwrap();
        assert!(legacy.starts_with('{'));
        assert_eq!(
            unseal(&key(), Uuid::new_v4(), "v1", &legacy),
            Some(response())
        );
        assert_eq!(unseal(&key(), Uuid::new_v4(), "v1", "{pas du json"), None);
    }
}
