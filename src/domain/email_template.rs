//! The invitation and reminder emails of a questionnaire, as staff write them next to the
//! questionnaire files, and their rendering for one person.

use serde::Deserialize;

use super::questionnaire::DefinitionError;

/// The placeholders a template may use; anything else in braces is an error at load.
pub const PLACEHOLDERS: [&str; 8] = [
    "nom",
    "entite",
    "titre",
    "duree",
    "lien",
    "desinscription",
    "date_cloture",
    "confidentialite",
];

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailTemplate {
    pub subject: String,
    pub body: String,
    pub reminder_subject: String,
    pub reminder_body: String,
}

/// A slot of a stored body: a marker that each email's own value replaces when it is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    pub marker: &'static str,
    /// Without a value, the marker goes and so does one space before it, if any: « Bonjour, »
    /// rather than « Bonjour , ».
    pub drops_space_before: bool,
}

impl Slot {
    /// `text` with this slot filled: the value as given (escaped beforehand for HTML), or,
    /// without one, as [`Slot::drops_space_before`] says.
    pub fn fill(&self, text: &str, value: Option<&str>) -> String {
        match value {
            Some(value) => text.replace(self.marker, value),
            None if self.drops_space_before => text
                .replace(&format!(" {}", self.marker), "")
                .replace(self.marker, ""),
            None => text.replace(self.marker, ""),
        }
    }
}

/// Where the bodies of an invitation or reminder, as queued, have the recipient's name: the
/// bodies are written once for every recipient of a batch who gets the same words, and each
/// email's name is filled in when it is sent, so that stored bodies name nobody.
pub const NAME: Slot = Slot {
    marker: "JALON-NAME",
    drops_space_before: true,
};

/// The values of the placeholders for one message.
#[derive(Debug, Clone, Default)]
pub struct EmailValues<'a> {
    pub name: Option<&'a str>,
    pub entity: &'a str,
    pub title: &'a str,
    pub minutes: u32,
    pub link: &'a str,
    pub unsubscribe: &'a str,
    pub closes_on: &'a str,
    /// The page saying what is kept about the respondent.
    pub privacy: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedEmail {
    pub subject: String,
    pub text: String,
    /// Paragraphs of the text, each a list of (fragment, is_link) for the HTML part.
    pub paragraphs: Vec<Vec<(String, bool)>>,
}

impl EmailTemplate {
    /// Reads and checks a template; each error is at its line and column: an unknown
    /// variable where it is written, a missing link at the start of its key.
    pub fn parse(source: &str) -> Result<Self, Vec<DefinitionError>> {
        let template: EmailTemplate = toml::from_str(source).map_err(|e| {
            vec![DefinitionError::at_offset(
                source,
                e.span().map_or(0, |s| s.start),
                format!("modèle de message invalide : {}", e.message().trim()),
            )]
        })?;
        let mut errors = Vec::new();
        for (key, text) in [
            ("subject", &template.subject),
            ("body", &template.body),
            ("reminder_subject", &template.reminder_subject),
            ("reminder_body", &template.reminder_body),
        ] {
            let at = key_offset(source, key).unwrap_or(0);
            for name in placeholders_in(text) {
                if !PLACEHOLDERS.contains(&name) {
                    // The first place it is written after its key (escapes in the TOML text
                    // may move it: then the key's own place).
                    let written = source[at..]
                        .find(&format!("{{{name}}}"))
                        .map_or(at, |found| at + found);
                    errors.push(DefinitionError::at_offset(
                        source,
                        written,
                        format!(
                            "{key} : variable inconnue {{{name}}} (connues : {})",
                            PLACEHOLDERS.map(|p| format!("{{{p}}}")).join(", ")
                        ),
                    ));
                }
            }
            if key.ends_with("body") {
                for required in ["lien", "desinscription"] {
                    if !placeholders_in(text).contains(&required) {
                        errors.push(DefinitionError::at_offset(
                            source,
                            at,
                            format!("{key} doit contenir {{{required}}}"),
                        ));
                    }
                }
            }
        }
        if errors.is_empty() {
            Ok(template)
        } else {
            Err(errors)
        }
    }

    /// What changes from `self` (the emails in use) to `other`, in French, one line per text.
    pub fn changes_to(&self, other: &EmailTemplate) -> Vec<String> {
        let mut changes = Vec::new();
        for (what, before, after) in [
            ("objet de l’invitation", &self.subject, &other.subject),
            (
                "objet de la relance",
                &self.reminder_subject,
                &other.reminder_subject,
            ),
        ] {
            if before != after {
                changes.push(format!("{what} : « {before} » devient « {after} »"));
            }
        }
        for (what, before, after) in [
            ("texte de l’invitation", &self.body, &other.body),
            (
                "texte de la relance",
                &self.reminder_body,
                &other.reminder_body,
            ),
        ] {
            if before != after {
                changes.push(format!("{what} modifié"));
            }
        }
        changes
    }

    pub fn render_invitation(&self, values: &EmailValues<'_>) -> RenderedEmail {
        render(&self.subject, &self.body, values)
    }

    pub fn render_reminder(&self, values: &EmailValues<'_>) -> RenderedEmail {
        render(&self.reminder_subject, &self.reminder_body, values)
    }
}

/// The byte offset of the line that sets `key` (`key =` at the start of a line, so that
/// `body` is not found inside `reminder_body`).
fn key_offset(source: &str, key: &str) -> Option<usize> {
    let mut offset = 0;
    for line in source.split_inclusive('\n') {
        let start = line.trim_start();
        if let Some(rest) = start.strip_prefix(key)
            && rest.trim_start().starts_with('=')
        {
            return Some(offset + (line.len() - start.len()));
        }
        offset += line.len();
    }
    None
}

fn placeholders_in(text: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end)
                if after[..end]
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'_') =>
            {
                found.push(&after[..end]);
                rest = &after[end + 1..];
            }
            _ => rest = after,
        }
    }
    found
}

fn substitute(text: &str, values: &EmailValues<'_>) -> Vec<(String, bool)> {
    let name = values.name.map(|n| format!(" {n}")).unwrap_or_default();
    let minutes = values.minutes.to_string();
    let mut out: Vec<(String, bool)> = Vec::new();
    let mut rest = text;
    let push_text = |out: &mut Vec<(String, bool)>, s: &str| {
        if s.is_empty() {
            return;
        }
        match out.last_mut() {
            Some((last, false)) => last.push_str(s),
            _ => out.push((s.to_owned(), false)),
        }
    };
    while let Some(start) = rest.find('{') {
        push_text(&mut out, &rest[..start]);
        let after = &rest[start + 1..];
        let Some(end) = after.find('}') else {
            push_text(&mut out, &rest[start..]);
            rest = "";
            break;
        };
        match &after[..end] {
            "nom" => push_text(&mut out, &name),
            "entite" => push_text(&mut out, values.entity),
            "titre" => push_text(&mut out, values.title),
            "duree" => push_text(&mut out, &minutes),
            "date_cloture" => push_text(&mut out, values.closes_on),
            "lien" => out.push((values.link.to_owned(), true)),
            "desinscription" => out.push((values.unsubscribe.to_owned(), true)),
            "confidentialite" => out.push((values.privacy.to_owned(), true)),
            _ => push_text(&mut out, &rest[start..start + end + 2]),
        }
        rest = &after[end + 1..];
    }
    push_text(&mut out, rest);
    out
}

fn render(subject: &str, body: &str, values: &EmailValues<'_>) -> RenderedEmail {
    let subject: String = substitute(subject, values)
        .into_iter()
        .map(|(s, _)| s)
        .collect::<String>()
        .replace('\n', " ");
    let paragraphs: Vec<Vec<(String, bool)>> = body
        .trim()
        .split("\n\n")
        .map(|p| substitute(p.trim(), values))
        .filter(|p| !p.is_empty())
        .collect();
    let text = paragraphs
        .iter()
        .map(|p| p.iter().map(|(s, _)| s.as_str()).collect::<String>())
        .collect::<Vec<_>>()
        .join("\n\n")
        + "\n";
    RenderedEmail {
        subject: subject.trim().to_owned(),
        text,
        paragraphs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_fills_its_slot_and_none_leaves_no_stray_space() {
        let values = EmailValues {
            name: Some(NAME.marker),
            ..EmailValues::default()
        };
        let template = EmailTemplate::parse(SOURCE).unwrap();
        let shared = template.render_invitation(&values).text;
        assert!(shared.starts_with("Bonjour JALON-NAME,"), "{shared}");
        assert!(
            NAME.fill(&shared, Some("Anne"))
                .starts_with("Bonjour Anne,")
        );
        assert!(NAME.fill(&shared, None).starts_with("Bonjour,"));
        // A name is inserted once, never read again as a slot.
        assert!(
            NAME.fill(&shared, Some("JALON-NAME x"))
                .starts_with("Bonjour JALON-NAME x,")
        );
        assert_eq!(NAME.fill("sans nom", Some("Anne")), "sans nom");
    }

    const SOURCE: &str = r#"subject = "Votre avis sur l’intervention de {entite}"
body = """
Bonjour{nom},

Répondez ici : {lien}
Cela prend {duree} minutes, jusqu’au {date_cloture}.

Se désinscrire : {desinscription}
"""
reminder_subject = "Rappel : {titre}"
reminder_body = """
Rappel{nom} : {lien}

{desinscription}
"""
"#;

    fn values() -> EmailValues<'static> {
        EmailValues {
            name: Some("Camille Martin"),
            entity: "Aract Bretagne",
            title: "Neuf mois après",
            minutes: 4,
            link: "https://x.example/r/TOKEN",
            unsubscribe: "https://x.example/desinscription/TOKEN",
            closes_on: "15 avril 2026",
            privacy: "https://x.example/confidentialite/i3.1",
        }
    }

    #[test]
    fn renders_every_placeholder_and_marks_links() {
        let template = EmailTemplate::parse(SOURCE).unwrap();
        let email = template.render_invitation(&values());
        assert_eq!(
            email.subject,
            "Votre avis sur l’intervention de Aract Bretagne"
        );
        assert_eq!(
            email.text,
            "Bonjour Camille Martin,\n\nRépondez ici : https://x.example/r/TOKEN\nCela prend 4 minutes, jusqu’au 15 avril 2026.\n\nSe désinscrire : https://x.example/desinscription/TOKEN\n"
        );
        assert_eq!(
            email.paragraphs[1][1],
            ("https://x.example/r/TOKEN".to_owned(), true)
        );
        let reminder = template.render_reminder(&EmailValues {
            name: None,
            ..values()
        });
        assert_eq!(reminder.subject, "Rappel : Neuf mois après");
        assert!(reminder.text.starts_with("Rappel : https://"));
    }

    #[test]
    fn unknown_placeholders_and_missing_links_are_errors_with_lines() {
        let bad = SOURCE
            .replace("{duree}", "{durée}{delai}")
            .replace("Rappel{nom} : {lien}", "Rappel{nom}");
        let errors = EmailTemplate::parse(&bad).unwrap_err();
        let messages: Vec<String> = errors
            .iter()
            .map(|e| format!("{}:{}: {}", e.line, e.column, e.message))
            .collect();
        assert!(
            messages
                .iter()
                .any(|m| m.starts_with("6:19: body : variable inconnue {delai}")),
            "{messages:?}"
        );
        assert!(
            messages
                .iter()
                .any(|m| m.starts_with("11:1: reminder_body doit contenir {lien}")),
            "{messages:?}"
        );
    }

    #[test]
    fn changes_name_each_text_that_changed() {
        let before = EmailTemplate::parse(SOURCE).unwrap();
        assert!(before.changes_to(&before).is_empty());
        let after = EmailTemplate::parse(
            &SOURCE
                .replace("Rappel : {titre}", "Dernier rappel : {titre}")
                .replace("Répondez ici", "Votre lien"),
        )
        .unwrap();
        assert_eq!(
            before.changes_to(&after),
            [
                "objet de la relance : « Rappel : {titre} » devient « Dernier rappel : {titre} »",
                "texte de l’invitation modifié",
            ]
        );
    }

    #[test]
    fn a_body_is_found_at_its_own_key_whatever_the_order() {
        let reordered = r#"reminder_body = """
{lien} {desinscription} {oups}
"""
subject = "s"
reminder_subject = "r"
body = "{lien}"
"#;
        let errors = EmailTemplate::parse(reordered).unwrap_err();
        let found: Vec<(usize, usize, &str)> = errors
            .iter()
            .map(|e| (e.line, e.column, e.message.as_str()))
            .collect();
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0], (6, 1, "body doit contenir {desinscription}"));
        assert_eq!((found[1].0, found[1].1), (2, 25));
        assert!(
            found[1]
                .2
                .starts_with("reminder_body : variable inconnue {oups}")
        );
    }

    #[test]
    fn unknown_keys_are_refused() {
        let errors = EmailTemplate::parse(&format!("{SOURCE}signature = \"x\"\n")).unwrap_err();
        assert!(errors[0].message.contains("signature"), "{errors:?}");
    }
}
