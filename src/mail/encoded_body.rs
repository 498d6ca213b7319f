//! A body encoded once for all the emails that share it. The emails of a batch read the same
//! words but for their link's token and their contact's name: the body is encoded
//! (quoted-printable) once around those slots, and each email only encodes its own values.
//! Encoding the whole body again for every email was a tenth of a sending's time.
//!
//! Each value stands between two soft line breaks (`=` at the end of a line, which readers
//! remove), so that whatever its length no line grows past the 76 characters quoted-printable
//! allows: the decoded text is the body with its slots filled, nothing more.

use quoted_printable::{InputMode, Options};

use crate::domain::email_template::Slot;

/// Room for the `=` of the soft line break that follows each encoded piece.
const LINE_LIMIT: usize = 75;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Encoded(Vec<u8>),
    /// The index of a slot; `space_before` when the marker followed a space the piece before
    /// left out, to be given back with a value.
    Slot {
        index: usize,
        space_before: bool,
    },
}

/// A body in quoted-printable, CRLF line endings, with its slots still to fill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedBody {
    pieces: Vec<Piece>,
}

/// A body ready to be sent, in quoted-printable: built only by [`EncodedBody::fill`], so that
/// it is always valid for `Content-Transfer-Encoding: quoted-printable`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotedPrintable(Vec<u8>);

impl QuotedPrintable {
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }

    /// A body without slots.
    pub fn encode(text: &str) -> Self {
        EncodedBody::new(text, &[]).fill(&[])
    }
}

fn encode(text: &str, mode: InputMode) -> Vec<u8> {
    quoted_printable::encode_with_options(
        text,
        Options::default()
            .line_length_limit(LINE_LIMIT)
            .input_mode(mode),
    )
    .into_bytes()
}

/// `text` with every line ending a CRLF, as quoted-printable's text mode wants.
fn crlf(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\n', "\r\n")
}

impl EncodedBody {
    /// `body` encoded around every occurrence of the `slots`' markers.
    pub fn new(body: &str, slots: &[Slot]) -> Self {
        let body = crlf(body);
        let mut pieces = Vec::new();
        let mut rest = body.as_str();
        loop {
            // The earliest marker; at one position, the longest.
            let next = slots
                .iter()
                .enumerate()
                .filter_map(|(index, slot)| rest.find(slot.marker).map(|at| (at, index, slot)))
                .min_by_key(|(at, _, slot)| (*at, std::cmp::Reverse(slot.marker.len())));
            let Some((at, index, slot)) = next else {
                pieces.push(Piece::Encoded(encode(rest, InputMode::Text)));
                return Self { pieces };
            };
            let before = &rest[..at];
            let space_before = slot.drops_space_before && before.ends_with(' ');
            let kept = if space_before {
                &before[..before.len() - 1]
            } else {
                before
            };
            let mut encoded = encode(kept, InputMode::Text);
            encoded.extend_from_slice(b"=\r\n");
            pieces.push(Piece::Encoded(encoded));
            pieces.push(Piece::Slot {
                index,
                space_before,
            });
            rest = &rest[at + slot.marker.len()..];
        }
    }

    /// The body with `values[i]` in place of slot `i` (`None`: the slot left empty).
    pub fn fill(&self, values: &[Option<&str>]) -> QuotedPrintable {
        let mut out = Vec::with_capacity(
            self.pieces
                .iter()
                .map(|piece| match piece {
                    Piece::Encoded(bytes) => bytes.len(),
                    Piece::Slot { .. } => 64,
                })
                .sum(),
        );
        for piece in &self.pieces {
            match piece {
                Piece::Encoded(bytes) => out.extend_from_slice(bytes),
                Piece::Slot {
                    index,
                    space_before,
                } => {
                    let value = values.get(*index).copied().flatten();
                    let text = match (value, space_before) {
                        (Some(value), true) => format!(" {value}"),
                        (Some(value), false) => value.to_owned(),
                        (None, _) => continue,
                    };
                    // A value's own line breaks are encoded, never taken as the body's.
                    out.extend_from_slice(&encode(&text, InputMode::Binary));
                    out.extend_from_slice(b"=\r\n");
                }
            }
        }
        // Nothing follows the last soft line break: it goes (a strict reader takes a body that
        // ends with one for a cut message).
        while out.ends_with(b"=\r\n") {
            out.truncate(out.len() - 3);
        }
        QuotedPrintable(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    use crate::domain::email_template::NAME;

    const TOKEN: Slot = Slot {
        marker: "JALON-LINK-TOKEN",
        drops_space_before: false,
    };

    fn decoded(body: &QuotedPrintable) -> String {
        let bytes = quoted_printable::decode(body.as_bytes(), quoted_printable::ParseMode::Strict)
            .expect("valid quoted-printable");
        String::from_utf8(bytes).expect("UTF-8")
    }

    fn longest_line(body: &QuotedPrintable) -> usize {
        body.as_bytes()
            .split(|b| *b == b'\n')
            .map(|line| line.strip_suffix(b"\r").unwrap_or(line).len())
            .max()
            .unwrap_or(0)
    }

    /// What the slots filled by plain substitution give, CRLF line endings: the rule of
    /// `Slot::fill`, which fills the subject and the RGPD export.
    fn expected(body: &str, token: &str, name: Option<&str>) -> String {
        NAME.fill(&TOKEN.fill(&crlf(body), Some(token)), name)
    }

    #[test]
    fn slots_are_filled_and_the_rest_decodes_as_written() {
        let body =
            "Bonjour JALON-NAME,\n\nRépondez ici : https://x.fr/r/JALON-LINK-TOKEN\nÀ bientôt.";
        let encoded = EncodedBody::new(body, &[TOKEN, NAME]);
        let filled = encoded.fill(&[Some("tok_EN-1"), Some("Zoé Müller")]);
        assert_eq!(
            decoded(&filled),
            "Bonjour Zoé Müller,\r\n\r\nRépondez ici : https://x.fr/r/tok_EN-1\r\nÀ bientôt."
        );
        assert!(!String::from_utf8_lossy(filled.as_bytes()).contains('é'));
    }

    #[test]
    fn without_a_name_its_slot_and_the_space_before_it_go() {
        let encoded = EncodedBody::new("Bonjour JALON-NAME,\nAu revoir.", &[TOKEN, NAME]);
        assert_eq!(
            decoded(&encoded.fill(&[Some("t"), None])),
            "Bonjour,\r\nAu revoir."
        );
        let bare = EncodedBody::new("JALON-NAME, bonjour", &[TOKEN, NAME]);
        assert_eq!(decoded(&bare.fill(&[Some("t"), None])), ", bonjour");
    }

    #[test]
    fn a_value_is_never_read_as_a_slot_nor_as_a_line_break() {
        let encoded = EncodedBody::new("A JALON-NAME B JALON-LINK-TOKEN", &[TOKEN, NAME]);
        let filled = encoded.fill(&[Some("x"), Some("JALON-LINK-TOKEN\r\n.\r\nRCPT")]);
        assert_eq!(decoded(&filled), "A JALON-LINK-TOKEN\r\n.\r\nRCPT B x");
        // The value's line breaks are encoded: the message has no line of its own.
        assert!(!String::from_utf8_lossy(filled.as_bytes()).contains("\r\n.\r\n"));
    }

    #[test]
    fn a_body_without_slots_is_plain_quoted_printable() {
        let text = "Une ligne = un signe égal.\nEt une autre, avec une espace à la fin \n";
        let encoded = QuotedPrintable::encode(text);
        assert_eq!(decoded(&encoded), crlf(text));
    }

    proptest! {
        #[test]
        fn any_body_and_values_decode_to_the_filled_body_in_lines_of_76_at_most(
            parts in proptest::collection::vec(
                prop_oneof![
                    "[ -~àéèçôÀ€\t\n]{0,120}",
                    Just(" JALON-NAME".to_owned()),
                    Just("JALON-NAME".to_owned()),
                    Just("JALON-LINK-TOKEN".to_owned()),
                ],
                0..8,
            ),
            token in "[A-Za-z0-9_-]{1,90}",
            name in proptest::option::of("[ -~àéèçô€\t]{0,120}"),
        ) {
            let body: String = parts.concat();
            let filled = EncodedBody::new(&body, &[TOKEN, NAME]).fill(&[Some(&token), name.as_deref()]);
            prop_assert!(longest_line(&filled) <= 76, "{}", String::from_utf8_lossy(filled.as_bytes()));
            prop_assert!(filled.as_bytes().is_ascii());
            prop_assert_eq!(decoded(&filled), expected(&body, &token, name.as_deref()));
        }
    }
}
