//! What comes back to the bounce address, read from the message alone: a delivery-status
//! report (RFC 3464), a complaint (ARF, RFC 5965), one of the usual non-standard bounces, an
//! automatic reply (RFC 3834, out of office), or something else. Also which email it is about:
//! the tag of the envelope sender (VERP, `retours+{tag}@…`), jalon's own header, or the
//! original `Message-ID`, as far as the report carries them back.
//!
//! Every byte of such a message is written by someone else: nothing here panics on any input
//! (property tests below), and only a status code and a short, single-line reason are kept.

use mailparse::{MailHeader, MailHeaderMap, ParsedMail};
use sha2::{Digest, Sha256};

/// jalon's header on every email it sends: the same tag as the envelope sender's.
pub const JALON_HEADER: &str = "X-Jalon-Envoi";
/// Hexadecimal digits of a tag (96 bits).
pub const TAG_LEN: usize = 24;
/// Soft bounces within a campaign after which an address is treated as undeliverable.
pub const SOFT_LIMIT: i16 = 3;
/// Longest reason kept, in characters.
const DETAIL_CHARS: usize = 160;
/// More nested parts than this: not a report (and not parsed, so that a hostile nesting
/// cannot exhaust the stack).
const MAX_MULTIPARTS: usize = 32;
/// Larger messages are not reports either: only their start is read.
const MAX_BYTES: usize = 2 * 1024 * 1024;

/// `JALON_BOUNCE_ADDRESS`: where bounces go, each email's tag added to the local part
/// (`retours@enquetes.anact.fr` gives `retours+{tag}@enquetes.anact.fr`; a `{tag}` written in
/// the address says where it goes instead).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BounceAddress {
    local: String,
    domain: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "JALON_BOUNCE_ADDRESS « {0} » : adresse de la forme retours@domaine ou retours+{{tag}}@domaine attendue"
)]
pub struct InvalidBounceAddress(String);

impl BounceAddress {
    pub fn parse(raw: &str) -> Result<Self, InvalidBounceAddress> {
        let invalid = || InvalidBounceAddress(raw.to_owned());
        let (local, domain) = raw.trim().rsplit_once('@').ok_or_else(invalid)?;
        let local = local.strip_suffix("+{tag}").unwrap_or(local);
        let well_formed = |s: &str| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        };
        if !well_formed(local) || !well_formed(domain) || !domain.contains('.') {
            return Err(invalid());
        }
        Ok(Self {
            local: local.to_owned(),
            domain: domain.to_owned(),
        })
    }

    /// The envelope sender of the email tagged `tag`.
    pub fn with_tag(&self, tag: &str) -> String {
        format!("{}+{tag}@{}", self.local, self.domain)
    }
}

/// An enhanced status code (RFC 3463): `5.1.1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    pub class: u8,
    pub subject: u16,
    pub detail: u16,
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

impl Status {
    /// `5.1.1` as written in a report; `None` for anything else.
    pub fn parse(raw: &str) -> Option<Self> {
        let mut parts = raw.trim().splitn(3, '.');
        let class: u8 = parts.next()?.parse().ok()?;
        let subject = digits(parts.next()?)?;
        let detail = digits(parts.next()?)?;
        matches!(class, 2 | 4 | 5).then_some(Self {
            class,
            subject,
            detail,
        })
    }

    /// A full mailbox is worth trying again later, whatever the class said.
    fn is_temporary(self) -> bool {
        self.class == 4 || (self.subject == 2 && self.detail == 2)
    }
}

fn digits(raw: &str) -> Option<u16> {
    (!raw.is_empty() && raw.len() <= 3 && raw.bytes().all(|b| b.is_ascii_digit()))
        .then(|| raw.parse().ok())
        .flatten()
}

/// Why an email did not arrive: the status code and a short reason as the server gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub status: Option<Status>,
    /// One line, at most 160 characters, control characters removed.
    pub detail: String,
}

impl Diagnostic {
    fn new(status: Option<Status>, detail: &str) -> Self {
        Self {
            status,
            detail: short(detail),
        }
    }

    /// The reason in plain French, for staff.
    pub fn plain_french(&self) -> &'static str {
        plain_french(self.status)
    }
}

/// What a message says about an email that jalon sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Permanent failure (5.x.x): the address does not work.
    Hard(Diagnostic),
    /// Temporary (4.x.x, a delay, a full mailbox): counted, [`SOFT_LIMIT`] make a hard one.
    Soft(Diagnostic),
    /// The recipient reported the email as unwanted: as an unsubscribe.
    Complaint,
    /// Out of office, vacation notice: someone received it; no effect.
    AutoReply,
    /// A report that the email was delivered or relayed: no effect.
    Delivered,
    /// None of the above: kept aside for a person to look at.
    Unrecognised,
}

impl Verdict {
    /// The word stored and printed for it.
    pub fn code(&self) -> &'static str {
        match self {
            Verdict::Hard(_) => "hard",
            Verdict::Soft(_) => "soft",
            Verdict::Complaint => "complaint",
            Verdict::AutoReply => "auto_reply",
            Verdict::Delivered => "delivered",
            Verdict::Unrecognised => "unrecognised",
        }
    }

    /// In French, for the command line and the pages.
    pub fn label(&self) -> &'static str {
        match self {
            Verdict::Hard(_) => "échec définitif",
            Verdict::Soft(_) => "échec temporaire",
            Verdict::Complaint => "signalement comme indésirable",
            Verdict::AutoReply => "réponse automatique (ignorée)",
            Verdict::Delivered => "avis de remise (ignoré)",
            Verdict::Unrecognised => "message non reconnu",
        }
    }
}

/// What the message carries back of the email it is about; any one of them may find it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct References {
    /// The tag of the envelope sender the report was sent back to.
    pub verp_tag: Option<String>,
    /// The tag of jalon's header, in the original headers the report quotes.
    pub header_tag: Option<String>,
    /// The original `Message-ID`, without angle brackets.
    pub message_id: Option<String>,
}

impl References {
    /// Tags to look up, the envelope's first (the most trustworthy: only a report sent back
    /// to that address has it).
    pub fn tags(&self) -> impl Iterator<Item = &str> {
        self.verp_tag
            .iter()
            .chain(&self.header_tag)
            .map(String::as_str)
    }
}

/// A message read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub verdict: Verdict,
    pub references: References,
    /// The message's own `Message-ID`, if it has one (its key when it has no IMAP UID).
    pub message_id: Option<String>,
}

/// The key recording that a message was processed, when it has no IMAP UID: its own
/// `Message-ID`, else the SHA-256 of its bytes.
pub fn message_key(report: &Report, raw: &[u8]) -> String {
    match &report.message_id {
        Some(id) => format!("message-id:{}", short_key(id)),
        None => {
            let digest: String = Sha256::digest(raw)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            format!("sha256:{digest}")
        }
    }
}

/// The key of a message read from an IMAP folder.
pub fn imap_key(uid_validity: u32, uid: u32) -> String {
    format!("imap:{uid_validity}:{uid}")
}

fn short_key(id: &str) -> String {
    id.chars().filter(|c| !c.is_control()).take(200).collect()
}

/// Reads a message. Never panics.
pub fn classify(raw: &[u8]) -> Report {
    let raw = &raw[..raw.len().min(MAX_BYTES)];
    let unrecognised = Report {
        verdict: Verdict::Unrecognised,
        references: References::default(),
        message_id: None,
    };
    if count_ci(raw, b"multipart/") > MAX_MULTIPARTS {
        return unrecognised;
    }
    let Ok(mail) = mailparse::parse_mail(raw) else {
        return unrecognised;
    };
    let message_id = mail
        .headers
        .get_first_value("Message-ID")
        .map(|v| bare_id(&v))
        .filter(|v| !v.is_empty());
    let mut references = References {
        verp_tag: verp_tag(&mail.headers),
        ..References::default()
    };
    let parts = leaves(&mail);
    for part in &parts {
        if matches!(
            part.ctype.mimetype.as_str(),
            "message/rfc822" | "text/rfc822-headers" | "message/rfc822-headers" | "message/global"
        ) && let Ok(body) = part.get_body_raw()
            && let Ok((headers, _)) = mailparse::parse_headers(&body)
        {
            references.header_tag = references
                .header_tag
                .or_else(|| headers.get_first_value(JALON_HEADER).and_then(|v| tag(&v)));
            references.message_id = references.message_id.or_else(|| {
                headers
                    .get_first_value("Message-ID")
                    .map(|v| bare_id(&v))
                    .filter(|v| !v.is_empty())
            });
        }
    }
    let texts: Vec<String> = parts
        .iter()
        .filter(|p| p.ctype.mimetype.starts_with("text/plain") || p.ctype.mimetype == "text/html")
        .filter_map(|p| p.get_body().ok())
        .collect();
    // A bounce that quotes the original inline rather than as a part.
    for text in &texts {
        references.header_tag = references
            .header_tag
            .take()
            .or_else(|| quoted_header(text, JALON_HEADER).and_then(|v| tag(&v)));
        references.message_id = references.message_id.take().or_else(|| {
            quoted_header(text, "Message-ID")
                .map(|v| bare_id(&v))
                .filter(|v| !v.is_empty())
        });
    }

    let verdict = if let Some(dsn) = parts.iter().find(|p| {
        matches!(
            p.ctype.mimetype.as_str(),
            "message/delivery-status" | "message/global-delivery-status"
        )
    }) {
        dsn.get_body_raw()
            .map(|body| delivery_status(&body))
            .unwrap_or(Verdict::Unrecognised)
    } else if let Some(feedback) = parts
        .iter()
        .find(|p| p.ctype.mimetype == "message/feedback-report")
    {
        feedback_report(feedback)
    } else if looks_like_bounce(&mail) {
        free_text_bounce(&texts)
    } else if is_auto_reply(&mail) {
        Verdict::AutoReply
    } else {
        Verdict::Unrecognised
    };
    Report {
        verdict,
        references,
        message_id,
    }
}

/// The leaves of the MIME tree, depth first.
fn leaves<'a>(mail: &'a ParsedMail<'a>) -> Vec<&'a ParsedMail<'a>> {
    let mut out = Vec::new();
    let mut stack = vec![mail];
    while let Some(part) = stack.pop() {
        if part.subparts.is_empty() {
            out.push(part);
        } else {
            stack.extend(part.subparts.iter().rev());
        }
    }
    out
}

fn count_ci(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .filter(|w| w.eq_ignore_ascii_case(needle))
        .count()
}

/// `<abc@host>` → `abc@host`.
fn bare_id(raw: &str) -> String {
    let trimmed = raw.trim();
    let inner = match (trimmed.find('<'), trimmed.rfind('>')) {
        (Some(start), Some(end)) if start < end => &trimmed[start + 1..end],
        _ => trimmed,
    };
    short_key(inner.trim())
}

/// A well-formed tag, lowercased.
fn tag(raw: &str) -> Option<String> {
    let candidate = raw.trim().to_ascii_lowercase();
    (candidate.len() == TAG_LEN && candidate.bytes().all(|b| b.is_ascii_hexdigit()))
        .then_some(candidate)
}

/// The tag of `local+TAG@domain` in the headers naming the address the report came to.
fn verp_tag(headers: &[MailHeader]) -> Option<String> {
    const NAMES: [&str; 6] = [
        "Delivered-To",
        "X-Original-To",
        "Envelope-To",
        "X-Envelope-To",
        "X-Rcpt-To",
        "To",
    ];
    NAMES
        .iter()
        .flat_map(|name| headers.get_all_values(name))
        .find_map(|value| tag_in_address(&value))
}

fn tag_in_address(value: &str) -> Option<String> {
    value.match_indices('+').find_map(|(at, _)| {
        let rest = &value[at + 1..];
        let end = rest.find('@')?;
        tag(&rest[..end])
    })
}

/// The value of `Name: value` on a line of quoted text.
fn quoted_header(text: &str, name: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let line = line.trim_start_matches(['>', ' ', '\t']);
        let (key, value) = line.split_once(':')?;
        key.trim()
            .eq_ignore_ascii_case(name)
            .then(|| value.trim().to_owned())
    })
}

/// RFC 3464: per-message fields, then one block per recipient. jalon sends to one
/// recipient per message; the worst outcome among the blocks is kept.
fn delivery_status(body: &[u8]) -> Verdict {
    let text = String::from_utf8_lossy(body).replace("\r\n", "\n");
    let mut verdict = Verdict::Unrecognised;
    for block in text.split("\n\n").skip(1) {
        let Ok((fields, _)) = mailparse::parse_headers(block.as_bytes()) else {
            continue;
        };
        let action = fields
            .get_first_value("Action")
            .map(|a| a.trim().to_ascii_lowercase());
        let Some(action) = action else { continue };
        let diagnostic_code = fields
            .get_first_value("Diagnostic-Code")
            .unwrap_or_default();
        // `smtp; 550 5.1.1 …`: the type before the semicolon says nothing to staff.
        let diagnostic_text = diagnostic_code
            .split_once(';')
            .map_or(diagnostic_code.as_str(), |(_, text)| text);
        let status = fields
            .get_first_value("Status")
            .and_then(|s| Status::parse(&s))
            .or_else(|| find_status(diagnostic_text))
            .or_else(|| smtp_code_status(diagnostic_text));
        let detail = if diagnostic_text.trim().is_empty() {
            status.map(|s| s.to_string()).unwrap_or_default()
        } else {
            diagnostic_text.to_owned()
        };
        let diagnostic = Diagnostic::new(status, &detail);
        let this = match action.as_str() {
            "failed" if status.is_some_and(Status::is_temporary) => Verdict::Soft(diagnostic),
            "failed" => Verdict::Hard(diagnostic),
            "delayed" => Verdict::Soft(diagnostic),
            "delivered" | "relayed" | "expanded" => Verdict::Delivered,
            _ => continue,
        };
        verdict = worse(verdict, this);
    }
    verdict
}

fn severity(verdict: &Verdict) -> u8 {
    match verdict {
        Verdict::Hard(_) => 4,
        Verdict::Soft(_) => 3,
        Verdict::Delivered => 2,
        _ => 0,
    }
}

fn worse(a: Verdict, b: Verdict) -> Verdict {
    if severity(&b) > severity(&a) { b } else { a }
}

/// RFC 5965: any feedback but `not-spam` is a complaint.
fn feedback_report(part: &ParsedMail) -> Verdict {
    let Ok(body) = part.get_body_raw() else {
        return Verdict::Unrecognised;
    };
    let Ok((fields, _)) = mailparse::parse_headers(&body) else {
        return Verdict::Unrecognised;
    };
    match fields.get_first_value("Feedback-Type") {
        Some(kind) if kind.trim().eq_ignore_ascii_case("not-spam") => Verdict::Unrecognised,
        Some(_) => Verdict::Complaint,
        None => Verdict::Unrecognised,
    }
}

/// From a mailer daemon, with an empty return path, or with a bounce's subject.
fn looks_like_bounce(mail: &ParsedMail) -> bool {
    let header = |name: &str| {
        mail.headers
            .get_first_value(name)
            .unwrap_or_default()
            .to_lowercase()
    };
    let from = header("From");
    let subject = header("Subject");
    const SUBJECTS: [&str; 10] = [
        "undeliver",
        "undelivered mail",
        "delivery status notification",
        "delivery failure",
        "mail delivery failed",
        "returned mail",
        "failure notice",
        "non remis",
        "échec de la remise",
        "non distribuable",
    ];
    from.contains("mailer-daemon")
        || from.contains("postmaster")
        || header("Return-Path").trim() == "<>"
        || mail
            .headers
            .get_first_value("X-Failed-Recipients")
            .is_some()
        || SUBJECTS.iter().any(|s| subject.contains(s))
}

/// Phrases of the usual non-standard bounces (qmail, Exchange, Exim, French servers), in
/// lower case, when no status code is written.
const HARD_PHRASES: [&str; 14] = [
    "user unknown",
    "unknown user",
    "no such user",
    "no such recipient",
    "mailbox unavailable",
    "does not exist",
    "doesn't exist",
    "recipient not found",
    "invalid recipient",
    "address rejected",
    "account has been disabled",
    "utilisateur inconnu",
    "destinataire inconnu",
    "n'existe pas",
];
const SOFT_PHRASES: [&str; 9] = [
    "mailbox full",
    "mailbox is full",
    "over quota",
    "quota exceeded",
    "boîte pleine",
    "will retry",
    "still trying",
    "has been delayed",
    "try again later",
];

fn free_text_bounce(texts: &[String]) -> Verdict {
    for text in texts {
        let lower = text.to_lowercase();
        if let Some((at, status)) = find_status_at(text) {
            let diagnostic = Diagnostic::new(Some(status), &line_of(text, at));
            return match status.class {
                2 => Verdict::Delivered,
                _ if status.is_temporary() => Verdict::Soft(diagnostic),
                _ => Verdict::Hard(diagnostic),
            };
        }
        if let Some(at) = SOFT_PHRASES.iter().find_map(|p| lower.find(p)) {
            let line = line_of(&lower, at);
            return Verdict::Soft(Diagnostic::new(smtp_code_status(&line), &line));
        }
        if let Some(at) = HARD_PHRASES.iter().find_map(|p| lower.find(p)) {
            let line = line_of(&lower, at);
            let status = smtp_code_status(&line);
            return match status {
                Some(s) if s.is_temporary() => Verdict::Soft(Diagnostic::new(status, &line)),
                _ => Verdict::Hard(Diagnostic::new(status, &line)),
            };
        }
    }
    Verdict::Unrecognised
}

/// The line of `text` around byte `at`.
fn line_of(text: &str, at: usize) -> String {
    let at = at.min(text.len());
    let start = text
        .get(..at)
        .and_then(|t| t.rfind('\n'))
        .map_or(0, |i| i + 1);
    let end = text
        .get(at..)
        .and_then(|t| t.find('\n'))
        .map_or(text.len(), |i| at + i);
    text.get(start..end).unwrap_or_default().to_owned()
}

/// RFC 3834 `Auto-Submitted`, the headers vacation programs add, or an out-of-office subject.
fn is_auto_reply(mail: &ParsedMail) -> bool {
    let header = |name: &str| mail.headers.get_first_value(name).map(|v| v.to_lowercase());
    if header("Auto-Submitted").is_some_and(|v| v.trim() != "no") {
        return true;
    }
    if header("X-Autoreply").is_some()
        || header("X-Autorespond").is_some()
        || header("Precedence").is_some_and(|v| v.trim() == "auto_reply")
    {
        return true;
    }
    let subject = header("Subject").unwrap_or_default();
    const SUBJECTS: [&str; 8] = [
        "out of office",
        "automatic reply",
        "auto-reply",
        "autoreply",
        "réponse automatique",
        "absence",
        "absent du bureau",
        "auto:",
    ];
    SUBJECTS.iter().any(|s| subject.trim_start().starts_with(s))
}

/// The first enhanced status code standing alone in `text`.
fn find_status(text: &str) -> Option<Status> {
    find_status_at(text).map(|(_, s)| s)
}

fn find_status_at(text: &str) -> Option<(usize, Status)> {
    let bytes = text.as_bytes();
    for (at, &b) in bytes.iter().enumerate() {
        if !matches!(b, b'2' | b'4' | b'5') {
            continue;
        }
        if at > 0 && (bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'.') {
            continue;
        }
        let mut end = at;
        while end < bytes.len() && (bytes[end].is_ascii_digit() || bytes[end] == b'.') {
            end += 1;
        }
        // A following dot and digit: an IP address or a version, not a status.
        let candidate = text.get(at..end)?.trim_end_matches('.');
        if candidate.matches('.').count() != 2 {
            continue;
        }
        if end < bytes.len() && bytes[end].is_ascii_alphanumeric() {
            continue;
        }
        if let Some(status) = Status::parse(candidate) {
            return Some((at, status));
        }
    }
    None
}

/// `550 …` with no enhanced code: the class of the reply code.
fn smtp_code_status(text: &str) -> Option<Status> {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .find(|w| w.len() == 3 && w.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|w| {
            let class = w.as_bytes()[0] - b'0';
            matches!(class, 4 | 5).then_some(Status {
                class,
                subject: 0,
                detail: 0,
            })
        })
}

/// One line, control characters removed, at most [`DETAIL_CHARS`] characters.
fn short(text: &str) -> String {
    let line: String = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    if line.chars().count() <= DETAIL_CHARS {
        line
    } else {
        let mut cut: String = line.chars().take(DETAIL_CHARS - 1).collect();
        cut.push('…');
        cut
    }
}

/// A permanent refusal by the SMTP server jalon sends through (`permanent error (550): …`,
/// as the SMTP client words it): the same state as a hard bounce. `None` for any other
/// error (an invalid sender, a message that cannot be built).
pub fn smtp_refusal(error: &str) -> Option<Diagnostic> {
    // The address could not even be written in an envelope (`mail::build_message`).
    if error.starts_with("destinataire invalide") {
        return Some(Diagnostic::new(
            Some(Status {
                class: 5,
                subject: 1,
                detail: 3,
            }),
            error,
        ));
    }
    let rest = error.split_once("permanent error (")?.1;
    let code = rest.get(..3)?;
    if !(code.starts_with('5') && code.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    let text = rest
        .get(3..)
        .unwrap_or_default()
        .trim_start_matches([')', ':', ' ']);
    let status = find_status(text).or_else(|| smtp_code_status(code));
    Some(Diagnostic::new(status, text))
}

/// What a status code means, in plain French.
pub fn plain_french(status: Option<Status>) -> &'static str {
    let Some(status) = status else {
        return "échec de distribution (sans précision)";
    };
    match (status.subject, status.detail) {
        (1, 1) => "adresse inconnue du serveur destinataire",
        (1, 2) => "domaine de destination inexistant",
        (1, 3) => "adresse mal formée",
        (1, _) => "adresse refusée par le serveur destinataire",
        (2, 1) => "boîte aux lettres désactivée",
        (2, 2) => "boîte aux lettres pleine",
        (2, _) => "boîte aux lettres indisponible",
        (3, _) => "serveur destinataire indisponible ou saturé",
        (4, _) => "serveur destinataire injoignable",
        (5, _) => "échange refusé par le serveur destinataire",
        (6, _) => "contenu du message refusé",
        (7, _) => "message refusé par le filtrage du destinataire",
        _ if status.class == 4 => "distribution retardée",
        _ => "échec de distribution",
    }
}

/// After a soft bounce, with `before` counted already: whether the address is now treated as
/// undeliverable.
pub fn soft_limit_reached(before: i16) -> bool {
    before.saturating_add(1) >= SOFT_LIMIT
}

#[cfg(test)]
mod tests;
