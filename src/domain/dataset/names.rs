//! Variable names every tool accepts: SPSS (a letter first, at most 64 bytes, unique
//! regardless of case, not a reserved word), R (a syntactic name, not a reserved word) and
//! Triple-S.

use std::collections::HashSet;

/// Longest name SPSS reads.
pub const MAX_NAME: usize = 64;

/// SPSS's reserved words and R's, lowercase.
const RESERVED: [&str; 29] = [
    "all",
    "and",
    "by",
    "eq",
    "ge",
    "gt",
    "le",
    "lt",
    "ne",
    "not",
    "or",
    "to",
    "with",
    "if",
    "else",
    "repeat",
    "while",
    "function",
    "for",
    "in",
    "next",
    "break",
    "true",
    "false",
    "null",
    "inf",
    "nan",
    "na",
    "na_integer_",
];

/// `text` as a valid name, not yet unique: ASCII letters, digits and `_` (anything else
/// becomes `_`), a letter first (`q` added before), not a reserved word (`_` added after),
/// at most 64 bytes.
pub fn variable_name(text: &str) -> String {
    let mut name: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        name.insert(0, 'q');
    }
    if RESERVED.contains(&name.as_str()) {
        name.push('_');
    }
    name.truncate(MAX_NAME);
    // A name ending in `.` or `_` is valid; SPSS only refuses a trailing period.
    name
}

/// The names given so far, so that each new one is unique (regardless of case).
#[derive(Debug, Default)]
pub struct NameBook {
    taken: HashSet<String>,
}

impl NameBook {
    /// A valid name for `wanted`, `_2`, `_3`… added (within 64 bytes) if already taken.
    pub fn claim(&mut self, wanted: &str) -> String {
        let base = variable_name(wanted);
        let mut name = base.clone();
        let mut n = 2;
        while self.taken.contains(&name.to_ascii_lowercase()) {
            let suffix = format!("_{n}");
            let mut stem = base.clone();
            stem.truncate(MAX_NAME - suffix.len());
            name = format!("{stem}{suffix}");
            n += 1;
        }
        self.taken.insert(name.to_ascii_lowercase());
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_start_with_a_letter_and_avoid_reserved_words() {
        assert_eq!(variable_name("outils_compris"), "outils_compris");
        assert_eq!(variable_name("3_mois"), "q3_mois");
        assert_eq!(variable_name("_x"), "q_x");
        assert_eq!(variable_name("with"), "with_");
        assert_eq!(variable_name("in"), "in_");
        assert_eq!(variable_name("Région é"), "r_gion__");
        assert_eq!(variable_name(&"a".repeat(80)).len(), 64);
    }

    #[test]
    fn a_taken_name_gets_a_number_within_64_bytes() {
        let mut book = NameBook::default();
        assert_eq!(book.claim("role"), "role");
        assert_eq!(book.claim("ROLE"), "role_2");
        assert_eq!(book.claim("role"), "role_3");
        let long = "b".repeat(70);
        let first = book.claim(&long);
        let second = book.claim(&long);
        assert_eq!(first.len(), 64);
        assert_eq!(second.len(), 64);
        assert!(second.ends_with("_2"));
    }
}
