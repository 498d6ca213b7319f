//! Reading the bounce mailbox over IMAP: each message of the folder is processed exactly as
//! `jalon bounces import` processes a file ([`super::process_message`]), then moved to the
//! folder "traité" or "non reconnu". Nothing is ever deleted.
//!
//! The effect is recorded (under the message's `Message-ID`, else the hash of its bytes)
//! before the message is moved: a crash in between leaves it in the folder, the next run
//! reads it again, finds its key recorded, and only moves it. The key is the message's own,
//! not its IMAP UID, so that a message put back by hand, or also imported as a file, is
//! recognised too.

use std::collections::HashMap;

use async_imap::types::{Fetch, Name, Uid};
use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use sea_orm::DatabaseConnection;

use super::imap::{self, ImapError, ImapSession, within};
use super::mailbox_address::MailboxAddress;
use super::{Imported, MAX_MESSAGE_BYTES, Processed, process_message, too_large};
use crate::store::StoreError;

/// "traité" in IMAP's modified UTF-7 (RFC 3501, 5.1.3): what mail clients show.
pub const TREATED: &str = "trait&AOk-";
/// "non reconnu": ASCII, quoted on the wire for its space.
pub const UNRECOGNISED: &str = "non reconnu";

#[derive(Debug, thiserror::Error)]
pub enum MailboxError {
    #[error("boîte aux lettres des retours illisible : {0}")]
    Imap(ImapError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<ImapError> for MailboxError {
    fn from(error: ImapError) -> Self {
        MailboxError::Imap(error)
    }
}

/// Reads the mailbox once: every message of its folder processed and moved. `each` is told
/// of every message as soon as it is done, so that what was done shows even if a later
/// message fails.
pub async fn check(
    db: &DatabaseConnection,
    address: &MailboxAddress,
    now: DateTime<Utc>,
    each: &mut (dyn FnMut(&Processed) + Send),
) -> Result<Imported, MailboxError> {
    let mut session = imap::open(address).await?;
    let result = read_folder(db, address, &mut session, now, each).await;
    // Best effort: the server closes an abandoned session by itself.
    let _ = within(address, session.logout()).await;
    result
}

async fn read_folder(
    db: &DatabaseConnection,
    address: &MailboxAddress,
    session: &mut ImapSession,
    now: DateTime<Utc>,
    each: &mut (dyn FnMut(&Processed) + Send),
) -> Result<Imported, MailboxError> {
    let capabilities = within(address, session.capabilities()).await?;
    let delimiter = inbox_delimiter(address, session).await?;
    let tidy = Tidy {
        can_move: capabilities.has_str("MOVE"),
        uid_expunge: capabilities.has_str("UIDPLUS"),
        treated: ensure_folder(address, session, TREATED, delimiter.as_deref()).await?,
        unrecognised: ensure_folder(address, session, UNRECOGNISED, delimiter.as_deref()).await?,
    };
    let selected = within(address, session.select(&address.folder)).await?;
    let validity = selected.uid_validity.unwrap_or_default();
    // Without MOVE, a message copied and flagged \Deleted waits for someone else's expunge:
    // it is done, not to be read again.
    let mut uids: Vec<Uid> = within(address, session.uid_search("UNDELETED"))
        .await?
        .into_iter()
        .collect();
    uids.sort_unstable();
    let sizes = if uids.is_empty() {
        HashMap::new()
    } else {
        sizes(address, session).await?
    };
    let mut imported = Imported::default();
    for uid in uids {
        let source = format!("{} UID {uid} (UIDVALIDITY {validity})", address.folder);
        if let Some(&bytes) = sizes.get(&uid)
            && bytes > MAX_MESSAGE_BYTES
        {
            tidy.move_to(address, session, uid, &tidy.unrecognised)
                .await?;
            let why = format!("{} ; déplacé dans « non reconnu »", too_large(bytes));
            imported.unreadable.push((source, why));
            continue;
        }
        let Some(raw) = fetch(address, session, uid).await? else {
            // Gone meanwhile (another client moved it): nothing to do with it.
            imported
                .unreadable
                .push((source, "message disparu pendant la lecture".to_owned()));
            continue;
        };
        let processed = process_message(db, source, &raw, None, now).await?;
        let target = if processed.effect.recognised() {
            &tidy.treated
        } else {
            &tidy.unrecognised
        };
        tidy.move_to(address, session, uid, target).await?;
        each(&processed);
        imported.processed.push(processed);
    }
    Ok(imported)
}

/// The FETCH answers to `items` for the messages of `uids` (an IMAP sequence set).
async fn uid_fetch(
    address: &MailboxAddress,
    session: &mut ImapSession,
    uids: &str,
    items: &str,
) -> Result<Vec<Fetch>, ImapError> {
    within(address, async {
        session.uid_fetch(uids, items).await?.try_collect().await
    })
    .await
}

/// The size of every message of the folder as the server tells it, in one request.
async fn sizes(
    address: &MailboxAddress,
    session: &mut ImapSession,
) -> Result<HashMap<Uid, u64>, ImapError> {
    Ok(uid_fetch(address, session, "1:*", "RFC822.SIZE")
        .await?
        .iter()
        .filter_map(|f| Some((f.uid?, u64::from(f.size?))))
        .collect())
}

/// The raw bytes of message `uid`, without marking it seen.
async fn fetch(
    address: &MailboxAddress,
    session: &mut ImapSession,
    uid: Uid,
) -> Result<Option<Vec<u8>>, ImapError> {
    let fetches = uid_fetch(address, session, &uid.to_string(), "BODY.PEEK[]").await?;
    // Other FETCH lines (flag changes) may come along: only this UID's body counts.
    Ok(fetches
        .iter()
        .find(|f| f.uid == Some(uid))
        .and_then(Fetch::body)
        .map(<[u8]>::to_vec))
}

/// The full name of `folder`, created (and subscribed to, for mail clients) unless it
/// exists. Some servers (Courier, Cyrus, Dovecot set up like them) keep every personal folder
/// under the inbox (`INBOX.traité`) and refuse one at the top: the folder is then looked for
/// and made there, with the server's own hierarchy delimiter.
async fn ensure_folder(
    address: &MailboxAddress,
    session: &mut ImapSession,
    folder: &str,
    inbox_delimiter: Option<&str>,
) -> Result<String, ImapError> {
    let under_inbox = inbox_delimiter.map(|delimiter| format!("INBOX{delimiter}{folder}"));
    for name in std::iter::once(folder.to_owned()).chain(under_inbox.clone()) {
        if exists(address, session, &name).await? {
            return Ok(name);
        }
    }
    let created = match within(address, session.create(folder)).await {
        Ok(()) => folder.to_owned(),
        Err(refused) => {
            let Some(name) = under_inbox else {
                return Err(refused);
            };
            within(address, session.create(&name)).await?;
            name
        }
    };
    within(address, session.subscribe(&created)).await?;
    Ok(created)
}

/// The folders whose names match `pattern` (LIST, from the top).
async fn list(
    address: &MailboxAddress,
    session: &mut ImapSession,
    pattern: &str,
) -> Result<Vec<Name>, ImapError> {
    within(address, async {
        session.list(None, Some(pattern)).await?.try_collect().await
    })
    .await
}

async fn exists(
    address: &MailboxAddress,
    session: &mut ImapSession,
    name: &str,
) -> Result<bool, ImapError> {
    Ok(!list(address, session, &format!("\"{name}\""))
        .await?
        .is_empty())
}

/// The hierarchy delimiter under the inbox, if the server has one.
async fn inbox_delimiter(
    address: &MailboxAddress,
    session: &mut ImapSession,
) -> Result<Option<String>, ImapError> {
    Ok(list(address, session, "INBOX")
        .await?
        .iter()
        .find_map(|name| name.delimiter().map(str::to_owned)))
}

/// How a message leaves the folder read: MOVE (RFC 6851) where the server has it; else a
/// copy, then the original flagged \Deleted, and expunged by its UID alone (UIDPLUS) or not
/// at all: a plain EXPUNGE would also remove what others flagged.
struct Tidy {
    can_move: bool,
    uid_expunge: bool,
    /// The full names of the two folders, as [`ensure_folder`] found or made them.
    treated: String,
    unrecognised: String,
}

impl Tidy {
    async fn move_to(
        &self,
        address: &MailboxAddress,
        session: &mut ImapSession,
        uid: Uid,
        folder: &str,
    ) -> Result<(), ImapError> {
        let uid = uid.to_string();
        if self.can_move {
            return within(address, session.uid_mv(&uid, folder)).await;
        }
        within(address, session.uid_copy(&uid, folder)).await?;
        within(address, async {
            session
                .uid_store(&uid, "+FLAGS.SILENT (\\Deleted)")
                .await?
                .try_collect::<Vec<_>>()
                .await
        })
        .await?;
        if self.uid_expunge {
            within(address, async {
                session
                    .uid_expunge(&uid)
                    .await?
                    .try_collect::<Vec<_>>()
                    .await
            })
            .await?;
        }
        Ok(())
    }
}
