//! The questionnaires jalon serves: every definition file of a folder, parsed and checked,
//! with the content hash that identifies its version. A version published by staff
//! (`store::editing`) replaces a file's while the service runs ([`Catalog::publish`]):
//! callers get an `Arc` of the definition in use when they ask, and keep it for their request.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};

use sha2::{Digest, Sha256};

use crate::domain::QuestionnaireCode;
use crate::domain::email_template::EmailTemplate;
use crate::domain::network::Network;
use crate::domain::questionnaire::{DefinitionError, Questionnaire, parse_questionnaire};

/// Where the other configuration files live, inside the questionnaires folder.
pub const EMAILS_DIR: &str = "emails";
pub const DEFAULT_EMAIL: &str = "default.toml";
pub const NETWORK_FILE: &str = "network/entities.toml";

/// A definition as loaded: the checked model, its source and its version (SHA-256, hex).
#[derive(Debug, Clone)]
pub struct LoadedQuestionnaire {
    pub definition: Arc<Questionnaire>,
    pub version: String,
    pub source: String,
    pub path: PathBuf,
    /// Its invitation and reminder emails (`emails/<same name>.toml`, else `emails/default.toml`,
    /// until staff publish others).
    pub email: Arc<EmailTemplate>,
    /// The TOML text of `email`, as staff edit it and as `export` writes it.
    pub email_source: String,
}

/// Everything staff configure in files: questionnaires, their emails, the network's entities.
#[derive(Debug, Default)]
pub struct Catalog {
    by_code: RwLock<BTreeMap<QuestionnaireCode, Arc<LoadedQuestionnaire>>>,
    pub network: Network,
}

impl Clone for Catalog {
    fn clone(&self) -> Self {
        Self {
            by_code: RwLock::new(self.read().clone()),
            network: self.network.clone(),
        }
    }
}

/// A problem in one file, printed `path:line: message` like a compiler's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    pub path: PathBuf,
    pub line: usize,
    pub message: String,
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.path.display(), self.line, self.message)
    }
}

pub fn content_version(source: &str) -> String {
    let digest = Sha256::digest(source.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

impl Catalog {
    /// Reads every `*.toml` file of `dir`; reports all errors of all files at once.
    pub fn load_dir(dir: &Path) -> Result<Self, Vec<FileError>> {
        let file_error = |path: &Path, line: usize, message: String| FileError {
            path: path.to_path_buf(),
            line,
            message,
        };
        let entries = std::fs::read_dir(dir).map_err(|e| {
            vec![file_error(
                dir,
                0,
                format!("dossier de questionnaires illisible : {e}"),
            )]
        })?;
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|ext| ext == "toml"))
            .collect();
        paths.sort();

        let mut errors = Vec::new();
        let mut catalog = Catalog::default();
        let mut by_code: BTreeMap<QuestionnaireCode, Arc<LoadedQuestionnaire>> = BTreeMap::new();
        let mut read_config = |path: PathBuf| -> Option<(PathBuf, String)> {
            match std::fs::read_to_string(&path) {
                Ok(source) => Some((path, source)),
                Err(e) => {
                    errors.push(file_error(&path, 0, format!("lecture impossible : {e}")));
                    None
                }
            }
        };
        let locate = |path: &Path, found: Vec<DefinitionError>| -> Vec<FileError> {
            found
                .into_iter()
                .map(|e| file_error(path, e.line, e.message))
                .collect()
        };
        let network = read_config(dir.join(NETWORK_FILE));
        let default_email = read_config(dir.join(EMAILS_DIR).join(DEFAULT_EMAIL));
        if let Some((path, source)) = network {
            match Network::parse(&source) {
                Ok(network) => catalog.network = network,
                Err(found) => errors.extend(locate(&path, found)),
            }
        }
        let default_email = default_email.and_then(|(path, source)| {
            EmailTemplate::parse(&source)
                .map(|template| (Arc::new(template), source))
                .map_err(|found| errors.extend(locate(&path, found)))
                .ok()
        });
        for path in paths {
            let source = match std::fs::read(&path).map(String::from_utf8) {
                Ok(Ok(source)) => source,
                Ok(Err(_)) => {
                    errors.push(file_error(&path, 1, "le fichier n'est pas en UTF-8".into()));
                    continue;
                }
                Err(e) => {
                    errors.push(file_error(&path, 0, format!("lecture impossible : {e}")));
                    continue;
                }
            };
            match parse_questionnaire(&source) {
                Ok(definition) => {
                    if let Some(other) = by_code.get(&definition.code) {
                        errors.push(file_error(
                            &path,
                            1,
                            format!(
                                "le code « {} » est déjà celui de {}",
                                definition.code,
                                other.path.display()
                            ),
                        ));
                        continue;
                    }
                    let own_email = path
                        .file_name()
                        .map(|name| dir.join(EMAILS_DIR).join(name))
                        .filter(|p| p.exists());
                    let email = match own_email {
                        Some(email_path) => std::fs::read_to_string(&email_path)
                            .map_err(|e| {
                                vec![file_error(
                                    &email_path,
                                    0,
                                    format!("lecture impossible : {e}"),
                                )]
                            })
                            .and_then(|source| {
                                EmailTemplate::parse(&source)
                                    .map(|template| (Arc::new(template), source))
                                    .map_err(|found| locate(&email_path, found))
                            }),
                        None => default_email.clone().ok_or_else(Vec::new),
                    };
                    let (email, email_source) = match email {
                        Ok(email) => email,
                        Err(found) => {
                            errors.extend(found);
                            continue;
                        }
                    };
                    by_code.insert(
                        definition.code,
                        Arc::new(LoadedQuestionnaire {
                            definition: Arc::new(definition),
                            version: content_version(&source),
                            source,
                            path,
                            email,
                            email_source,
                        }),
                    );
                }
                Err(file_errors) => errors.extend(
                    file_errors
                        .into_iter()
                        .map(|e| file_error(&path, e.line, e.message)),
                ),
            }
        }
        if errors.is_empty() {
            catalog.by_code = RwLock::new(by_code);
            Ok(catalog)
        } else {
            Err(errors)
        }
    }

    fn read(
        &self,
    ) -> std::sync::RwLockReadGuard<'_, BTreeMap<QuestionnaireCode, Arc<LoadedQuestionnaire>>> {
        // The map is only ever replaced entry by entry: a panic elsewhere cannot leave it
        // half-written.
        self.by_code.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// The definition in use for `code`, now.
    pub fn get(&self, code: QuestionnaireCode) -> Option<Arc<LoadedQuestionnaire>> {
        self.read().get(&code).cloned()
    }

    /// Every definition in use, by code.
    pub fn iter(&self) -> impl Iterator<Item = Arc<LoadedQuestionnaire>> + use<> {
        self.read()
            .values()
            .cloned()
            .collect::<Vec<_>>()
            .into_iter()
    }

    pub fn len(&self) -> usize {
        self.read().len()
    }

    pub fn is_empty(&self) -> bool {
        self.read().is_empty()
    }

    /// Makes `source` (already checked, of the questionnaire `definition.code`) the version
    /// in use, with `emails` (a checked template and its text) if given, else the emails of
    /// the version it replaces; the file path stays. Returns whether it changed anything
    /// (false if that version and those emails are already in use, or if the code is not in
    /// the catalog).
    pub fn publish(
        &self,
        definition: Questionnaire,
        source: String,
        emails: Option<(EmailTemplate, String)>,
    ) -> bool {
        let version = content_version(&source);
        let mut by_code = self.by_code.write().unwrap_or_else(PoisonError::into_inner);
        let Some(current) = by_code.get(&definition.code) else {
            return false;
        };
        let emails = emails.filter(|(_, text)| *text != current.email_source);
        if current.version == version && emails.is_none() {
            return false;
        }
        let (email, email_source) = match emails {
            Some((template, text)) => (Arc::new(template), text),
            None => (current.email.clone(), current.email_source.clone()),
        };
        let replaced = LoadedQuestionnaire {
            definition: Arc::new(definition),
            version,
            source,
            path: current.path.clone(),
            email,
            email_source,
        };
        by_code.insert(replaced.definition.code, Arc::new(replaced));
        true
    }

    /// Writes every version in use into `dir` as files `load_dir` reads: each definition under
    /// its file's name, and its emails under the same name in `emails/` (whichever file they
    /// came from, or a publication). Returns what was written, per questionnaire.
    pub fn export(&self, dir: &Path) -> Result<Vec<Exported>, FileError> {
        let write = |path: PathBuf, text: &str| {
            std::fs::write(&path, text).map_err(|e| FileError {
                message: format!("écriture impossible : {e}"),
                path: path.clone(),
                line: 0,
            })?;
            Ok::<PathBuf, FileError>(path)
        };
        let emails_dir = dir.join(EMAILS_DIR);
        std::fs::create_dir_all(&emails_dir).map_err(|e| FileError {
            message: format!("dossier impossible à créer : {e}"),
            path: emails_dir.clone(),
            line: 0,
        })?;
        self.iter()
            .map(|loaded| {
                let name = loaded.path.file_name().map_or_else(
                    || PathBuf::from(format!("{}.toml", loaded.definition.code)),
                    PathBuf::from,
                );
                Ok(Exported {
                    definition: write(dir.join(&name), &loaded.source)?,
                    emails: write(emails_dir.join(&name), &loaded.email_source)?,
                    loaded,
                })
            })
            .collect()
    }
}

/// The files `Catalog::export` wrote for one questionnaire.
#[derive(Debug)]
pub struct Exported {
    pub loaded: Arc<LoadedQuestionnaire>,
    pub definition: PathBuf,
    pub emails: PathBuf,
}
