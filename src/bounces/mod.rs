//! Reading what comes back to `JALON_BOUNCE_ADDRESS`: each message classified
//! (`domain::bounce`) and its effect recorded with its key (`store::bounces`). The same
//! processing for `.eml` files given to `jalon bounces import` and for the messages of the
//! bounce mailbox read over IMAP (`mailbox`).

pub mod imap;
pub mod mailbox;
pub mod mailbox_address;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

use crate::domain::bounce::{self, Verdict};
use crate::store::StoreError;
use crate::store::bounces::{Effect, process};

/// One message processed.
#[derive(Debug, Clone)]
pub struct Processed {
    /// Where it came from: a file, a mailbox message.
    pub source: String,
    pub verdict: Verdict,
    pub effect: Effect,
}

impl Processed {
    /// One line for the command line: source, verdict, effect, with the reason in French.
    pub fn line(&self) -> String {
        let reason = match &self.verdict {
            Verdict::Hard(d) | Verdict::Soft(d) => format!(
                " ({}{})",
                d.status.map(|s| format!("{s}, ")).unwrap_or_default(),
                d.plain_french()
            ),
            _ => String::new(),
        };
        format!(
            "{} : {}{} → {}",
            self.source,
            self.verdict.label(),
            reason,
            self.effect.describe()
        )
    }
}

/// The largest message read. A bounce is a report and the start of the returned message: a
/// few dozen KiB. Anything larger is not read (it would be held in memory whole) but listed
/// as unreadable, and on IMAP moved to "non reconnu" for a person to look at.
pub const MAX_MESSAGE_BYTES: u64 = 10 * 1024 * 1024;

/// Why a message of `bytes` is not read, in French.
pub fn too_large(bytes: u64) -> String {
    format!(
        "message de {:.1} Mio, plus que les {} Mio lus au plus : non lu",
        bytes as f64 / 1_048_576.0,
        MAX_MESSAGE_BYTES / 1_048_576
    )
}

/// What an import or a mailbox reading did, and the files or messages it could not read
/// (where, why).
#[derive(Debug, Default)]
pub struct Imported {
    pub processed: Vec<Processed>,
    pub unreadable: Vec<(String, String)>,
}

impl Imported {
    /// Counts by effect, in French.
    pub fn summary(&self) -> String {
        let count =
            |f: &dyn Fn(&Effect) -> bool| self.processed.iter().filter(|p| f(&p.effect)).count();
        format!(
            "messages lus : {}\nnon distribuables : {}\néchecs temporaires : {}\nsignalements (désinscriptions) : {}\nsans effet : {}\ndéjà traités : {}\nnon reconnus ou sans envoi correspondant : {}\nillisibles : {}\n",
            self.processed.len(),
            count(&|e| matches!(e, Effect::Undeliverable(_))),
            count(&|e| matches!(e, Effect::Deferred(..))),
            count(&|e| matches!(e, Effect::Complained(_))),
            count(&|e| matches!(e, Effect::Ignored)),
            count(&|e| matches!(e, Effect::AlreadyProcessed { .. })),
            count(&|e| !e.recognised() && !matches!(e, Effect::AlreadyProcessed { .. })),
            self.unreadable.len()
        )
    }
}

/// Processes one message's bytes under `key` (`None`: its Message-ID, else its hash).
pub async fn process_message(
    db: &DatabaseConnection,
    source: String,
    raw: &[u8],
    key: Option<String>,
    now: DateTime<Utc>,
) -> Result<Processed, StoreError> {
    let report = bounce::classify(raw);
    let key = key.unwrap_or_else(|| bounce::message_key(&report, raw));
    let effect = process(db, &key, &report, now).await?;
    Ok(Processed {
        source,
        verdict: report.verdict,
        effect,
    })
}

/// The `.eml` files of `path` (itself if a file; those of a folder and its subfolders, in
/// name order).
fn eml_files(path: &Path) -> std::io::Result<Vec<PathBuf>> {
    let metadata = std::fs::metadata(path)?;
    if metadata.is_file() {
        return Ok(vec![path.to_owned()]);
    }
    let mut files = Vec::new();
    let mut folders = vec![path.to_owned()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder)? {
            let entry = entry?;
            let entry_path = entry.path();
            if entry.file_type()?.is_dir() {
                folders.push(entry_path);
            } else if entry_path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("eml"))
            {
                files.push(entry_path);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// `jalon bounces import PATH`: every `.eml` file of `path`. A path that cannot be read is an
/// error; a file that cannot be read is listed and the others processed.
pub async fn import_path(
    db: &DatabaseConnection,
    path: &Path,
    now: DateTime<Utc>,
) -> Result<Imported, ImportError> {
    let files = eml_files(path).map_err(|source| ImportError::Path {
        path: path.to_owned(),
        source,
    })?;
    let mut imported = Imported::default();
    for file in files {
        match std::fs::metadata(&file) {
            Ok(meta) if meta.len() > MAX_MESSAGE_BYTES => {
                imported
                    .unreadable
                    .push((file.display().to_string(), too_large(meta.len())));
                continue;
            }
            _ => {}
        }
        match std::fs::read(&file) {
            Ok(raw) => {
                let source = file.display().to_string();
                imported
                    .processed
                    .push(process_message(db, source, &raw, None, now).await?);
            }
            Err(e) => imported
                .unreadable
                .push((file.display().to_string(), e.to_string())),
        }
    }
    Ok(imported)
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{path} illisible : {source}")]
    Path {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}
