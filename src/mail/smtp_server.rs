//! Where `JALON_SMTP_URL` points, and how a connection to it is opened: with `TCP_NODELAY`.
//!
//! lettre writes a message's body and its final `.` in two writes; with Nagle's algorithm on,
//! the second waits for the server's delayed acknowledgement of the first (40 ms on Linux),
//! every message, on every connection. lettre 0.11 leaves the option unset and its own pool
//! gives no hook, so jalon opens the TCP connection itself and hands it to lettre's SMTP
//! client, which does the rest (EHLO, STARTTLS, AUTH).

use std::time::Duration;

use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::{ClientId, Extension};
use tokio::net::TcpStream;
use url::Url;

use super::MailError;
use super::pipelining::Connection;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);

/// How the connection is protected, as lettre reads the URL: `smtp://` plain,
/// `smtp://…?tls=required` or `?tls=opportunistic` (STARTTLS), `smtps://` (TLS from the start).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Security {
    Plain,
    StartTlsRequired,
    StartTlsOpportunistic,
    ImplicitTls,
}

pub(super) struct SmtpServer {
    host: String,
    port: u16,
    security: Security,
    tls: Option<TlsParameters>,
    credentials: Option<Credentials>,
    hello: ClientId,
}

fn invalid(reason: impl std::fmt::Display) -> MailError {
    MailError::Permanent(format!("JALON_SMTP_URL invalide : {reason}"))
}

/// A failure of lettre's SMTP client, worth retrying unless the server refused for good.
pub(super) fn classify(error: &lettre::transport::smtp::Error) -> MailError {
    if error.is_permanent() {
        MailError::Permanent(error.to_string())
    } else {
        // Connection refused, timeouts, 4xx: the server may accept it later.
        MailError::Transient(error.to_string())
    }
}

impl SmtpServer {
    /// The URLs lettre's `from_url` takes, with the same default ports (25, 587 with
    /// STARTTLS, 465), credentials from the user and password, the EHLO name from the path.
    pub(super) fn from_url(url: &str) -> Result<Self, MailError> {
        let url = Url::parse(url).map_err(invalid)?;
        let host = url
            .host_str()
            .ok_or_else(|| invalid("le serveur n'est pas indiqué"))?
            .to_owned();
        let tls_parameter = url
            .query_pairs()
            .find(|(key, _)| key == "tls")
            .map(|(_, value)| value.into_owned());
        let (security, default_port) = match (url.scheme(), tls_parameter.as_deref()) {
            ("smtp", None) => (Security::Plain, 25),
            ("smtp", Some("required")) => (Security::StartTlsRequired, 587),
            ("smtp", Some("opportunistic")) => (Security::StartTlsOpportunistic, 587),
            ("smtps", _) => (Security::ImplicitTls, 465),
            (scheme, tls) => {
                return Err(invalid(format!(
                    "schéma « {scheme} » ou paramètre tls « {} » inconnu (smtp://, \
                     smtp://…?tls=required, smtps://)",
                    tls.unwrap_or_default()
                )));
            }
        };
        let tls = match security {
            Security::Plain => None,
            _ => Some(TlsParameters::new(host.clone()).map_err(invalid)?),
        };
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        };
        let credentials = url
            .password()
            .map(|password| Credentials::new(decode(url.username()), decode(password)));
        let hello = match url.path().trim_matches('/') {
            "" => ClientId::default(),
            name => ClientId::Domain(name.to_owned()),
        };
        Ok(Self {
            port: url.port().unwrap_or(default_port),
            host,
            security,
            tls,
            credentials,
            hello,
        })
    }

    /// A new connection, greeted, encrypted as asked, its extensions known and authenticated.
    pub(super) async fn connect(&self) -> Result<Connection, MailError> {
        let address = (self.host.as_str(), self.port);
        let mut connection = if self.security == Security::ImplicitTls {
            // TLS from the first byte is set up by lettre on a socket of its own: Nagle stays
            // on there (see the README: prefer STARTTLS or a local relay for large sendings).
            AsyncSmtpConnection::connect_tokio1(
                address,
                Some(CONNECT_TIMEOUT),
                &self.hello,
                self.tls.clone(),
                None,
            )
            .await
            .map_err(|e| classify(&e))?
        } else {
            let stream = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(address))
                .await
                .map_err(|_| {
                    MailError::Transient("connexion au serveur SMTP : délai dépassé".into())
                })?
                .map_err(|e| MailError::Transient(format!("connexion au serveur SMTP : {e}")))?;
            stream
                .set_nodelay(true)
                .map_err(|e| MailError::Transient(format!("connexion au serveur SMTP : {e}")))?;
            AsyncSmtpConnection::connect_with_transport(Box::new(stream), &self.hello)
                .await
                .map_err(|e| classify(&e))?
        };
        let starttls = match self.security {
            Security::StartTlsRequired => true,
            Security::StartTlsOpportunistic => connection
                .server_info()
                .supports_feature(Extension::StartTls),
            Security::Plain | Security::ImplicitTls => false,
        };
        if let (true, Some(tls)) = (starttls, &self.tls) {
            connection
                .starttls(tls.clone(), &self.hello)
                .await
                .map_err(|e| classify(&e))?;
        }
        let mut connection = Connection::greeted(connection, &self.hello)
            .await
            .map_err(|e| classify(&e))?;
        if let Some(credentials) = &self.credentials {
            connection
                .smtp
                .auth(DEFAULT_MECHANISMS, credentials)
                .await
                .map_err(|e| classify(&e))?;
        }
        Ok(connection)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(url: &str) -> SmtpServer {
        SmtpServer::from_url(url).unwrap_or_else(|e| panic!("{url}: {e}"))
    }

    #[test]
    fn urls_read_as_lettre_reads_them() {
        let plain = parsed("smtp://127.0.0.1:2525");
        assert_eq!((plain.port, plain.security), (2525, Security::Plain));
        assert!(plain.credentials.is_none() && plain.tls.is_none());
        assert_eq!(parsed("smtp://relay").port, 25);
        let submission = parsed("smtp://u%40x:p%3Ass@relay.example.org?tls=required");
        assert_eq!(
            (submission.port, submission.security),
            (587, Security::StartTlsRequired)
        );
        assert!(submission.credentials == Some(Credentials::new("u@x".into(), "p:ss".into())));
        assert_eq!(
            parsed("smtp://relay?tls=opportunistic").security,
            Security::StartTlsOpportunistic
        );
        let implicit = parsed("smtps://relay/enquetes.anact.fr");
        assert_eq!(
            (implicit.port, implicit.security),
            (465, Security::ImplicitTls)
        );
        assert_eq!(implicit.hello, ClientId::Domain("enquetes.anact.fr".into()));
    }

    #[test]
    fn unknown_schemes_and_tls_modes_are_refused_in_french() {
        for url in [
            "http://relay",
            "smtp://relay?tls=sometimes",
            "smtp:/",
            "pas une url",
        ] {
            let Err(MailError::Permanent(message)) = SmtpServer::from_url(url) else {
                panic!("{url} accepted");
            };
            assert!(message.starts_with("JALON_SMTP_URL invalide"), "{message}");
        }
    }
}
