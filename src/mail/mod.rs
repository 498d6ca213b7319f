//! Sending email: a `Mailer` trait with an SMTP transport (lettre's pooled async transport)
//! and a file transport (`.eml` files), used when no SMTP server is configured.

use std::num::NonZeroU32;

mod encoded_body;
mod file;
mod message;
mod pipelining;
mod smtp;
mod smtp_server;

pub use encoded_body::{EncodedBody, QuotedPrintable};
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

/// How hard a transport may be driven.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pace {
    /// Messages in flight at once (one SMTP connection each).
    pub connections: usize,
    /// At most this many messages a second (`JALON_SMTP_MAX_PER_SECOND`), for relays that
    /// impose a rate; `send` waits its turn.
    pub per_second: Option<NonZeroU32>,
}

/// Connections to the SMTP server: enough to hide each message's round trips, few enough
/// for a relay's limit on concurrent sessions (Postfix's default is 50 per client).
pub const SMTP_CONNECTIONS: usize = 8;

impl Default for Pace {
    fn default() -> Self {
        Pace {
            connections: SMTP_CONNECTIONS,
            per_second: None,
        }
    }
}

#[async_trait::async_trait]
pub trait Mailer: Send + Sync {
    /// Sends one message; on success returns what the server answered, for the record.
    async fn send(&self, email: &OutgoingEmail) -> Result<String, MailError>;

    fn pace(&self) -> Pace {
        Pace::default()
    }
}
