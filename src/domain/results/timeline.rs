//! A campaign over time: invitations sent, links opened, responses, and the reminders, per
//! day (per week for campaigns spread over more than four months), for the chart that shows
//! the effect of each reminder.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};

use crate::domain::indicators::Participation;
use crate::domain::schedule::{SendRules, paris_date, reminder_instants};

/// Invitations sent in one dispatch batch (dispatch stamps a batch with one instant), by
/// status and by number of reminders recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentBatch {
    pub sent_at: DateTime<Utc>,
    pub completed: bool,
    pub reminders_sent: u32,
    pub count: u64,
}

/// Beyond this many days between the first and the last event, points are weeks.
pub const MAX_DAILY_SPAN: u64 = 120;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Day,
    /// Weeks starting on Monday.
    Week,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TimelinePoint {
    pub start: NaiveDate,
    pub sent: u64,
    pub opened: u64,
    pub answered: u64,
    /// Reminders sent, by reminder number (index 0 = first reminder).
    pub reminders: Vec<u64>,
}

impl TimelinePoint {
    pub fn reminders_total(&self) -> u64 {
        self.reminders.iter().sum()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeline {
    pub step: Step,
    /// Every step from the first event to the last, empty ones included.
    pub points: Vec<TimelinePoint>,
}

impl Timeline {
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }
}

/// Builds the timeline. Reminders are placed on the day the send rules planned them for each
/// batch (dispatch sends a reminder on its planned day, to those who had not answered):
/// `reminders_sent = 2` on an invitation means its second reminder went out on the day
/// planned for it, and the first on its own day, unless dispatch was down at the time.
pub fn timeline(
    sent: &[SentBatch],
    opened: &[(NaiveDate, u64)],
    answered: &[(NaiveDate, u64)],
    rules: &SendRules,
) -> Timeline {
    let mut days: BTreeMap<NaiveDate, TimelinePoint> = BTreeMap::new();
    for batch in sent {
        at(&mut days, paris_date(batch.sent_at)).sent += batch.count;
        if batch.reminders_sent > 0 {
            let planned = reminder_instants(batch.sent_at, rules);
            for (number, instant) in planned
                .iter()
                .enumerate()
                .take(batch.reminders_sent as usize)
            {
                let point = at(&mut days, paris_date(*instant));
                if point.reminders.len() <= number {
                    point.reminders.resize(number + 1, 0);
                }
                point.reminders[number] += batch.count;
            }
        }
    }
    for (day, count) in opened {
        at(&mut days, *day).opened += count;
    }
    for (day, count) in answered {
        at(&mut days, *day).answered += count;
    }
    let (Some(first), Some(last)) = (
        days.keys().next().copied(),
        days.keys().next_back().copied(),
    ) else {
        return Timeline {
            step: Step::Day,
            points: Vec::new(),
        };
    };
    let span = u64::try_from((last - first).num_days()).unwrap_or(0);
    let step = if span > MAX_DAILY_SPAN {
        Step::Week
    } else {
        Step::Day
    };
    let bucket = |day: NaiveDate| match step {
        Step::Day => day,
        Step::Week => day - Days::new(u64::from(day.weekday().num_days_from_monday())),
    };
    let mut points: BTreeMap<NaiveDate, TimelinePoint> = BTreeMap::new();
    let mut day = bucket(first);
    while day <= last {
        points.insert(
            day,
            TimelinePoint {
                start: day,
                ..TimelinePoint::default()
            },
        );
        let next = match step {
            Step::Day => day.checked_add_days(Days::new(1)),
            Step::Week => day.checked_add_days(Days::new(7)),
        };
        match next {
            Some(next) => day = next,
            None => break,
        }
    }
    let width = days.values().map(|p| p.reminders.len()).max().unwrap_or(0);
    for (day, point) in days {
        let target = points.entry(bucket(day)).or_insert_with(|| TimelinePoint {
            start: bucket(day),
            ..TimelinePoint::default()
        });
        target.sent += point.sent;
        target.opened += point.opened;
        target.answered += point.answered;
        target.reminders.resize(width, 0);
        for (i, n) in point.reminders.iter().enumerate() {
            target.reminders[i] += n;
        }
    }
    let mut points: Vec<TimelinePoint> = points.into_values().collect();
    for point in &mut points {
        point.reminders.resize(width, 0);
    }
    Timeline { step, points }
}

fn at(days: &mut BTreeMap<NaiveDate, TimelinePoint>, day: NaiveDate) -> &mut TimelinePoint {
    days.entry(day).or_insert_with(|| TimelinePoint {
        start: day,
        ..TimelinePoint::default()
    })
}

/// Participation from counts read separately, made consistent: completed and failed are
/// disjoint parts of the sent invitations ([`Participation::new`]). A completed invitation
/// never marked sent (a link handed out by other means) counts as sent.
pub fn participation(sent: u64, failed: u64, completed: u64) -> Participation {
    let sent = sent.max(completed);
    let failed = failed.min(sent - completed);
    Participation::new(sent, failed, completed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, d).unwrap()
    }

    #[test]
    fn reminders_land_on_their_planned_days_and_empty_days_are_kept() {
        // Sent Monday 2 March 2026 at 09:00 Paris; default reminders at +10 and +20 days:
        // 12 March (Thursday) and 22 March (a Sunday → Monday 23 March).
        let sent_at = Utc.with_ymd_and_hms(2026, 3, 2, 8, 0, 0).unwrap();
        let sent = [
            SentBatch {
                sent_at,
                completed: true,
                reminders_sent: 0,
                count: 6,
            },
            SentBatch {
                sent_at,
                completed: false,
                reminders_sent: 2,
                count: 3,
            },
            SentBatch {
                sent_at,
                completed: true,
                reminders_sent: 1,
                count: 1,
            },
        ];
        let t = timeline(
            &sent,
            &[(day(2), 4), (day(3), 2)],
            &[(day(2), 3), (day(13), 4)],
            &SendRules::default(),
        );
        assert_eq!(t.step, Step::Day);
        assert_eq!(t.points.first().unwrap().start, day(2));
        assert_eq!(t.points.last().unwrap().start, day(23));
        assert_eq!(t.points.len(), 22);
        let on = |d: u32| t.points.iter().find(|p| p.start == day(d)).unwrap();
        assert_eq!((on(2).sent, on(2).opened, on(2).answered), (10, 4, 3));
        assert_eq!(on(12).reminders, [4, 0]);
        assert_eq!(on(23).reminders, [0, 3]);
        assert_eq!(on(13).answered, 4);
        assert_eq!(
            on(5),
            &TimelinePoint {
                start: day(5),
                reminders: vec![0, 0],
                ..Default::default()
            }
        );
    }

    #[test]
    fn long_campaigns_are_drawn_by_week() {
        let first = NaiveDate::from_ymd_opt(2026, 1, 7).unwrap(); // a Wednesday
        let last = NaiveDate::from_ymd_opt(2026, 9, 1).unwrap();
        let t = timeline(&[], &[], &[(first, 1), (last, 2)], &SendRules::default());
        assert_eq!(t.step, Step::Week);
        assert_eq!(
            t.points[0].start,
            NaiveDate::from_ymd_opt(2026, 1, 5).unwrap()
        );
        assert_eq!(t.points.iter().map(|p| p.answered).sum::<u64>(), 3);
        assert!(
            t.points
                .windows(2)
                .all(|w| (w[1].start - w[0].start).num_days() == 7)
        );
    }

    #[test]
    fn nothing_happened_gives_an_empty_timeline() {
        assert!(timeline(&[], &[], &[], &SendRules::default()).is_empty());
    }

    #[test]
    fn participation_counts_are_made_consistent() {
        assert_eq!(participation(10, 2, 5), Participation::new(10, 2, 5));
        // A completed invitation never marked sent still counts as sent.
        assert_eq!(participation(3, 0, 4), Participation::new(4, 0, 4));
        // Failed deliveries cannot exceed the unanswered invitations.
        assert_eq!(participation(5, 9, 4), Participation::new(5, 1, 4));
    }
}
