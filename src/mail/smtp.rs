use std::num::NonZeroU32;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

use super::pipelining::Connection;
use super::smtp_server::{SmtpServer, classify};
use super::{MailError, Mailer, OutgoingEmail, Pace, SMTP_CONNECTIONS, build_message};

/// A whole message, from MAIL FROM to the server's answer to its end.
const SEND_TIMEOUT: Duration = Duration::from_secs(60);
/// An idle connection older than this is closed rather than reused: servers close theirs
/// after a few minutes (Postfix: 300 s), and dispatch runs every five.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// A connection idle longer than this is checked (NOOP) before a message goes through it.
const CHECK_AFTER: Duration = Duration::from_secs(1);

/// Sends through an SMTP server on connections kept open between messages (at most
/// [`SMTP_CONNECTIONS`] idle), at most `per_second` messages a second if a rate is set.
pub struct SmtpMailer {
    server: SmtpServer,
    idle: Mutex<Vec<Idle>>,
    limiter: Option<DefaultDirectRateLimiter>,
    per_second: Option<NonZeroU32>,
}

struct Idle {
    connection: Connection,
    since: Instant,
}

impl SmtpMailer {
    /// `smtp://host:port` (plain, for a local relay), `smtp://…?tls=required` (STARTTLS) or
    /// `smtps://user:password@host:465`, as lettre reads them.
    pub fn from_url(url: &str, per_second: Option<NonZeroU32>) -> Result<Self, MailError> {
        // No burst: a relay that allows N a second counts them over any second.
        let limiter = per_second
            .map(|rate| RateLimiter::direct(Quota::per_second(rate).allow_burst(NonZeroU32::MIN)));
        Ok(Self {
            server: SmtpServer::from_url(url)?,
            idle: Mutex::new(Vec::new()),
            limiter,
            per_second,
        })
    }

    /// An open connection: the most recently used idle one that still answers, else a new one.
    async fn connection(&self) -> Result<Connection, MailError> {
        loop {
            let idle = self
                .idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .pop();
            let Some(Idle {
                mut connection,
                since,
            }) = idle
            else {
                return self.server.connect().await;
            };
            let idle_for = since.elapsed();
            if idle_for < CHECK_AFTER
                || (idle_for < IDLE_TIMEOUT && connection.smtp.test_connected().await)
            {
                return Ok(connection);
            }
            connection.smtp.abort().await;
        }
    }

    async fn put_back(&self, connection: Connection) {
        let kept = {
            let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
            if idle.len() < SMTP_CONNECTIONS {
                idle.push(Idle {
                    connection,
                    since: Instant::now(),
                });
                None
            } else {
                Some(connection)
            }
        };
        // More connections than kept open: this one says goodbye.
        if let Some(mut extra) = kept {
            extra.smtp.quit().await.ok();
        }
    }
}

#[async_trait::async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, email: &OutgoingEmail) -> Result<String, MailError> {
        let message = build_message(email)?;
        if let Some(limiter) = &self.limiter {
            limiter.until_ready().await;
        }
        let mut connection = self.connection().await?;
        let sent = tokio::time::timeout(
            SEND_TIMEOUT,
            connection.send(message.envelope(), &message.formatted()),
        )
        .await;
        match sent {
            Ok(Ok(response)) => {
                self.put_back(connection).await;
                Ok(format!(
                    "{} {}",
                    response.code(),
                    response.message().collect::<Vec<_>>().join(" ")
                ))
            }
            // Perhaps in the middle of a transaction: closed, not reused.
            Ok(Err(e)) => {
                connection.smtp.abort().await;
                Err(classify(&e))
            }
            Err(_) => {
                connection.smtp.abort().await;
                Err(MailError::Transient(
                    "le serveur SMTP n'a pas répondu à temps".to_owned(),
                ))
            }
        }
    }

    fn pace(&self) -> Pace {
        Pace {
            connections: SMTP_CONNECTIONS,
            per_second: self.per_second,
        }
    }
}
