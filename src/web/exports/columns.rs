//! The columns of a raw-responses export, and answer values as their labels.

use std::collections::HashMap;

use crate::domain::questionnaire::Questionnaire;
use crate::domain::results::labels::dimension_label;
use crate::domain::results::{ValueCount, Versions};
use crate::store::results::raw::StoredResponse;

/// Separator between the values of a multiple choice in one cell.
const MULTIPLE: &str = " | ";

/// Attribute and question columns, in a stable order: the current definition's questions,
/// then those only older versions asked; the breakdown attributes present in the counts.
pub struct RawColumns {
    pub attributes: Vec<(String, String)>,
    pub questions: Vec<String>,
    labels: HashMap<String, HashMap<String, HashMap<String, String>>>,
}

impl RawColumns {
    pub fn new(versions: &Versions, counts: &[ValueCount], dimensions: &[String]) -> Self {
        let mut questions: Vec<String> = Vec::new();
        for (_, definition) in versions.ordered() {
            for q in definition.questions() {
                if !questions.contains(&q.id) {
                    questions.push(q.id.clone());
                }
            }
        }
        for c in counts {
            if !c.question.is_empty() && !questions.contains(&c.question) {
                questions.push(c.question.clone());
            }
        }
        let current = versions.current();
        let attributes = dimensions
            .iter()
            .map(|key| (key.clone(), dimension_label(current, key)))
            .collect();
        let labels = versions
            .ordered()
            .into_iter()
            .map(|(id, definition)| (id.to_owned(), option_labels(definition)))
            .collect();
        Self {
            attributes,
            questions,
            labels,
        }
    }

    /// The header row after the given leading columns.
    pub fn header(&self, leading: &[&str]) -> Vec<String> {
        leading
            .iter()
            .map(|s| (*s).to_owned())
            .chain(self.attributes.iter().map(|(_, label)| label.clone()))
            .chain(self.questions.iter().cloned())
            .collect()
    }

    /// The attribute and answer cells of one response, values as the labels of the version
    /// it answered.
    pub fn cells(&self, response: &StoredResponse) -> Vec<String> {
        let labels = self.labels.get(&response.version);
        let attributes = self.attributes.iter().map(|(key, _)| {
            response
                .attributes
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        });
        let answers = self.questions.iter().map(|question| {
            let Some((_, values)) = response.answers.iter().find(|(q, _)| q == question) else {
                return String::new();
            };
            let of_question = labels.and_then(|l| l.get(question));
            values
                .iter()
                .map(|v| {
                    of_question
                        .and_then(|l| l.get(v))
                        .cloned()
                        .unwrap_or_else(|| v.clone())
                })
                .collect::<Vec<_>>()
                .join(MULTIPLE)
        });
        attributes.chain(answers).collect()
    }
}

fn option_labels(definition: &Questionnaire) -> HashMap<String, HashMap<String, String>> {
    definition
        .questions()
        .filter(|q| q.kind.has_options())
        .map(|q| {
            let options = q
                .kind
                .options()
                .into_iter()
                .map(|o| (o.value, o.label))
                .collect();
            (q.id.clone(), options)
        })
        .collect()
}
