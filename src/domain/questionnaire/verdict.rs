//! Whether an answer counts for, against, or not at all in a favourable rate.
//!
//! This is the only place that says it. Rates are read from the counts per value
//! (`indicators::question_proportion`) and also frozen, response by response, into the group
//! tallies (`results::tally::response_tally`): if the two decided separately, a breakdown or
//! a company score could disagree with the headline computed from the same answers.

use super::QuestionKind;

/// What one answer value means for its question's favourable rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Counted in the numerator and the denominator.
    Favourable,
    /// A valid answer that is not favourable: counted in the denominator only.
    Unfavourable,
    /// "Je ne sais pas", "Non concerné": the respondent has no opinion to count for or
    /// against, so the answer weighs nowhere.
    NotApplicable,
}

impl Verdict {
    /// What one answer with this verdict adds to `(favourable, valid)`.
    pub const fn counts(self) -> (u64, u64) {
        match self {
            Self::Favourable => (1, 1),
            Self::Unfavourable => (0, 1),
            Self::NotApplicable => (0, 0),
        }
    }
}

impl QuestionKind {
    /// The verdict on `value`, an answer to a question of this kind.
    ///
    /// A value listed as not applicable is [`Verdict::NotApplicable`]; else one listed as
    /// favourable is [`Verdict::Favourable`]; every other value is a valid answer,
    /// [`Verdict::Unfavourable`], including values of kinds that list nothing (only Likert
    /// and rating questions can be scored, the parser sees to it). Not applicable is checked
    /// first so that a value in both lists (the parser forbids it) could only shrink a
    /// denominator, never inflate a rate.
    pub fn classify(&self, value: &str) -> Verdict {
        let listed = |list: &[String]| list.iter().any(|v| v == value);
        if listed(self.not_applicable()) {
            Verdict::NotApplicable
        } else if listed(self.favorable()) {
            Verdict::Favourable
        } else {
            Verdict::Unfavourable
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::questionnaire::{ChoiceOption, Scale};

    fn strings(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| (*v).to_owned()).collect()
    }

    fn options(values: &[&str]) -> Vec<ChoiceOption> {
        values
            .iter()
            .map(|v| ChoiceOption {
                value: (*v).to_owned(),
                label: (*v).to_owned(),
            })
            .collect()
    }

    fn likert(favorable: &[&str], not_applicable: &[&str]) -> QuestionKind {
        QuestionKind::Likert(Scale {
            options: options(&["oui", "plutot", "non", "nsp"]),
            favorable: strings(favorable),
            not_applicable: strings(not_applicable),
        })
    }

    #[test]
    fn a_likert_value_is_favourable_unfavourable_or_not_applicable() {
        let kind = likert(&["oui", "plutot"], &["nsp"]);
        assert_eq!(kind.classify("oui"), Verdict::Favourable);
        assert_eq!(kind.classify("plutot"), Verdict::Favourable);
        assert_eq!(kind.classify("non"), Verdict::Unfavourable);
        assert_eq!(kind.classify("nsp"), Verdict::NotApplicable);
    }

    #[test]
    fn values_are_compared_exactly() {
        let kind = likert(&["oui"], &["nsp"]);
        for other in ["", "Oui", "oui ", " nsp", "NSP", "ou"] {
            assert_eq!(kind.classify(other), Verdict::Unfavourable, "{other:?}");
        }
    }

    #[test]
    fn a_value_no_option_has_is_a_valid_unfavourable_answer() {
        assert_eq!(
            likert(&["oui"], &["nsp"]).classify("supprime"),
            Verdict::Unfavourable
        );
    }

    #[test]
    fn not_applicable_wins_over_favourable() {
        assert_eq!(
            likert(&["oui"], &["oui"]).classify("oui"),
            Verdict::NotApplicable
        );
    }

    #[test]
    fn without_lists_every_value_is_unfavourable() {
        let kind = likert(&[], &[]);
        for value in ["oui", "plutot", "non", "nsp"] {
            assert_eq!(kind.classify(value), Verdict::Unfavourable);
        }
    }

    #[test]
    fn a_rating_has_favourable_values_and_none_not_applicable() {
        let kind = QuestionKind::Rating {
            min: 1,
            max: 5,
            min_label: None,
            max_label: None,
            favorable: strings(&["4", "5"]),
        };
        assert_eq!(kind.classify("5"), Verdict::Favourable);
        assert_eq!(kind.classify("4"), Verdict::Favourable);
        for value in ["1", "2", "3", "04", "6"] {
            assert_eq!(kind.classify(value), Verdict::Unfavourable, "{value}");
        }
    }

    #[test]
    fn kinds_without_lists_never_give_favourable_or_not_applicable() {
        let kinds = [
            QuestionKind::SingleChoice {
                options: options(&["oui", "nsp"]),
            },
            QuestionKind::MultipleChoice {
                options: options(&["oui", "nsp"]),
                max_choices: None,
            },
            QuestionKind::Text {
                max_length: 10,
                multiline: false,
            },
            QuestionKind::Number {
                min: 0,
                max: 10,
                unit: None,
            },
        ];
        for kind in kinds {
            for value in ["oui", "nsp", "3"] {
                assert_eq!(kind.classify(value), Verdict::Unfavourable);
            }
        }
    }

    #[test]
    fn each_verdict_adds_to_favourable_and_valid_counts() {
        assert_eq!(Verdict::Favourable.counts(), (1, 1));
        assert_eq!(Verdict::Unfavourable.counts(), (0, 1));
        assert_eq!(Verdict::NotApplicable.counts(), (0, 0));
    }
}
