//! The key that seals anonymous responses until their release (`store::anonymity`): 32
//! random bytes in a file outside the database (`JALON_SEAL_KEY_FILE`), so that reading the
//! database alone tells nothing of a sealed response. XChaCha20-Poly1305 (RustCrypto), a
//! random 192-bit nonce per row. The same bytes also give the key of personal links
//! (`crate::link_key`, a subkey derived under its own label).
//!
//! This module knows the key and its file, not the rows it seals: checking a key against the
//! sealed responses already stored is `store::anonymity::open_seal_key`, what `serve`,
//! `dispatch` and `demo` call at start.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use chacha20poly1305::aead::{Aead, Generate, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};

use crate::link_key::LinkKey;

/// Bytes of the key file.
pub const KEY_LEN: usize = 32;
/// Bytes of the nonce that starts every sealed payload.
pub const NONCE_LEN: usize = 24;

/// The sealing key. Cheap to clone; never printed.
#[derive(Clone)]
pub struct SealKey {
    cipher: XChaCha20Poly1305,
    /// Derived from the same bytes: the key of personal links (`crate::link_key`).
    links: LinkKey,
}

impl std::fmt::Debug for SealKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealKey(…)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SealKeyError {
    #[error("clé de scellement {path} illisible : {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "clé de scellement {path} invalide : {len} octets au lieu de {KEY_LEN} (le fichier a-t-il été modifié ou tronqué ?)"
    )]
    Length { path: PathBuf, len: usize },
    #[error("clé de scellement {path} impossible à créer : {source}")]
    Create {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "clé de scellement absente ({path}) alors que {sealed} réponse(s) anonyme(s) scellée(s) attendent d'être publiées : \
         démarrage refusé. Remettez en place le fichier de clé d'origine (celui des autres instances ou de la sauvegarde) ; \
         jalon ne crée pas de nouvelle clé tant que ces réponses existent, et ne les supprime jamais"
    )]
    Missing { path: PathBuf, sealed: u64 },
    #[error(
        "la clé de scellement {path} n'ouvre pas {unreadable} réponse(s) anonyme(s) scellée(s) : démarrage refusé. \
         Ce n'est pas la clé qui les a scellées (autre instance, clé remplacée ?) : remettez en place le bon fichier ; \
         les réponses sont conservées"
    )]
    Wrong { path: PathBuf, unreadable: u64 },
    /// Counting the sealed responses failed (`store::anonymity::open_seal_key`). Boxed: this
    /// module knows the key, not the database.
    #[error(transparent)]
    Database(Box<dyn std::error::Error + Send + Sync>),
}

/// Sealing failed: the system's random generator or the cipher refused.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("générateur aléatoire : {0}")]
    Random(String),
    #[error("chiffrement impossible")]
    Encrypt,
}

impl SealKey {
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        Self {
            cipher: XChaCha20Poly1305::new(&Key::from(bytes)),
            links: LinkKey::from_seal_key(&bytes),
        }
    }

    /// The key that makes and checks personal links.
    pub fn links(&self) -> &LinkKey {
        &self.links
    }

    /// A fresh random key from the operating system's generator.
    pub fn generate() -> std::io::Result<[u8; KEY_LEN]> {
        let key = Key::try_generate().map_err(std::io::Error::other)?;
        Ok(key.into())
    }

    /// The key of `path`, or `None` when there is no such file.
    pub fn read(path: &Path) -> Result<Option<Self>, SealKeyError> {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(SealKeyError::Read {
                    path: path.to_owned(),
                    source,
                });
            }
        };
        let key: [u8; KEY_LEN] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| SealKeyError::Length {
                path: path.to_owned(),
                len: bytes.len(),
            })?;
        Ok(Some(Self::from_bytes(key)))
    }

    /// Writes a new random key to `path` (mode 0600), complete or not at all: written to a
    /// temporary file beside it, then linked into place, which fails if the file exists. If
    /// another instance created it first, that one's key is returned.
    pub fn create(path: &Path) -> Result<Self, SealKeyError> {
        let failed = |source| SealKeyError::Create {
            path: path.to_owned(),
            source,
        };
        let bytes = Self::generate().map_err(failed)?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let temporary = path.with_file_name(format!(".{name}.{}", uuid::Uuid::new_v4().simple()));
        let written = (|| -> std::io::Result<()> {
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options.open(&temporary)?;
            file.write_all(&bytes)?;
            file.sync_all()?;
            std::fs::hard_link(&temporary, path)
        })();
        let _ = std::fs::remove_file(&temporary);
        match written {
            Ok(()) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    // Best effort: the new name survives a power cut.
                    let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
                }
                Ok(Self::from_bytes(bytes))
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                Self::read(path)?.ok_or_else(|| failed(e))
            }
            Err(e) => Err(failed(e)),
        }
    }

    /// `nonce ‖ ciphertext ‖ tag` of `plaintext`, bound to `aad`.
    pub fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, SealError> {
        let nonce = XNonce::try_generate().map_err(|e| SealError::Random(e.to_string()))?;
        let sealed = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad,
                },
            )
            .map_err(|_| SealError::Encrypt)?;
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// The plaintext of [`SealKey::seal`]'s output, or `None` if this key did not seal it
    /// with this `aad` (or it was altered).
    pub fn open(&self, sealed: &[u8], aad: &[u8]) -> Option<Vec<u8>> {
        if sealed.len() < NONCE_LEN {
            return None;
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let nonce = XNonce::try_from(nonce).ok()?;
        self.cipher.decrypt(&nonce, Payload { msg: body, aad }).ok()
    }
}

/// The key file when `JALON_SEAL_KEY_FILE` is unset: beside a SQLite database
/// (`jalon.db` → `jalon.db.seal-key`), else `jalon.seal-key` in the working directory.
pub fn default_path(database_url: &str) -> PathBuf {
    let file = database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))
        .map(|rest| rest.split('?').next().unwrap_or_default())
        .filter(|file| !file.is_empty() && !file.starts_with(":memory:"));
    match file {
        Some(file) => PathBuf::from(format!("{file}.seal-key")),
        None => PathBuf::from("jalon.seal-key"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SealKey {
        SealKey::from_bytes(SealKey::generate().unwrap())
    }

    #[test]
    fn what_one_key_seals_only_it_opens_with_the_same_associated_data() {
        let (a, b) = (key(), key());
        let sealed = a.seal(b"bonjour", b"campagne 1").unwrap();
        assert_eq!(sealed.len(), NONCE_LEN + 7 + 16);
        assert!(!sealed.windows(7).any(|w| w == b"bonjour"));
        assert_eq!(a.open(&sealed, b"campagne 1").unwrap(), b"bonjour");
        assert!(b.open(&sealed, b"campagne 1").is_none());
        assert!(a.open(&sealed, b"campagne 2").is_none());
        let mut altered = sealed.clone();
        altered[NONCE_LEN] ^= 1;
        assert!(a.open(&altered, b"campagne 1").is_none());
        assert!(a.open(&sealed[..10], b"campagne 1").is_none());
        // A fresh nonce each time: the same text never seals the same way.
        assert_ne!(
            a.seal(b"bonjour", b"").unwrap(),
            a.seal(b"bonjour", b"").unwrap()
        );
    }

    #[test]
    fn the_key_file_is_created_once_private_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cle");
        assert!(SealKey::read(&path).unwrap().is_none());
        let created = SealKey::create(&path).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(bytes.len(), KEY_LEN);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // Never overwritten: a second creation returns the first key.
        let again = SealKey::create(&path).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), bytes);
        let sealed = created.seal(b"x", b"").unwrap();
        assert!(again.open(&sealed, b"").is_some());
        let read = SealKey::read(&path).unwrap().unwrap();
        assert!(read.open(&sealed, b"").is_some());
        // Nothing else is left in the folder.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        assert_eq!(format!("{read:?}"), "SealKey(…)");
    }

    #[test]
    fn a_key_file_of_the_wrong_length_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cle");
        std::fs::write(&path, b"trop court").unwrap();
        assert!(matches!(
            SealKey::read(&path),
            Err(SealKeyError::Length { len: 10, .. })
        ));
    }

    #[test]
    fn the_default_file_sits_beside_a_sqlite_database() {
        assert_eq!(
            default_path("sqlite://jalon.db"),
            PathBuf::from("jalon.db.seal-key")
        );
        assert_eq!(
            default_path("sqlite:///var/lib/jalon/jalon.db?mode=rwc"),
            PathBuf::from("/var/lib/jalon/jalon.db.seal-key")
        );
        assert_eq!(
            default_path("postgres://jalon@db/jalon"),
            PathBuf::from("jalon.seal-key")
        );
        assert_eq!(
            default_path("sqlite::memory:"),
            PathBuf::from("jalon.seal-key")
        );
    }
}
