//! The IMAP connection to the bounce mailbox: TCP, then TLS (from the start or after
//! STARTTLS) unless plain on loopback, then login. Every step has a time limit, so that a
//! server that stops answering cannot hold the scheduled job for ever.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_imap::{Client, Session};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore, pki_types::ServerName};

use super::mailbox_address::{MailboxAddress, Security};

/// Longest wait for any one exchange with the server.
pub const STEP_TIMEOUT: Duration = Duration::from_secs(60);

/// A plain or TLS stream, one type for the session whichever the URL asked for.
pub trait Stream: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug> Stream for T {}

pub type ImapSession = Session<Box<dyn Stream>>;

/// Why the mailbox could not be read. French, for `jalon bounces check` and the log; each
/// message carries its cause in itself (no `source`), so that it reads whole in one line.
#[derive(Debug, thiserror::Error)]
pub enum ImapError {
    #[error("connexion à {address} impossible : {cause}")]
    Connect {
        address: String,
        cause: std::io::Error,
    },
    #[error("le serveur {address} ne répond pas (plus de {} s)", STEP_TIMEOUT.as_secs())]
    Timeout { address: String },
    #[error("négociation TLS avec {address} impossible : {cause}")]
    Tls {
        address: String,
        cause: std::io::Error,
    },
    #[error("nom de serveur {0} invalide pour TLS")]
    ServerName(String),
    #[error("le serveur a fermé la connexion avant de se présenter")]
    NoGreeting,
    #[error("identification refusée par le serveur ({})", server_says(.0))]
    Login(async_imap::error::Error),
    #[error("le serveur IMAP a répondu par une erreur : {}", server_says(.0))]
    Protocol(async_imap::error::Error),
}

impl From<async_imap::error::Error> for ImapError {
    fn from(error: async_imap::error::Error) -> Self {
        ImapError::Protocol(error)
    }
}

/// The server's own words where it gave some (`NO [AUTHENTICATIONFAILED] …`), else the
/// client library's description.
fn server_says(error: &async_imap::error::Error) -> String {
    match error {
        async_imap::error::Error::No(text) | async_imap::error::Error::Bad(text) => text.clone(),
        other => other.to_string(),
    }
}

/// Waits for `step` at most [`STEP_TIMEOUT`].
pub async fn within<T, E>(
    address: &MailboxAddress,
    step: impl Future<Output = Result<T, E>>,
) -> Result<T, ImapError>
where
    ImapError: From<E>,
{
    match tokio::time::timeout(STEP_TIMEOUT, step).await {
        Ok(result) => result.map_err(ImapError::from),
        Err(_) => Err(ImapError::Timeout {
            address: address.endpoint(),
        }),
    }
}

/// Connects and logs in.
pub async fn open(address: &MailboxAddress) -> Result<ImapSession, ImapError> {
    let endpoint = address.endpoint();
    let tcp = match tokio::time::timeout(
        STEP_TIMEOUT,
        TcpStream::connect((address.host.as_str(), address.port)),
    )
    .await
    {
        Ok(Ok(tcp)) => tcp,
        Ok(Err(source)) => {
            return Err(ImapError::Connect {
                address: endpoint,
                cause: source,
            });
        }
        Err(_) => {
            return Err(ImapError::Timeout {
                address: address.endpoint(),
            });
        }
    };
    let stream: Box<dyn Stream> = match address.security {
        Security::Plain => {
            let mut client = Client::new(Box::new(tcp) as Box<dyn Stream>);
            greeting(address, &mut client).await?;
            return login(address, client).await;
        }
        Security::Tls => Box::new(tls(address, tcp).await?),
        Security::StartTls => {
            let mut client = Client::new(tcp);
            greeting(address, &mut client).await?;
            within(address, client.run_command_and_check_ok("STARTTLS", None)).await?;
            // No second greeting after STARTTLS (RFC 3501, 6.2.1).
            let tls = tls(address, client.into_inner()).await?;
            return login(address, Client::new(Box::new(tls) as Box<dyn Stream>)).await;
        }
    };
    let mut client = Client::new(stream);
    greeting(address, &mut client).await?;
    login(address, client).await
}

async fn greeting<T: Stream>(
    address: &MailboxAddress,
    client: &mut Client<T>,
) -> Result<(), ImapError> {
    let read = async {
        client
            .read_response()
            .await
            .map_err(async_imap::error::Error::from)
    };
    match within(address, read).await? {
        Some(_) => Ok(()),
        None => Err(ImapError::NoGreeting),
    }
}

async fn login(
    address: &MailboxAddress,
    client: Client<Box<dyn Stream>>,
) -> Result<ImapSession, ImapError> {
    match tokio::time::timeout(
        STEP_TIMEOUT,
        client.login(&address.user, address.password()),
    )
    .await
    {
        Ok(Ok(session)) => Ok(session),
        Ok(Err((error, _client))) => Err(ImapError::Login(error)),
        Err(_) => Err(ImapError::Timeout {
            address: address.endpoint(),
        }),
    }
}

/// TLS over `tcp`, the server's certificate checked against the Mozilla roots.
async fn tls(
    address: &MailboxAddress,
    tcp: TcpStream,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>, ImapError> {
    let mut roots = RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    for certificate in &address.extra_roots {
        roots.add(certificate.clone()).map_err(|e| ImapError::Tls {
            address: address.endpoint(),
            cause: std::io::Error::other(e),
        })?;
    }
    // The provider named explicitly: the process-wide default is ambiguous when several
    // dependencies enable different ones.
    let config =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| ImapError::Tls {
                address: address.endpoint(),
                cause: std::io::Error::other(e),
            })?
            .with_root_certificates(roots)
            .with_no_client_auth();
    let name = ServerName::try_from(address.host.clone())
        .map_err(|_| ImapError::ServerName(address.host.clone()))?;
    let connecting = TlsConnector::from(Arc::new(config)).connect(name, tcp);
    match tokio::time::timeout(STEP_TIMEOUT, connecting).await {
        Ok(Ok(stream)) => Ok(stream),
        Ok(Err(cause)) => Err(ImapError::Tls {
            address: address.endpoint(),
            cause,
        }),
        Err(_) => Err(ImapError::Timeout {
            address: address.endpoint(),
        }),
    }
}
