//! Staff passwords: argon2id with its own random salt, stored as a PHC string.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

/// Shortest password accepted for a staff account.
pub const MIN_LENGTH: usize = 12;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("mot de passe trop court ({MIN_LENGTH} caractères au moins)")]
    TooShort,
    #[error("le calcul de l'empreinte du mot de passe a échoué")]
    Hashing,
}

/// Checks the policy and hashes `password`.
pub fn hash(password: &str) -> Result<String, PasswordError> {
    if password.chars().count() < MIN_LENGTH {
        return Err(PasswordError::TooShort);
    }
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|_| PasswordError::Hashing)
}

/// Whether `password` matches the stored `phc` string (false for a malformed one, such as
/// the mark of an account that signs in only through single sign-on: refused after the same
/// work as a wrong password, so that the time taken tells nothing of the account).
pub fn verify(password: &str, phc: &str) -> bool {
    let Ok(hash) = PasswordHash::new(phc) else {
        if let Ok(decoy) = PasswordHash::new(DECOY_HASH) {
            let _ = Argon2::default().verify_password(password.as_bytes(), &decoy);
        }
        return false;
    };
    Argon2::default()
        .verify_password(password.as_bytes(), &hash)
        .is_ok()
}

/// Stored in place of a hash for an account that signs in only through single sign-on (made
/// by a domain rule, or by an admin while local passwords are off): no password matches it.
pub const SINGLE_SIGN_ON_ONLY: &str = "!sso";

/// A hash to verify against when the account does not exist, so that an unknown email
/// takes as long to refuse as a wrong password.
pub const DECOY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$\
    1w7UCEjCnkUzaj8MZQtkBfo4eR3CAtZyMeDaOh5CyTg";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let phc = hash("correct horse battery").unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", &phc));
        assert!(!verify("correct horse batterie", &phc));
        assert_ne!(phc, hash("correct horse battery").unwrap(), "salted");
    }

    #[test]
    fn short_and_malformed_are_refused() {
        assert_eq!(hash("court"), Err(PasswordError::TooShort));
        assert!(!verify("anything at all", "not a hash"));
        assert!(PasswordHash::new(DECOY_HASH).is_ok());
        assert!(!verify("anything at all", DECOY_HASH));
    }
}
