//! The performance-contract indicators, computed from counts.
//!
//! Everything here is arithmetic on numbers the storage layer has already aggregated (counts
//! per answer value, per question, per company, per group): no I/O, no clock, no database.
//! That keeps the figures sent to the board and the ministry explainable line by line, and
//! lets the hand-worked examples of the fiches be unit tests.
//!
//! Rates are ratios in `[0, 1]`, never percentages, except the change between two periods,
//! which is in percentage points because that is how it is read out ("+ 4 points").
//!
//! | Fiche | Definition                                                     | Here                      |
//! |-------|----------------------------------------------------------------|---------------------------|
//! | 3.1   | mean over companies of the mean of the question rates          | [`consolidate_companies`] |
//! | 3.2   | mean of the question rates                                     | [`MeanIndicator`]         |
//! | 4     | satisfied ratings / all ratings; ratings / downloads           | [`satisfaction`], [`DownloadParticipation`] |
//! | 6, 7  | mean of the question rates, plus the overall question's rate   | [`MeanIndicator`]         |
//!
//! Around them: participation ([`Participation`]), uncertainty ([`Proportion::wilson_interval`],
//! and [`intervals`] for the means),
//! change between waves or years ([`change`]), targets ([`ContractTargets`]) and small-cell
//! suppression for anonymous questionnaires ([`suppression`]).

pub mod change;
pub mod consolidation;
pub mod intervals;
pub mod normal;
pub mod participation;
pub mod proportion;
pub mod rates;
pub mod score_totals;
pub mod suppression;
pub mod targets;

pub use change::{
    Change, IndicatorComparison, MeanChange, QuestionChange, SIGNIFICANCE_LEVEL, Significance,
    compare_indicators,
};
pub use consolidation::{CompanyCounts, CompanyScore, TwoLevelIndicator, consolidate_companies};
pub use intervals::{mean_of_rates_interval, mean_of_scores_interval};
pub use participation::{DownloadParticipation, Participation};
pub use proportion::{Interval, Proportion, Z_95};
pub use rates::{MeanIndicator, QuestionRate, question_proportion, satisfaction};
pub use score_totals::{CompanyState, ScoreTotals, company_score};
pub use suppression::{
    DEFAULT_THRESHOLD, GroupParticipation, ParticipationBreakdown, PublishedCell, PublishedGroup,
    SuppressedBreakdown, SuppressionMask, participation_mask, suppress_breakdown,
    suppress_participation, suppression_mask,
};
pub use targets::{ContractTargets, InvalidTarget, SurveyTargets, Target};
