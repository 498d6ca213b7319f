use lettre::Message;
use lettre::message::header::ContentTransferEncoding;
use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Body, Mailbox, MultiPart, SinglePart};

use super::MailError;
use super::encoded_body::QuotedPrintable;

/// One email as recorded in the outbox.
#[derive(Debug, Clone)]
pub struct OutgoingEmail {
    pub id: uuid::Uuid,
    pub from: Mailbox,
    pub to: String,
    pub subject: String,
    pub text: QuotedPrintable,
    pub html: QuotedPrintable,
    /// One-click unsubscribe address (RFC 8058), sent as `List-Unsubscribe`.
    pub unsubscribe_url: Option<String>,
    /// The tag by which a bounce finds this email (`crate::link_key`), sent as jalon's own
    /// header `X-Jalon-Envoi`.
    pub bounce_tag: Option<String>,
    /// Envelope sender (`MAIL FROM`, where bounces go): `retours+{tag}@…`. `None`: the
    /// address of `From:`, as without `JALON_BOUNCE_ADDRESS`.
    pub envelope_from: Option<String>,
}

#[derive(Clone)]
struct JalonTag(String);

impl Header for JalonTag {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str(crate::domain::bounce::JALON_HEADER)
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.trim().to_owned()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

#[derive(Clone)]
struct ListUnsubscribe(String);

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.trim_matches(['<', '>']).to_owned()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), format!("<{}>", self.0))
    }
}

#[derive(Clone)]
struct ListUnsubscribePost;

impl Header for ListUnsubscribePost {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".to_owned())
    }
}

/// The MIME message: text and HTML alternatives, a stable Message-ID derived from the outbox
/// row (a retried send carries the same id, so a receiving server can spot a duplicate).
pub fn build_message(email: &OutgoingEmail) -> Result<Message, MailError> {
    let permanent =
        |what: &str, e: &dyn std::fmt::Display| MailError::Permanent(format!("{what} : {e}"));
    let from = email.from.clone();
    let to: Mailbox = email
        .to
        .parse()
        .map_err(|e| permanent("destinataire invalide", &e))?;
    let domain = from.email.domain().to_owned();
    let envelope = match &email.envelope_from {
        Some(sender) => {
            let sender: lettre::Address = sender
                .parse()
                .map_err(|e| permanent("adresse de retour invalide", &e))?;
            Some(
                lettre::address::Envelope::new(Some(sender), vec![to.email.clone()])
                    .map_err(|e| permanent("enveloppe invalide", &e))?,
            )
        }
        None => None,
    };
    let mut builder = Message::builder()
        .from(from)
        .to(to)
        .subject(&email.subject)
        .message_id(Some(format!("<{}@{}>", email.id, domain)));
    if let Some(url) = &email.unsubscribe_url {
        builder = builder
            .header(ListUnsubscribe(url.clone()))
            .header(ListUnsubscribePost);
    }
    if let Some(tag) = &email.bounce_tag {
        builder = builder.header(JalonTag(tag.clone()));
    }
    if let Some(envelope) = envelope {
        builder = builder.envelope(envelope);
    }
    builder
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(pre_encoded(&email.text)),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(pre_encoded(&email.html)),
                ),
        )
        .map_err(|e| permanent("message invalide", &e))
}

fn pre_encoded(body: &QuotedPrintable) -> Body {
    Body::dangerous_pre_encoded(
        body.as_bytes().to_vec(),
        ContentTransferEncoding::QuotedPrintable,
    )
}
