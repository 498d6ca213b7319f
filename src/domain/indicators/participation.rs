//! Participation: how many of the people asked did answer.
//!
//! Participation is a count over every invitation, not a sample, so it carries no confidence
//! interval: the rate is exact for the campaign.

use serde::ser::{Serialize, SerializeStruct, Serializer};

use super::Proportion;

/// Invitations sent, those that could not be delivered, and those answered (indicators 3.1,
/// 3.2, 6 and 7; the targets of 6 and 7 are participation targets).
///
/// The rate is `completed / delivered`, with `delivered = sent − failed`: a person whose
/// address bounced permanently was never actually asked, and counting them would blame the
/// respondents for a stale roster. The failed deliveries are kept apart, and published beside
/// the rate, so that a roster problem is visible instead of silently shrinking the
/// denominator.
///
/// The three counts are of disjoint states of an invitation: a completed invitation was
/// evidently delivered, so `failed` counts only invitations that were not completed.
///
/// Bounces come later than the SMTP server's answer (an hour, a day): the invitations they
/// made undeliverable (`bounced`, disjoint from the others too) do not change `rate`, the
/// value the targets are measured against, but give a second rate beside it, over the
/// people the invitation actually reached.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Participation {
    sent: u64,
    failed: u64,
    completed: u64,
    bounced: u64,
}

impl Participation {
    /// # Panics
    /// When `failed + completed > sent`, which disjoint counts of the sent invitations cannot
    /// produce.
    pub const fn new(sent: u64, failed: u64, completed: u64) -> Self {
        assert!(
            failed + completed <= sent,
            "failed and completed invitations are disjoint parts of the sent ones"
        );
        Self {
            sent,
            failed,
            completed,
            bounced: 0,
        }
    }

    /// With `bounced` invitations found undeliverable by their bounces (not completed, not
    /// counted as failed), at most those neither failed nor completed.
    pub const fn with_bounced(self, bounced: u64) -> Self {
        let room = self.sent - self.failed - self.completed;
        Self {
            bounced: if bounced < room { bounced } else { room },
            ..self
        }
    }

    /// Invitations that reached nobody: refused by the SMTP server or bounced.
    pub const fn undeliverable(&self) -> u64 {
        self.failed + self.bounced
    }

    /// `sent − undeliverable`: the people the invitation reached.
    pub const fn reached(&self) -> u64 {
        self.sent - self.undeliverable()
    }

    /// `completed` out of `reached`; `None` when nobody was reached.
    pub fn rate_over_reached(&self) -> Option<f64> {
        Proportion::new(self.completed, self.reached()).rate()
    }

    pub const fn sent(&self) -> u64 {
        self.sent
    }

    /// Invitations whose delivery failed permanently (and that were not completed).
    pub const fn failed(&self) -> u64 {
        self.failed
    }

    pub const fn completed(&self) -> u64 {
        self.completed
    }

    /// `sent − failed`: the invitations that reached someone, the denominator of the rate.
    pub const fn delivered(&self) -> u64 {
        self.sent - self.failed
    }

    /// `completed` out of `delivered`.
    pub const fn proportion(&self) -> Proportion {
        Proportion::new(self.completed, self.delivered())
    }

    /// `completed / delivered`; `None` when nothing was delivered.
    pub fn rate(&self) -> Option<f64> {
        self.proportion().rate()
    }

    /// `completed / sent`, for whoever wants the figure without the correction for bounces.
    pub fn rate_over_sent(&self) -> Option<f64> {
        Proportion::new(self.completed, self.sent).rate()
    }
}

impl Serialize for Participation {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut state = serializer.serialize_struct("Participation", 8)?;
        state.serialize_field("sent", &self.sent)?;
        state.serialize_field("failed", &self.failed)?;
        state.serialize_field("delivered", &self.delivered())?;
        state.serialize_field("completed", &self.completed)?;
        state.serialize_field("rate", &self.rate())?;
        state.serialize_field("undeliverable", &self.undeliverable())?;
        state.serialize_field("reached", &self.reached())?;
        state.serialize_field("rate_over_reached", &self.rate_over_reached())?;
        state.end()
    }
}

/// Indicator 4's participation: ratings given / downloads counted.
///
/// Not a [`Proportion`]: the open form can be reached without a counted download (a shared
/// link, a download the counter missed), so ratings may exceed downloads. The rate is then
/// above 1 and reported as is, so that the counting problem shows instead of being capped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DownloadParticipation {
    pub downloads: u64,
    pub ratings: u64,
}

impl DownloadParticipation {
    pub const fn new(downloads: u64, ratings: u64) -> Self {
        Self { downloads, ratings }
    }

    /// `ratings / downloads`; `None` when nothing was downloaded.
    pub fn rate(&self) -> Option<f64> {
        (self.downloads > 0).then(|| self.ratings as f64 / self.downloads as f64)
    }
}

/// What a [`DownloadParticipation`] serializes as (the schema of the JSON API).
#[derive(utoipa::ToSchema)]
#[schema(as = DownloadParticipation)]
#[allow(dead_code)]
struct DownloadParticipationJson {
    downloads: u64,
    ratings: u64,
    /// `ratings / downloads`, above 1 when ratings came without a counted download; `null`
    /// without downloads.
    #[schema(required = true)]
    rate: Option<f64>,
}

impl utoipa::PartialSchema for DownloadParticipation {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        DownloadParticipationJson::schema()
    }
}

impl utoipa::ToSchema for DownloadParticipation {
    fn name() -> std::borrow::Cow<'static, str> {
        DownloadParticipationJson::name()
    }
}

impl Serialize for DownloadParticipation {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut state = serializer.serialize_struct("DownloadParticipation", 3)?;
        state.serialize_field("downloads", &self.downloads)?;
        state.serialize_field("ratings", &self.ratings)?;
        state.serialize_field("rate", &self.rate())?;
        state.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_is_over_delivered_invitations() {
        // 120 sent, 20 bounced for good, 50 answered: 50 / (120 − 20) = 0.5, not 50 / 120.
        let p = Participation::new(120, 20, 50);
        assert_eq!(p.delivered(), 100);
        assert_eq!(p.rate(), Some(0.5));
        assert!((p.rate_over_sent().unwrap() - 50.0 / 120.0).abs() < 1e-15);
        assert_eq!(p.proportion(), Proportion::new(50, 100));
        assert_eq!((p.sent(), p.failed(), p.completed()), (120, 20, 50));
    }

    #[test]
    fn nothing_sent_or_delivered_gives_no_rate() {
        assert_eq!(Participation::new(0, 0, 0).rate(), None);
        assert_eq!(Participation::new(0, 0, 0).rate_over_sent(), None);
        let all_bounced = Participation::new(7, 7, 0);
        assert_eq!(all_bounced.delivered(), 0);
        assert_eq!(all_bounced.rate(), None);
        assert_eq!(all_bounced.rate_over_sent(), Some(0.0));
    }

    #[test]
    fn everybody_answering_is_100_percent() {
        assert_eq!(Participation::new(40, 2, 38).rate(), Some(1.0));
    }

    #[test]
    #[should_panic(expected = "disjoint")]
    fn overlapping_counts_are_a_bug() {
        let _ = Participation::new(10, 3, 8);
    }

    #[test]
    fn serializes_with_delivered_and_rate() {
        let json = serde_json::to_value(Participation::new(10, 2, 4)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"sent": 10, "failed": 2, "delivered": 8, "completed": 4, "rate": 0.5,
                "undeliverable": 2, "reached": 8, "rate_over_reached": 0.5})
        );
    }

    #[test]
    fn bounces_give_a_second_rate_and_leave_the_first_alone() {
        // 120 sent, 20 refused by the server, 50 answered, then 30 bounced.
        let p = Participation::new(120, 20, 50).with_bounced(30);
        assert_eq!(p.rate(), Some(0.5), "the indicator's rate is unchanged");
        assert_eq!((p.undeliverable(), p.reached()), (50, 70));
        assert!((p.rate_over_reached().unwrap() - 50.0 / 70.0).abs() < 1e-15);
        // More bounces than the unanswered invitations: capped, never above 100 %.
        let all = Participation::new(10, 2, 4).with_bounced(99);
        assert_eq!((all.reached(), all.rate_over_reached()), (4, Some(1.0)));
        assert_eq!(
            Participation::new(3, 3, 0)
                .with_bounced(1)
                .rate_over_reached(),
            None
        );
    }

    #[test]
    fn i4_participation_is_ratings_over_downloads() {
        // 1 000 downloads, 150 ratings → 0.15.
        assert_eq!(DownloadParticipation::new(1000, 150).rate(), Some(0.15));
        assert_eq!(DownloadParticipation::new(0, 3).rate(), None);
        // More ratings than counted downloads: shown as is.
        assert_eq!(DownloadParticipation::new(4, 5).rate(), Some(1.25));
        let json = serde_json::to_value(DownloadParticipation::new(4, 2)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"downloads": 4, "ratings": 2, "rate": 0.5})
        );
    }
}
