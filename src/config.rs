//! Settings: every one a command-line flag and a `JALON_*` environment variable.

use std::path::PathBuf;

use crate::domain::indicators::ContractTargets;
use crate::domain::results::ResultsSettings;

#[derive(Debug, Clone, clap::Args)]
pub struct Settings {
    /// Database: a SQLite file (created on first run) or `postgres://user@host/db`.
    #[arg(
        long,
        env = "JALON_DATABASE_URL",
        default_value = "sqlite://jalon.db",
        global = true
    )]
    pub database_url: String,

    /// Largest number of pooled database connections.
    #[arg(
        long,
        env = "JALON_DATABASE_MAX_CONNECTIONS",
        default_value_t = 16,
        global = true
    )]
    pub database_max_connections: u32,

    /// Address the HTTP server listens on.
    #[arg(
        long,
        env = "JALON_BIND",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    pub bind: String,

    /// Public address used in every link jalon prints or mails.
    #[arg(
        long,
        env = "JALON_BASE_URL",
        default_value = "http://127.0.0.1:8080",
        global = true
    )]
    pub base_url: String,

    /// Folder of questionnaire definition files.
    #[arg(
        long,
        env = "JALON_QUESTIONNAIRES_DIR",
        default_value = "questionnaires",
        global = true
    )]
    pub questionnaires_dir: PathBuf,

    /// Largest request body accepted, in bytes (larger: 413).
    #[arg(long, env = "JALON_MAX_BODY_BYTES", default_value_t = 64 * 1024, global = true)]
    pub max_body_bytes: usize,

    /// Log filter (`info`, `debug`, `jalon=debug,actix_web=info`…).
    #[arg(long, env = "JALON_LOG", default_value = "info", global = true)]
    pub log: String,

    /// TOML file overriding the contract's targets (`i3_1 = 0.6`, `[i6] participation = 0.5`…);
    /// without it, the contract's values.
    #[arg(long, env = "JALON_TARGETS_FILE", global = true)]
    pub targets_file: Option<PathBuf>,

    /// Smallest group of respondents of an anonymous questionnaire shown in a breakdown.
    #[arg(
        long,
        env = "JALON_ANONYMITY_THRESHOLD",
        default_value_t = crate::domain::indicators::DEFAULT_THRESHOLD,
        value_parser = clap::value_parser!(u64).range(1..),
        global = true
    )]
    pub anonymity_threshold: u64,
}

impl Settings {
    /// The targets and the anonymity threshold the results are published with.
    pub fn results(&self) -> anyhow::Result<ResultsSettings> {
        let targets = match &self.targets_file {
            None => ContractTargets::default(),
            Some(path) => {
                let source = std::fs::read_to_string(path).map_err(|e| {
                    anyhow::anyhow!("fichier des objectifs {} illisible : {e}", path.display())
                })?;
                toml::from_str(&source).map_err(|e| {
                    anyhow::anyhow!("fichier des objectifs {} invalide : {e}", path.display())
                })?
            }
        };
        Ok(ResultsSettings {
            targets,
            anonymity_threshold: self.anonymity_threshold,
        })
    }

    /// The base URL without a trailing slash, so that `format!("{base}/r/{token}")` is right.
    pub fn public_base(&self) -> &str {
        self.base_url.trim_end_matches('/')
    }
}
