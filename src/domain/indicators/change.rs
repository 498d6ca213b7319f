//! Change between two waves (indicators 6, 7) or two years (3.x, 4), and whether it is more
//! than sampling noise.
//!
//! Changes are in percentage points (`(after − before) × 100`), as the fiches' "comparatif
//! entre les 2 campagnes" is read. Each wave is treated as an independent sample: anonymous
//! answers cannot be paired across waves, and a paired test would need exactly that.

use serde::Serialize;

use super::normal::two_sided_p_value;
use super::{MeanIndicator, Proportion, QuestionRate};

/// The two-sided level below which a change is called significant.
pub const SIGNIFICANCE_LEVEL: f64 = 0.05;

/// The outcome of a two-sided z-test.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Significance {
    /// Positive when the rate went up.
    pub z: f64,
    pub p_value: f64,
    /// `p_value < 0.05`.
    pub significant: bool,
}

impl Significance {
    /// `difference / standard_error`. A zero standard error only arises when both samples
    /// are all favourable or all unfavourable, i.e. when there is no difference: the test then
    /// says z = 0, p = 1 instead of dividing 0 by 0.
    fn of(difference: f64, standard_error: f64) -> Self {
        let z = if standard_error > 0.0 {
            difference / standard_error
        } else {
            0.0
        };
        let p_value = two_sided_p_value(z);
        Self {
            z,
            p_value,
            significant: p_value < SIGNIFICANCE_LEVEL,
        }
    }
}

/// The change of one rate (a question, the overall question, i4 satisfaction…).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Change {
    pub before: Proportion,
    pub after: Proportion,
    /// `(after − before) × 100`; `None` when either side has no valid answer.
    pub points: Option<f64>,
    /// `None` when either side has no valid answer.
    pub test: Option<Significance>,
}

impl Change {
    /// The difference and the two-proportion z-test with pooled standard error:
    ///
    /// ```text
    /// p̄  = (x₁ + x₂) / (n₁ + n₂)
    /// se = √( p̄ (1 − p̄) (1/n₁ + 1/n₂) )
    /// z  = (p₂ − p₁) / se
    /// ```
    ///
    /// It is a large-sample approximation: with a handful of answers on either side (a
    /// regional body) read the p-value as indicative only.
    pub fn between(before: Proportion, after: Proportion) -> Self {
        let (Some(p1), Some(p2)) = (before.rate(), after.rate()) else {
            return Self {
                before,
                after,
                points: None,
                test: None,
            };
        };
        Self {
            before,
            after,
            points: Some((p2 - p1) * 100.0),
            test: Some(Significance::of(
                p2 - p1,
                pooled_standard_error(before, after),
            )),
        }
    }

    pub fn is_significant(&self) -> bool {
        self.test.is_some_and(|t| t.significant)
    }
}

/// The standard error of `p₂ − p₁` under the hypothesis that both rates are equal. Both
/// totals must be non-zero.
fn pooled_standard_error(before: Proportion, after: Proportion) -> f64 {
    let (n1, n2) = (before.total() as f64, after.total() as f64);
    let pooled = (before.favorable() + after.favorable()) as f64 / (n1 + n2);
    (pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2))
        .max(0.0)
        .sqrt()
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuestionChange {
    pub question: String,
    #[serde(flatten)]
    pub change: Change,
}

/// The change of a mean-of-questions indicator value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MeanChange {
    pub before: Option<f64>,
    pub after: Option<f64>,
    /// `(after − before) × 100` of the two published values.
    pub points: Option<f64>,
    /// The questions with valid answers in both periods, on which the test is computed.
    pub questions_tested: usize,
    pub test: Option<Significance>,
}

/// Two periods of indicator 3.2, 6 or 7 (or the pooled figures of 3.1) side by side.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndicatorComparison {
    pub value: MeanChange,
    /// Every question of either period: those of `before` in order, then those only in
    /// `after`. A question missing on one side has no points and no test.
    pub questions: Vec<QuestionChange>,
    /// The overall-perception question, when either period has one.
    pub overall: Option<Change>,
}

/// Compares two periods of a mean-of-questions indicator, question by question and overall.
///
/// The test of the mean cannot be a two-proportion test on all answers pooled: one person's
/// answers to several questions are not independent, so that would overstate significance.
/// Instead, over the `m` questions answered in both periods:
///
/// ```text
/// d̄  = Σ (p₂ᵢ − p₁ᵢ) / m
/// se = Σ seᵢ / m          (seᵢ: the pooled standard error of question i)
/// z  = d̄ / se
/// ```
///
/// The standard deviation of a sum is at most the sum of the standard deviations, whatever
/// the correlation between questions, so `se` is an upper bound and the test is conservative:
/// a change called significant is one; a small real change may go undetected. `d̄` equals
/// the difference of the published values when every question is answered in both periods.
pub fn compare_indicators(before: &MeanIndicator, after: &MeanIndicator) -> IndicatorComparison {
    let find = |questions: &[QuestionRate], id: &str| {
        questions
            .iter()
            .find(|q| q.question == id)
            .map_or(Proportion::default(), |q| q.proportion)
    };
    let mut ids: Vec<&str> = before
        .questions
        .iter()
        .map(|q| q.question.as_str())
        .collect();
    for q in &after.questions {
        if !ids.contains(&q.question.as_str()) {
            ids.push(&q.question);
        }
    }
    let questions: Vec<QuestionChange> = ids
        .into_iter()
        .map(|id| QuestionChange {
            question: id.to_owned(),
            change: Change::between(find(&before.questions, id), find(&after.questions, id)),
        })
        .collect();

    let tested: Vec<&Change> = questions
        .iter()
        .map(|q| &q.change)
        .filter(|c| c.test.is_some())
        .collect();
    let test = (!tested.is_empty()).then(|| {
        let m = tested.len() as f64;
        let difference: f64 = tested
            .iter()
            .filter_map(|c| Some(c.after.rate()? - c.before.rate()?))
            .sum::<f64>()
            / m;
        let standard_error: f64 = tested
            .iter()
            .map(|c| pooled_standard_error(c.before, c.after))
            .sum::<f64>()
            / m;
        Significance::of(difference, standard_error)
    });
    let value = MeanChange {
        before: before.value,
        after: after.value,
        points: before.value.zip(after.value).map(|(b, a)| (a - b) * 100.0),
        questions_tested: tested.len(),
        test,
    };

    let overall = match (&before.overall, &after.overall) {
        (None, None) => None,
        (b, a) => Some(Change::between(
            b.as_ref().map_or(Proportion::default(), |q| q.proportion),
            a.as_ref().map_or(Proportion::default(), |q| q.proportion),
        )),
    };

    IndicatorComparison {
        value,
        questions,
        overall,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(favorable: u64, total: u64) -> Proportion {
        Proportion::new(favorable, total)
    }

    fn q(id: &str, favorable: u64, total: u64) -> QuestionRate {
        QuestionRate::new(id, p(favorable, total))
    }

    fn close(a: f64, b: f64, tolerance: f64) -> bool {
        (a - b).abs() < tolerance
    }

    #[test]
    fn a_significant_rise() {
        // 45/100 → 60/100: +15 points.
        // p̄ = 105/200 = 0.525; se = √(0.525 · 0.475 · 0.02) = √0.0049875 = 0.070622
        // z = 0.15 / 0.070622 = 2.1240; p = 2 · (1 − Φ(2.1240)) = 0.0337 < 0.05
        let change = Change::between(p(45, 100), p(60, 100));
        assert!(close(change.points.unwrap(), 15.0, 1e-9));
        let test = change.test.unwrap();
        assert!(close(test.z, 2.123_977, 1e-6));
        assert!(close(test.p_value, 0.033_672, 1e-6));
        assert!(test.significant && change.is_significant());
    }

    #[test]
    fn a_rise_within_noise() {
        // 30/50 → 35/50: +10 points, z = 1.0483, p = 0.2945: not significant.
        let change = Change::between(p(30, 50), p(35, 50));
        assert!(close(change.points.unwrap(), 10.0, 1e-9));
        let test = change.test.unwrap();
        assert!(close(test.z, 1.048_285, 1e-6));
        assert!(close(test.p_value, 0.294_507, 1e-6));
        assert!(!test.significant);
    }

    #[test]
    fn a_significant_fall_has_a_negative_z() {
        // 120/200 → 100/200: −10 points, z = −2.0101, p = 0.0444.
        let change = Change::between(p(120, 200), p(100, 200));
        assert!(close(change.points.unwrap(), -10.0, 1e-9));
        let test = change.test.unwrap();
        assert!(close(test.z, -2.010_076, 1e-6));
        assert!(close(test.p_value, 0.044_423, 1e-6));
        assert!(test.significant);
    }

    #[test]
    fn all_or_nothing_on_both_sides_is_no_change_not_nan() {
        for (before, after) in [(p(0, 10), p(0, 12)), (p(10, 10), p(5, 5))] {
            let change = Change::between(before, after);
            assert_eq!(change.points, Some(0.0));
            let test = change.test.unwrap();
            assert_eq!((test.z, test.p_value, test.significant), (0.0, 1.0, false));
        }
    }

    #[test]
    fn from_none_to_all() {
        // 0/10 → 10/10: p̄ = 0.5, se = √(0.25 · 0.2) = 0.2236, z = 4.4721, p = 7.7e-6.
        let test = Change::between(p(0, 10), p(10, 10)).test.unwrap();
        assert!(close(test.z, 4.472_136, 1e-6));
        assert!(close(test.p_value, 7.744e-6, 1e-8));
        assert!(test.significant);
    }

    #[test]
    fn an_empty_side_gives_no_change() {
        for (before, after) in [(p(0, 0), p(3, 4)), (p(3, 4), p(0, 0)), (p(0, 0), p(0, 0))] {
            let change = Change::between(before, after);
            assert_eq!((change.points, change.test), (None, None));
            assert!(!change.is_significant());
        }
    }

    #[test]
    fn comparing_two_waves_question_by_question() {
        // q1: 40/100 → 55/100, se₁ = √(0.475 · 0.525 · 0.02) = 0.070622
        // q2: 50/100 → 65/100, se₂ = √(0.575 · 0.425 · 0.02) = 0.069911
        // mean: 0.45 → 0.60, +15 points; d̄ = 0.15, se = (0.070622 + 0.069911) / 2 = 0.070266
        // z = 0.15 / 0.070266 = 2.1347, p = 0.0328 (assuming independent questions would give
        // se = √(se₁² + se₂²) / 2 = 0.0497 and z = 3.02: the conservative test says less).
        let before = MeanIndicator::new(
            vec![q("q1", 40, 100), q("q2", 50, 100)],
            Some(q("o", 5, 10)),
        );
        let after = MeanIndicator::new(
            vec![q("q1", 55, 100), q("q2", 65, 100)],
            Some(q("o", 8, 10)),
        );
        let comparison = compare_indicators(&before, &after);

        assert_eq!(comparison.questions.len(), 2);
        assert_eq!(comparison.questions[0].question, "q1");
        assert!(close(
            comparison.questions[0].change.points.unwrap(),
            15.0,
            1e-9
        ));

        let value = comparison.value;
        assert!(close(value.before.unwrap(), 0.45, 1e-12));
        assert!(close(value.after.unwrap(), 0.6, 1e-12));
        assert!(close(value.points.unwrap(), 15.0, 1e-9));
        assert_eq!(value.questions_tested, 2);
        let test = value.test.unwrap();
        assert!(close(test.z, 2.134_732, 1e-6));
        assert!(close(test.p_value, 0.032_783, 1e-6));
        assert!(test.significant);

        let overall = comparison.overall.unwrap();
        assert_eq!((overall.before, overall.after), (p(5, 10), p(8, 10)));
        assert!(close(overall.points.unwrap(), 30.0, 1e-9));
    }

    #[test]
    fn questions_on_one_side_only_are_listed_but_not_tested() {
        // q1 in both (40/100 → 55/100), q0 only before, q3 only after.
        // The test then rests on q1 alone: z = 2.1240 as for a single proportion.
        let before = MeanIndicator::new(vec![q("q0", 1, 2), q("q1", 40, 100)], None);
        let after = MeanIndicator::new(vec![q("q1", 55, 100), q("q3", 3, 4)], None);
        let comparison = compare_indicators(&before, &after);
        let ids: Vec<_> = comparison
            .questions
            .iter()
            .map(|c| c.question.as_str())
            .collect();
        assert_eq!(ids, ["q0", "q1", "q3"]);
        assert_eq!(comparison.questions[0].change.points, None);
        assert_eq!(comparison.questions[2].change.after, p(3, 4));
        assert_eq!(comparison.questions[2].change.test, None);
        assert_eq!(comparison.value.questions_tested, 1);
        assert!(close(comparison.value.test.unwrap().z, 2.123_977, 1e-6));
        assert_eq!(comparison.overall, None);
    }

    #[test]
    fn comparing_empty_waves() {
        let empty = MeanIndicator::new(vec![q("q1", 0, 0)], None);
        let comparison = compare_indicators(&empty, &empty);
        assert_eq!(comparison.value.points, None);
        assert_eq!(comparison.value.test, None);
        assert_eq!(comparison.value.questions_tested, 0);
    }

    #[test]
    fn an_overall_question_on_one_side_only() {
        let before = MeanIndicator::new(vec![q("q1", 1, 2)], None);
        let after = MeanIndicator::new(vec![q("q1", 1, 2)], Some(q("o", 1, 2)));
        let overall = compare_indicators(&before, &after).overall.unwrap();
        assert_eq!((overall.points, overall.test), (None, None));
    }

    #[test]
    fn serializes_flat_per_question() {
        let comparison = compare_indicators(
            &MeanIndicator::new(vec![q("q1", 1, 2)], None),
            &MeanIndicator::new(vec![q("q1", 2, 2)], None),
        );
        let json = serde_json::to_value(&comparison).unwrap();
        assert_eq!(json["questions"][0]["question"], "q1");
        assert_eq!(json["questions"][0]["points"], 50.0);
        assert_eq!(json["questions"][0]["after"]["rate"], 1.0);
        assert!(json["value"]["test"]["p_value"].is_number());
    }
}
