//! The tallies as the storage layer reads them, and the definitions to read them with.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::domain::questionnaire::Questionnaire;

/// One per-value row: `count` respondents gave `value` to `question` in `version`.
/// [`super::tally::RESPONDENTS`] and [`super::tally::ANSWERED`] mark the rows counting
/// respondents, and respondents who answered a question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueCount {
    pub period: i32,
    pub version: String,
    pub question: String,
    pub value: String,
    pub count: u64,
}

/// One per-group row: in the group `group` of `dimension` (a response attribute), the
/// favourable and valid answers to `question` (or, for [`super::tally::RESPONDENTS`], the
/// group's respondents in `total`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupCount {
    pub period: i32,
    pub dimension: String,
    pub group: String,
    pub question: String,
    pub favorable: u64,
    pub total: u64,
}

/// The definitions of the versions the counts were answered with, by version id, and which
/// one is current (its order and labels are the ones shown).
#[derive(Debug, Clone, Default)]
pub struct Versions {
    by_id: HashMap<String, Arc<Questionnaire>>,
    current: Option<String>,
}

impl Versions {
    pub fn new(current: Option<(String, Arc<Questionnaire>)>) -> Self {
        let mut versions = Self::default();
        if let Some((id, definition)) = current {
            versions.current = Some(id.clone());
            versions.by_id.insert(id, definition);
        }
        versions
    }

    pub fn insert(&mut self, id: String, definition: Arc<Questionnaire>) {
        self.by_id.entry(id).or_insert(definition);
    }

    pub fn contains(&self, id: &str) -> bool {
        self.by_id.contains_key(id)
    }

    pub fn get(&self, id: &str) -> Option<&Questionnaire> {
        self.by_id.get(id).map(AsRef::as_ref)
    }

    /// The current definition, else any (the newest the caller inserted first).
    pub fn current(&self) -> Option<&Questionnaire> {
        self.current
            .as_deref()
            .and_then(|id| self.get(id))
            .or_else(|| self.ordered().into_iter().next().map(|(_, q)| q))
    }

    /// The current version first, then the others by id: a stable order for questions that
    /// only old versions have.
    pub fn ordered(&self) -> Vec<(&str, &Questionnaire)> {
        let mut ids: Vec<&str> = self.by_id.keys().map(String::as_str).collect();
        ids.sort_by_key(|id| (Some(*id) != self.current.as_deref(), *id));
        ids.into_iter()
            .filter_map(|id| self.get(id).map(|q| (id, q)))
            .collect()
    }
}

/// Counts of one question in one version, by value (the answered row left out).
pub(super) type ByQuestion<'a> = BTreeMap<(&'a str, &'a str), Vec<(&'a str, u64)>>;

/// Groups per-value rows by (version, question), leaving out the respondents and answered
/// rows; also returns the number of respondents.
pub(super) fn by_version_and_question(counts: &[ValueCount]) -> (ByQuestion<'_>, u64) {
    let mut grouped: ByQuestion<'_> = BTreeMap::new();
    let mut respondents = 0;
    for c in counts {
        if c.question == super::tally::RESPONDENTS {
            respondents += c.count;
        } else if c.value != super::tally::ANSWERED {
            grouped
                .entry((c.version.as_str(), c.question.as_str()))
                .or_default()
                .push((c.value.as_str(), c.count));
        }
    }
    (grouped, respondents)
}

/// How many respondents answered each question, over every version.
pub(super) fn answered_by_question(counts: &[ValueCount]) -> HashMap<&str, u64> {
    let mut answered: HashMap<&str, u64> = HashMap::new();
    for c in counts {
        if c.question != super::tally::RESPONDENTS && c.value == super::tally::ANSWERED {
            *answered.entry(c.question.as_str()).or_default() += c.count;
        }
    }
    answered
}
