//! A count of favourable answers out of a count of valid ones, and its uncertainty.

use std::iter::Sum;
use std::ops::Add;

use serde::ser::{Serialize, SerializeStruct, Serializer};

/// The normal quantile for a two-sided 95 % interval, as conventionally rounded (the fiches and
/// every survey report use 1.96; the exact 1.95996… changes nothing at four decimals).
pub const Z_95: f64 = 1.96;

/// `favorable` out of `total`: the building block of every rate in the indicators.
///
/// The fields are private so that `favorable <= total` always holds: a rate above 1 can only
/// come from a counting bug, and it must stop at the boundary rather than reach the board.
///
/// It serializes as `{"favorable", "total", "rate", "interval"}`, so that no rate is ever
/// published without its n and its 95 % Wilson interval (issue 4: "with every rate: n, and a
/// 95 % Wilson interval").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Proportion {
    favorable: u64,
    total: u64,
}

impl Proportion {
    /// # Panics
    /// When `favorable > total`, which no correct count can produce.
    pub const fn new(favorable: u64, total: u64) -> Self {
        assert!(
            favorable <= total,
            "a proportion cannot count more favourable answers than answers"
        );
        Self { favorable, total }
    }

    /// Like [`Proportion::new`], for counts that come from outside (a configuration, another
    /// system) and may be inconsistent.
    pub const fn checked(favorable: u64, total: u64) -> Option<Self> {
        if favorable <= total {
            Some(Self { favorable, total })
        } else {
            None
        }
    }

    pub const fn favorable(&self) -> u64 {
        self.favorable
    }

    /// The denominator, i.e. the n published beside the rate.
    pub const fn total(&self) -> u64 {
        self.total
    }

    pub const fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// `favorable / total`, or `None` when nobody gave a valid answer: 0 % would claim that
    /// everybody answered unfavourably.
    pub fn rate(&self) -> Option<f64> {
        (self.total > 0).then(|| self.favorable as f64 / self.total as f64)
    }

    /// The Wilson score interval at the normal quantile `z` (1.96 for 95 %, see [`Z_95`]),
    /// clamped to `[0, 1]`; `None` when `total` is 0.
    ///
    /// Wilson rather than the textbook `p ± z·√(p(1−p)/n)` because the samples here are small
    /// (a few dozen members of a regional body) and rates are often near 0 or 1, where the
    /// textbook interval collapses to a point or leaves `[0, 1]`:
    ///
    /// ```text
    /// centre     = (p + z²/2n) / (1 + z²/n)
    /// half-width = z / (1 + z²/n) · √( p(1−p)/n + z²/4n² )
    /// ```
    pub fn wilson_interval(&self, z: f64) -> Option<(f64, f64)> {
        let p = self.rate()?;
        let n = self.total as f64;
        let z2 = z * z;
        let denominator = 1.0 + z2 / n;
        let centre = (p + z2 / (2.0 * n)) / denominator;
        let half_width = z.abs() / denominator * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
        Some((
            (centre - half_width).clamp(0.0, 1.0),
            (centre + half_width).clamp(0.0, 1.0),
        ))
    }

    /// The 95 % Wilson interval, the one published.
    pub fn interval_95(&self) -> Option<(f64, f64)> {
        self.wilson_interval(Z_95)
    }
}

/// Pooling: the answers of two groups together (used for the "all respondents" figure of 3.1).
impl Add for Proportion {
    type Output = Self;

    fn add(self, other: Self) -> Self {
        Self {
            favorable: self.favorable + other.favorable,
            total: self.total + other.total,
        }
    }
}

impl Sum for Proportion {
    fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
        iter.fold(Self::default(), Add::add)
    }
}

/// A 95 % interval as published: `[low, high]` (the schema of the JSON API).
pub struct Interval;

impl utoipa::PartialSchema for Interval {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
        ArrayBuilder::new()
            .items(ObjectBuilder::new().schema_type(Type::Number))
            .min_items(Some(2))
            .max_items(Some(2))
            .description(Some("Intervalle de confiance à 95 % : [bas, haut]"))
            .into()
    }
}

impl utoipa::ToSchema for Interval {}

/// What a [`Proportion`] serializes as (the schema of the JSON API).
#[derive(utoipa::ToSchema)]
#[schema(as = Proportion)]
#[allow(dead_code)]
struct ProportionJson {
    favorable: u64,
    total: u64,
    /// `favorable / total`; `null` without a valid answer.
    #[schema(required = true)]
    rate: Option<f64>,
    #[schema(required = true, value_type = Option<Interval>)]
    interval: Option<(f64, f64)>,
}

impl utoipa::PartialSchema for Proportion {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        ProportionJson::schema()
    }
}

impl utoipa::ToSchema for Proportion {
    fn name() -> std::borrow::Cow<'static, str> {
        ProportionJson::name()
    }

    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        ProportionJson::schemas(schemas);
    }
}

impl Serialize for Proportion {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut state = serializer.serialize_struct("Proportion", 4)?;
        state.serialize_field("favorable", &self.favorable)?;
        state.serialize_field("total", &self.total)?;
        state.serialize_field("rate", &self.rate())?;
        state.serialize_field("interval", &self.interval_95())?;
        state.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round4(x: f64) -> f64 {
        (x * 10_000.0).round() / 10_000.0
    }

    #[test]
    fn rate_is_favorable_over_total() {
        assert_eq!(Proportion::new(3, 4).rate(), Some(0.75));
        assert_eq!(Proportion::new(0, 4).rate(), Some(0.0));
        assert_eq!(Proportion::new(4, 4).rate(), Some(1.0));
    }

    #[test]
    fn no_rate_without_answers() {
        assert_eq!(Proportion::new(0, 0).rate(), None);
        assert_eq!(Proportion::default().interval_95(), None);
        assert!(Proportion::default().is_empty());
    }

    #[test]
    #[should_panic(expected = "more favourable answers than answers")]
    fn more_favorable_than_total_is_a_bug() {
        let _ = Proportion::new(5, 4);
    }

    #[test]
    fn checked_rejects_inconsistent_counts() {
        assert_eq!(Proportion::checked(5, 4), None);
        assert_eq!(Proportion::checked(4, 4), Some(Proportion::new(4, 4)));
    }

    #[test]
    fn wilson_interval_of_8_out_of_10() {
        // p = 0.8, n = 10, z² = 3.8416
        // denominator = 1 + 0.38416 = 1.38416
        // centre = (0.8 + 0.19208) / 1.38416 = 0.716745
        // half   = 1.96 / 1.38416 · √(0.016 + 0.009604) = 1.416021 · 0.160012 = 0.226581
        // → [0.4902, 0.9433]
        let (low, high) = Proportion::new(8, 10).interval_95().unwrap();
        assert_eq!((round4(low), round4(high)), (0.4902, 0.9433));
    }

    #[test]
    fn wilson_interval_of_45_out_of_100() {
        // Reference values: centre 0.451850, half-width 0.095706.
        let (low, high) = Proportion::new(45, 100).interval_95().unwrap();
        assert_eq!((round4(low), round4(high)), (0.3561, 0.5476));
    }

    #[test]
    fn wilson_interval_at_the_edges_stays_in_0_1() {
        // 0/10: the lower bound is 0 (up to rounding, clamped), the upper 3.8416/13.8416.
        let (low, high) = Proportion::new(0, 10).interval_95().unwrap();
        assert_eq!(low, 0.0);
        assert_eq!(round4(high), 0.2775);
        // 10/10 mirrors it.
        let (low, high) = Proportion::new(10, 10).interval_95().unwrap();
        assert_eq!(round4(low), 0.7225);
        assert_eq!(high, 1.0);
        // A single respondent still gets a wide, honest interval.
        let (low, high) = Proportion::new(1, 1).interval_95().unwrap();
        assert_eq!((round4(low), high), (0.2065, 1.0));
    }

    #[test]
    fn wilson_interval_contains_the_rate_and_narrows_with_n() {
        let mut previous_width = f64::INFINITY;
        for n in [4_u64, 40, 400, 4000] {
            let p = Proportion::new(n * 3 / 4, n);
            let (low, high) = p.interval_95().unwrap();
            assert!(low <= 0.75 && 0.75 <= high);
            assert!(high - low < previous_width);
            previous_width = high - low;
        }
    }

    #[test]
    fn a_wider_z_gives_a_wider_interval() {
        let p = Proportion::new(8, 10);
        let (l95, h95) = p.wilson_interval(Z_95).unwrap();
        let (l99, h99) = p.wilson_interval(2.576).unwrap();
        assert!(l99 < l95 && h95 < h99);
        assert_eq!(p.wilson_interval(0.0), Some((0.8, 0.8)));
    }

    #[test]
    fn pooling_adds_numerators_and_denominators() {
        let pooled: Proportion = [Proportion::new(1, 2), Proportion::new(3, 3)]
            .into_iter()
            .sum();
        assert_eq!(pooled, Proportion::new(4, 5));
        assert_eq!(
            Proportion::new(1, 2) + Proportion::default(),
            Proportion::new(1, 2)
        );
    }

    #[test]
    fn serializes_with_rate_and_interval() {
        let json = serde_json::to_value(Proportion::new(8, 10)).unwrap();
        assert_eq!(json["favorable"], 8);
        assert_eq!(json["total"], 10);
        assert_eq!(json["rate"], 0.8);
        assert_eq!(round4(json["interval"][0].as_f64().unwrap()), 0.4902);
        assert_eq!(round4(json["interval"][1].as_f64().unwrap()), 0.9433);

        let empty = serde_json::to_value(Proportion::default()).unwrap();
        assert_eq!(
            empty,
            serde_json::json!({"favorable": 0, "total": 0, "rate": null, "interval": null})
        );
    }
}
