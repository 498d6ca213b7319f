//! The key of personal links (`/r/{token}`, `/desinscription/{token}`), derived from the seal
//! key (`crate::seal_key`) so that no new secret file is needed, under labels of its own: the
//! seal key itself never hashes anything.
//!
//! - The token of an invitation is the first 128 bits of HMAC-SHA256(`derive`, its id), in
//!   URL-safe base64 (22 characters, the shape of the random tokens before it). Dispatch
//!   recomputes it from the id whenever an email goes out, so it is stored nowhere.
//! - The database keeps only HMAC-SHA256(`lookup`, token) in hex (`invitations.token_hash`);
//!   a presented token is hashed the same way and looked up.
//! - The tag of an outgoing email (its envelope sender `retours+{tag}@…` and its
//!   `X-Jalon-Envoi` header), by which a bounce finds it, is the first 96 bits of
//!   HMAC-SHA256(`bounce`, invitation id, kind) in hexadecimal: one per outbox row, not
//!   guessable from the ids a recipient sees. Whoever reads the database
//!   (a backup, a dump) has the ids and the hashes, but without the key file can neither
//!   compute a token from an id nor find one from its hash.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

use crate::domain::Token;
use crate::domain::newtypes::TOKEN_BYTES;

type HmacSha256 = Hmac<Sha256>;

fn mac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = <HmacSha256 as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// Cheap to clone; never printed.
#[derive(Clone)]
pub struct LinkKey {
    derive: [u8; 32],
    lookup: [u8; 32],
    bounce: [u8; 32],
}

impl std::fmt::Debug for LinkKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkKey(…)")
    }
}

impl LinkKey {
    /// The subkeys of a seal key's bytes: HMAC-SHA256(seal key, label), one label each.
    pub fn from_seal_key(seal_key: &[u8; 32]) -> Self {
        Self {
            derive: mac(seal_key, &[b"jalon personal link token v1"]),
            lookup: mac(seal_key, &[b"jalon personal link lookup v1"]),
            bounce: mac(seal_key, &[b"jalon bounce tag v1"]),
        }
    }

    /// The token of the personal link of `invitation`.
    pub fn token(&self, invitation: Uuid) -> Token {
        let full = mac(&self.derive, &[invitation.as_bytes()]);
        let mut bytes = [0u8; TOKEN_BYTES];
        bytes.copy_from_slice(&full[..TOKEN_BYTES]);
        Token::from_bytes(bytes)
    }

    /// What `invitations.token_hash` holds for `token`: 64 hexadecimal digits.
    pub fn digest(&self, token: &Token) -> String {
        mac(&self.lookup, &[token.expose().as_bytes()])
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

impl LinkKey {
    /// The tag of the email of `kind` (`invitation`, `reminder_1`…) to `invitation`:
    /// [`crate::domain::bounce::TAG_LEN`] lowercase hexadecimal digits (case survives
    /// servers that fold the local part).
    pub fn bounce_tag(&self, invitation: Uuid, kind: &str) -> String {
        let full = mac(
            &self.bounce,
            &[invitation.as_bytes(), b"\0", kind.as_bytes()],
        );
        full[..crate::domain::bounce::TAG_LEN / 2]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// What the migration that stopped storing clear tokens put in `invitations.legacy_token_hash`
/// for a link made before it (a random token, not derived from the id): its plain SHA-256,
/// as the migration has no key. 128 random bits: the hash cannot be turned back into the link.
pub fn legacy_digest(token: &Token) -> String {
    crate::domain::staff::secret::digest(token.expose())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> LinkKey {
        LinkKey::from_seal_key(&[byte; 32])
    }

    #[test]
    fn a_token_is_a_well_formed_link_of_its_invitation_only() {
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let token = key(1).token(a);
        assert_eq!(Token::parse(token.expose()), Some(token.clone()));
        assert_eq!(key(1).token(a), token, "the same every time");
        assert_ne!(key(1).token(b), token);
        assert_ne!(key(2).token(a), token, "another key, another token");
    }

    #[test]
    fn the_digest_is_keyed_and_differs_from_the_token_and_the_plain_hash() {
        let token = key(1).token(Uuid::new_v4());
        let digest = key(1).digest(&token);
        assert_eq!(digest.len(), 64);
        assert_ne!(key(2).digest(&token), digest);
        assert_ne!(legacy_digest(&token), digest);
        assert!(!digest.contains(token.expose()));
    }

    #[test]
    fn a_bounce_tag_is_keyed_and_one_per_email() {
        let id = Uuid::new_v4();
        let tag = key(1).bounce_tag(id, "invitation");
        assert_eq!(tag.len(), crate::domain::bounce::TAG_LEN);
        assert!(
            tag.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        assert_eq!(key(1).bounce_tag(id, "invitation"), tag);
        assert_ne!(key(1).bounce_tag(id, "reminder_1"), tag);
        assert_ne!(key(2).bounce_tag(id, "invitation"), tag);
        assert!(!tag.contains(&id.simple().to_string()[..8]));
    }
}
