use std::path::PathBuf;

use lettre::{AsyncFileTransport, AsyncTransport, Tokio1Executor};

use super::{MailError, Mailer, OutgoingEmail, build_message};

/// Writes each message as an `.eml` file in a folder: the embedded default, so that jalon
/// runs with nothing to install and staff can open what would have been sent.
pub struct FileMailer {
    dir: PathBuf,
    transport: AsyncFileTransport<Tokio1Executor>,
}

impl FileMailer {
    pub fn new(dir: impl Into<PathBuf>) -> std::io::Result<Self> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir)?;
        Ok(Self {
            transport: AsyncFileTransport::new(&dir),
            dir,
        })
    }
}

#[async_trait::async_trait]
impl Mailer for FileMailer {
    async fn send(&self, email: &OutgoingEmail) -> Result<String, MailError> {
        let message = build_message(email)?;
        let id = self
            .transport
            .send(message)
            .await
            .map_err(|e| MailError::Transient(e.to_string()))?;
        let path = self.dir.join(format!("{id}.eml"));
        tracing::info!(file = %path.display(), "email written to the outbox folder");
        Ok(format!("written to {}", path.display()))
    }
}
