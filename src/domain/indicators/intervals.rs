//! 95 % intervals for the indicators that are means rather than proportions.
//!
//! A mean of question rates (3.2, 6, 7) and a mean of company scores (3.1) are not
//! proportions, so the Wilson interval does not apply to them directly. Each gets the
//! interval that matches how it is computed, so the board sees how precise a figure is.

use super::{QuestionRate, Z_95};

/// The interval of a mean of question rates: the mean of the questions' 95 % Wilson bounds,
/// over the questions that have a rate (those the mean averages).
///
/// The answers of one person to several questions are correlated, so the interval of the
/// mean cannot assume independent questions. Averaging the bounds gives the interval's
/// half-width as the mean of the questions' half-widths, the widest the mean's can be
/// whatever the correlation (the standard deviation of a sum is at most the sum of the
/// standard deviations): a conservative interval, like the test of change in
/// [`super::compare_indicators`].
pub fn mean_of_rates_interval(questions: &[QuestionRate]) -> Option<(f64, f64)> {
    let bounds: Vec<(f64, f64)> = questions
        .iter()
        .filter_map(|q| q.proportion.interval_95())
        .collect();
    if bounds.is_empty() {
        return None;
    }
    let n = bounds.len() as f64;
    let low = bounds.iter().map(|b| b.0).sum::<f64>() / n;
    let high = bounds.iter().map(|b| b.1).sum::<f64>() / n;
    Some((low, high))
}

/// The interval of a mean of company scores (3.1): the companies are the sampled units, so
/// it is the normal interval of a mean, `m ± 1.96 · s / √k` with `s` the standard deviation
/// of the `k` scores (sample, `k − 1`), clamped to `[0, 1]`. `None` below two companies:
/// one score says nothing about the spread.
pub fn mean_of_scores_interval(scores: &[f64]) -> Option<(f64, f64)> {
    let k = scores.len();
    if k < 2 {
        return None;
    }
    let n = k as f64;
    let mean = scores.iter().sum::<f64>() / n;
    let variance = scores.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let half_width = Z_95 * (variance / n).sqrt();
    Some((
        (mean - half_width).clamp(0.0, 1.0),
        (mean + half_width).clamp(0.0, 1.0),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::indicators::Proportion;

    fn round4(x: f64) -> f64 {
        (x * 10_000.0).round() / 10_000.0
    }

    #[test]
    fn the_mean_of_rates_interval_averages_the_wilson_bounds() {
        // 8/10 → [0.4902, 0.9433]; 45/100 → [0.3561, 0.5476] (see proportion.rs);
        // a question without valid answers is left out, as in the mean.
        let questions = [
            QuestionRate::new("q1", Proportion::new(8, 10)),
            QuestionRate::new("q2", Proportion::new(45, 100)),
            QuestionRate::new("q3", Proportion::new(0, 0)),
        ];
        let (low, high) = mean_of_rates_interval(&questions).unwrap();
        // (0.490169 + 0.356137) / 2 = 0.423153; (0.943321 + 0.547563) / 2 = 0.745442
        assert_eq!((round4(low), round4(high)), (0.4232, 0.7454));
        assert_eq!(mean_of_rates_interval(&questions[2..]), None);
    }

    #[test]
    fn the_mean_of_scores_interval_treats_companies_as_the_sample() {
        // Scores 0.5, 0.7, 0.9: mean 0.7, s² = (0.04 + 0 + 0.04) / 2 = 0.04, s = 0.2
        // half-width = 1.96 · 0.2 / √3 = 0.226321 → [0.4737, 0.9263]
        let (low, high) = mean_of_scores_interval(&[0.5, 0.7, 0.9]).unwrap();
        assert_eq!((round4(low), round4(high)), (0.4737, 0.9263));
        // Identical scores: no spread, a point.
        let (low, high) = mean_of_scores_interval(&[0.6, 0.6]).unwrap();
        assert!((low - 0.6).abs() < 1e-12 && (high - 0.6).abs() < 1e-12);
        // Clamped to [0, 1].
        assert_eq!(mean_of_scores_interval(&[0.0, 1.0]), Some((0.0, 1.0)));
        assert_eq!(mean_of_scores_interval(&[0.8]), None);
        assert_eq!(mean_of_scores_interval(&[]), None);
    }
}
