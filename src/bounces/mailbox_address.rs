//! `JALON_BOUNCE_IMAP_URL`: where the bounce mailbox is read, parsed once at the edge.
//!
//! `imaps://user:password@host:993/INBOX` (TLS from the start), `imap://user:password@host/INBOX?tls=starttls`
//! (upgraded by STARTTLS), and plain `imap://` for a server on the loopback interface only:
//! a password sent in clear over a network is refused rather than risked.

use std::net::IpAddr;
use std::path::Path;

use percent_encoding::percent_decode_str;
use tokio_rustls::rustls::pki_types::CertificateDer;
use tokio_rustls::rustls::pki_types::pem::PemObject;

/// How the connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// TLS from the first byte (`imaps://`, port 993 by default).
    Tls,
    /// Plain connection upgraded by STARTTLS before logging in (`?tls=starttls`, port 143).
    StartTls,
    /// No encryption: loopback only (tests, a local relay).
    Plain,
}

/// A parsed `JALON_BOUNCE_IMAP_URL`. Its `Debug` never shows the password.
#[derive(Clone, PartialEq, Eq)]
pub struct MailboxAddress {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub user: String,
    password: String,
    /// The folder read (`INBOX` by default), as the server names it.
    pub folder: String,
    /// Authorities trusted besides the Mozilla roots (`JALON_BOUNCE_IMAP_CA_FILE`): an
    /// administration's own, for a mail server inside its network.
    pub extra_roots: Vec<CertificateDer<'static>>,
}

impl std::fmt::Debug for MailboxAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailboxAddress")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("user", &self.user)
            .field("folder", &self.folder)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Display for MailboxAddress {
    /// `host:port/folder`, for messages: no user, no password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}/{}", self.host, self.port, self.folder)
    }
}

/// Why the URL is refused. The messages never repeat the URL: it holds a password.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    #[error("JALON_BOUNCE_IMAP_URL n'est pas une URL valide")]
    NotAUrl,
    #[error("JALON_BOUNCE_IMAP_URL : schéma imaps:// ou imap:// attendu")]
    Scheme,
    #[error("JALON_BOUNCE_IMAP_URL : serveur manquant")]
    NoHost,
    #[error(
        "JALON_BOUNCE_IMAP_URL : utilisateur et mot de passe attendus (imaps://utilisateur:mot-de-passe@serveur)"
    )]
    NoCredentials,
    #[error("JALON_BOUNCE_IMAP_URL : tls={0} inconnu (seul tls=starttls est reconnu)")]
    TlsMode(String),
    #[error(
        "JALON_BOUNCE_IMAP_URL : imap:// sans chiffrement n'est accepté que sur la boucle locale ; utiliser imaps:// ou ?tls=starttls"
    )]
    PlainOverNetwork,
    #[error(
        "JALON_BOUNCE_IMAP_URL : caractères non UTF-8 dans l'utilisateur, le mot de passe ou le dossier"
    )]
    Encoding,
    #[error("JALON_BOUNCE_IMAP_CA_FILE : {0}")]
    CaFile(String),
}

impl MailboxAddress {
    pub fn parse(raw: &str) -> Result<Self, AddressError> {
        let url = url::Url::parse(raw.trim()).map_err(|_| AddressError::NotAUrl)?;
        let mut security = match url.scheme() {
            "imaps" => Security::Tls,
            "imap" => Security::Plain,
            _ => return Err(AddressError::Scheme),
        };
        for (name, value) in url.query_pairs() {
            if name == "tls" {
                match (security, value.as_ref()) {
                    (Security::Plain, "starttls") => security = Security::StartTls,
                    (Security::Tls, "tls" | "implicit") => {}
                    _ => return Err(AddressError::TlsMode(value.into_owned())),
                }
            }
        }
        let host = match url.host() {
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            Some(host) => host.to_string(),
            None => return Err(AddressError::NoHost),
        };
        if host.is_empty() {
            return Err(AddressError::NoHost);
        }
        if security == Security::Plain && !is_loopback(&host) {
            return Err(AddressError::PlainOverNetwork);
        }
        let decode = |s: &str| {
            percent_decode_str(s)
                .decode_utf8()
                .map(|s| s.into_owned())
                .map_err(|_| AddressError::Encoding)
        };
        let user = decode(url.username())?;
        let password = decode(url.password().unwrap_or_default())?;
        if user.is_empty() || password.is_empty() {
            return Err(AddressError::NoCredentials);
        }
        let folder = decode(url.path().trim_start_matches('/'))?;
        let folder = if folder.is_empty() {
            "INBOX".to_owned()
        } else {
            folder
        };
        let port = url.port().unwrap_or(match security {
            Security::Tls => 993,
            Security::StartTls | Security::Plain => 143,
        });
        Ok(Self {
            host,
            port,
            security,
            user,
            password,
            folder,
            extra_roots: Vec::new(),
        })
    }

    /// Also trusts the certificates of the PEM file `path`.
    pub fn trusting(mut self, path: &Path) -> Result<Self, AddressError> {
        let pem = std::fs::read(path)
            .map_err(|e| AddressError::CaFile(format!("{} illisible : {e}", path.display())))?;
        for certificate in CertificateDer::pem_slice_iter(&pem) {
            let certificate = certificate.map_err(|e| {
                AddressError::CaFile(format!(
                    "{} : certificat PEM invalide ({e})",
                    path.display()
                ))
            })?;
            self.extra_roots.push(certificate);
        }
        if self.extra_roots.is_empty() {
            return Err(AddressError::CaFile(format!(
                "{} : aucun certificat PEM",
                path.display()
            )));
        }
        Ok(self)
    }

    /// `host:port`, for messages about the connection.
    pub fn endpoint(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    pub fn password(&self) -> &str {
        &self.password
    }
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_forms_are_read_with_their_default_ports() {
        let tls =
            MailboxAddress::parse("imaps://retours%40anact.fr:p%40ss%3Aw@imap.example.fr/Retours")
                .unwrap();
        assert_eq!(
            (tls.host.as_str(), tls.port, tls.security),
            ("imap.example.fr", 993, Security::Tls)
        );
        assert_eq!(
            (tls.user.as_str(), tls.password(), tls.folder.as_str()),
            ("retours@anact.fr", "p@ss:w", "Retours")
        );
        let starttls =
            MailboxAddress::parse("imap://u:p@imap.example.fr:1143?tls=starttls").unwrap();
        assert_eq!(
            (starttls.port, starttls.security, starttls.folder.as_str()),
            (1143, Security::StartTls, "INBOX")
        );
        let plain = MailboxAddress::parse("imap://u:p@127.0.0.1:40143/INBOX").unwrap();
        assert_eq!((plain.port, plain.security), (40143, Security::Plain));
        assert!(MailboxAddress::parse("imap://u:p@[::1]/").is_ok());
    }

    #[test]
    fn clear_text_over_a_network_and_malformed_urls_are_refused() {
        for (raw, error) in [
            (
                "imap://u:p@imap.example.fr/INBOX",
                AddressError::PlainOverNetwork,
            ),
            ("pop3://u:p@imap.example.fr", AddressError::Scheme),
            ("imaps://imap.example.fr", AddressError::NoCredentials),
            ("imaps://u@imap.example.fr", AddressError::NoCredentials),
            (
                "imap://u:p@localhost?tls=maybe",
                AddressError::TlsMode("maybe".into()),
            ),
            ("not a url", AddressError::NotAUrl),
        ] {
            assert_eq!(MailboxAddress::parse(raw), Err(error), "{raw}");
        }
    }

    #[test]
    fn the_password_never_shows() {
        let address = MailboxAddress::parse("imaps://u:s3cr3t-pw@imap.example.fr").unwrap();
        assert!(!format!("{address:?}").contains("s3cr3t"));
        assert!(!address.to_string().contains("s3cr3t"));
        let refused = MailboxAddress::parse("imap://u:s3cr3t-pw@imap.example.fr").unwrap_err();
        assert!(!refused.to_string().contains("s3cr3t"));
    }
}
