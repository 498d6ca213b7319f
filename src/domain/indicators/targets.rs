//! The contract's targets, and whether an indicator meets them.

use serde::{Deserialize, Serialize};

use crate::domain::QuestionnaireCode;

/// Rounding slack when comparing a computed rate with its target: 3/5 or the mean of 0.5 and
/// 0.7 is 60 % on paper and must meet a 60 % target, whatever the last bit of the float.
const TOLERANCE: f64 = 1e-9;

/// "At least `threshold`", a ratio in `[0, 1]`. Serialized as the bare number.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "f64", into = "f64")]
pub struct Target {
    threshold: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[error("un objectif est un taux entre 0 et 1 (60 % s'écrit 0.6), pas {0}")]
pub struct InvalidTarget(pub f64);

impl Target {
    /// # Panics
    /// When `threshold` is not within `[0, 1]`; use `Target::try_from` for configured values.
    pub const fn at_least(threshold: f64) -> Self {
        assert!(
            0.0 <= threshold && threshold <= 1.0,
            "a target is a ratio in [0, 1]"
        );
        Self { threshold }
    }

    pub const fn threshold(&self) -> f64 {
        self.threshold
    }

    /// Whether `value` reaches the target; `None` when there is no value to judge (no answer
    /// yet), which is neither met nor missed.
    pub fn met(&self, value: Option<f64>) -> Option<bool> {
        value
            .filter(|v| v.is_finite())
            .map(|v| v + TOLERANCE >= self.threshold)
    }
}

impl TryFrom<f64> for Target {
    type Error = InvalidTarget;

    fn try_from(threshold: f64) -> Result<Self, Self::Error> {
        if (0.0..=1.0).contains(&threshold) {
            Ok(Self { threshold })
        } else {
            Err(InvalidTarget(threshold))
        }
    }
}

impl From<Target> for f64 {
    fn from(target: Target) -> f64 {
        target.threshold
    }
}

/// Indicators 6 and 7 have two targets each (fiches: "taux de participation au questionnaire"
/// and "taux de perception favorable").
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SurveyTargets {
    pub participation: Target,
    pub perception: Target,
}

/// The targets of the performance contract, overridable from configuration (any field left
/// out keeps the contract's value).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ContractTargets {
    /// "au moins 60 % d'appropriation et d'utilisation des outils 9 mois après intervention"
    pub i3_1: Target,
    /// "au moins 70 % … 9 mois après co-construction"
    pub i3_2: Target,
    /// "un taux de satisfaction d'au moins 70 % en fin d'année 2025"
    pub i4: Target,
    /// participation 50 %, perception favorable 80 % in 2025
    pub i6: SurveyTargets,
    /// participation 80 %, perception favorable 80 % in 2025
    pub i7: SurveyTargets,
}

impl Default for ContractTargets {
    fn default() -> Self {
        Self {
            i3_1: Target::at_least(0.60),
            i3_2: Target::at_least(0.70),
            i4: Target::at_least(0.70),
            i6: SurveyTargets {
                participation: Target::at_least(0.50),
                perception: Target::at_least(0.80),
            },
            i7: SurveyTargets {
                participation: Target::at_least(0.80),
                perception: Target::at_least(0.80),
            },
        }
    }
}

impl ContractTargets {
    /// The target of the indicator's value (appropriation, satisfaction or perception).
    pub fn value(&self, code: QuestionnaireCode) -> Target {
        match code {
            QuestionnaireCode::I3_1 => self.i3_1,
            QuestionnaireCode::I3_2 => self.i3_2,
            QuestionnaireCode::I4 => self.i4,
            QuestionnaireCode::I6 => self.i6.perception,
            QuestionnaireCode::I7 => self.i7.perception,
        }
    }

    /// The participation target, which only indicators 6 and 7 have.
    pub fn participation(&self, code: QuestionnaireCode) -> Option<Target> {
        match code {
            QuestionnaireCode::I6 => Some(self.i6.participation),
            QuestionnaireCode::I7 => Some(self.i7.participation),
            QuestionnaireCode::I3_1 | QuestionnaireCode::I3_2 | QuestionnaireCode::I4 => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn met_at_or_above_the_threshold() {
        let target = Target::at_least(0.6);
        assert_eq!(target.met(Some(0.6)), Some(true));
        assert_eq!(target.met(Some(0.61)), Some(true));
        assert_eq!(target.met(Some(0.5999)), Some(false));
        assert_eq!(target.met(Some(0.0)), Some(false));
    }

    #[test]
    fn rounding_does_not_miss_a_target_reached_on_paper() {
        // (8/9 + 2/3 + 2/5 + 4/9) / 4 = (40 + 30 + 18 + 20) / 45 / 4 = 108/180 = 0.6 exactly,
        // but the float sum lands one ulp below 0.6.
        let mean = (8.0 / 9.0 + 2.0 / 3.0 + 2.0 / 5.0 + 4.0 / 9.0) / 4.0;
        assert!(mean < 0.6);
        assert_eq!(Target::at_least(0.6).met(Some(mean)), Some(true));
        assert_eq!(Target::at_least(0.7).met(Some(7.0 / 10.0)), Some(true));
        // The slack is far below anything a count can produce.
        assert_eq!(Target::at_least(0.6).met(Some(0.6 - 1e-6)), Some(false));
    }

    #[test]
    fn no_value_is_neither_met_nor_missed() {
        assert_eq!(Target::at_least(0.6).met(None), None);
        assert_eq!(Target::at_least(0.6).met(Some(f64::NAN)), None);
    }

    #[test]
    fn contract_defaults() {
        let targets = ContractTargets::default();
        let values: Vec<f64> = QuestionnaireCode::ALL
            .iter()
            .map(|&code| targets.value(code).threshold())
            .collect();
        assert_eq!(values, [0.60, 0.70, 0.70, 0.80, 0.80]);
        let participation: Vec<Option<f64>> = QuestionnaireCode::ALL
            .iter()
            .map(|&code| targets.participation(code).map(|t| t.threshold()))
            .collect();
        assert_eq!(participation, [None, None, None, Some(0.50), Some(0.80)]);
    }

    #[test]
    fn configured_targets_override_the_defaults_field_by_field() {
        let targets: ContractTargets = serde_json::from_str(
            r#"{"i3_1": 0.65, "i7": {"participation": 0.75, "perception": 0.8}}"#,
        )
        .unwrap();
        assert_eq!(targets.i3_1.threshold(), 0.65);
        assert_eq!(targets.i3_2.threshold(), 0.70);
        assert_eq!(targets.i7.participation.threshold(), 0.75);
        assert_eq!(targets.i6, ContractTargets::default().i6);
    }

    #[test]
    fn targets_outside_0_1_are_refused() {
        assert!(serde_json::from_str::<ContractTargets>(r#"{"i4": 70}"#).is_err());
        assert!(serde_json::from_str::<ContractTargets>(r#"{"i4": -0.1}"#).is_err());
        assert!(serde_json::from_str::<ContractTargets>(r#"{"i5": 0.5}"#).is_err());
        assert_eq!(Target::try_from(1.5), Err(InvalidTarget(1.5)));
        assert!(Target::try_from(f64::NAN).is_err());
        assert_eq!(Target::try_from(1.0).map(|t| t.threshold()), Ok(1.0));
    }

    #[test]
    #[should_panic(expected = "ratio in [0, 1]")]
    fn a_percentage_is_not_a_target() {
        let _ = Target::at_least(60.0);
    }

    #[test]
    fn serializes_as_a_number() {
        assert_eq!(
            serde_json::to_value(Target::at_least(0.7)).unwrap(),
            serde_json::json!(0.7)
        );
    }
}
