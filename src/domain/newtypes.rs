//! Values parsed once at the edge and trusted everywhere after.

use std::fmt;
use std::str::FromStr;

use rand::RngCore;
use serde::{Deserialize, Serialize};

/// The five questionnaires of the performance contract, one per indicator.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
pub enum QuestionnaireCode {
    #[serde(rename = "i3.1")]
    I3_1,
    #[serde(rename = "i3.2")]
    I3_2,
    #[serde(rename = "i4")]
    I4,
    #[serde(rename = "i6")]
    I6,
    #[serde(rename = "i7")]
    I7,
}

impl QuestionnaireCode {
    pub const ALL: [QuestionnaireCode; 5] = [Self::I3_1, Self::I3_2, Self::I4, Self::I6, Self::I7];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::I3_1 => "i3.1",
            Self::I3_2 => "i3.2",
            Self::I4 => "i4",
            Self::I6 => "i6",
            Self::I7 => "i7",
        }
    }
}

impl fmt::Display for QuestionnaireCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("code de questionnaire inconnu « {0} » (attendu : i3.1, i3.2, i4, i6 ou i7)")]
pub struct UnknownQuestionnaireCode(pub String);

impl FromStr for QuestionnaireCode {
    type Err = UnknownQuestionnaireCode;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|code| code.as_str() == s)
            .ok_or_else(|| UnknownQuestionnaireCode(s.to_owned()))
    }
}

/// An email address, trimmed, checked for shape (RFC 5322 via `email_address`), with the
/// domain lower-cased so that natural keys compare equal.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Email(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("adresse électronique invalide « {0} »")]
pub struct InvalidEmail(pub String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, InvalidEmail> {
        let trimmed = raw.trim();
        let invalid = || InvalidEmail(trimmed.to_owned());
        let (local, domain) = trimmed.rsplit_once('@').ok_or_else(invalid)?;
        // `email_address` accepts dot-less domains and quoted locals; a mailing list of real
        // people needs neither, and rejecting them catches typos such as `name@gmail`.
        if !domain.contains('.') || domain.ends_with('.') || local.starts_with('"') {
            return Err(invalid());
        }
        let candidate = format!("{local}@{}", domain.to_lowercase());
        if candidate.len() > 254 || !email_address::EmailAddress::is_valid(&candidate) {
            return Err(invalid());
        }
        Ok(Self(candidate))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Email {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Email::parse(&raw).map_err(serde::de::Error::custom)
    }
}

/// The secret in a personal link: 128 bits, URL-safe base64 (22 characters). Random for links
/// made before 2026-12 (`generate`); since, derived from the invitation's id under a key
/// outside the database (`crate::link_key`), so that only its keyed hash is stored. Never
/// logged (its `Debug` is redacted).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Token(String);

pub const TOKEN_BYTES: usize = 16;
const TOKEN_LEN: usize = 22;

impl Token {
    pub fn generate() -> Self {
        use base64::Engine as _;
        let mut bytes = [0u8; TOKEN_BYTES];
        rand::rng().fill_bytes(&mut bytes);
        Self(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
    }

    /// The token of these 128 bits (a MAC's first bytes, see `crate::link_key`).
    pub fn from_bytes(bytes: [u8; TOKEN_BYTES]) -> Self {
        use base64::Engine as _;
        Self(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Accepts only strings that `generate` could have produced, so a malformed link is
    /// answered "unknown" without touching the database.
    pub fn parse(raw: &str) -> Option<Self> {
        let well_formed = raw.len() == TOKEN_LEN
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        well_formed.then(|| Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questionnaire_codes_round_trip() {
        for code in QuestionnaireCode::ALL {
            assert_eq!(code.as_str().parse::<QuestionnaireCode>(), Ok(code));
        }
        assert!("i5".parse::<QuestionnaireCode>().is_err());
        assert!("I4".parse::<QuestionnaireCode>().is_err());
    }

    #[test]
    fn emails_are_trimmed_and_domain_lowercased() {
        let email = Email::parse("  Marie.Dupont@Exemple.FR ").unwrap();
        assert_eq!(email.as_str(), "Marie.Dupont@exemple.fr");
    }

    #[test]
    fn malformed_emails_are_rejected() {
        for bad in [
            "",
            "marie",
            "marie@",
            "@exemple.fr",
            "marie@exemple",
            "ma rie@exemple.fr",
            "marie@exemple.fr.",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn tokens_carry_128_bits_and_parse_back() {
        let a = Token::generate();
        let b = Token::generate();
        assert_ne!(a, b);
        assert_eq!(a.expose().len(), TOKEN_LEN);
        assert_eq!(Token::parse(a.expose()), Some(a.clone()));
        assert_eq!(format!("{a:?}"), "Token(***)");
    }

    #[test]
    fn malformed_tokens_are_rejected() {
        for bad in [
            "",
            "abc",
            "AAAAAAAAAAAAAAAAAAAAA",
            "AAAAAAAAAAAAAAAAAAAAA/",
            "AAAAAAAAAAAAAAAAAAAAAAA",
        ] {
            assert_eq!(Token::parse(bad), None, "{bad:?} accepted");
        }
    }
}
