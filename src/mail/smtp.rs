use std::num::NonZeroU32;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::{MailError, Mailer, OutgoingEmail, Pace, SMTP_CONNECTIONS, build_message};

/// Sends through an SMTP server, on a pool of [`SMTP_CONNECTIONS`] connections kept open
/// between messages, at most `per_second` messages a second if a rate is set.
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    limiter: Option<DefaultDirectRateLimiter>,
    per_second: Option<NonZeroU32>,
}

impl SmtpMailer {
    /// `smtp://host:port` (plain, for a local relay), `smtp://…?tls=required` (STARTTLS) or
    /// `smtps://user:password@host:465`, as lettre reads them.
    pub fn from_url(url: &str, per_second: Option<NonZeroU32>) -> Result<Self, MailError> {
        let pool = PoolConfig::new().max_size(SMTP_CONNECTIONS as u32);
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| MailError::Permanent(format!("JALON_SMTP_URL invalide : {e}")))?
            .timeout(Some(std::time::Duration::from_secs(20)))
            .pool_config(pool)
            .build();
        // No burst: a relay that allows N a second counts them over any second.
        let limiter = per_second
            .map(|rate| RateLimiter::direct(Quota::per_second(rate).allow_burst(NonZeroU32::MIN)));
        Ok(Self {
            transport,
            limiter,
            per_second,
        })
    }
}

#[async_trait::async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, email: &OutgoingEmail) -> Result<String, MailError> {
        let message = build_message(email)?;
        if let Some(limiter) = &self.limiter {
            limiter.until_ready().await;
        }
        match self.transport.send(message).await {
            Ok(response) => Ok(format!(
                "{} {}",
                response.code(),
                response.message().collect::<Vec<_>>().join(" ")
            )),
            Err(e) if e.is_permanent() => Err(MailError::Permanent(e.to_string())),
            // Connection refused, timeouts, 4xx: the server may accept it later.
            Err(e) => Err(MailError::Transient(e.to_string())),
        }
    }

    fn pace(&self) -> Pace {
        Pace {
            connections: SMTP_CONNECTIONS,
            per_second: self.per_second,
        }
    }
}
