//! Settings: every one a command-line flag and a `JALON_*` environment variable.

use std::path::PathBuf;

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

    /// SMTP server for outgoing email (`smtp://host:port`, `smtp://user:pass@host:587?tls=required`,
    /// `smtps://user:pass@host:465`). Unset: emails are written as `.eml` files instead.
    #[arg(long, env = "JALON_SMTP_URL", global = true)]
    pub smtp_url: Option<String>,

    /// Folder of `.eml` files when no SMTP server is configured.
    #[arg(
        long,
        env = "JALON_OUTBOX_DIR",
        default_value = "outbox",
        global = true
    )]
    pub outbox_dir: PathBuf,

    /// Sender of every email.
    #[arg(
        long,
        env = "JALON_MAIL_FROM",
        default_value = "Réseau Anact-Aract <enquetes@anact.fr>",
        global = true
    )]
    pub mail_from: String,

    /// `off` stops `serve` from running dispatch itself (when an operator drives it).
    #[arg(long, env = "JALON_SCHEDULER", default_value = "on", global = true)]
    pub scheduler: Toggle,

    /// When `serve` runs dispatch: cron with seconds, UTC (default every 5 minutes).
    #[arg(
        long,
        env = "JALON_DISPATCH_CRON",
        default_value = "0 */5 * * * *",
        global = true
    )]
    pub dispatch_cron: String,

    /// Log filter (`info`, `debug`, `jalon=debug,actix_web=info`…).
    #[arg(long, env = "JALON_LOG", default_value = "info", global = true)]
    pub log: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Toggle {
    On,
    Off,
}

impl Settings {
    /// The base URL without a trailing slash, so that `format!("{base}/r/{token}")` is right.
    pub fn public_base(&self) -> &str {
        self.base_url.trim_end_matches('/')
    }
}
