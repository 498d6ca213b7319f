//! Results: from the tallies the storage layer keeps to the indicators, distributions,
//! breakdowns and timelines the dashboard, the API and the exports show.
//!
//! The write side ([`tally`]) says what one response adds to the running counts; the read
//! side turns counts into figures with [`crate::domain::indicators`], interpreting every
//! count with the definition of the version that was answered. No I/O here either.

pub mod breakdown;
pub mod counts;
pub mod distribution;
pub mod indicator;
pub mod labels;
pub mod period;
pub mod rates;
pub mod report;
pub mod tally;
pub mod timeline;

#[cfg(test)]
mod tests;

pub use breakdown::{Breakdown, BreakdownGroup, breakdowns};
pub use counts::{GroupCount, ValueCount, Versions};
pub use distribution::{OptionCount, QuestionDistribution, distributions};
pub use indicator::{Companies, IndicatorInput, IndicatorReport, PeriodChange, change, indicator};
pub use period::{measured_by_wave, paris_year_bounds, parse_year, tally_period};
pub use tally::{ResponseTally, response_tally};
pub use timeline::{SentBatch, Timeline, TimelinePoint, participation, timeline};

use crate::domain::indicators::{ContractTargets, DEFAULT_THRESHOLD};

/// How results are published: the contract's targets and the anonymity threshold, both
/// configurable.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ResultsSettings {
    pub targets: ContractTargets,
    /// The smallest group of an anonymous questionnaire shown in a breakdown.
    pub anonymity_threshold: u64,
}

impl Default for ResultsSettings {
    fn default() -> Self {
        Self {
            targets: ContractTargets::default(),
            anonymity_threshold: DEFAULT_THRESHOLD,
        }
    }
}
