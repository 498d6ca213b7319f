//! Reading an `application/x-www-form-urlencoded` body into answers.
//!
//! Hand-written because serde's form decoders lose repeated keys (a multiple choice sends
//! its name once per ticked box) and silently replace invalid UTF-8, which must be refused.

use percent_encoding::percent_decode;

use crate::domain::answers::RawAnswers;

/// More fields than any questionnaire has options: beyond this the body is not a real form.
const MAX_FIELDS: usize = 2_000;

#[derive(Debug, Default)]
pub struct SubmittedForm {
    pub answers: RawAnswers,
    /// The value of the `_action` button: `submit` (default) or `draft`.
    pub action: Option<String>,
    /// `_resource`: the resource an open form rates (indicator 4's widget without script).
    pub resource: Option<String>,
    /// `_website`: a field people never see; filled only by robots.
    pub honeypot: Option<String>,
    /// `_started`: when a pilot form was shown (Unix seconds), to tell the time taken.
    pub started: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FormBodyError {
    #[error("Le formulaire contient des caractères invalides (encodage UTF-8 attendu).")]
    InvalidUtf8,
    #[error("Le formulaire contient trop de champs.")]
    TooManyFields,
}

pub fn parse(body: &[u8]) -> Result<SubmittedForm, FormBodyError> {
    let mut form = SubmittedForm::default();
    for (count, pair) in body
        .split(|&b| b == b'&')
        .filter(|pair| !pair.is_empty())
        .enumerate()
    {
        if count >= MAX_FIELDS {
            return Err(FormBodyError::TooManyFields);
        }
        let (name, value) = match pair.iter().position(|&b| b == b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &[][..]),
        };
        let name = decode(name)?;
        let value = decode(value)?;
        if name == "_action" {
            form.action = Some(value);
        } else if name == "_resource" {
            form.resource = Some(value);
        } else if name == "_website" {
            form.honeypot = Some(value);
        } else if name == "_started" {
            form.started = Some(value);
        } else if !name.starts_with('_') {
            form.answers.push(name, value);
        }
    }
    Ok(form)
}

fn decode(raw: &[u8]) -> Result<String, FormBodyError> {
    let plus_as_space: Vec<u8> = raw
        .iter()
        .map(|&b| if b == b'+' { b' ' } else { b })
        .collect();
    percent_decode(&plus_as_space)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| FormBodyError::InvalidUtf8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_names_keep_every_value() {
        let form =
            parse(b"freins=temps&freins=moyens&_action=draft&commentaire=Tr%C3%A8s+bien").unwrap();
        assert_eq!(form.answers.values("freins"), ["temps", "moyens"]);
        assert_eq!(form.answers.first("commentaire"), Some("Très bien"));
        assert_eq!(form.action.as_deref(), Some("draft"));
    }

    #[test]
    fn invalid_utf8_is_refused() {
        assert_eq!(
            parse(b"commentaire=%FF%FE").unwrap_err(),
            FormBodyError::InvalidUtf8
        );
        assert_eq!(
            parse(b"comm%C3entaire=x").unwrap_err(),
            FormBodyError::InvalidUtf8
        );
    }

    #[test]
    fn fields_without_value_and_empty_pairs_are_tolerated() {
        let form = parse(b"&a&b=&&").unwrap();
        assert_eq!(form.answers.values("a"), [""]);
        assert_eq!(form.answers.values("b"), [""]);
    }

    #[test]
    fn too_many_fields_are_refused() {
        let body = "a=1&".repeat(MAX_FIELDS + 1);
        assert_eq!(
            parse(body.as_bytes()).unwrap_err(),
            FormBodyError::TooManyFields
        );
    }
}
