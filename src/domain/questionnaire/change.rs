//! What publishing a draft would change, and the changes refused because they would
//! reinterpret answers already given.
//!
//! Stored answers are read against the version they were given with (`store::versions`), so
//! most edits are safe. What is not: a question id that comes to mean something else (its
//! type, its scale, an option with answers gone, an old id given to a new question), and the
//! favourable options moving while a campaign runs (one campaign's rate would mix two
//! definitions). Each refusal says what to do instead.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use super::{DefinitionError, Question, QuestionKind, Questionnaire, parse_questionnaire};
use crate::domain::QuestionnaireCode;

/// One difference between the published definition and a draft, for staff to review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    QuestionAdded {
        id: String,
        text: String,
    },
    QuestionRemoved {
        id: String,
        text: String,
    },
    QuestionReworded {
        id: String,
        before: String,
        after: String,
    },
    KindChanged {
        id: String,
        before: &'static str,
        after: &'static str,
    },
    OptionAdded {
        question: String,
        value: String,
        label: String,
    },
    OptionRemoved {
        question: String,
        value: String,
        label: String,
    },
    OptionRelabelled {
        question: String,
        value: String,
        before: String,
        after: String,
    },
    /// The ordered option values of a Likert question, or a rating's range.
    ScaleChanged {
        question: String,
    },
    /// Which options are favourable or not applicable.
    FavourableChanged {
        question: String,
        before: Vec<String>,
        after: Vec<String>,
    },
    /// Title, introduction, settings, sections, help texts, conditions, attributes…
    OtherChanged {
        what: &'static str,
    },
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::QuestionAdded { id, text } => write!(f, "question ajoutée « {id} » : {text}"),
            Change::QuestionRemoved { id, text } => {
                write!(f, "question retirée « {id} » : {text}")
            }
            Change::QuestionReworded { id, before, after } => {
                write!(
                    f,
                    "question « {id} » reformulée : « {before} » → « {after} »"
                )
            }
            Change::KindChanged { id, before, after } => {
                write!(f, "question « {id} » : type {before} → {after}")
            }
            Change::OptionAdded {
                question,
                value,
                label,
            } => write!(
                f,
                "question « {question} » : option ajoutée « {value} » ({label})"
            ),
            Change::OptionRemoved {
                question,
                value,
                label,
            } => write!(
                f,
                "question « {question} » : option retirée « {value} » ({label})"
            ),
            Change::OptionRelabelled {
                question,
                value,
                before,
                after,
            } => write!(
                f,
                "question « {question} » : option « {value} » renommée « {before} » → « {after} »"
            ),
            Change::ScaleChanged { question } => {
                write!(f, "question « {question} » : échelle modifiée")
            }
            Change::FavourableChanged {
                question,
                before,
                after,
            } => write!(
                f,
                "question « {question} » : valeurs favorables [{}] → [{}]",
                before.join(", "),
                after.join(", ")
            ),
            Change::OtherChanged { what } => write!(f, "{what} modifié"),
        }
    }
}

/// The differences from `published` to `draft`, questions in the draft's order (removed
/// ones last), then the other parts of the definition.
pub fn diff(published: &Questionnaire, draft: &Questionnaire) -> Vec<Change> {
    let mut changes = Vec::new();
    for new in draft.questions() {
        match published.question(&new.id) {
            None => changes.push(Change::QuestionAdded {
                id: new.id.clone(),
                text: new.text.clone(),
            }),
            Some(old) => question_diff(old, new, &mut changes),
        }
    }
    for old in published.questions() {
        if draft.question(&old.id).is_none() {
            changes.push(Change::QuestionRemoved {
                id: old.id.clone(),
                text: old.text.clone(),
            });
        }
    }
    let others: [(&'static str, bool); 9] = [
        ("titre", published.title != draft.title),
        (
            "texte d'introduction",
            published.introduction != draft.introduction,
        ),
        (
            "durée estimée",
            published.estimated_minutes != draft.estimated_minutes,
        ),
        ("réglage anonymous", published.anonymous != draft.anonymous),
        ("réglage open", published.open != draft.open),
        ("message de remerciement", published.thanks != draft.thanks),
        ("calendrier d'envoi", published.schedule != draft.schedule),
        (
            "attributs de ventilation",
            published.attributes != draft.attributes,
        ),
        (
            "sections",
            sections_outline(published) != sections_outline(draft),
        ),
    ];
    changes.extend(
        others
            .into_iter()
            .filter(|(_, changed)| *changed)
            .map(|(what, _)| Change::OtherChanged { what }),
    );
    let details = |q: &Questionnaire| -> Vec<(String, Option<String>, bool, bool)> {
        q.questions()
            .map(|q| {
                (
                    q.id.clone(),
                    q.help.clone(),
                    q.required,
                    q.condition.is_some(),
                )
            })
            .collect()
    };
    let common_details = |q: &Questionnaire| -> Vec<(String, Option<String>, bool, bool)> {
        details(q)
            .into_iter()
            .filter(|(id, ..)| published.question(id).is_some() && draft.question(id).is_some())
            .collect()
    };
    if common_details(published) != common_details(draft) {
        changes.push(Change::OtherChanged {
            what: "aide, caractère obligatoire ou condition d'une question",
        });
    }
    changes
}

/// Sections with their titles, descriptions and question ids, in order.
fn sections_outline(q: &Questionnaire) -> Vec<(&str, &str, Option<&str>, Vec<&str>)> {
    q.sections
        .iter()
        .map(|s| {
            (
                s.id.as_str(),
                s.title.as_str(),
                s.description.as_deref(),
                s.questions.iter().map(|q| q.id.as_str()).collect(),
            )
        })
        .collect()
}

fn question_diff(old: &Question, new: &Question, changes: &mut Vec<Change>) {
    let id = || new.id.clone();
    if old.text != new.text {
        changes.push(Change::QuestionReworded {
            id: id(),
            before: old.text.clone(),
            after: new.text.clone(),
        });
    }
    if old.kind.type_name() != new.kind.type_name() {
        changes.push(Change::KindChanged {
            id: id(),
            before: old.kind.type_name(),
            after: new.kind.type_name(),
        });
        return;
    }
    if scale_changed(&old.kind, &new.kind) {
        changes.push(Change::ScaleChanged { question: id() });
    }
    let old_options = old.kind.options();
    let new_options = new.kind.options();
    if !matches!(new.kind, QuestionKind::Rating { .. }) {
        for option in &new_options {
            match old_options.iter().find(|o| o.value == option.value) {
                None => changes.push(Change::OptionAdded {
                    question: id(),
                    value: option.value.clone(),
                    label: option.label.clone(),
                }),
                Some(before) if before.label != option.label => {
                    changes.push(Change::OptionRelabelled {
                        question: id(),
                        value: option.value.clone(),
                        before: before.label.clone(),
                        after: option.label.clone(),
                    });
                }
                Some(_) => {}
            }
        }
        for option in &old_options {
            if !new_options.iter().any(|o| o.value == option.value) {
                changes.push(Change::OptionRemoved {
                    question: id(),
                    value: option.value.clone(),
                    label: option.label.clone(),
                });
            }
        }
    }
    if counting_changed(&old.kind, &new.kind) {
        changes.push(Change::FavourableChanged {
            question: id(),
            before: old.kind.favorable().to_vec(),
            after: new.kind.favorable().to_vec(),
        });
    }
}

/// A Likert question's ordered values, or a rating's range: what an ordinal answer is read
/// against. (Same type assumed.)
fn scale_changed(old: &QuestionKind, new: &QuestionKind) -> bool {
    match (old, new) {
        (QuestionKind::Likert(a), QuestionKind::Likert(b)) => {
            let values = |s: &super::Scale| -> Vec<String> {
                s.options.iter().map(|o| o.value.clone()).collect()
            };
            values(a) != values(b)
        }
        (
            QuestionKind::Rating {
                min: a_min,
                max: a_max,
                ..
            },
            QuestionKind::Rating {
                min: b_min,
                max: b_max,
                ..
            },
        ) => (a_min, a_max) != (b_min, b_max),
        _ => false,
    }
}

/// Whether the options counted as favourable, or left out as not applicable, differ: the
/// same answer would weigh differently in a rate.
fn counting_changed(old: &QuestionKind, new: &QuestionKind) -> bool {
    let set = |values: &[String]| values.iter().cloned().collect::<BTreeSet<_>>();
    set(old.favorable()) != set(new.favorable())
        || set(old.not_applicable()) != set(new.not_applicable())
}

/// What the database knows that decides whether a draft may be published.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PublishContext {
    /// The option values that have at least one stored answer, by question id (every
    /// campaign, every version).
    pub answered: BTreeMap<String, BTreeSet<String>>,
    /// A campaign (or wave) of this questionnaire still accepts answers.
    pub campaign_open: bool,
    /// Every question of every earlier version, by id (the latest definition of each).
    pub past_questions: BTreeMap<String, Question>,
}

impl PublishContext {
    fn has_answers(&self, question: &str) -> bool {
        self.answered.get(question).is_some_and(|v| !v.is_empty())
    }
}

/// A change that would reinterpret stored answers, with what to do instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    OptionWithAnswersRemoved {
        question: String,
        value: String,
    },
    KindChanged {
        question: String,
        before: &'static str,
        after: &'static str,
    },
    ScaleChanged {
        question: String,
    },
    FavourableChangedDuringCampaign {
        question: String,
    },
    QuestionIdReused {
        question: String,
    },
    AnonymousDuringOpenCampaign,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::OptionWithAnswersRemoved { question, value } => write!(
                f,
                "question « {question} » : l'option « {value} » a déjà des réponses et ne peut pas être retirée. Gardez-la (son libellé peut changer), ou posez la question sous un nouvel identifiant."
            ),
            Refusal::KindChanged {
                question,
                before,
                after,
            } => write!(
                f,
                "question « {question} » : son type ne peut pas passer de {before} à {after}, des réponses y sont déjà enregistrées. Créez une nouvelle question avec un nouvel identifiant et retirez celle-ci."
            ),
            Refusal::ScaleChanged { question } => write!(
                f,
                "question « {question} » : son échelle ne peut pas changer, des réponses y sont déjà enregistrées. Créez une nouvelle question avec un nouvel identifiant et retirez celle-ci."
            ),
            Refusal::FavourableChangedDuringCampaign { question } => write!(
                f,
                "question « {question} » : les valeurs favorables (ou non applicables) ne peuvent pas changer pendant qu'une campagne de ce questionnaire est ouverte. Attendez la clôture de la campagne pour publier."
            ),
            Refusal::QuestionIdReused { question } => write!(
                f,
                "l'identifiant « {question} » a déjà servi à une autre question dans une version précédente. Choisissez un nouvel identifiant."
            ),
            Refusal::AnonymousDuringOpenCampaign => f.write_str(
                "un questionnaire anonyme ne peut pas être publié pendant qu'une vague est ouverte : les réponses d'une vague doivent toutes avoir la même version. Attendez la clôture de la vague pour publier.",
            ),
        }
    }
}

/// The changes from `published` (none for a questionnaire never published) to `draft` that
/// would reinterpret stored answers. Empty: the draft may be published.
pub fn refusals(
    published: Option<&Questionnaire>,
    draft: &Questionnaire,
    context: &PublishContext,
) -> Vec<Refusal> {
    let mut refused = Vec::new();
    if context.campaign_open
        && (draft.anonymous || published.is_some_and(|p| p.anonymous))
        && published != Some(draft)
    {
        refused.push(Refusal::AnonymousDuringOpenCampaign);
    }
    for new in draft.questions() {
        let question = || new.id.clone();
        let old = match published.and_then(|p| p.question(&new.id)) {
            Some(old) => old,
            None => {
                // An id of an earlier version, back with another meaning.
                if let Some(past) = context.past_questions.get(&new.id)
                    && (past.text != new.text
                        || past.kind.type_name() != new.kind.type_name()
                        || scale_changed(&past.kind, &new.kind))
                {
                    refused.push(Refusal::QuestionIdReused {
                        question: question(),
                    });
                }
                continue;
            }
        };
        let answered = context.has_answers(&new.id);
        if old.kind.type_name() != new.kind.type_name() {
            if answered {
                refused.push(Refusal::KindChanged {
                    question: question(),
                    before: old.kind.type_name(),
                    after: new.kind.type_name(),
                });
            }
            continue;
        }
        if answered && scale_changed(&old.kind, &new.kind) {
            refused.push(Refusal::ScaleChanged {
                question: question(),
            });
        } else if let Some(values) = context.answered.get(&new.id) {
            for value in values {
                if old.kind.has_option(value) && !new.kind.has_option(value) {
                    refused.push(Refusal::OptionWithAnswersRemoved {
                        question: question(),
                        value: value.clone(),
                    });
                }
            }
        }
        if context.campaign_open && counting_changed(&old.kind, &new.kind) {
            refused.push(Refusal::FavourableChangedDuringCampaign {
                question: question(),
            });
        }
    }
    refused
}

/// A draft of the questionnaire `code`: a definition like the files', whose code must be
/// `code` (a draft cannot become another questionnaire).
pub fn parse_draft(
    source: &str,
    code: QuestionnaireCode,
) -> Result<Questionnaire, Vec<DefinitionError>> {
    let questionnaire = parse_questionnaire(source)?;
    if questionnaire.code != code {
        let offset = code_offset(source);
        return Err(vec![DefinitionError::at_offset(
            source,
            offset,
            format!(
                "le code « {} » n'est pas celui de ce questionnaire : attendu « {code} »",
                questionnaire.code
            ),
        )]);
    }
    Ok(questionnaire)
}

/// Where the top-level `code = …` line starts (0 if not found).
fn code_offset(source: &str) -> usize {
    let mut offset = 0;
    for line in source.split_inclusive('\n') {
        let trimmed = line.trim_start();
        if let Some(rest) = trimmed.strip_prefix("code")
            && rest.trim_start().starts_with('=')
        {
            return offset + (line.len() - trimmed.len());
        }
        if trimmed.starts_with('[') {
            break;
        }
        offset += line.len();
    }
    0
}

#[cfg(test)]
mod tests;
