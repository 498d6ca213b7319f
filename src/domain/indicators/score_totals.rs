//! Indicator 3.1 kept up to date as responses arrive: running sums over the company scores of
//! a scope (a year of 3.1, or one campaign), so the two-level value, its companies and its
//! interval are read from one row whatever the number of companies.
//!
//! Each stored response changes one company's score; [`ScoreTotals::delta`] is what that
//! change adds to the sums. The sums are of floating-point scores, so they match a fresh
//! computation ([`consolidate_companies`](super::consolidate_companies)) to within rounding
//! (about 1e-12 after a million updates), not bit for bit; rebuilding the tallies recomputes
//! them from scratch.

use super::Z_95;
use super::rates::mean;

/// What a company contributes: whether it has respondents, and its score if any of them gave
/// a valid answer to a scored question.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CompanyState {
    pub respondents: u64,
    pub score: Option<f64>,
}

/// Sums over the companies of one scope.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ScoreTotals {
    /// Companies with at least one respondent.
    pub companies: i64,
    /// Companies with a score: the `k` of the mean.
    pub scored: i64,
    pub sum: f64,
    pub sum_of_squares: f64,
}

/// A company's score: the mean of the rates of its scored questions, each `(favourable,
/// valid)`; questions without a valid answer are left out, and `None` if none is left.
pub fn company_score(questions: impl IntoIterator<Item = (u64, u64)>) -> Option<f64> {
    let rates = questions
        .into_iter()
        .filter(|&(_, valid)| valid > 0)
        .map(|(favourable, valid)| favourable as f64 / valid as f64);
    mean(rates).0
}

impl ScoreTotals {
    /// What replacing `before` (`None`: the company had no respondent yet) by `after` adds.
    pub fn delta(before: Option<CompanyState>, after: CompanyState) -> ScoreTotals {
        let present = |s: Option<CompanyState>| s.is_some_and(|s| s.respondents > 0);
        let score = |s: Option<CompanyState>| s.and_then(|s| s.score);
        let (old, new) = (score(before), score(Some(after)));
        ScoreTotals {
            companies: i64::from(present(Some(after))) - i64::from(present(before)),
            scored: i64::from(new.is_some()) - i64::from(old.is_some()),
            sum: new.unwrap_or(0.0) - old.unwrap_or(0.0),
            sum_of_squares: new.map_or(0.0, |s| s * s) - old.map_or(0.0, |s| s * s),
        }
    }

    pub fn add(&mut self, other: ScoreTotals) {
        self.companies += other.companies;
        self.scored += other.scored;
        self.sum += other.sum;
        self.sum_of_squares += other.sum_of_squares;
    }

    /// The indicator: the mean of the company scores, `None` without a scored company.
    pub fn mean(&self) -> Option<f64> {
        (self.scored > 0).then(|| (self.sum / self.scored as f64).clamp(0.0, 1.0))
    }

    /// The same interval as [`mean_of_scores_interval`](super::mean_of_scores_interval),
    /// from the sums: `m ± 1.96 · s / √k`, `s` the sample standard deviation.
    pub fn interval_95(&self) -> Option<(f64, f64)> {
        if self.scored < 2 {
            return None;
        }
        let n = self.scored as f64;
        let mean = self.sum / n;
        // Rounding can make a zero variance slightly negative.
        let variance = ((self.sum_of_squares - n * mean * mean) / (n - 1.0)).max(0.0);
        let half_width = Z_95 * (variance / n).sqrt();
        Some((
            (mean - half_width).clamp(0.0, 1.0),
            (mean + half_width).clamp(0.0, 1.0),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::indicators::mean_of_scores_interval;

    fn state(respondents: u64, score: Option<f64>) -> CompanyState {
        CompanyState { respondents, score }
    }

    #[test]
    fn a_company_score_is_the_mean_of_its_answered_questions() {
        // 2/4 and 1/1; the question nobody answered validly is left out.
        assert_eq!(company_score([(2, 4), (1, 1), (0, 0)]), Some(0.75));
        assert_eq!(company_score([(0, 0)]), None);
        assert_eq!(company_score([]), None);
    }

    #[test]
    fn sums_follow_companies_arriving_and_changing() {
        let mut totals = ScoreTotals::default();
        // A: first respondent, 0.5; B: first respondent, only "not applicable"; A: 0.5 → 0.75.
        totals.add(ScoreTotals::delta(None, state(1, Some(0.5))));
        totals.add(ScoreTotals::delta(None, state(1, None)));
        totals.add(ScoreTotals::delta(
            Some(state(1, Some(0.5))),
            state(2, Some(0.75)),
        ));
        assert_eq!(totals.companies, 2);
        assert_eq!(totals.scored, 1);
        assert_eq!(totals.mean(), Some(0.75));
        // B gets a score: 0.25. Mean of 0.75 and 0.25.
        totals.add(ScoreTotals::delta(
            Some(state(1, None)),
            state(2, Some(0.25)),
        ));
        assert_eq!((totals.companies, totals.scored), (2, 2));
        assert_eq!(totals.mean(), Some(0.5));
    }

    #[test]
    fn a_company_losing_its_last_respondent_leaves_the_sums() {
        let mut totals = ScoreTotals::default();
        totals.add(ScoreTotals::delta(None, state(1, Some(1.0))));
        totals.add(ScoreTotals::delta(
            Some(state(1, Some(1.0))),
            state(0, None),
        ));
        assert_eq!((totals.companies, totals.scored), (0, 0));
        assert_eq!(totals.mean(), None);
        assert_eq!(totals.sum, 0.0);
    }

    #[test]
    fn the_interval_from_sums_is_the_interval_of_the_scores() {
        let scores = [0.2, 0.9, 0.55, 0.7, 0.61];
        let mut totals = ScoreTotals::default();
        for s in scores {
            totals.add(ScoreTotals::delta(None, state(3, Some(s))));
        }
        let (low, high) = totals.interval_95().unwrap();
        let (expected_low, expected_high) = mean_of_scores_interval(&scores).unwrap();
        assert!((low - expected_low).abs() < 1e-12 && (high - expected_high).abs() < 1e-12);
        assert!((totals.mean().unwrap() - 0.592).abs() < 1e-12);
    }

    #[test]
    fn no_interval_below_two_companies_and_none_negative_for_equal_scores() {
        let mut totals = ScoreTotals::default();
        totals.add(ScoreTotals::delta(None, state(1, Some(0.3))));
        assert_eq!(totals.interval_95(), None);
        for _ in 0..3 {
            totals.add(ScoreTotals::delta(None, state(1, Some(0.3))));
        }
        let (low, high) = totals.interval_95().unwrap();
        assert!((low - 0.3).abs() < 1e-9 && (high - 0.3).abs() < 1e-9);
    }
}
