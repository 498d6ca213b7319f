use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::{MailError, Mailer, OutgoingEmail, build_message};

/// Sends through an SMTP server with a connection pool.
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

impl SmtpMailer {
    /// `smtp://host:port` (plain, for a local relay), `smtp://…?tls=required` (STARTTLS) or
    /// `smtps://user:password@host:465`, as lettre reads them.
    pub fn from_url(url: &str) -> Result<Self, MailError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| MailError::Permanent(format!("JALON_SMTP_URL invalide : {e}")))?
            .timeout(Some(std::time::Duration::from_secs(20)))
            .build();
        Ok(Self { transport })
    }
}

#[async_trait::async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, email: &OutgoingEmail) -> Result<String, MailError> {
        let message = build_message(email)?;
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
}
