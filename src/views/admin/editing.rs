//! Editing a questionnaire (its TOML in a plain textarea, errors at their lines, the changes
//! against the version in use, publishing) and its pilot (links, answers per question).

use maud::{Markup, Render, html};

use crate::domain::QuestionnaireCode;
use crate::domain::email_template::PLACEHOLDERS;
use crate::domain::pilot::PilotSummary;
use crate::domain::questionnaire::DefinitionError;
use crate::views::layout::{staff_page, table_scroll_named};

pub struct EditView<'a> {
    pub code: QuestionnaireCode,
    pub source: &'a str,
    /// The emails' TOML (the draft's, else those in use).
    pub emails: &'a str,
    /// A saved draft (else the version in use is shown).
    pub is_draft: bool,
    pub errors: &'a [DefinitionError],
    pub email_errors: &'a [DefinitionError],
    pub changes: &'a [String],
    pub refusals: &'a [String],
    pub notice: Option<&'a str>,
    pub csrf: &'a str,
}

/// The text of line `line` (1-based) of `source`, trimmed, for an error's context.
fn line_text(source: &str, line: usize) -> &str {
    source
        .lines()
        .nth(line.saturating_sub(1))
        .unwrap_or_default()
        .trim()
}

/// One textarea of the edit form, with its errors at their lines (and the text of each line).
struct TextField<'a> {
    id: &'a str,
    label: &'a str,
    help: Markup,
    text: &'a str,
    errors: &'a [DefinitionError],
    rows: u32,
}

impl Render for TextField<'_> {
    fn render(&self) -> Markup {
        let id = self.id;
        let has_errors = !self.errors.is_empty();
        let described = if has_errors {
            format!("{id}-aide {id}-erreurs")
        } else {
            format!("{id}-aide")
        };
        html! {
            div.question.has-error[has_errors] {
                label for=(id) { (self.label) }
                p.help id={(id) "-aide"} { (self.help) }
                @if has_errors {
                    ul.field-error id={(id) "-erreurs"} {
                        @for e in self.errors {
                            li {
                                "Ligne " (e.line) ", colonne " (e.column) " : " (e.message)
                                @let text = line_text(self.text, e.line);
                                @if !text.is_empty() {
                                    " — " code { (text) }
                                }
                            }
                        }
                    }
                }
                textarea id=(id) name=(id) rows=(self.rows) spellcheck="false"
                    aria-describedby=(described)
                    aria-invalid=[has_errors.then_some("true")] { (self.text) }
            }
        }
    }
}

pub fn edit_page(view: &EditView<'_>) -> Markup {
    let code = view.code;
    let base = format!("/admin/questionnaires/{code}");
    let error_count = view.errors.len() + view.email_errors.len();
    let has_errors = error_count > 0;
    let located = view
        .errors
        .iter()
        .map(|e| ("definition", "de la définition", e))
        .chain(
            view.email_errors
                .iter()
                .map(|e| ("messages", "des messages", e)),
        );
    staff_page(
        &format!("Modifier le questionnaire {code}"),
        html! {
            p.breadcrumb { a href="/admin/questionnaires" { "Questionnaires et messages" } }
            h1 { "Modifier le questionnaire " (code) }
            @if let Some(notice) = view.notice {
                p.notice role="status" { (notice) }
            }
            @if has_errors {
                div.error-summary role="alert" aria-labelledby="erreurs-titre" tabindex="-1" {
                    h2 #erreurs-titre { (error_count) " erreur(s) : le brouillon n’a pas été enregistré" }
                    ul {
                        @for (id, what, e) in located {
                            li {
                                a href={"#" (id)} { "Ligne " (e.line) ", colonne " (e.column) " " (what) " : " (e.message) }
                            }
                        }
                    }
                }
            }
            p.lead {
                @if view.is_draft || has_errors {
                    "Brouillon : les répondants voient toujours la version publiée tant qu’il n’est pas publié."
                } @else {
                    "Version publiée. Modifiez-la puis enregistrez-la : elle devient un brouillon, à tester puis publier."
                }
            }
            form method="post" action={(base) "/edition"} {
                input type="hidden" name="_csrf" value=(view.csrf);
                (TextField {
                    id: "definition",
                    label: "Définition du questionnaire (TOML, comme les fichiers du dossier questionnaires)",
                    help: html! { "Le format est décrit dans la documentation (« Questionnaire format »). Le code doit rester « " (code) " »." },
                    text: view.source,
                    errors: view.errors,
                    rows: 30,
                })
                (TextField {
                    id: "messages",
                    label: "Messages d’invitation et de relance (TOML, comme les fichiers du dossier questionnaires/emails)",
                    help: html! {
                        "Clés subject, body, reminder_subject, reminder_body. Variables : "
                        (PLACEHOLDERS.map(|p| format!("{{{p}}}")).join(", "))
                        " ; body et reminder_body doivent contenir {lien} et {desinscription}. Publiés avec la définition."
                    },
                    text: view.emails,
                    errors: view.email_errors,
                    rows: 20,
                })
                button.button.primary type="submit" { "Enregistrer le brouillon" }
            }
            @if view.is_draft && !has_errors {
                h2 { "Changements par rapport à la version publiée" }
                @if view.changes.is_empty() {
                    p { "Aucun changement." }
                } @else {
                    ul {
                        @for change in view.changes {
                            li { (change) }
                        }
                    }
                }
                h2 { "Essayer" }
                ul {
                    li { a href={(base) "/edition/apercu"} { "Aperçu du brouillon, tel que les répondants le verront" } }
                    li { a href={(base) "/edition/email"} { "Invitation du brouillon, avec des valeurs d’exemple" } }
                    li { a href={(base) "/edition/email?type=relance"} { "Relance du brouillon, avec des valeurs d’exemple" } }
                    li { a href={(base) "/pilote"} { "Test auprès d’un panel (liens pilotes, réponses)" } }
                }
                h2 { "Publier" }
                @if view.refusals.is_empty() {
                    p { "Le brouillon deviendra la version des nouvelles invitations et réponses, sur tous les serveurs en quelques secondes. Les réponses déjà données gardent leur version." }
                    form method="post" action={(base) "/publication"} {
                        input type="hidden" name="_csrf" value=(view.csrf);
                        button.button.primary type="submit" { "Publier le brouillon" }
                    }
                } @else {
                    div.error-summary role="region" aria-labelledby="refus-titre" {
                        h3 #refus-titre { "Publication impossible : elle changerait le sens de réponses déjà enregistrées" }
                        ul {
                            @for reason in view.refusals {
                                li { (reason) }
                            }
                        }
                    }
                }
            }
        },
    )
}

pub struct PilotView<'a> {
    pub code: QuestionnaireCode,
    pub summary: &'a PilotSummary,
    /// Links just made, in full (shown once).
    pub new_links: &'a [String],
    pub notice: Option<&'a str>,
    pub csrf: &'a str,
}

fn duration(seconds: i64) -> String {
    match (seconds / 60, seconds % 60) {
        (0, s) => format!("{s} s"),
        (m, 0) => format!("{m} min"),
        (m, s) => format!("{m} min {s} s"),
    }
}

pub fn pilot_page(view: &PilotView<'_>) -> Markup {
    let code = view.code;
    let base = format!("/admin/questionnaires/{code}");
    let summary = view.summary;
    staff_page(
        &format!("Test du questionnaire {code}"),
        html! {
            p.breadcrumb { a href={(base) "/edition"} { "Modifier le questionnaire " (code) } }
            h1 { "Test du questionnaire " (code) }
            @if let Some(notice) = view.notice {
                p.notice role="status" { (notice) }
            }
            p.lead {
                "Les réponses de test sont gardées à part : elles ne comptent dans aucun indicateur, taux de participation, ventilation ni export."
            }
            @if !view.new_links.is_empty() {
                h2 { "Liens créés" }
                p { "Copiez-les maintenant : ils ne seront plus affichés." }
                ul.links {
                    @for link in view.new_links {
                        li { code { (link) } }
                    }
                }
            }
            h2 { "Créer des liens de test" }
            form method="post" action={(base) "/pilote/liens"} {
                input type="hidden" name="_csrf" value=(view.csrf);
                div.question {
                    label for="pilote-nombre" { "Nombre de liens personnels (une réponse chacun, 200 au plus)" }
                    input #pilote-nombre type="number" name="nombre" min="1" max="200" value="5" required;
                }
                div.question {
                    input #pilote-ouvert type="checkbox" name="ouvert" value="1";
                    " "
                    label for="pilote-ouvert" { "Un seul lien ouvert à la place (autant de réponses que voulu)" }
                }
                button.button.primary type="submit" { "Créer les liens" }
            }
            h2 { "Réponses de test" }
            p {
                (summary.responses) " réponse(s)"
                @if let Some(median) = summary.median_seconds {
                    ", temps de réponse médian : " (duration(median))
                    " (" (summary.durations.len()) " mesuré(s))"
                }
                "."
            }
            @for question in &summary.questions {
                section.pilot-question aria-labelledby={"pilote-q-" (question.id)} {
                    h3 #{"pilote-q-" (question.id)} { (question.text) " " small { "(" (question.id) ")" } }
                    p { "Répondu : " (question.answered) " · laissé vide : " (question.blank) }
                    @if !question.options.is_empty() {
                        (table_scroll_named(&question.text, html! {
                            table {
                                thead { tr { th scope="col" { "Option" } th scope="col" { "Réponses" } } }
                                tbody {
                                    @for option in &question.options {
                                        tr { td { (option.label) } td { (option.count) } }
                                    }
                                }
                            }
                        }))
                    }
                    @if !question.written.is_empty() {
                        ul.comments {
                            @for text in &question.written {
                                li { (text) }
                            }
                        }
                    }
                }
            }
            h2 { "Effacer" }
            form method="post" action={(base) "/pilote/effacement"} {
                input type="hidden" name="_csrf" value=(view.csrf);
                button.button type="submit" { "Effacer les réponses et les liens de test" }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_in_minutes_and_seconds() {
        assert_eq!(duration(42), "42 s");
        assert_eq!(duration(120), "2 min");
        assert_eq!(duration(95), "1 min 35 s");
    }

    #[test]
    fn an_error_points_at_its_line() {
        assert_eq!(line_text("a\n  b = 1\n", 2), "b = 1");
        assert_eq!(line_text("a", 9), "");
    }
}
