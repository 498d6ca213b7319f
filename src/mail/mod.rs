//! Sending email: a `Mailer` trait with an SMTP transport (lettre's pooled async transport)
//! and a file transport (`.eml` files), used when no SMTP server is configured.

mod file;
mod message;
mod smtp;

pub use file::FileMailer;
pub use message::{OutgoingEmail, build_message};
pub use smtp::SmtpMailer;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailError {
    /// Worth retrying later: the server is down, busy, or answered 4xx.
    #[error("échec temporaire : {0}")]
    Transient(String),
    /// Retrying will not help: the address or the message is refused (5xx).
    #[error("échec définitif : {0}")]
    Permanent(String),
}

#[async_trait::async_trait]
pub trait Mailer: Send + Sync {
    /// Sends one message; on success returns what the server answered, for the record.
    async fn send(&self, email: &OutgoingEmail) -> Result<String, MailError>;
}
