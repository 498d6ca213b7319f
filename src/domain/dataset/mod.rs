//! A campaign's responses as statisticians read them: one row per response, one variable per
//! question id across every version answered (one 0/1 variable per option of a multiple
//! choice), with labels, codes, measurement levels and user-missing codes.
//!
//! This is the one description the SPSS, R, Triple-S writers and the codebook turn into bytes
//! (`crate::stats`): a code means the same in each of them because it is decided here, once.
//! Pure: definitions and stored answers in, a [`Dataset`] out.

mod names;

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::Serialize;
use uuid::Uuid;

use super::answers::{AnswerValue, ValidAnswers, is_visible};
use super::questionnaire::{Question, QuestionKind, Questionnaire};
use super::results::Versions;

pub use names::{NameBook, variable_name};

/// Why a numeric answer is missing. Each reason has its own user-missing code, so that a
/// statistician can tell "this does not apply to me" from "this was never asked".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Missing {
    /// The respondent picked a "not applicable" option (« Non concerné·e »).
    NotApplicable,
    /// The question's condition was not met: it was not shown.
    NotShown,
    /// Shown, not answered (an optional question).
    NoAnswer,
    /// The version of the questionnaire this response answered has no such question.
    NotInVersion,
}

impl Missing {
    pub const ALL: [Missing; 4] = [
        Self::NotApplicable,
        Self::NotShown,
        Self::NoAnswer,
        Self::NotInVersion,
    ];

    /// How far below the variable's floor the code lies: -1 to -4 for coded questions.
    fn offset(self) -> i64 {
        match self {
            Self::NotApplicable => 1,
            Self::NotShown => 2,
            Self::NoAnswer => 3,
            Self::NotInVersion => 4,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::NotApplicable => "Non concerné·e",
            Self::NotShown => "Non posée (condition non remplie)",
            Self::NoAnswer => "Sans réponse",
            Self::NotInVersion => "Absente de la version du questionnaire",
        }
    }
}

/// How values are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Storage {
    /// Integers: codes, 0/1, numbers typed.
    Number,
    /// UTF-8 text, `width` bytes at most (at least 1).
    Text { width: usize },
    /// A calendar day.
    Date,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Measure {
    Nominal,
    Ordinal,
    Scale,
}

impl Measure {
    pub fn french(self) -> &'static str {
        match self {
            Self::Nominal => "nominale",
            Self::Ordinal => "ordinale",
            Self::Scale => "échelle (quantitative)",
        }
    }
}

/// Where a variable comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Source {
    Response,
    Date,
    Version,
    Attribute {
        key: String,
    },
    /// A question answered with one value (`kind`: its type name in the definition file).
    Question {
        id: String,
        kind: String,
    },
    /// One option of a multiple choice: 1 if ticked, 0 if not.
    Option {
        question: String,
        value: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Variable {
    /// Valid for SPSS, R and Triple-S: ASCII letter first, then letters, digits and `_`,
    /// at most 64 bytes, unique regardless of case.
    pub name: String,
    pub label: String,
    pub source: Source,
    pub storage: Storage,
    pub measure: Measure,
    /// Valid codes and their labels, in the order of the scale.
    pub values: Vec<(i64, String)>,
    /// User-missing codes and why.
    pub missing: Vec<(i64, Missing)>,
    /// The versions (their codes in the `version` variable) whose questionnaire asks it;
    /// empty for variables every response has.
    pub versions: Vec<i64>,
}

impl Variable {
    /// The label of a code, valid or missing.
    pub fn value_label(&self, code: i64) -> Option<&str> {
        self.values
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, l)| l.as_str())
            .or_else(|| {
                self.missing
                    .iter()
                    .find(|(c, _)| *c == code)
                    .map(|(_, m)| m.label())
            })
    }

    /// Every labelled code: the valid ones, then the missing ones.
    pub fn labelled_codes(&self) -> Vec<(i64, &str)> {
        self.values
            .iter()
            .map(|(c, l)| (*c, l.as_str()))
            .chain(self.missing.iter().map(|(c, m)| (*c, m.label())))
            .collect()
    }

    pub fn code_of(&self, missing: Missing) -> Option<i64> {
        self.missing
            .iter()
            .find(|(_, m)| *m == missing)
            .map(|(c, _)| *c)
    }
}

/// A multiple choice: its 0/1 variables, counted value 1 (an SPSS multiple dichotomy set).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MultipleSet {
    /// `$` and the question's variable name.
    pub name: String,
    pub label: String,
    /// Indexes into [`Dataset::variables`].
    pub variables: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Cell {
    Number(i64),
    Text(String),
    Date(NaiveDate),
    /// No value: an unanswered text, an attribute the response does not have.
    Empty,
}

/// A questionnaire version answered, as the `version` variable codes it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VersionCode {
    pub code: i64,
    /// The SHA-256 of the definition file.
    pub id: String,
    pub current: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dataset {
    pub title: String,
    pub questionnaire: String,
    pub campaign: String,
    pub variables: Vec<Variable>,
    pub sets: Vec<MultipleSet>,
    pub versions: Vec<VersionCode>,
    /// One per response, one cell per variable.
    pub rows: Vec<Vec<Cell>>,
}

impl Dataset {
    pub fn variable(&self, name: &str) -> Option<(usize, &Variable)> {
        self.variables
            .iter()
            .enumerate()
            .find(|(_, v)| v.name == name)
    }
}

/// One stored response, as the store reads it.
#[derive(Debug, Clone, Copy)]
pub struct ResponseRecord<'a> {
    pub id: Uuid,
    pub version: &'a str,
    pub submitted_on: NaiveDate,
    /// `(question, values in position order)`.
    pub answers: &'a [(String, Vec<String>)],
    pub attributes: &'a [(String, String)],
}

/// The code of a question's values across versions: each option value once, in the order
/// of the newest version that has it, then those only older versions have.
struct Coding {
    /// The question as its newest version asks it.
    question: Question,
    /// option value → code (choices, likert: 1, 2…; rating: the integer itself).
    codes: HashMap<String, i64>,
    values: Vec<(i64, String)>,
    not_applicable: HashMap<String, ()>,
    options: Vec<(String, String)>,
    floor: i64,
    /// Version codes asking it.
    versions: Vec<i64>,
    conditional: bool,
}

/// Labels of the 0/1 variables of a multiple choice's options.
pub const TICKED: [(i64, &str); 2] = [(0, "Non cochée"), (1, "Cochée")];

/// Builds the dataset of one campaign. `versions`: every definition the responses answered
/// (the current one first); `attributes`: the breakdown keys to keep and their labels.
pub fn build(
    versions: &Versions,
    campaign: &str,
    attributes: &[(String, String)],
    responses: &[ResponseRecord<'_>],
) -> Dataset {
    let ordered = versions.ordered();
    let current = versions.current();
    let version_codes: Vec<VersionCode> = ordered
        .iter()
        .enumerate()
        .map(|(i, (id, _))| VersionCode {
            code: i as i64 + 1,
            id: (*id).to_owned(),
            current: i == 0 && current.is_some_and(|c| std::ptr::eq(c, ordered[0].1)),
        })
        .collect();
    let code_of_version: HashMap<&str, i64> = version_codes
        .iter()
        .map(|v| (v.id.as_str(), v.code))
        .collect();

    // Questions in the current order, then those only older versions asked.
    let mut codings: Vec<Coding> = Vec::new();
    for (index, (_, definition)) in ordered.iter().enumerate() {
        let version = index as i64 + 1;
        for q in definition.questions() {
            match codings.iter_mut().find(|c| c.question.id == q.id) {
                Some(coding) => coding.add_version(version, q),
                None => codings.push(Coding::new(version, q)),
            }
        }
    }

    let mut book = NameBook::default();
    let mut variables: Vec<Variable> = Vec::new();
    let mut sets: Vec<MultipleSet> = Vec::new();
    let every = Vec::new();
    variables.push(Variable {
        name: book.claim("reponse"),
        label: "Identifiant de la réponse".into(),
        source: Source::Response,
        storage: Storage::Text { width: 36 },
        measure: Measure::Nominal,
        values: Vec::new(),
        missing: Vec::new(),
        versions: every.clone(),
    });
    variables.push(Variable {
        name: book.claim("date_reponse"),
        label: "Date de la réponse".into(),
        source: Source::Date,
        storage: Storage::Date,
        measure: Measure::Scale,
        values: Vec::new(),
        missing: Vec::new(),
        versions: every.clone(),
    });
    variables.push(Variable {
        name: book.claim("version"),
        label: "Version du questionnaire".into(),
        source: Source::Version,
        storage: Storage::Number,
        measure: Measure::Nominal,
        values: version_codes
            .iter()
            .map(|v| {
                let short: String = v.id.chars().take(12).collect();
                let label = if v.current {
                    format!("{short} (actuelle)")
                } else {
                    short
                };
                (v.code, label)
            })
            .collect(),
        missing: Vec::new(),
        versions: every.clone(),
    });
    for (key, label) in attributes {
        variables.push(Variable {
            name: book.claim(key),
            label: label.clone(),
            source: Source::Attribute { key: key.clone() },
            storage: Storage::Text { width: 1 },
            measure: Measure::Nominal,
            values: Vec::new(),
            missing: Vec::new(),
            versions: every.clone(),
        });
    }
    let all_versions = version_codes.len();
    for coding in &codings {
        let q = &coding.question;
        let asked_everywhere = coding.versions.len() == all_versions;
        let missing_reasons: Vec<Missing> = Missing::ALL
            .into_iter()
            .filter(|m| match m {
                Missing::NotApplicable => !coding.not_applicable.is_empty(),
                Missing::NotShown => coding.conditional,
                Missing::NoAnswer => true,
                Missing::NotInVersion => !asked_everywhere,
            })
            .collect();
        let missing = |floor: i64| -> Vec<(i64, Missing)> {
            missing_reasons
                .iter()
                .map(|m| (floor - m.offset(), *m))
                .collect()
        };
        match &q.kind {
            QuestionKind::MultipleChoice { .. } => {
                let question_name = book.claim(&q.id);
                let mut members = Vec::new();
                let reasons: Vec<(i64, Missing)> = missing(0)
                    .into_iter()
                    .filter(|(_, m)| *m != Missing::NotApplicable)
                    .collect();
                for (value, label) in &coding.options {
                    members.push(variables.len());
                    variables.push(Variable {
                        name: book.claim(&format!("{question_name}_{value}")),
                        label: format!("{} : {label}", q.text),
                        source: Source::Option {
                            question: q.id.clone(),
                            value: value.clone(),
                        },
                        storage: Storage::Number,
                        measure: Measure::Nominal,
                        values: TICKED.iter().map(|(c, l)| (*c, (*l).to_owned())).collect(),
                        missing: reasons.clone(),
                        versions: coding.versions.clone(),
                    });
                }
                sets.push(MultipleSet {
                    name: format!("${}", truncated(&question_name, 63)),
                    label: q.text.clone(),
                    variables: members,
                });
            }
            QuestionKind::Text { .. } => variables.push(Variable {
                name: book.claim(&q.id),
                label: q.text.clone(),
                source: Source::Question {
                    id: q.id.clone(),
                    kind: q.kind.type_name().into(),
                },
                storage: Storage::Text { width: 1 },
                measure: Measure::Nominal,
                values: Vec::new(),
                missing: Vec::new(),
                versions: coding.versions.clone(),
            }),
            kind => variables.push(Variable {
                name: book.claim(&q.id),
                label: q.text.clone(),
                source: Source::Question {
                    id: q.id.clone(),
                    kind: kind.type_name().into(),
                },
                storage: Storage::Number,
                measure: if kind.is_ordinal() {
                    Measure::Ordinal
                } else if matches!(kind, QuestionKind::Number { .. }) {
                    Measure::Scale
                } else {
                    Measure::Nominal
                },
                values: coding.values.clone(),
                missing: missing(coding.floor),
                versions: coding.versions.clone(),
            }),
        }
    }

    let rows: Vec<Vec<Cell>> = responses
        .iter()
        .map(|r| {
            let version = code_of_version.get(r.version).copied().unwrap_or(1);
            let definition = versions.get(r.version).or(current);
            row(
                r,
                version,
                definition,
                &codings,
                &variables,
                attributes.len(),
            )
        })
        .collect();

    // Text widths: the longest value stored, in bytes.
    for (i, variable) in variables.iter_mut().enumerate() {
        if let Storage::Text { width } = &mut variable.storage {
            let longest = rows
                .iter()
                .map(|row| match &row[i] {
                    Cell::Text(t) => t.len(),
                    _ => 0,
                })
                .max()
                .unwrap_or(0);
            *width = (*width).max(longest).max(1);
        }
    }

    Dataset {
        title: current.map(|q| q.title.clone()).unwrap_or_default(),
        questionnaire: current
            .map(|q| q.code.as_str().to_owned())
            .unwrap_or_default(),
        campaign: campaign.to_owned(),
        variables,
        sets,
        versions: version_codes,
        rows,
    }
}

fn row(
    r: &ResponseRecord<'_>,
    version: i64,
    definition: Option<&Questionnaire>,
    codings: &[Coding],
    variables: &[Variable],
    attribute_count: usize,
) -> Vec<Cell> {
    let mut cells = Vec::with_capacity(variables.len());
    cells.push(Cell::Text(r.id.to_string()));
    cells.push(Cell::Date(r.submitted_on));
    cells.push(Cell::Number(version));
    for variable in &variables[3..3 + attribute_count] {
        let Source::Attribute { key } = &variable.source else {
            cells.push(Cell::Empty);
            continue;
        };
        cells.push(
            r.attributes
                .iter()
                .find(|(k, _)| k == key)
                .map_or(Cell::Empty, |(_, v)| Cell::Text(v.clone())),
        );
    }
    // The stored answers as the visibility rule reads them (a list contains its one value).
    let earlier = ValidAnswers(
        r.answers
            .iter()
            .map(|(q, values)| (q.clone(), AnswerValue::Choices(values.clone())))
            .collect(),
    );
    let mut next = 3 + attribute_count;
    for coding in codings {
        let values: &[String] = r
            .answers
            .iter()
            .find(|(q, _)| *q == coding.question.id)
            .map_or(&[], |(_, v)| v.as_slice());
        let asked = definition.and_then(|d| d.question(&coding.question.id));
        let state = match asked {
            None => Some(Missing::NotInVersion),
            Some(q) if !is_visible(q, &earlier) => Some(Missing::NotShown),
            Some(_) if values.iter().all(|v| v.is_empty()) => Some(Missing::NoAnswer),
            Some(_) => None,
        };
        match &coding.question.kind {
            QuestionKind::MultipleChoice { .. } => {
                for (value, _) in &coding.options {
                    let variable = &variables[next];
                    next += 1;
                    cells.push(match state {
                        Some(m) => missing_cell(variable, m),
                        None => Cell::Number(i64::from(values.contains(value))),
                    });
                }
            }
            QuestionKind::Text { .. } => {
                next += 1;
                cells.push(match state {
                    Some(_) => Cell::Empty,
                    None => Cell::Text(values.join("\n")),
                });
            }
            QuestionKind::Number { .. } => {
                let variable = &variables[next];
                next += 1;
                cells.push(match state {
                    Some(m) => missing_cell(variable, m),
                    None => values
                        .first()
                        .and_then(|v| v.parse::<i64>().ok())
                        .map_or_else(|| missing_cell(variable, Missing::NoAnswer), Cell::Number),
                });
            }
            _ => {
                let variable = &variables[next];
                next += 1;
                cells.push(match state {
                    Some(m) => missing_cell(variable, m),
                    None => {
                        let value = values.first().map(String::as_str).unwrap_or_default();
                        if coding.not_applicable.contains_key(value) {
                            missing_cell(variable, Missing::NotApplicable)
                        } else {
                            coding.codes.get(value).map_or_else(
                                || missing_cell(variable, Missing::NoAnswer),
                                |c| Cell::Number(*c),
                            )
                        }
                    }
                });
            }
        }
    }
    cells
}

fn missing_cell(variable: &Variable, missing: Missing) -> Cell {
    variable
        .code_of(missing)
        .or_else(|| variable.code_of(Missing::NoAnswer))
        .map_or(Cell::Empty, Cell::Number)
}

impl Coding {
    fn new(version: i64, q: &Question) -> Self {
        let mut coding = Self {
            question: q.clone(),
            codes: HashMap::new(),
            values: Vec::new(),
            not_applicable: HashMap::new(),
            options: Vec::new(),
            floor: 0,
            versions: Vec::new(),
            conditional: false,
        };
        coding.add_version(version, q);
        coding
    }

    /// Adds what version `version` asks of the question: its options not seen yet.
    fn add_version(&mut self, version: i64, q: &Question) {
        self.versions.push(version);
        self.conditional |= q.condition.is_some();
        let not_applicable = q.kind.not_applicable();
        match &q.kind {
            QuestionKind::Rating {
                min,
                max,
                min_label,
                max_label,
                ..
            } => {
                self.floor = self.floor.min(*min);
                for n in *min..=*max {
                    let value = n.to_string();
                    if self.codes.contains_key(&value) {
                        continue;
                    }
                    let label = match (n == *min, n == *max) {
                        (true, _) => min_label.as_ref().map(|l| format!("{n} – {l}")),
                        (_, true) => max_label.as_ref().map(|l| format!("{n} – {l}")),
                        _ => None,
                    }
                    .unwrap_or_else(|| value.clone());
                    self.codes.insert(value, n);
                    self.values.push((n, label));
                }
                self.values.sort_by_key(|(c, _)| *c);
            }
            QuestionKind::Number { min, .. } => self.floor = self.floor.min(*min),
            QuestionKind::MultipleChoice { options, .. } => {
                for o in options {
                    if self.options.iter().all(|(v, _)| *v != o.value) {
                        self.options.push((o.value.clone(), o.label.clone()));
                    }
                }
            }
            QuestionKind::SingleChoice { .. } | QuestionKind::Likert(_) => {
                for o in q.kind.options() {
                    if not_applicable.contains(&o.value) {
                        self.not_applicable.insert(o.value, ());
                        continue;
                    }
                    if self.codes.contains_key(&o.value) {
                        continue;
                    }
                    let code = self.values.len() as i64 + 1;
                    self.codes.insert(o.value, code);
                    self.values.push((code, o.label));
                }
            }
            QuestionKind::Text { .. } => {}
        }
    }
}

/// The longest prefix of `text` of at most `bytes` bytes that ends on a character boundary.
pub fn truncated(text: &str, bytes: usize) -> &str {
    if text.len() <= bytes {
        return text;
    }
    let mut end = bytes;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
pub(crate) mod tests;
