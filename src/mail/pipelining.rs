//! One message through an open SMTP connection, its commands grouped as RFC 2920 allows when
//! the server offers PIPELINING: MAIL FROM, every RCPT TO and DATA in one write, their answers
//! read after, then the message. Two round trips a message instead of four, and half the
//! wake-ups of the server's process, which on a relay sharing the machine is CPU taken from
//! both.

use lettre::Address;
use lettre::address::Envelope;
use lettre::transport::smtp::Error;
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::commands::{Data, Ehlo, Mail, Rcpt};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::response::Response;

/// An open connection, and whether its server takes grouped commands.
pub(super) struct Connection {
    pub(super) smtp: AsyncSmtpConnection,
    pipelining: bool,
}

impl Connection {
    /// Asks the server again for its extensions (lettre keeps only those it uses itself):
    /// an EHLO of our own, before any authentication, which a new EHLO could reset.
    pub(super) async fn greeted(
        mut smtp: AsyncSmtpConnection,
        hello: &ClientId,
    ) -> Result<Self, Error> {
        let extensions = smtp.command(Ehlo::new(hello.clone())).await?;
        let pipelining = offers_pipelining(extensions.message());
        Ok(Self { smtp, pipelining })
    }

    /// Sends `message` to `envelope`'s recipients: the server's answer to its end. After an
    /// error the connection may be in the middle of a transaction: it must not be reused.
    pub(super) async fn send(
        &mut self,
        envelope: &Envelope,
        message: &[u8],
    ) -> Result<Response, Error> {
        // Non-ASCII addresses or body need SMTPUTF8 or 8BITMIME parameters: lettre's own
        // exchange chooses them (jalon's messages are ASCII: encoded headers, quoted-printable).
        let ascii = |address: &Address| AsRef::<str>::as_ref(address).is_ascii();
        let ascii = envelope.from().is_none_or(ascii)
            && envelope.to().iter().all(ascii)
            && message.is_ascii();
        if !(self.pipelining && ascii) {
            return self.smtp.send(envelope, message).await;
        }
        let mut commands = Mail::new(envelope.from().cloned(), Vec::new()).to_string();
        for recipient in envelope.to() {
            commands.push_str(&Rcpt::new(recipient.clone(), Vec::new()).to_string());
        }
        commands.push_str(&Data.to_string());
        // `command` writes the whole group and reads the first answer (MAIL's); every other
        // answer is read whatever came before, so that the connection stays in step.
        let mut refusal = self.smtp.command(commands).await.err();
        for _ in envelope.to() {
            let rcpt = self.smtp.read_response().await;
            refusal = refusal.or(rcpt.err());
        }
        let data = self.smtp.read_response().await;
        match (refusal, data) {
            (None, Ok(_)) => self.smtp.message(message).await,
            (None, Err(data)) => Err(data),
            // DATA is refused after a refused sender or recipient; if it was accepted all the
            // same, the connection is dropped before anything is sent as a message.
            (Some(refusal), _) => Err(refusal),
        }
    }
}

/// Whether the lines of an EHLO answer list PIPELINING (one keyword a line, after the
/// greeting line).
fn offers_pipelining<'a>(mut lines: impl Iterator<Item = &'a str>) -> bool {
    lines.next();
    lines.any(|line| {
        line.split_ascii_whitespace()
            .next()
            .is_some_and(|keyword| keyword.eq_ignore_ascii_case("PIPELINING"))
    })
}

#[cfg(test)]
mod tests {
    use super::offers_pipelining;

    fn offered(lines: &[&str]) -> bool {
        offers_pipelining(lines.iter().copied())
    }

    #[test]
    fn pipelining_is_read_from_the_extensions_whatever_their_case() {
        assert!(offered(&[
            "mx.example.org",
            "PIPELINING",
            "SIZE 10240000",
            "8BITMIME"
        ]));
        assert!(offered(&["mx.example.org", "pipelining"]));
        assert!(!offered(&[
            "mx.example.org",
            "8BITMIME",
            "AUTH PLAIN LOGIN"
        ]));
        assert!(!offered(&["mx.example.org", "XPIPELINING"]));
        // The greeting line names the server, whatever its name.
        assert!(!offered(&["PIPELINING"]));
        assert!(!offered(&[]));
    }
}
