//! The cells of the CSV files jalon writes for spreadsheets.
//!
//! A CSV cell carries no type: Excel and LibreOffice run one that begins with `=`, `+`, `-`
//! or `@` as a formula, some after skipping a leading tab or carriage return. Text that
//! a person typed (an answer, a comment, a resource title sent by the website, an imported
//! company name) could then open `=HYPERLINK("http://evil.example.com","cliquez")` or worse
//! on the computer of whoever opens the export. OWASP's rule, applied here: such a cell
//! starts with `'`, so spreadsheets read it as text. The only cells written as they are,
//! [`Figure`]s, are numbers jalon computed itself.

use std::borrow::Cow;

/// What makes a spreadsheet read a cell as a formula (`\t` and `\r` because some skip them
/// and read the `=` that follows).
const FORMULA_LEADS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Text for a CSV cell: prefixed with `'` if it begins with a character that would make a
/// spreadsheet read it as a formula, unchanged otherwise.
///
/// A person's `-3` becomes `'-3` too, i.e. text: telling a harmless number from
/// `-2+3+cmd|' /C calc'!A0` by its content would be a second parser to get right, and
/// counts and rates jalon computes are [`Figure`]s anyway.
pub fn neutralised(text: &str) -> Cow<'_, str> {
    if text.starts_with(FORMULA_LEADS) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// A number jalon computed, written without the `'` of [`neutralised`] so that spreadsheets
/// keep computing with it. Built only from numbers, so no text can pass as one.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure(String);

impl Figure {
    pub fn count(value: u64) -> Self {
        Self(value.to_string())
    }

    /// Four decimal places, with a comma for the `;` files French spreadsheets read and a
    /// point for `,` ones; empty when there is no value (or it is not finite, which no
    /// spreadsheet reads as a number).
    pub fn decimal(value: Option<f64>, decimal_comma: bool) -> Self {
        let Some(value) = value.filter(|v| v.is_finite()) else {
            return Self(String::new());
        };
        let text = format!("{value:.4}");
        Self(if decimal_comma {
            text.replace('.', ",")
        } else {
            text
        })
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_formula_lead_gets_a_quote() {
        for (text, expected) in [
            (
                r#"=HYPERLINK("http://evil.example.com","cliquez")"#,
                r#"'=HYPERLINK("http://evil.example.com","cliquez")"#,
            ),
            ("+33 6 12 34 56 78", "'+33 6 12 34 56 78"),
            ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
            ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
            ("\t=1+1", "'\t=1+1"),
            ("\r=1+1", "'\r=1+1"),
            ("=", "'="),
        ] {
            assert_eq!(neutralised(text), expected, "{text:?}");
        }
    }

    #[test]
    fn other_text_is_left_as_typed() {
        for text in [
            "Très utile, merci.",
            "",
            " =1+1",
            "1+1",
            "'=déjà une apostrophe",
            "Pas du tout d’accord",
            "a=b",
            "\n=1+1",
            "2026-03-16",
            "0,7500",
        ] {
            assert!(
                matches!(neutralised(text), Cow::Borrowed(t) if t == text),
                "{text:?}"
            );
        }
    }

    #[test]
    fn a_negative_number_someone_typed_is_text_one_jalon_computed_a_number() {
        assert_eq!(neutralised("-3"), "'-3");
        assert_eq!(Figure::decimal(Some(-3.0), true).as_str(), "-3,0000");
        assert_eq!(Figure::decimal(Some(-0.25), false).as_str(), "-0.2500");
    }

    #[test]
    fn figures_are_counts_and_four_decimal_places() {
        assert_eq!(Figure::count(0).as_str(), "0");
        assert_eq!(Figure::count(1234).as_str(), "1234");
        assert_eq!(Figure::decimal(Some(0.75), true).as_str(), "0,7500");
        assert_eq!(Figure::decimal(Some(2.0 / 3.0), false).as_str(), "0.6667");
        assert_eq!(Figure::decimal(None, true).as_str(), "");
        for value in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(Figure::decimal(Some(value), true).as_str(), "", "{value}");
        }
    }
}
