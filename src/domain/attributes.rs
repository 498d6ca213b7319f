//! Which respondent attributes a response keeps for breakdowns.
//!
//! An anonymous questionnaire keeps only the attributes its file declares (entity of origin,
//! region, college): nothing else from the roster reaches the response. Others also keep
//! what the registration knew (entity, intervention kind, company…), so results can be cut
//! by it without joining back to the invitation.

use serde_json::{Map, Value};

use super::answers::{AnswerValue, ValidAnswers};
use super::questionnaire::Questionnaire;

pub fn response_attributes(
    questionnaire: &Questionnaire,
    invitation: &Map<String, Value>,
    answers: &ValidAnswers,
) -> Vec<(String, String)> {
    let as_text = |value: &Value| match value {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    let mut kept: Vec<(String, String)> = Vec::new();
    for attribute in &questionnaire.attributes {
        // The invitation's value wins: a registration is the record that every participant of
        // a company shares, so they all fall in one group (a company's size, say); the answer
        // counts only where the invitation has none, mapped to the registration's values.
        let from_answer = || match attribute.question.as_deref().map(|q| answers.get(q)) {
            Some(Some(AnswerValue::Choice(option))) => Some(attribute.value_of_answer(option)),
            _ => None,
        };
        let value = invitation
            .get(&attribute.key)
            .and_then(as_text)
            .or_else(from_answer);
        if let Some(value) = value {
            kept.push((attribute.key.clone(), value));
        }
    }
    if !questionnaire.anonymous {
        // The registration's others, in the order of their keys whatever order the map keeps.
        let mut others: Vec<(String, String)> = invitation
            .iter()
            .filter(|(key, _)| kept.iter().all(|(k, _)| k != *key))
            .filter_map(|(key, value)| Some((key.clone(), as_text(value)?)))
            .collect();
        others.sort();
        kept.extend(others);
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::answers::{RawAnswers, UnknownKeys, validate};
    use crate::domain::questionnaire::parse_questionnaire;

    fn questionnaire(anonymous: bool) -> Questionnaire {
        let source = format!(
            r#"code = "i7"
title = "T"
introduction = ""
estimated_minutes = 2
anonymous = {anonymous}

[[attributes]]
key = "entity"
label = "Entité"

[[attributes]]
key = "role"
label = "Fonction"
question = "fonction"

[[sections]]
id = "s"
title = "S"

[[sections.questions]]
id = "fonction"
text = "Fonction"
type = "single_choice"
options = [{{ value = "agent", label = "Agent" }}]
"#
        );
        parse_questionnaire(&source).unwrap()
    }

    fn roster() -> Map<String, Value> {
        serde_json::json!({ "entity": "aract-bretagne", "site": "Rennes", "matricule": 42 })
            .as_object()
            .cloned()
            .unwrap()
    }

    fn answers(q: &Questionnaire, pairs: &[(&str, &str)]) -> ValidAnswers {
        let mut raw = RawAnswers::new();
        for (k, v) in pairs {
            raw.push(*k, *v);
        }
        validate(q, &raw, UnknownKeys::Reject).unwrap()
    }

    #[test]
    fn anonymous_responses_keep_only_declared_attributes() {
        let q = questionnaire(true);
        let kept = response_attributes(&q, &roster(), &answers(&q, &[("fonction", "agent")]));
        assert_eq!(
            kept,
            [
                ("entity".to_owned(), "aract-bretagne".to_owned()),
                ("role".to_owned(), "agent".to_owned())
            ]
        );
    }

    #[test]
    fn the_registration_wins_over_the_answer_which_is_mapped_to_its_values() {
        let q = parse_questionnaire(
            r#"code = "i3.1"
title = "T"
introduction = ""
estimated_minutes = 2

[[attributes]]
key = "size_band"
label = "Taille"
question = "taille"
values = { petite = "1-9", grande = "10+" }

[[sections]]
id = "s"
title = "S"

[[sections.questions]]
id = "taille"
text = "Taille"
type = "single_choice"
options = [{ value = "petite", label = "Petite" }, { value = "grande", label = "Grande" }]
"#,
        )
        .unwrap();
        let registered = serde_json::json!({ "size_band": "10+" })
            .as_object()
            .cloned()
            .unwrap();
        let answered = answers(&q, &[("taille", "petite")]);
        let kept = |invitation: &Map<String, Value>, answers: &ValidAnswers| {
            response_attributes(&q, invitation, answers)
                .into_iter()
                .find(|(k, _)| k == "size_band")
                .map(|(_, v)| v)
        };
        assert_eq!(kept(&registered, &answered).as_deref(), Some("10+"));
        assert_eq!(kept(&Map::new(), &answered).as_deref(), Some("1-9"));
        assert_eq!(kept(&registered, &answers(&q, &[])).as_deref(), Some("10+"));
        assert_eq!(kept(&Map::new(), &answers(&q, &[])), None);
    }

    #[test]
    fn other_responses_also_keep_the_registration_attributes() {
        let q = questionnaire(false);
        let kept = response_attributes(&q, &roster(), &answers(&q, &[]));
        assert_eq!(
            kept,
            [
                ("entity".to_owned(), "aract-bretagne".to_owned()),
                ("matricule".to_owned(), "42".to_owned()),
                ("site".to_owned(), "Rennes".to_owned()),
            ]
        );
    }
}
