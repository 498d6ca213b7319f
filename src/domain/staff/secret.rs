//! Secrets handed to staff (the session cookie, API bearer tokens) and the only thing stored
//! about them: their SHA-256, in hex. A stolen database row cannot be replayed.

use base64::Engine as _;
use rand::RngCore as _;
use sha2::{Digest, Sha256};

/// Prefix of API tokens, so that a leaked one is recognisable (secret scanners).
pub const API_TOKEN_PREFIX: &str = "jalon_";

/// 256 random bits, URL-safe base64 (43 characters).
fn random_text() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A fresh session token (the cookie's value).
pub fn session_token() -> String {
    random_text()
}

/// A fresh API token: `jalon_` and 256 random bits.
pub fn api_token() -> String {
    format!("{API_TOKEN_PREFIX}{}", random_text())
}

/// What is stored in place of a secret.
pub fn digest(secret: &str) -> String {
    let hash = Sha256::digest(secret.as_bytes());
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

/// The CSRF token of a session: derived from the session's secret, so bound to it and
/// never stored; a form posted with another session's token (or none) is refused.
pub fn csrf_token(session_token: &str) -> String {
    let hash = Sha256::digest(format!("jalon-csrf:{session_token}").as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(hash)
}

/// Compares two secrets in time independent of where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_and_stored_as_hashes() {
        let a = session_token();
        assert_eq!(a.len(), 43);
        assert_ne!(a, session_token());
        assert!(api_token().starts_with("jalon_"));
        assert_eq!(digest(&a).len(), 64);
        assert_eq!(digest(&a), digest(&a));
        assert_ne!(digest(&a), digest(&session_token()));
    }

    #[test]
    fn csrf_tokens_are_bound_to_their_session() {
        let session = session_token();
        assert_eq!(csrf_token(&session), csrf_token(&session));
        assert_ne!(csrf_token(&session), csrf_token(&session_token()));
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "abcd"));
    }
}
