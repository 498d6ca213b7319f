//! The questionnaire as one accessible form (RGAA / WCAG 2.1 AA), usable without JavaScript.
//!
//! Each question is a component implementing `Render`: the respondent form and any staff
//! preview use the same markup.

use std::collections::HashMap;

use maud::{Markup, Render, html};

use super::layout::page;
use crate::domain::answers::{AnswerError, RawAnswers};
use crate::domain::questionnaire::{ChoiceOption, Question, QuestionKind, Questionnaire};

pub struct FormPage<'a> {
    pub questionnaire: &'a Questionnaire,
    /// Where the form posts.
    pub action: String,
    pub values: &'a RawAnswers,
    pub errors: &'a [AnswerError],
    /// Personal links can save a draft; open questionnaires cannot (nobody to restore it for).
    pub allow_draft: bool,
    pub notice: Option<&'a str>,
    /// Fields added at the end of the form (hidden fields, a honeypot).
    pub extra: Option<Markup>,
    /// The smallest group results are shown for, said to respondents of anonymous forms.
    pub anonymity_threshold: u64,
}

/// The id of the element a question's error links to: its input, or its first option.
pub fn anchor(question: &Question) -> String {
    if question.kind.has_options() {
        format!("q-{}-0", question.id)
    } else {
        format!("q-{}", question.id)
    }
}

impl FormPage<'_> {
    pub fn render(&self) -> Markup {
        let q = self.questionnaire;
        let numbers: HashMap<&str, usize> = q
            .questions()
            .enumerate()
            .map(|(i, question)| (question.id.as_str(), i + 1))
            .collect();
        let error_of = |id: &str| {
            self.errors
                .iter()
                .find(|e| e.question == id)
                .map(|e| e.message.as_str())
        };
        // The title is the first thing a screen reader announces on a new page: it carries
        // the outcome of the previous submission.
        let title = match (self.errors.is_empty(), self.notice) {
            (false, _) => format!("Erreur : {}", q.title),
            (true, Some(_)) => format!("Brouillon enregistré – {}", q.title),
            (true, None) => q.title.clone(),
        };
        page(
            &title,
            html! {
                h1 { (q.title) }
                @if let Some(notice) = self.notice {
                    div.notice role="status" { p { (notice) } }
                }
                @if !self.errors.is_empty() {
                    (ErrorSummary { questionnaire: q, numbers: &numbers, errors: self.errors })
                }
                div.introduction {
                    @for paragraph in q.introduction.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
                        p { (paragraph) }
                    }
                    p.duration { "Durée estimée : " (q.estimated_minutes) " minute" @if q.estimated_minutes > 1 { "s" } "." }
                    p.required-legend { "Les questions marquées « obligatoire » doivent être renseignées ; les autres sont facultatives." }
                    @if q.anonymous {
                        div.notice role="note" {
                            p {
                                strong { "Questionnaire anonyme." }
                                " Vos réponses ne sont reliées ni à votre nom, ni à votre lien, ni à l’heure de votre envoi. Elles ne sont comptées qu’avec celles d’au moins "
                                (self.anonymity_threshold) " personnes, toutes ensemble."
                            }
                        }
                    }
                    p {
                        a href=(format!("/confidentialite/{}", q.code)) {
                            @if q.anonymous { "Comment votre anonymat est garanti" } @else { "Vos données : ce que nous conservons et pourquoi" }
                        }
                    }
                }
                form method="post" action=(self.action) novalidate accept-charset="utf-8" {
                    @for section in &q.sections {
                        section.form-section aria-labelledby=(format!("section-{}", section.id)) {
                            h2 id=(format!("section-{}", section.id)) { (section.title) }
                            @if let Some(description) = &section.description {
                                p.section-description { (description) }
                            }
                            @for question in &section.questions {
                                (QuestionField {
                                    question,
                                    number: numbers.get(question.id.as_str()).copied().unwrap_or(0),
                                    values: self.values.values(&question.id),
                                    error: error_of(&question.id),
                                    condition: question.condition.as_ref().and_then(|c| {
                                        let parent = q.question(&c.question)?;
                                        let label = parent.kind.options().into_iter().find(|o| o.value == c.equals)?.label;
                                        Some(format!(
                                            "À remplir seulement si vous avez répondu « {label} » à la question {}.",
                                            numbers.get(parent.id.as_str()).copied().unwrap_or(0)
                                        ))
                                    }),
                                })
                            }
                        }
                    }
                    @if let Some(extra) = &self.extra {
                        (extra)
                    }
                    div.form-actions {
                        button.button.primary type="submit" name="_action" value="submit" { "Envoyer mes réponses" }
                        @if self.allow_draft {
                            button.button.secondary type="submit" name="_action" value="draft" {
                                "Enregistrer le brouillon"
                            }
                            p.hint { "Le brouillon est conservé : en revenant plus tard par le même lien, vous retrouverez vos réponses." }
                        }
                    }
                }
            },
        )
    }
}

struct ErrorSummary<'a> {
    questionnaire: &'a Questionnaire,
    numbers: &'a HashMap<&'a str, usize>,
    errors: &'a [AnswerError],
}

impl Render for ErrorSummary<'_> {
    fn render(&self) -> Markup {
        let count = self.errors.len();
        html! {
            div.error-summary role="alert" aria-labelledby="resume-erreurs" tabindex="-1" {
                h2 #resume-erreurs {
                    @if count == 1 { "Une réponse est à corriger" } @else { (count) " réponses sont à corriger" }
                }
                ul {
                    @for error in self.errors {
                        @let target = self.questionnaire.question(&error.question);
                        li {
                            @if let Some(question) = target {
                                a href=(format!("#{}", anchor(question))) {
                                    "Question " (self.numbers.get(question.id.as_str()).copied().unwrap_or(0))
                                    " – " (question.text.trim_end_matches(['.', '?', ' ', '\u{a0}']))
                                    " : " (error.message)
                                }
                            } @else {
                                (error.message)
                            }
                        }
                    }
                }
            }
        }
    }
}

/// One question with its label or legend, hint, error message and inputs.
pub struct QuestionField<'a> {
    pub question: &'a Question,
    pub number: usize,
    pub values: &'a [String],
    pub error: Option<&'a str>,
    pub condition: Option<String>,
}

impl QuestionField<'_> {
    fn ids(&self) -> (String, String, String, String) {
        let id = &self.question.id;
        (
            format!("q-{id}-aide"),
            format!("q-{id}-erreur"),
            format!("q-{id}-condition"),
            format!("q-{id}-format"),
        )
    }

    /// The constraint a person must respect, said before the field rather than after.
    fn format_hint(&self) -> Option<String> {
        match &self.question.kind {
            QuestionKind::Text { max_length, .. } => {
                Some(format!("{max_length} caractères au maximum."))
            }
            QuestionKind::Number { min, max, .. } => {
                Some(format!("Nombre entier entre {min} et {max}."))
            }
            QuestionKind::MultipleChoice {
                max_choices: Some(max),
                ..
            } => Some(format!("Au plus {max} réponses.")),
            QuestionKind::Rating {
                min,
                max,
                min_label: Some(low),
                max_label: Some(high),
                ..
            } => Some(format!("{min} = {low}, {max} = {high}.")),
            _ => None,
        }
    }

    fn described_by(&self) -> Option<String> {
        let (help_id, error_id, condition_id, format_id) = self.ids();
        let parts: Vec<String> = [
            self.condition.as_ref().map(|_| condition_id),
            self.question.help.as_ref().map(|_| help_id),
            self.format_hint().map(|_| format_id),
            self.error.map(|_| error_id),
        ]
        .into_iter()
        .flatten()
        .collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    }

    fn label_text(&self) -> Markup {
        html! {
            span.number { (self.number) ". " }
            (self.question.text)
            @if self.question.required {
                " " span.required { "(obligatoire)" }
            }
        }
    }

    fn hints(&self) -> Markup {
        let (help_id, error_id, condition_id, format_id) = self.ids();
        html! {
            @if let Some(condition) = &self.condition {
                p.hint.condition id=(condition_id) { (condition) }
            }
            @if let Some(help) = &self.question.help {
                p.hint id=(help_id) { (help) }
            }
            @if let Some(format) = self.format_hint() {
                p.hint id=(format_id) { (format) }
            }
            @if let Some(error) = self.error {
                p.error-message id=(error_id) {
                    span.visually-hidden { "Erreur : " }
                    (error)
                }
            }
        }
    }

    fn choices(&self, options: &[ChoiceOption], input_type: &str) -> Markup {
        let id = &self.question.id;
        html! {
            fieldset.question.choices
                .has-error[self.error.is_some()]
                .likert[matches!(self.question.kind, QuestionKind::Likert(_) | QuestionKind::Rating { .. })]
                aria-describedby=[self.described_by()] {
                legend { (self.label_text()) }
                (self.hints())
                div.options {
                    @for (i, option) in options.iter().enumerate() {
                        @let input_id = format!("q-{id}-{i}");
                        div.option {
                            input type=(input_type) id=(input_id) name=(id) value=(option.value)
                                checked[self.values.contains(&option.value)];
                            label for=(input_id) { (option.label) }
                        }
                    }
                }
            }
        }
    }
}

impl Render for QuestionField<'_> {
    fn render(&self) -> Markup {
        let id = &self.question.id;
        let input_id = format!("q-{id}");
        let current = self.values.first().map(String::as_str).unwrap_or("");
        match &self.question.kind {
            QuestionKind::SingleChoice { options } => self.choices(options, "radio"),
            QuestionKind::Likert(scale) => self.choices(&scale.options, "radio"),
            QuestionKind::MultipleChoice {
                options,
                max_choices,
            } => html! {
                (self.choices(options, "checkbox"))
                @if let Some(max) = max_choices {
                    p.hint.after { "Au plus " (max) " réponses." }
                }
            },
            QuestionKind::Rating { .. } => self.choices(&self.question.kind.options(), "radio"),
            QuestionKind::Text {
                max_length,
                multiline,
            } => html! {
                div.question.text-field.has-error[self.error.is_some()] {
                    label for=(input_id) { (self.label_text()) }
                    (self.hints())
                    @if *multiline {
                        textarea id=(input_id) name=(id) rows="5" maxlength=(max_length)
                            aria-describedby=[self.described_by()]
                            aria-invalid=[self.error.map(|_| "true")] { (current) }
                    } @else {
                        input type="text" id=(input_id) name=(id) value=(current) maxlength=(max_length)
                            aria-describedby=[self.described_by()]
                            aria-invalid=[self.error.map(|_| "true")];
                    }
                }
            },
            QuestionKind::Number { unit, .. } => html! {
                div.question.number-field.has-error[self.error.is_some()] {
                    label for=(input_id) {
                        (self.label_text())
                        @if let Some(unit) = unit { " (" (unit) ")" }
                    }
                    (self.hints())
                    input type="text" inputmode="numeric" id=(input_id) name=(id) value=(current)
                        size="10" autocomplete="off"
                        aria-describedby=[self.described_by()]
                        aria-invalid=[self.error.map(|_| "true")];
                }
            },
        }
    }
}

/// The extra fields of an open questionnaire's form: the rated resource, if any, and a
/// honeypot, hidden from people (and assistive technologies) but not from robots that fill
/// every field they find.
pub fn open_form_fields(resource: Option<&str>) -> Markup {
    html! {
        @if let Some(resource) = resource {
            input type="hidden" name="_resource" value=(resource);
        }
        div hidden {
            label for="q-site-web" { "Ne remplissez pas ce champ" }
            input type="text" id="q-site-web" name="_website" autocomplete="off" tabindex="-1";
        }
    }
}
