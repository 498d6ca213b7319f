//! One indicator for one period, computed from the tallies: the figure the board reads, with
//! its n, interval, participation and target.

use crate::domain::QuestionnaireCode;
use crate::domain::indicators::{
    Change, ContractTargets, DownloadParticipation, MeanIndicator, Participation, QuestionChange,
    QuestionRate, ScoreTotals, Significance, Target, TwoLevelIndicator, compare_indicators,
    consolidate_companies, mean_of_rates_interval, mean_of_scores_interval,
};

use super::counts::{GroupCount, ValueCount, Versions};
use super::rates::{company_counts, rates, satisfaction_rate};

/// What the storage layer counted for one indicator and one period.
#[derive(Debug, Clone, Copy)]
pub struct IndicatorInput<'a> {
    pub code: QuestionnaireCode,
    pub counts: &'a [ValueCount],
    /// Indicator 3.1's companies (ignored for the others).
    pub companies: Companies<'a>,
    /// Invitations sent, failed and completed (3.1, 3.2, 6, 7).
    pub participation: Option<Participation>,
    /// Downloads counted (4): not recorded yet, so `None` until they are.
    pub downloads: Option<DownloadParticipation>,
}

/// What is known of 3.1's companies.
#[derive(Debug, Clone, Copy)]
pub enum Companies<'a> {
    /// Every company's `company` group tallies: the value and the table of companies.
    Counts(&'a [GroupCount]),
    /// The running sums of the company scores: the value, its interval and the number of
    /// companies, read from one row (the dashboard's pages).
    Totals(ScoreTotals),
}

impl Companies<'_> {
    pub const NONE: Companies<'static> = Companies::Counts(&[]);
}

#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorReport {
    pub code: QuestionnaireCode,
    /// The indicator as the fiche defines it; `None` without a valid answer.
    pub value: Option<f64>,
    /// Its 95 % interval (see [`crate::domain::indicators::intervals`]).
    pub interval: Option<(f64, f64)>,
    pub target: Target,
    pub respondents: u64,
    pub participation: Option<Participation>,
    pub downloads: Option<DownloadParticipation>,
    pub participation_target: Option<Target>,
    /// The question rates behind the value: the scored questions (3.2, 6, 7), the pooled ones
    /// (3.1), the satisfaction question (4); with the overall question (6, 7).
    pub mean: MeanIndicator,
    /// Indicator 3.1's two levels: companies and pooled figure.
    pub two_level: Option<TwoLevelIndicator>,
}

impl IndicatorReport {
    pub fn target_met(&self) -> Option<bool> {
        self.target.met(self.value)
    }

    /// Invitations sent, or downloads counted for 4.
    pub fn invited(&self) -> Option<u64> {
        match (self.participation, self.downloads) {
            (Some(p), _) => Some(p.sent()),
            (None, Some(d)) => Some(d.downloads),
            (None, None) => None,
        }
    }

    pub fn participation_rate(&self) -> Option<f64> {
        match (self.participation, self.downloads) {
            (Some(p), _) => p.rate(),
            (None, Some(d)) => d.rate(),
            (None, None) => None,
        }
    }

    pub fn participation_met(&self) -> Option<bool> {
        self.participation_target?.met(self.participation_rate())
    }

    /// The overall-perception question (6, 7).
    pub fn overall(&self) -> Option<&QuestionRate> {
        self.mean.overall.as_ref()
    }
}

/// Computes one indicator. Participation is taken as given: it comes from the invitations,
/// not from the answers.
pub fn indicator(
    input: IndicatorInput<'_>,
    versions: &Versions,
    targets: &ContractTargets,
) -> IndicatorReport {
    let code = input.code;
    let rates = rates(input.counts, versions);
    let (value, interval, mean, two_level) = match code {
        QuestionnaireCode::I3_1 => {
            let (two_level, interval) = match input.companies {
                Companies::Counts(groups) => {
                    let two_level = consolidate_companies(company_counts(groups, &rates.scored));
                    let scores: Vec<f64> =
                        two_level.companies.iter().filter_map(|c| c.score).collect();
                    (two_level, mean_of_scores_interval(&scores))
                }
                Companies::Totals(totals) => (
                    TwoLevelIndicator::from_totals(&totals, rates.scored.clone()),
                    totals.interval_95(),
                ),
            };
            // The per-question table shows every respondent's answers pooled, the figure
            // published beside the two-level value.
            let mean = MeanIndicator::new(rates.scored, None);
            (two_level.value, interval, mean, Some(two_level))
        }
        QuestionnaireCode::I4 => {
            let satisfaction = satisfaction_rate(input.counts, versions);
            let proportion = satisfaction.as_ref().map(|q| q.proportion);
            let mean = MeanIndicator::new(satisfaction.into_iter().collect(), None);
            (
                proportion.and_then(|p| p.rate()),
                proportion.and_then(|p| p.interval_95()),
                mean,
                None,
            )
        }
        QuestionnaireCode::I3_2 | QuestionnaireCode::I6 | QuestionnaireCode::I7 => {
            let mean = MeanIndicator::new(rates.scored, rates.overall);
            let interval = mean_of_rates_interval(&mean.questions);
            (mean.value, interval, mean, None)
        }
    };
    IndicatorReport {
        code,
        value,
        interval,
        target: targets.value(code),
        respondents: rates.respondents,
        participation: input.participation,
        downloads: input.downloads,
        participation_target: targets.participation(code),
        mean,
        two_level,
    }
}

/// The change from one period to the next.
#[derive(Debug, Clone, PartialEq)]
pub struct PeriodChange {
    /// In percentage points; `None` when either period has no value.
    pub points: Option<f64>,
    /// Whether the change is more than sampling noise; `None` when it cannot be tested
    /// (no value, or 3.1's two-level value: see [`TwoLevelIndicator::pooled`]).
    pub test: Option<Significance>,
    pub questions: Vec<QuestionChange>,
    pub overall: Option<Change>,
}

impl PeriodChange {
    pub fn significant(&self) -> bool {
        self.test.is_some_and(|t| t.significant)
    }
}

/// Compares two periods of the same indicator: question by question and overall (the
/// two-proportion test of [`compare_indicators`] and [`Change::between`]).
pub fn change(before: &IndicatorReport, after: &IndicatorReport) -> PeriodChange {
    let comparison = compare_indicators(&before.mean, &after.mean);
    match after.code {
        QuestionnaireCode::I4 => {
            let single = comparison.questions.first().map(|q| q.change);
            PeriodChange {
                points: single.and_then(|c| c.points),
                test: single.and_then(|c| c.test),
                questions: comparison.questions,
                overall: None,
            }
        }
        QuestionnaireCode::I3_1 => PeriodChange {
            points: before.value.zip(after.value).map(|(b, a)| (a - b) * 100.0),
            test: None,
            questions: comparison.questions,
            overall: None,
        },
        QuestionnaireCode::I3_2 | QuestionnaireCode::I6 | QuestionnaireCode::I7 => PeriodChange {
            points: comparison.value.points,
            test: comparison.value.test,
            questions: comparison.questions,
            overall: comparison.overall,
        },
    }
}
