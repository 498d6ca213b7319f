//! Reading a questionnaire definition (TOML) into the model, with every error located by line.
//!
//! Two passes: serde reads the file into loosely typed `Raw*` structs (unknown keys and type
//! mismatches stop there, with toml's own location), then `Checker` walks them and collects
//! *every* semantic error at once, so staff fix a file in one go.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use super::{
    Attribute, ChoiceOption, Condition, Question, QuestionKind, Questionnaire, Scale, Section,
};
use crate::domain::QuestionnaireCode;
use crate::domain::schedule::SendRules;

/// One problem in a definition file, at a 1-based line and column (in characters), in
/// French for the staff who edit it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefinitionError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl DefinitionError {
    /// A problem of a whole line (its first column).
    pub fn at_line(line: usize, message: impl Into<String>) -> Self {
        Self {
            line,
            column: 1,
            message: message.into(),
        }
    }

    /// A problem at a byte offset of `source`.
    pub fn at_offset(source: &str, offset: usize, message: impl Into<String>) -> Self {
        let (line, column) = position_of(source, offset);
        Self {
            line,
            column,
            message: message.into(),
        }
    }
}

/// The 1-based line and column (in characters) of a byte offset of `source`.
pub fn position_of(source: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

impl std::fmt::Display for DefinitionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ligne {} : {}", self.line, self.message)
    }
}

const MAX_TEXT_LENGTH: i64 = 10_000;
const MAX_RATING_STEPS: i64 = 11;

pub fn parse_questionnaire(source: &str) -> Result<Questionnaire, Vec<DefinitionError>> {
    let raw: RawFile = toml::from_str(source).map_err(|e| vec![syntax_error(source, &e)])?;
    let mut checker = Checker {
        source,
        errors: Vec::new(),
    };
    let questionnaire = checker.check_file(raw);
    if checker.errors.is_empty() {
        questionnaire.ok_or_else(Vec::new)
    } else {
        checker.errors.sort_by_key(|e| (e.line, e.column));
        Err(checker.errors)
    }
}

fn line_of(source: &str, offset: usize) -> usize {
    position_of(source, offset).0
}

/// toml's messages are English; the common ones are translated so the whole report reads
/// French, the rest are kept verbatim after a French prefix.
fn syntax_error(source: &str, error: &toml::de::Error) -> DefinitionError {
    let offset = error.span().map_or(0, |span| span.start);
    let original = error.message().trim();
    let message = if let Some(rest) = original.strip_prefix("unknown field ") {
        let key = rest.split(',').next().unwrap_or(rest).trim_matches('`');
        format!("clé inconnue « {key} »")
    } else if let Some(rest) = original.strip_prefix("missing field ") {
        format!("clé obligatoire manquante « {} »", rest.trim_matches('`'))
    } else if original.starts_with("duplicate key") {
        format!("clé définie deux fois ({original})")
    } else {
        format!("format TOML invalide : {original}")
    };
    DefinitionError::at_offset(source, offset, message)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    code: Spanned<String>,
    title: Spanned<String>,
    introduction: String,
    estimated_minutes: Spanned<i64>,
    #[serde(default)]
    anonymous: bool,
    #[serde(default)]
    open: bool,
    thanks: Option<String>,
    /// When invitations, reminders and closing happen; the fiches' values by default.
    #[serde(default)]
    schedule: SendRules,
    #[serde(default)]
    scales: BTreeMap<String, Spanned<RawScale>>,
    #[serde(default)]
    attributes: Vec<RawAttribute>,
    #[serde(default)]
    sections: Vec<RawSection>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScale {
    options: Spanned<Vec<RawOption>>,
    favorable: Option<Spanned<Vec<String>>>,
    not_applicable: Option<Spanned<Vec<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOption {
    value: Spanned<String>,
    label: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAttribute {
    key: Spanned<String>,
    label: String,
    question: Option<Spanned<String>>,
    values: Option<Spanned<BTreeMap<String, String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSection {
    id: Spanned<String>,
    title: String,
    description: Option<String>,
    #[serde(default)]
    questions: Vec<RawQuestion>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuestion {
    id: Spanned<String>,
    text: String,
    help: Option<String>,
    #[serde(rename = "type")]
    kind: Spanned<String>,
    #[serde(default)]
    required: bool,
    scored: Option<Spanned<bool>>,
    overall: Option<Spanned<bool>>,
    show_if: Option<Spanned<RawCondition>>,
    // Type-specific keys: all optional here, checked against the type below.
    scale: Option<Spanned<String>>,
    options: Option<Spanned<Vec<RawOption>>>,
    favorable: Option<Spanned<Vec<String>>>,
    not_applicable: Option<Spanned<Vec<String>>>,
    max_choices: Option<Spanned<i64>>,
    min: Option<Spanned<i64>>,
    max: Option<Spanned<i64>>,
    min_label: Option<String>,
    max_label: Option<String>,
    max_length: Option<Spanned<i64>>,
    multiline: Option<bool>,
    unit: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCondition {
    question: Spanned<String>,
    equals: Spanned<String>,
}

struct Checker<'a> {
    source: &'a str,
    errors: Vec<DefinitionError>,
}

/// What is known about questions already read, for conditions and attributes.
struct SeenQuestion {
    line: usize,
    kind: QuestionKind,
}

impl Checker<'_> {
    fn error(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.errors
            .push(DefinitionError::at_offset(self.source, span.start, message));
    }

    fn check_slug(&mut self, what: &str, value: &Spanned<String>) {
        let v = value.get_ref();
        let ok = v
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            && v.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            && v.len() <= 64;
        if !ok {
            self.error(
                value.span(),
                format!(
                    "{what} « {v} » invalide : lettres minuscules sans accent, chiffres et _ uniquement (64 au plus)"
                ),
            );
        }
    }

    fn check_file(&mut self, raw: RawFile) -> Option<Questionnaire> {
        let code = match raw.code.get_ref().parse::<QuestionnaireCode>() {
            Ok(code) => Some(code),
            Err(e) => {
                self.error(raw.code.span(), e.to_string());
                None
            }
        };
        if raw.title.get_ref().trim().is_empty() {
            self.error(raw.title.span(), "le titre est vide");
        }
        let minutes = *raw.estimated_minutes.get_ref();
        if !(1..=120).contains(&minutes) {
            self.error(
                raw.estimated_minutes.span(),
                "estimated_minutes doit être compris entre 1 et 120",
            );
        }

        let scales: HashMap<String, Scale> = raw
            .scales
            .into_iter()
            .map(|(name, scale)| {
                let span = scale.span();
                (name, self.check_scale(scale.into_inner(), span))
            })
            .collect();

        let mut seen: HashMap<String, SeenQuestion> = HashMap::new();
        let mut section_ids: HashMap<String, usize> = HashMap::new();
        let mut overall_line: Option<usize> = None;
        let mut sections = Vec::new();
        if raw.sections.is_empty() {
            self.error(0..0, "le questionnaire n'a aucune section ([[sections]])");
        }
        for raw_section in raw.sections {
            self.check_slug("identifiant de section", &raw_section.id);
            let line = line_of(self.source, raw_section.id.span().start);
            if let Some(first) = section_ids.insert(raw_section.id.get_ref().clone(), line) {
                self.error(
                    raw_section.id.span(),
                    format!(
                        "identifiant de section « {} » en double (déjà défini ligne {first})",
                        raw_section.id.get_ref()
                    ),
                );
            }
            if raw_section.questions.is_empty() {
                self.error(
                    raw_section.id.span(),
                    format!(
                        "la section « {} » n'a aucune question",
                        raw_section.id.get_ref()
                    ),
                );
            }
            let mut questions = Vec::new();
            for raw_question in raw_section.questions {
                if let Some(q) = self.check_question(raw_question, &scales, &mut seen) {
                    if q.overall {
                        let line = seen.get(&q.id).map_or(0, |s| s.line);
                        if let Some(first) = overall_line {
                            self.errors.push(DefinitionError::at_line(
                                line,
                                format!(
                                    "une seule question peut porter overall = true (déjà ligne {first})"
                                ),
                            ));
                        } else {
                            overall_line = Some(line);
                        }
                    }
                    questions.push(q);
                }
            }
            sections.push(Section {
                id: raw_section.id.into_inner(),
                title: raw_section.title,
                description: raw_section.description,
                questions,
            });
        }

        let attributes = self.check_attributes(raw.attributes, &seen);

        Some(Questionnaire {
            code: code?,
            title: raw.title.into_inner(),
            introduction: raw.introduction,
            estimated_minutes: u32::try_from(minutes).ok()?,
            anonymous: raw.anonymous,
            open: raw.open,
            thanks: raw.thanks,
            schedule: raw.schedule,
            attributes,
            sections,
        })
    }

    fn check_options(&mut self, options: Spanned<Vec<RawOption>>) -> Vec<ChoiceOption> {
        let span = options.span();
        let options = options.into_inner();
        if options.is_empty() {
            self.error(span, "la liste d'options est vide");
        }
        let mut values = HashSet::new();
        for option in &options {
            self.check_slug("valeur d'option", &option.value);
            if !values.insert(option.value.get_ref().clone()) {
                self.error(
                    option.value.span(),
                    format!("valeur d'option « {} » en double", option.value.get_ref()),
                );
            }
        }
        options
            .into_iter()
            .map(|o| ChoiceOption {
                value: o.value.into_inner(),
                label: o.label,
            })
            .collect()
    }

    /// Favourable and not-applicable values must be options, and never both.
    fn check_marked_values(
        &mut self,
        key: &str,
        values: &Spanned<Vec<String>>,
        is_option: impl Fn(&str) -> bool,
    ) {
        for value in values.get_ref() {
            if !is_option(value) {
                self.error(
                    values.span(),
                    format!("{key} : « {value} » n'est pas une des options"),
                );
            }
        }
    }

    fn check_scale(&mut self, raw: RawScale, span: Range<usize>) -> Scale {
        let empty = || Spanned::new(span.clone(), Vec::new());
        let favorable = raw.favorable.unwrap_or_else(empty);
        let not_applicable = raw.not_applicable.unwrap_or_else(empty);
        let options = self.check_options(raw.options);
        let is_option = |v: &str| options.iter().any(|o| o.value == v);
        self.check_marked_values("favorable", &favorable, is_option);
        self.check_marked_values("not_applicable", &not_applicable, is_option);
        for value in favorable.get_ref() {
            if not_applicable.get_ref().contains(value) {
                self.error(
                    span.clone(),
                    format!("« {value} » ne peut être à la fois favorable et non applicable"),
                );
            }
        }
        Scale {
            options,
            favorable: favorable.into_inner(),
            not_applicable: not_applicable.into_inner(),
        }
    }

    fn check_question(
        &mut self,
        raw: RawQuestion,
        scales: &HashMap<String, Scale>,
        seen: &mut HashMap<String, SeenQuestion>,
    ) -> Option<Question> {
        let RawQuestion {
            id: raw_id,
            text,
            help,
            kind: raw_kind,
            required,
            scored,
            overall,
            show_if,
            scale,
            options,
            favorable,
            not_applicable,
            max_choices,
            min,
            max,
            min_label,
            max_label,
            max_length,
            multiline,
            unit,
        } = raw;
        let keys = RawKindKeys {
            fallback: raw_kind.span(),
            scale,
            options,
            favorable,
            not_applicable,
            max_choices,
            min,
            max,
            min_label,
            max_label,
            max_length,
            multiline,
            unit,
        };
        self.check_slug("identifiant de question", &raw_id);
        let id = raw_id.get_ref().clone();
        let line = line_of(self.source, raw_id.span().start);
        if text.trim().is_empty() {
            self.error(
                raw_id.span(),
                format!("la question « {id} » n'a pas de texte"),
            );
        }

        let condition = show_if.and_then(|c| self.check_condition(&id, c.into_inner(), seen));
        let kind = self.check_kind(&raw_kind, &id, keys, scales);

        if let Some(kind) = &kind {
            for (flag, key) in [("scored", &scored), ("overall", &overall)] {
                let Some(key) = key.as_ref().filter(|k| *k.get_ref()) else {
                    continue;
                };
                if !kind.is_ordinal() {
                    self.error(
                        key.span(),
                        format!(
                            "la question « {id} » est {flag} mais de type {} : seules likert et rating sont ordinales",
                            kind.type_name()
                        ),
                    );
                } else if kind.favorable().is_empty() {
                    self.error(
                        key.span(),
                        format!("la question « {id} » est {flag} mais n'a aucune valeur favorable"),
                    );
                }
            }
        }

        if let Some(previous) = seen.get(&id) {
            let first = previous.line;
            self.error(
                raw_id.span(),
                format!("identifiant de question « {id} » en double (déjà défini ligne {first})"),
            );
            return None;
        }
        let kind = kind?;
        seen.insert(
            id.clone(),
            SeenQuestion {
                line,
                kind: kind.clone(),
            },
        );
        Some(Question {
            id,
            text,
            help,
            required,
            scored: scored.is_some_and(Spanned::into_inner),
            overall: overall.is_some_and(Spanned::into_inner),
            condition,
            kind,
        })
    }

    fn check_condition(
        &mut self,
        id: &str,
        raw: RawCondition,
        seen: &HashMap<String, SeenQuestion>,
    ) -> Option<Condition> {
        let target = raw.question.get_ref();
        let Some(earlier) = seen.get(target) else {
            let message = if target == id {
                format!("la condition de « {id} » porte sur elle-même")
            } else {
                format!(
                    "la condition de « {id} » porte sur « {target} », qui n'est pas une question précédente"
                )
            };
            self.error(raw.question.span(), message);
            return None;
        };
        if !earlier.kind.has_options() {
            self.error(
                raw.question.span(),
                format!("la condition de « {id} » porte sur « {target} », qui n'a pas d'options"),
            );
            return None;
        }
        if !earlier.kind.has_option(raw.equals.get_ref()) {
            self.error(
                raw.equals.span(),
                format!(
                    "la condition de « {id} » attend « {} », qui n'est pas une option de « {target} »",
                    raw.equals.get_ref()
                ),
            );
            return None;
        }
        Some(Condition {
            question: raw.question.into_inner(),
            equals: raw.equals.into_inner(),
        })
    }

    fn check_kind(
        &mut self,
        kind: &Spanned<String>,
        id: &str,
        keys: RawKindKeys,
        scales: &HashMap<String, Scale>,
    ) -> Option<QuestionKind> {
        let allowed: &[&str] = match kind.get_ref().as_str() {
            "single_choice" => &["options"],
            "multiple_choice" => &["options", "max_choices"],
            "likert" => &["scale", "options", "favorable", "not_applicable"],
            "rating" => &["min", "max", "min_label", "max_label", "favorable"],
            "text" => &["max_length", "multiline"],
            "number" => &["min", "max", "unit"],
            other => {
                self.error(
                    kind.span(),
                    format!(
                        "type « {other} » inconnu pour « {id} » (attendu : single_choice, multiple_choice, likert, rating, text, number)"
                    ),
                );
                return None;
            }
        };
        for (key, span) in keys.present() {
            if !allowed.contains(&key) {
                self.error(
                    span,
                    format!(
                        "la clé « {key} » ne s'applique pas au type {} (question « {id} »)",
                        kind.get_ref()
                    ),
                );
            }
        }
        let missing = |this: &mut Self, key: &str| {
            this.error(
                kind.span(),
                format!(
                    "la question « {id} » de type {} doit définir « {key} »",
                    kind.get_ref()
                ),
            );
        };

        match kind.get_ref().as_str() {
            "single_choice" | "multiple_choice" => {
                let Some(options) = keys.options else {
                    missing(self, "options");
                    return None;
                };
                let options = self.check_options(options);
                if kind.get_ref() == "single_choice" {
                    return Some(QuestionKind::SingleChoice { options });
                }
                let max_choices = match keys.max_choices {
                    Some(max) if *max.get_ref() < 1 || *max.get_ref() as usize > options.len() => {
                        self.error(
                            max.span(),
                            format!("max_choices doit être entre 1 et {}", options.len()),
                        );
                        None
                    }
                    Some(max) => Some(*max.get_ref() as usize),
                    None => None,
                };
                Some(QuestionKind::MultipleChoice {
                    options,
                    max_choices,
                })
            }
            "likert" => match (keys.scale, keys.options) {
                (Some(name), None) => {
                    if keys.favorable.is_some() || keys.not_applicable.is_some() {
                        self.error(
                            name.span(),
                            "avec « scale », favorable et not_applicable se définissent dans l'échelle",
                        );
                    }
                    match scales.get(name.get_ref()) {
                        Some(scale) => Some(QuestionKind::Likert(scale.clone())),
                        None => {
                            self.error(
                                name.span(),
                                format!("échelle « {} » inconnue ([scales.…])", name.get_ref()),
                            );
                            None
                        }
                    }
                }
                (None, Some(options)) => {
                    let span = options.span();
                    Some(QuestionKind::Likert(self.check_scale(
                        RawScale {
                            options,
                            favorable: keys.favorable,
                            not_applicable: keys.not_applicable,
                        },
                        span,
                    )))
                }
                (Some(name), Some(_)) => {
                    self.error(name.span(), "« scale » et « options » sont exclusifs");
                    None
                }
                (None, None) => {
                    missing(self, "scale (ou options)");
                    None
                }
            },
            "rating" => {
                let min = keys.min.as_ref().map_or(1, |m| *m.get_ref());
                let max = keys.max.as_ref().map_or(5, |m| *m.get_ref());
                if min >= max || max - min + 1 > MAX_RATING_STEPS {
                    self.error(
                        keys.max.map_or(kind.span(), |m| m.span()),
                        format!("une note va de min à max, min < max, {MAX_RATING_STEPS} niveaux au plus"),
                    );
                    return None;
                }
                let favorable = keys
                    .favorable
                    .unwrap_or_else(|| Spanned::new(kind.span(), Vec::new()));
                self.check_marked_values("favorable", &favorable, |v| {
                    v.parse::<i64>()
                        .is_ok_and(|n| (min..=max).contains(&n) && n.to_string() == v)
                });
                Some(QuestionKind::Rating {
                    min,
                    max,
                    min_label: keys.min_label,
                    max_label: keys.max_label,
                    favorable: favorable.into_inner(),
                })
            }
            "text" => {
                let Some(max_length) = keys.max_length else {
                    missing(self, "max_length");
                    return None;
                };
                if !(1..=MAX_TEXT_LENGTH).contains(max_length.get_ref()) {
                    self.error(
                        max_length.span(),
                        format!("max_length doit être entre 1 et {MAX_TEXT_LENGTH}"),
                    );
                    return None;
                }
                Some(QuestionKind::Text {
                    max_length: *max_length.get_ref() as usize,
                    multiline: keys.multiline.unwrap_or(true),
                })
            }
            "number" => {
                let (Some(min), Some(max)) = (&keys.min, &keys.max) else {
                    missing(self, "min et max");
                    return None;
                };
                if min.get_ref() > max.get_ref() {
                    self.error(max.span(), "max doit être supérieur ou égal à min");
                    return None;
                }
                Some(QuestionKind::Number {
                    min: *min.get_ref(),
                    max: *max.get_ref(),
                    unit: keys.unit,
                })
            }
            _ => None,
        }
    }

    fn check_attributes(
        &mut self,
        raw: Vec<RawAttribute>,
        seen: &HashMap<String, SeenQuestion>,
    ) -> Vec<Attribute> {
        let mut keys = HashSet::new();
        let mut attributes = Vec::new();
        for attribute in raw {
            self.check_slug("clé d'attribut", &attribute.key);
            if !keys.insert(attribute.key.get_ref().clone()) {
                self.error(
                    attribute.key.span(),
                    format!("attribut « {} » en double", attribute.key.get_ref()),
                );
            }
            if let Some(question) = &attribute.question {
                match seen.get(question.get_ref()) {
                    None => self.error(
                        question.span(),
                        format!(
                            "l'attribut « {} » renvoie à la question inconnue « {} »",
                            attribute.key.get_ref(),
                            question.get_ref()
                        ),
                    ),
                    Some(q) if !matches!(q.kind, QuestionKind::SingleChoice { .. }) => self.error(
                        question.span(),
                        format!(
                            "l'attribut « {} » doit venir d'une question single_choice",
                            attribute.key.get_ref()
                        ),
                    ),
                    Some(q) => {
                        if let Some(values) = &attribute.values {
                            self.check_attribute_values(attribute.key.get_ref(), &q.kind, values);
                        }
                    }
                }
            } else if let Some(values) = &attribute.values {
                self.error(
                    values.span(),
                    format!(
                        "l'attribut « {} » n'a pas de question : « values » ne s'applique pas",
                        attribute.key.get_ref()
                    ),
                );
            }
            attributes.push(Attribute {
                key: attribute.key.into_inner(),
                label: attribute.label,
                question: attribute.question.map(Spanned::into_inner),
                values: attribute
                    .values
                    .map(Spanned::into_inner)
                    .unwrap_or_default(),
            });
        }
        attributes
    }
}

impl Checker<'_> {
    /// An attribute's `values` map every option of its question, and only those, to a
    /// non-empty value: an option left out would make a group of its own.
    fn check_attribute_values(
        &mut self,
        key: &str,
        kind: &QuestionKind,
        values: &Spanned<BTreeMap<String, String>>,
    ) {
        for (option, value) in values.get_ref() {
            if !kind.has_option(option) {
                self.error(
                    values.span(),
                    format!("l'attribut « {key} » associe l'option inconnue « {option} »"),
                );
            }
            if value.trim().is_empty() {
                self.error(
                    values.span(),
                    format!("l'attribut « {key} » associe « {option} » à une valeur vide"),
                );
            }
        }
        for option in kind.options() {
            if !values.get_ref().contains_key(&option.value) {
                self.error(
                    values.span(),
                    format!(
                        "l'attribut « {key} » n'associe pas l'option « {} » : chaque option doit avoir sa valeur",
                        option.value
                    ),
                );
            }
        }
    }
}

/// The type-specific keys of a question, moved out so `check_kind` can consume them.
struct RawKindKeys {
    scale: Option<Spanned<String>>,
    options: Option<Spanned<Vec<RawOption>>>,
    favorable: Option<Spanned<Vec<String>>>,
    not_applicable: Option<Spanned<Vec<String>>>,
    max_choices: Option<Spanned<i64>>,
    min: Option<Spanned<i64>>,
    max: Option<Spanned<i64>>,
    min_label: Option<String>,
    max_label: Option<String>,
    max_length: Option<Spanned<i64>>,
    multiline: Option<bool>,
    unit: Option<String>,
    /// Spans of keys without one of their own (plain strings and booleans): the type's.
    fallback: Range<usize>,
}

impl RawKindKeys {
    fn present(&self) -> Vec<(&'static str, Range<usize>)> {
        let fb = || self.fallback.clone();
        [
            ("scale", self.scale.as_ref().map(|s| s.span())),
            ("options", self.options.as_ref().map(|s| s.span())),
            ("favorable", self.favorable.as_ref().map(|s| s.span())),
            (
                "not_applicable",
                self.not_applicable.as_ref().map(|s| s.span()),
            ),
            ("max_choices", self.max_choices.as_ref().map(|s| s.span())),
            ("min", self.min.as_ref().map(|s| s.span())),
            ("max", self.max.as_ref().map(|s| s.span())),
            ("min_label", self.min_label.as_ref().map(|_| fb())),
            ("max_label", self.max_label.as_ref().map(|_| fb())),
            ("max_length", self.max_length.as_ref().map(|s| s.span())),
            ("multiline", self.multiline.map(|_| fb())),
            ("unit", self.unit.as_ref().map(|_| fb())),
        ]
        .into_iter()
        .filter_map(|(key, span)| span.map(|s| (key, s)))
        .collect()
    }
}
