//! When invitations go out: due dates, French working days, reminders and closing (issue 3,
//! "When").
//!
//! Pure calendar arithmetic: no I/O and no clock. Every function takes the date or instant it
//! works from, so dispatch can be replayed "as of" any instant.
//!
//! The rules, with the defaults of the performance-contract fiches (indicators 3, 6 and 7:
//! "9 mois après"):
//!
//! - due date = the milestone (end of the intervention, finalisation of the tool,
//!   reorganisation) plus `delay_months` calendar months, clamped to the end of the month
//!   (31 May + 9 → 28 or 29 February);
//! - sent at `send_hour`:00 Europe/Paris on the due date, or on the next working day when the
//!   due date is a Saturday, a Sunday or a French public holiday;
//! - reminders at sent + each of `reminder_days` local calendar days, same Paris wall-clock
//!   time as the send, moved to the next working day (people read work email on working days);
//! - the invitation closes at sent + `close_after_days` local calendar days, same Paris
//!   wall-clock time, never moved (a closing date is a promise made in the email).
//!
//! Local-time conversions never panic: a local time that does not exist (the spring-forward
//! gap) maps to the first instant after the gap, an ambiguous one (autumn fall-back) to the
//! earlier instant, and anything beyond chrono's range saturates.
//!
//! Known limits: metropolitan France only (Alsace-Moselle's Good Friday and 26 December are not
//! holidays here); the time-zone database shipped with chrono-tz lists Paris's DST changes up
//! to October 2099, after which Paris is treated as CET all year.

use chrono::{
    DateTime, Datelike, Days, MappedLocalTime, Months, NaiveDate, NaiveDateTime, NaiveTime, Offset,
    TimeZone, Utc, Weekday,
};
use chrono_tz::{Europe::Paris, GapInfo};
use serde::{Deserialize, Serialize};

/// Default delay between the milestone and the invitation ("9 mois après").
pub const DEFAULT_DELAY_MONTHS: u32 = 9;
/// Default local hour (Europe/Paris) at which invitations are sent.
pub const DEFAULT_SEND_HOUR: u32 = 9;
/// Default reminder offsets, in local calendar days after the send.
pub const DEFAULT_REMINDER_DAYS: [u32; 2] = [10, 20];
/// Default number of local calendar days after the send at which the invitation closes.
pub const DEFAULT_CLOSE_AFTER_DAYS: u32 = 30;

/// Fixed-date legal holidays (Code du travail, art. L3133-1), as (month, day).
const FIXED_HOLIDAYS: [(u32, u32); 8] = [
    (1, 1),   // Jour de l'an
    (5, 1),   // Fête du travail
    (5, 8),   // Victoire 1945
    (7, 14),  // Fête nationale
    (8, 15),  // Assomption
    (11, 1),  // Toussaint
    (11, 11), // Armistice 1918
    (12, 25), // Noël
];

/// Movable legal holidays, as days after Easter Sunday: Easter Monday, Ascension Thursday,
/// Whit Monday (lundi de Pentecôte: a legal holiday even where it is the "journée de
/// solidarité"; treated as non-working).
const EASTER_OFFSETS: [u64; 3] = [1, 39, 50];

// ---------------------------------------------------------------------------------------------
// Calendar
// ---------------------------------------------------------------------------------------------

/// `date` + `months` calendar months; when the day does not exist in the target month, the
/// last day of that month (31 May + 9 → 28 or 29 February, 31 January + 1 → 28 or 29
/// February). Saturates at [`NaiveDate::MAX`]; never panics.
pub fn add_months_clamped(date: NaiveDate, months: u32) -> NaiveDate {
    date.checked_add_months(Months::new(months))
        .unwrap_or(NaiveDate::MAX)
}

/// `date` + `days` calendar days, saturating at [`NaiveDate::MAX`].
fn add_days_saturating(date: NaiveDate, days: u32) -> NaiveDate {
    date.checked_add_days(Days::new(u64::from(days)))
        .unwrap_or(NaiveDate::MAX)
}

/// Easter Sunday of `year` in the Gregorian calendar (anonymous Gregorian algorithm, a.k.a.
/// Meeus/Jones/Butcher). `None` only when the date is outside chrono's range. Meaningful from
/// 1583 on; earlier years still get a date, computed proleptically.
pub fn easter_sunday(year: i32) -> Option<NaiveDate> {
    let a = year.rem_euclid(19);
    let b = year.div_euclid(100);
    let c = year.rem_euclid(100);
    let d = b.div_euclid(4);
    let e = b.rem_euclid(4);
    let f = (b + 8).div_euclid(25);
    let g = (b - f + 1).div_euclid(3);
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l) / 451;
    let n = h + l - 7 * m + 114;
    let month = u32::try_from(n / 31).ok()?;
    let day = u32::try_from(n % 31 + 1).ok()?;
    NaiveDate::from_ymd_opt(year, month, day)
}

/// The 11 legal public holidays of metropolitan France in `year`, sorted, without duplicates
/// (Ascension can fall on 1 or 8 May, as in 2008).
pub fn french_public_holidays(year: i32) -> Vec<NaiveDate> {
    let mut days: Vec<NaiveDate> = FIXED_HOLIDAYS
        .iter()
        .filter_map(|&(month, day)| NaiveDate::from_ymd_opt(year, month, day))
        .collect();
    if let Some(easter) = easter_sunday(year) {
        days.extend(
            EASTER_OFFSETS
                .iter()
                .filter_map(|&offset| easter.checked_add_days(Days::new(offset))),
        );
    }
    days.sort_unstable();
    days.dedup();
    days
}

/// Whether `date` is one of the 11 legal public holidays of metropolitan France.
pub fn is_french_public_holiday(date: NaiveDate) -> bool {
    FIXED_HOLIDAYS.contains(&(date.month(), date.day()))
        || easter_sunday(date.year()).is_some_and(|easter| {
            let after = date.signed_duration_since(easter).num_days();
            EASTER_OFFSETS
                .iter()
                .any(|&offset| i64::try_from(offset) == Ok(after))
        })
}

/// Monday to Friday and not a French public holiday.
pub fn is_working_day(date: NaiveDate) -> bool {
    !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) && !is_french_public_holiday(date)
}

/// `date` itself when it is a working day, otherwise the first working day after it (at most
/// four days later: Ascension on 30 April, then 1 May, Saturday, Sunday). Saturates at
/// [`NaiveDate::MAX`].
pub fn next_working_day_on_or_after(date: NaiveDate) -> NaiveDate {
    let mut day = date;
    while !is_working_day(day) {
        match day.succ_opt() {
            Some(next) => day = next,
            None => break,
        }
    }
    day
}

// ---------------------------------------------------------------------------------------------
// Europe/Paris
// ---------------------------------------------------------------------------------------------

/// The instant at which Paris's wall clock shows `local`.
///
/// - A local time that does not exist (the spring-forward gap, e.g. 02:30 on the last Sunday
///   of March) gives the first instant after the gap (03:00 CEST, 01:00 UTC).
/// - An ambiguous one (the autumn fall-back, e.g. 02:30 on the last Sunday of October) gives
///   the earlier instant (02:30 CEST, 00:30 UTC).
/// - Beyond chrono's range, saturates at [`DateTime::<Utc>::MIN_UTC`] or
///   [`DateTime::<Utc>::MAX_UTC`]. Never panics.
pub fn paris_local_to_utc(local: NaiveDateTime) -> DateTime<Utc> {
    match Paris.from_local_datetime(&local) {
        MappedLocalTime::Single(at) => at.with_timezone(&Utc),
        MappedLocalTime::Ambiguous(first, second) => first.min(second).with_timezone(&Utc),
        MappedLocalTime::None => GapInfo::new(&local, &Paris)
            .and_then(|gap| gap.end)
            .map_or_else(
                || {
                    if local.year() >= 1970 {
                        DateTime::<Utc>::MAX_UTC
                    } else {
                        DateTime::<Utc>::MIN_UTC
                    }
                },
                |at| at.with_timezone(&Utc),
            ),
    }
}

/// Paris wall-clock time at `instant`, saturating at chrono's limits (chrono's own
/// `naive_local` panics on `MAX_UTC` for a zone east of Greenwich).
fn paris_naive(instant: DateTime<Utc>) -> NaiveDateTime {
    let utc = instant.naive_utc();
    let offset = Paris.offset_from_utc_datetime(&utc).fix();
    utc.checked_add_offset(offset).unwrap_or({
        if offset.local_minus_utc() >= 0 {
            NaiveDateTime::MAX
        } else {
            NaiveDateTime::MIN
        }
    })
}

/// The calendar day in Paris at `instant` (used to bucket "the year invitations were sent").
pub fn paris_date(instant: DateTime<Utc>) -> NaiveDate {
    paris_naive(instant).date()
}

/// The calendar year in Paris at `instant`: 31 December 23:30 UTC is already next year.
pub fn paris_year(instant: DateTime<Utc>) -> i32 {
    paris_date(instant).year()
}

/// `hour`:00 Paris time on `date`; hours above 23 are treated as 23.
fn paris_at_hour(date: NaiveDate, hour: u32) -> DateTime<Utc> {
    let time = NaiveTime::from_hms_opt(hour.min(23), 0, 0).unwrap_or(NaiveTime::MIN);
    paris_local_to_utc(date.and_time(time))
}

// ---------------------------------------------------------------------------------------------
// Rules
// ---------------------------------------------------------------------------------------------

/// When a questionnaire's invitations, reminders and closing happen. Set per questionnaire,
/// from its file; every key is optional and defaults to the fiches' values. Deserializing
/// validates (see [`SendRules::validate`]) and rejects unknown keys.
///
/// The fields are public; the schedule functions never panic even on rules that
/// [`SendRules::validate`] would reject (an hour above 23 is read as 23, reminders that do
/// not fall strictly between the send and the closing are dropped).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawSendRules")]
pub struct SendRules {
    /// Calendar months between the milestone and the due date (default 9).
    pub delay_months: u32,
    /// Local hour, Europe/Paris, 0 to 23 (default 9).
    pub send_hour: u32,
    /// Local calendar days after the send, strictly increasing, each at least 1 and before
    /// `close_after_days` (default 10 and 20).
    pub reminder_days: Vec<u32>,
    /// Local calendar days after the send at which the invitation closes, at least 1
    /// (default 30).
    pub close_after_days: u32,
}

impl Default for SendRules {
    fn default() -> Self {
        Self {
            delay_months: DEFAULT_DELAY_MONTHS,
            send_hour: DEFAULT_SEND_HOUR,
            reminder_days: DEFAULT_REMINDER_DAYS.to_vec(),
            close_after_days: DEFAULT_CLOSE_AFTER_DAYS,
        }
    }
}

/// Why a set of [`SendRules`] is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendRulesError {
    #[error("send_hour = {0} : l'heure d'envoi doit être comprise entre 0 et 23")]
    SendHourOutOfRange(u32),
    #[error("close_after_days = 0 : la clôture doit intervenir au moins un jour après l'envoi")]
    CloseTooSoon,
    #[error("reminder_days : une relance doit intervenir au moins un jour après l'envoi")]
    ReminderTooSoon,
    #[error(
        "reminder_days : les relances doivent être en ordre strictement croissant \
         ({previous} puis {next})"
    )]
    RemindersNotIncreasing { previous: u32, next: u32 },
    #[error(
        "reminder_days : la relance à {reminder} jours ne précède pas la clôture \
         (close_after_days = {close_after_days})"
    )]
    ReminderNotBeforeClose {
        reminder: u32,
        close_after_days: u32,
    },
}

impl SendRules {
    /// Checks the invariants documented on each field.
    pub fn validate(&self) -> Result<(), SendRulesError> {
        if self.send_hour > 23 {
            return Err(SendRulesError::SendHourOutOfRange(self.send_hour));
        }
        if self.close_after_days == 0 {
            return Err(SendRulesError::CloseTooSoon);
        }
        if self.reminder_days.contains(&0) {
            return Err(SendRulesError::ReminderTooSoon);
        }
        if let Some(pair) = self
            .reminder_days
            .windows(2)
            .find(|pair| pair[0] >= pair[1])
        {
            return Err(SendRulesError::RemindersNotIncreasing {
                previous: pair[0],
                next: pair[1],
            });
        }
        if let Some(&reminder) = self
            .reminder_days
            .iter()
            .find(|&&day| day >= self.close_after_days)
        {
            return Err(SendRulesError::ReminderNotBeforeClose {
                reminder,
                close_after_days: self.close_after_days,
            });
        }
        Ok(())
    }
}

#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
struct RawSendRules {
    delay_months: u32,
    send_hour: u32,
    reminder_days: Vec<u32>,
    close_after_days: u32,
}

impl Default for RawSendRules {
    fn default() -> Self {
        let SendRules {
            delay_months,
            send_hour,
            reminder_days,
            close_after_days,
        } = SendRules::default();
        Self {
            delay_months,
            send_hour,
            reminder_days,
            close_after_days,
        }
    }
}

impl TryFrom<RawSendRules> for SendRules {
    type Error = SendRulesError;

    fn try_from(raw: RawSendRules) -> Result<Self, Self::Error> {
        let rules = Self {
            delay_months: raw.delay_months,
            send_hour: raw.send_hour,
            reminder_days: raw.reminder_days,
            close_after_days: raw.close_after_days,
        };
        rules.validate()?;
        Ok(rules)
    }
}

// ---------------------------------------------------------------------------------------------
// Schedule
// ---------------------------------------------------------------------------------------------

/// The day an invitation is due to go out: milestone + `delay_months` (clamped to the end of
/// the month), moved to the next working day when it is not one.
pub fn planned_send_on(milestone: NaiveDate, rules: &SendRules) -> NaiveDate {
    next_working_day_on_or_after(add_months_clamped(milestone, rules.delay_months))
}

/// The instant an invitation is due to go out: [`planned_send_on`] at `send_hour`:00
/// Europe/Paris (09:00 Paris is 08:00 UTC in winter, 07:00 UTC in summer).
pub fn planned_send_at(milestone: NaiveDate, rules: &SendRules) -> DateTime<Utc> {
    paris_at_hour(planned_send_on(milestone, rules), rules.send_hour)
}

/// The instant for an explicit send date chosen by staff (a wave's `send_on`): the date is
/// kept as is, even on a weekend or a holiday, since somebody chose it on purpose; only
/// `send_hour` (Europe/Paris) is applied. `delay_months` does not apply either.
pub fn planned_send_at_date(send_on: NaiveDate, rules: &SendRules) -> DateTime<Utc> {
    paris_at_hour(send_on, rules.send_hour)
}

/// Same Paris wall-clock time as `sent_at`, `days` local calendar days later (so a 09:00
/// send stays 09:00 across a DST change, at a different UTC hour).
fn same_paris_time_days_later(sent_at: DateTime<Utc>, days: u32, shift: bool) -> DateTime<Utc> {
    let local = paris_naive(sent_at);
    let mut day = add_days_saturating(local.date(), days);
    if shift {
        day = next_working_day_on_or_after(day);
    }
    paris_local_to_utc(day.and_time(local.time()))
}

/// When to remind those who have not answered an invitation sent at `sent_at`: for each of
/// `reminder_days`, that many local calendar days later at the same Paris wall-clock time as
/// the send, moved to the next working day when needed (people read work email on working
/// days). Sorted and without duplicates (+10 on a Saturday and +11 on a Sunday both give
/// the Monday); a reminder that would not fall strictly between the send and
/// [`closes_at`] (moved past the closing) is dropped.
pub fn reminder_instants(sent_at: DateTime<Utc>, rules: &SendRules) -> Vec<DateTime<Utc>> {
    let closes = closes_at(sent_at, rules);
    let mut reminders: Vec<DateTime<Utc>> = rules
        .reminder_days
        .iter()
        .map(|&days| same_paris_time_days_later(sent_at, days, true))
        .filter(|&at| sent_at < at && at < closes)
        .collect();
    reminders.sort_unstable();
    reminders.dedup();
    reminders
}

/// The latest send instant whose invitation can owe a reminder at `now`, `None` if `rules`
/// have no reminders: a reminder falls `days` local calendar days after the send at the same
/// Paris time, or later (a working day), so never before that many days of 24 hours less the
/// hour a change of clock can take. Dispatch reads only the invitations sent by then.
pub fn reminders_owed_if_sent_by(now: DateTime<Utc>, rules: &SendRules) -> Option<DateTime<Utc>> {
    let first = *rules.reminder_days.iter().min()?;
    Some(now - chrono::Duration::days(i64::from(first)) + chrono::Duration::hours(2))
}

/// When the invitation sent at `sent_at` closes: `close_after_days` local calendar days later
/// at the same Paris wall-clock time. Never moved to a working day: the closing date is
/// announced and a weekend only gives more time.
pub fn closes_at(sent_at: DateTime<Utc>, rules: &SendRules) -> DateTime<Utc> {
    same_paris_time_days_later(sent_at, rules.close_after_days, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Timelike;

    fn d(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).expect("valid test date")
    }

    fn utc(year: i32, month: u32, day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
        utc_s(year, month, day, hour, minute, 0)
    }

    fn utc_s(year: i32, month: u32, day: u32, hour: u32, min: u32, sec: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(year, month, day, hour, min, sec)
            .single()
            .expect("valid test instant")
    }

    fn local(year: i32, month: u32, day: u32, hour: u32, minute: u32) -> NaiveDateTime {
        d(year, month, day)
            .and_hms_opt(hour, minute, 0)
            .expect("valid test time")
    }

    fn rules() -> SendRules {
        SendRules::default()
    }

    fn with_hour(send_hour: u32) -> SendRules {
        SendRules {
            send_hour,
            ..SendRules::default()
        }
    }

    fn days_of(year: i32) -> impl Iterator<Item = NaiveDate> {
        d(year, 1, 1)
            .iter_days()
            .take_while(move |day| day.year() == year)
    }

    fn last_sunday(year: i32, month: u32) -> NaiveDate {
        let mut day = add_months_clamped(d(year, month, 1), 1)
            .pred_opt()
            .expect("in range");
        while day.weekday() != Weekday::Sun {
            day = day.pred_opt().expect("in range");
        }
        day
    }

    // --- add_months_clamped ------------------------------------------------------------------

    #[test]
    fn months_clamp_to_end_of_february_in_leap_and_common_years() {
        assert_eq!(add_months_clamped(d(2023, 5, 31), 9), d(2024, 2, 29));
        assert_eq!(add_months_clamped(d(2024, 5, 31), 9), d(2025, 2, 28));
        assert_eq!(add_months_clamped(d(2025, 5, 31), 9), d(2026, 2, 28));
        assert_eq!(add_months_clamped(d(2023, 6, 30), 8), d(2024, 2, 29));
        assert_eq!(add_months_clamped(d(2025, 6, 30), 8), d(2026, 2, 28));
        assert_eq!(add_months_clamped(d(2024, 1, 31), 1), d(2024, 2, 29));
        assert_eq!(add_months_clamped(d(2025, 1, 31), 1), d(2025, 2, 28));
        assert_eq!(add_months_clamped(d(2023, 5, 29), 9), d(2024, 2, 29));
        assert_eq!(add_months_clamped(d(2024, 5, 29), 9), d(2025, 2, 28));
        assert_eq!(add_months_clamped(d(2024, 5, 28), 9), d(2025, 2, 28));
    }

    #[test]
    fn months_follow_gregorian_century_rules() {
        assert_eq!(add_months_clamped(d(2100, 1, 31), 1), d(2100, 2, 28));
        assert_eq!(add_months_clamped(d(2000, 1, 31), 1), d(2000, 2, 29));
        assert_eq!(add_months_clamped(d(1900, 1, 31), 1), d(1900, 2, 28));
    }

    #[test]
    fn months_clamp_to_thirty_day_months() {
        assert_eq!(add_months_clamped(d(2025, 3, 31), 1), d(2025, 4, 30));
        assert_eq!(add_months_clamped(d(2025, 8, 31), 9), d(2026, 5, 31));
        assert_eq!(add_months_clamped(d(2025, 12, 31), 9), d(2026, 9, 30));
        assert_eq!(add_months_clamped(d(2025, 2, 28), 9), d(2025, 11, 28));
    }

    #[test]
    fn months_keep_the_day_when_it_exists() {
        // Clamping is not "end of month sticks": 30 April + 9 is 30 January, not the 31st.
        assert_eq!(add_months_clamped(d(2025, 4, 30), 9), d(2026, 1, 30));
        assert_eq!(add_months_clamped(d(2024, 2, 29), 12), d(2025, 2, 28));
        assert_eq!(add_months_clamped(d(2024, 2, 29), 48), d(2028, 2, 29));
        assert_eq!(add_months_clamped(d(2025, 1, 15), 0), d(2025, 1, 15));
        assert_eq!(add_months_clamped(d(2025, 12, 15), 1), d(2026, 1, 15));
        assert_eq!(add_months_clamped(d(2025, 4, 15), 9), d(2026, 1, 15));
        assert_eq!(add_months_clamped(d(2025, 5, 31), 12), d(2026, 5, 31));
        assert_eq!(add_months_clamped(d(2025, 5, 31), 24), d(2027, 5, 31));
    }

    #[test]
    fn months_saturate_without_panicking() {
        assert_eq!(add_months_clamped(NaiveDate::MAX, 1), NaiveDate::MAX);
        assert_eq!(add_months_clamped(NaiveDate::MAX, 0), NaiveDate::MAX);
        assert_eq!(add_months_clamped(d(2025, 5, 31), u32::MAX), NaiveDate::MAX);
        assert_eq!(add_months_clamped(NaiveDate::MIN, u32::MAX), NaiveDate::MAX);
        let near_end = d(NaiveDate::MAX.year(), 11, 30);
        assert_eq!(
            add_months_clamped(near_end, 1),
            d(NaiveDate::MAX.year(), 12, 30)
        );
        assert_eq!(add_months_clamped(near_end, 2), NaiveDate::MAX);
        for months in [
            0,
            1,
            11,
            12,
            13,
            1_000,
            3_000_000,
            i32::MAX as u32,
            u32::MAX,
        ] {
            let _ = add_months_clamped(NaiveDate::MIN, months);
            let _ = add_months_clamped(NaiveDate::MAX, months);
        }
    }

    #[test]
    fn months_result_is_within_the_target_month_for_every_day() {
        for start in days_of(2023).chain(days_of(2024)) {
            for months in [1, 8, 9, 12] {
                let due = add_months_clamped(start, months);
                let target_index = start.year() * 12 + start.month0() as i32 + months as i32;
                assert_eq!(
                    due.year() * 12 + due.month0() as i32,
                    target_index,
                    "{start}"
                );
                assert!(due.day() <= start.day(), "{start} + {months}");
                if due.day() < start.day() {
                    assert!(due.succ_opt().unwrap().day() == 1, "clamped to month end");
                }
            }
        }
    }

    // --- Easter and holidays -----------------------------------------------------------------

    #[test]
    fn easter_known_years() {
        assert_eq!(easter_sunday(2024), Some(d(2024, 3, 31)));
        assert_eq!(easter_sunday(2025), Some(d(2025, 4, 20)));
        assert_eq!(easter_sunday(2026), Some(d(2026, 4, 5)));
        assert_eq!(easter_sunday(2027), Some(d(2027, 3, 28)));
        assert_eq!(easter_sunday(2038), Some(d(2038, 4, 25)));
        assert_eq!(easter_sunday(2285), Some(d(2285, 3, 22)));
        assert_eq!(easter_sunday(1818), Some(d(1818, 3, 22)));
        assert_eq!(easter_sunday(1943), Some(d(1943, 4, 25)));
        assert_eq!(easter_sunday(2000), Some(d(2000, 4, 23)));
        assert_eq!(easter_sunday(2008), Some(d(2008, 3, 23)));
        assert_eq!(easter_sunday(2019), Some(d(2019, 4, 21)));
    }

    /// Knuth's formulation of the Gregorian computus (TAOCP vol. 1, 1.3.2, exercise 14), an
    /// independent derivation to cross-check Meeus/Jones/Butcher.
    fn easter_knuth(year: i32) -> NaiveDate {
        let golden = year % 19 + 1;
        let century = year / 100 + 1;
        let skipped_leap = 3 * century / 4 - 12;
        let moon_correction = (8 * century + 5) / 25 - 5;
        let sunday = 5 * year / 4 - skipped_leap - 10;
        let mut epact = (11 * golden + 20 + moon_correction - skipped_leap).rem_euclid(30);
        if (epact == 25 && golden > 11) || epact == 24 {
            epact += 1;
        }
        let mut full_moon = 44 - epact;
        if full_moon < 21 {
            full_moon += 30;
        }
        let day = full_moon + 7 - (sunday + full_moon) % 7;
        if day > 31 {
            d(year, 4, (day - 31) as u32)
        } else {
            d(year, 3, day as u32)
        }
    }

    #[test]
    fn easter_matches_knuth_and_is_a_sunday_between_22_march_and_25_april() {
        for year in 1583..=4099 {
            let easter = easter_sunday(year).expect("in range");
            assert_eq!(easter, easter_knuth(year), "{year}");
            assert_eq!(easter.weekday(), Weekday::Sun, "{year}");
            assert!(
                easter >= d(year, 3, 22) && easter <= d(year, 4, 25),
                "{year}"
            );
        }
    }

    #[test]
    fn easter_never_panics_over_chronos_range() {
        for year in [NaiveDate::MIN.year(), -1, 0, 1, 1582, NaiveDate::MAX.year()] {
            let easter = easter_sunday(year).expect("March and April exist in every year");
            assert!(matches!(easter.month(), 3 | 4), "{year}");
        }
        assert_eq!(easter_sunday(i32::MAX), None);
        assert_eq!(easter_sunday(i32::MIN), None);
        let _ = is_french_public_holiday(NaiveDate::MIN);
        let _ = is_french_public_holiday(NaiveDate::MAX);
        let _ = french_public_holidays(i32::MAX);
    }

    #[test]
    fn holidays_of_2026() {
        let expected = vec![
            d(2026, 1, 1),   // Jour de l'an, Thursday
            d(2026, 4, 6),   // Lundi de Pâques
            d(2026, 5, 1),   // Fête du travail, Friday
            d(2026, 5, 8),   // Victoire 1945, Friday
            d(2026, 5, 14),  // Ascension, Thursday
            d(2026, 5, 25),  // Lundi de Pentecôte
            d(2026, 7, 14),  // Fête nationale, Tuesday
            d(2026, 8, 15),  // Assomption, Saturday
            d(2026, 11, 1),  // Toussaint, Sunday
            d(2026, 11, 11), // Armistice, Wednesday
            d(2026, 12, 25), // Noël, Friday
        ];
        assert_eq!(french_public_holidays(2026), expected);
        let found: Vec<NaiveDate> = days_of(2026)
            .filter(|&day| is_french_public_holiday(day))
            .collect();
        assert_eq!(found, expected);
    }

    #[test]
    fn movable_holidays_of_2024_and_2025() {
        for day in [d(2024, 4, 1), d(2024, 5, 9), d(2024, 5, 20)] {
            assert!(is_french_public_holiday(day), "{day}");
        }
        for day in [d(2025, 4, 21), d(2025, 5, 29), d(2025, 6, 9)] {
            assert!(is_french_public_holiday(day), "{day}");
        }
        // Good Friday and 26 December are Alsace-Moselle only; Easter and Whit Sundays are
        // Sundays, not listed holidays.
        for day in [
            d(2026, 4, 3),
            d(2026, 12, 26),
            d(2026, 4, 5),
            d(2026, 5, 24),
        ] {
            assert!(!is_french_public_holiday(day), "{day}");
        }
    }

    #[test]
    fn holiday_list_matches_predicate_and_deduplicates() {
        // 2008: Ascension (Easter 23 March + 39) was 1 May.
        assert_eq!(french_public_holidays(2008).len(), 10);
        assert!(french_public_holidays(2008).contains(&d(2008, 5, 1)));
        for year in 1990..=2110 {
            let listed = french_public_holidays(year);
            let found: Vec<NaiveDate> = days_of(year)
                .filter(|&day| is_french_public_holiday(day))
                .collect();
            assert_eq!(listed, found, "{year}");
            assert!(listed.len() == 11 || listed.len() == 10, "{year}");
        }
    }

    #[test]
    fn working_days() {
        assert!(is_working_day(d(2026, 1, 15))); // Thursday
        assert!(is_working_day(d(2026, 1, 16))); // Friday
        assert!(!is_working_day(d(2026, 1, 17))); // Saturday
        assert!(!is_working_day(d(2026, 1, 18))); // Sunday
        assert!(is_working_day(d(2026, 1, 19))); // Monday
        assert!(!is_working_day(d(2026, 5, 14))); // Ascension Thursday
        assert!(is_working_day(d(2026, 5, 15))); // Friday after: a working day
        assert!(!is_working_day(d(2026, 5, 25))); // Whit Monday
        assert!(!is_working_day(d(2026, 7, 14)));
    }

    #[test]
    fn next_working_day_shifts() {
        let cases = [
            (d(2026, 1, 15), d(2026, 1, 15)),   // Thursday: kept
            (d(2026, 1, 17), d(2026, 1, 19)),   // Saturday → Monday
            (d(2026, 1, 18), d(2026, 1, 19)),   // Sunday → Monday
            (d(2026, 1, 1), d(2026, 1, 2)),     // Jour de l'an, Thursday → Friday
            (d(2026, 4, 6), d(2026, 4, 7)),     // Easter Monday → Tuesday
            (d(2026, 5, 1), d(2026, 5, 4)),     // 1 May Friday → Monday 4
            (d(2026, 5, 8), d(2026, 5, 11)),    // 8 May Friday → Monday 11
            (d(2026, 5, 14), d(2026, 5, 15)),   // Ascension Thursday → Friday
            (d(2026, 5, 23), d(2026, 5, 26)),   // Saturday, Sunday, Whit Monday → Tuesday
            (d(2026, 7, 14), d(2026, 7, 15)),   // 14 July Tuesday → Wednesday
            (d(2026, 8, 15), d(2026, 8, 17)),   // Assomption on a Saturday → Monday
            (d(2026, 11, 1), d(2026, 11, 2)),   // Toussaint on a Sunday → Monday
            (d(2026, 11, 11), d(2026, 11, 12)), // Armistice Wednesday → Thursday
            (d(2026, 12, 25), d(2026, 12, 28)), // Christmas Friday → Monday 28
            (d(2026, 12, 31), d(2026, 12, 31)), // Thursday 31 December: kept
            (d(2027, 1, 1), d(2027, 1, 4)),     // Jour de l'an 2027, Friday → Monday 4
            // 2285 (Easter 22 March): Ascension 30 April, 1 May Friday, weekend → Monday;
            // 8 May Friday, weekend, Whit Monday 11 May → Tuesday 12.
            (d(2285, 4, 30), d(2285, 5, 4)),
            (d(2285, 5, 8), d(2285, 5, 12)),
        ];
        for (day, expected) in cases {
            assert_eq!(next_working_day_on_or_after(day), expected, "{day}");
        }
    }

    #[test]
    fn next_working_day_is_the_first_one_and_at_most_four_days_later() {
        for year in 1900..=2300 {
            for day in days_of(year) {
                let next = next_working_day_on_or_after(day);
                assert!(is_working_day(next), "{day}");
                assert!(next >= day, "{day}");
                assert!((next - day).num_days() <= 4, "{day} → {next}");
                assert!(
                    day.iter_days()
                        .take_while(|&x| x < next)
                        .all(|x| !is_working_day(x)),
                    "{day} skipped a working day"
                );
            }
        }
    }

    #[test]
    fn next_working_day_saturates() {
        assert!(next_working_day_on_or_after(NaiveDate::MAX) <= NaiveDate::MAX);
        let _ = next_working_day_on_or_after(NaiveDate::MIN);
    }

    // --- Europe/Paris ------------------------------------------------------------------------

    #[test]
    fn paris_local_to_utc_winter_summer_gap_and_overlap() {
        // 2026: summer time from Sunday 29 March (02:00 → 03:00) to Sunday 25 October
        // (03:00 → 02:00).
        assert_eq!(
            paris_local_to_utc(local(2026, 1, 15, 9, 0)),
            utc(2026, 1, 15, 8, 0)
        );
        assert_eq!(
            paris_local_to_utc(local(2026, 6, 16, 9, 0)),
            utc(2026, 6, 16, 7, 0)
        );
        assert_eq!(
            paris_local_to_utc(local(2026, 3, 29, 1, 59)),
            utc(2026, 3, 29, 0, 59)
        );
        assert_eq!(
            paris_local_to_utc(local(2026, 3, 29, 2, 0)),
            utc(2026, 3, 29, 1, 0)
        );
        assert_eq!(
            paris_local_to_utc(local(2026, 3, 29, 2, 30)),
            utc(2026, 3, 29, 1, 0)
        );
        assert_eq!(
            paris_local_to_utc(local(2026, 3, 29, 2, 59)),
            utc(2026, 3, 29, 1, 0)
        );
        assert_eq!(
            paris_local_to_utc(local(2026, 3, 29, 3, 0)),
            utc(2026, 3, 29, 1, 0)
        );
        assert_eq!(
            paris_local_to_utc(local(2026, 3, 29, 9, 0)),
            utc(2026, 3, 29, 7, 0)
        );
        assert_eq!(
            paris_local_to_utc(local(2026, 10, 25, 1, 59)),
            utc(2026, 10, 24, 23, 59)
        );
        assert_eq!(
            paris_local_to_utc(local(2026, 10, 25, 2, 0)),
            utc(2026, 10, 25, 0, 0)
        );
        assert_eq!(
            paris_local_to_utc(local(2026, 10, 25, 2, 30)),
            utc(2026, 10, 25, 0, 30)
        );
        assert_eq!(
            paris_local_to_utc(local(2026, 10, 25, 3, 0)),
            utc(2026, 10, 25, 2, 0)
        );
        assert_eq!(
            paris_local_to_utc(local(2026, 10, 25, 9, 0)),
            utc(2026, 10, 25, 8, 0)
        );
        // Gap with seconds: still the exact first instant after the gap.
        let in_gap = d(2026, 3, 29).and_hms_opt(2, 30, 17).unwrap();
        assert_eq!(paris_local_to_utc(in_gap), utc(2026, 3, 29, 1, 0));
    }

    #[test]
    fn paris_local_to_utc_saturates_at_chronos_limits() {
        assert_eq!(
            paris_local_to_utc(NaiveDateTime::MIN),
            DateTime::<Utc>::MIN_UTC
        );
        let end = paris_local_to_utc(NaiveDateTime::MAX);
        assert!(end <= DateTime::<Utc>::MAX_UTC);
        assert_eq!(paris_date(end), NaiveDate::MAX);
    }

    #[test]
    fn paris_date_and_year() {
        assert_eq!(paris_date(utc(2026, 1, 15, 22, 59)), d(2026, 1, 15));
        assert_eq!(paris_date(utc(2026, 1, 15, 23, 0)), d(2026, 1, 16));
        assert_eq!(paris_date(utc(2026, 7, 15, 21, 59)), d(2026, 7, 15));
        assert_eq!(paris_date(utc(2026, 7, 15, 22, 0)), d(2026, 7, 16));
        assert_eq!(paris_year(utc(2025, 12, 31, 22, 59)), 2025);
        assert_eq!(paris_year(utc(2025, 12, 31, 23, 0)), 2026);
        assert_eq!(paris_year(utc(2026, 1, 1, 0, 0)), 2026);
        assert_eq!(paris_date(DateTime::<Utc>::MAX_UTC), NaiveDate::MAX);
        assert_eq!(paris_year(DateTime::<Utc>::MAX_UTC), NaiveDate::MAX.year());
        assert_eq!(paris_date(DateTime::<Utc>::MIN_UTC), NaiveDate::MIN);
    }

    // --- Rules -------------------------------------------------------------------------------

    #[test]
    fn default_rules() {
        let rules = SendRules::default();
        assert_eq!(rules.delay_months, 9);
        assert_eq!(rules.send_hour, 9);
        assert_eq!(rules.reminder_days, vec![10, 20]);
        assert_eq!(rules.close_after_days, 30);
        assert_eq!(rules.validate(), Ok(()));
    }

    #[test]
    fn rules_deserialize_with_defaults() {
        let empty: SendRules = toml::from_str("").unwrap();
        assert_eq!(empty, SendRules::default());
        let partial: SendRules = toml::from_str("delay_months = 6\nsend_hour = 14\n").unwrap();
        assert_eq!(
            partial,
            SendRules {
                delay_months: 6,
                send_hour: 14,
                ..SendRules::default()
            }
        );
        let full: SendRules = serde_json::from_str(
            r#"{"delay_months": 12, "send_hour": 0, "reminder_days": [], "close_after_days": 7}"#,
        )
        .unwrap();
        assert_eq!(
            full,
            SendRules {
                delay_months: 12,
                send_hour: 0,
                reminder_days: vec![],
                close_after_days: 7
            }
        );
        let round_trip: SendRules =
            serde_json::from_str(&serde_json::to_string(&SendRules::default()).unwrap()).unwrap();
        assert_eq!(round_trip, SendRules::default());
    }

    #[test]
    fn rules_reject_unknown_keys_and_invalid_values() {
        assert!(toml::from_str::<SendRules>("delay = 9").is_err());
        assert!(toml::from_str::<SendRules>("send_hour = -1").is_err());
        let cases = [
            ("send_hour = 24", SendRulesError::SendHourOutOfRange(24)),
            ("close_after_days = 0", SendRulesError::CloseTooSoon),
            ("reminder_days = [0, 10]", SendRulesError::ReminderTooSoon),
            (
                "reminder_days = [20, 10]",
                SendRulesError::RemindersNotIncreasing {
                    previous: 20,
                    next: 10,
                },
            ),
            (
                "reminder_days = [10, 10]",
                SendRulesError::RemindersNotIncreasing {
                    previous: 10,
                    next: 10,
                },
            ),
            (
                "reminder_days = [10, 30]",
                SendRulesError::ReminderNotBeforeClose {
                    reminder: 30,
                    close_after_days: 30,
                },
            ),
            (
                "close_after_days = 15",
                SendRulesError::ReminderNotBeforeClose {
                    reminder: 20,
                    close_after_days: 15,
                },
            ),
        ];
        for (source, expected) in cases {
            let error = toml::from_str::<SendRules>(source).expect_err(source);
            assert!(
                error.to_string().contains(&expected.to_string()),
                "{source}: {error}"
            );
            let raw: RawSendRules = toml::from_str(source).unwrap();
            assert_eq!(SendRules::try_from(raw), Err(expected), "{source}");
        }
        assert!(toml::from_str::<SendRules>("send_hour = 23\nreminder_days = [29]").is_ok());
    }

    // --- Planned sends -----------------------------------------------------------------------

    #[test]
    fn planned_send_on_working_day_winter_and_summer() {
        // 15 April 2025 + 9 = Thursday 15 January 2026, 09:00 CET = 08:00 UTC.
        assert_eq!(planned_send_on(d(2025, 4, 15), &rules()), d(2026, 1, 15));
        assert_eq!(
            planned_send_at(d(2025, 4, 15), &rules()),
            utc(2026, 1, 15, 8, 0)
        );
        // 16 September 2025 + 9 = Tuesday 16 June 2026, 09:00 CEST = 07:00 UTC.
        assert_eq!(
            planned_send_at(d(2025, 9, 16), &rules()),
            utc(2026, 6, 16, 7, 0)
        );
    }

    #[test]
    fn planned_send_moves_off_weekends() {
        // Due Saturday 17 January 2026 → Monday 19.
        assert_eq!(
            planned_send_at(d(2025, 4, 17), &rules()),
            utc(2026, 1, 19, 8, 0)
        );
        // Due Sunday 18 January 2026 → Monday 19.
        assert_eq!(
            planned_send_at(d(2025, 4, 18), &rules()),
            utc(2026, 1, 19, 8, 0)
        );
        // Clamped and shifted: 31 May 2025 + 9 = Saturday 28 February 2026 → Monday 2 March.
        assert_eq!(
            planned_send_at(d(2025, 5, 31), &rules()),
            utc(2026, 3, 2, 8, 0)
        );
    }

    #[test]
    fn planned_send_in_leap_years() {
        // 31 May 2023 + 9 = Thursday 29 February 2024.
        assert_eq!(
            planned_send_at(d(2023, 5, 31), &rules()),
            utc(2024, 2, 29, 8, 0)
        );
        // 31 May 2024 + 9 = Friday 28 February 2025.
        assert_eq!(
            planned_send_at(d(2024, 5, 31), &rules()),
            utc(2025, 2, 28, 8, 0)
        );
        // 30 June 2023 + 8 = Thursday 29 February 2024.
        let eight = SendRules {
            delay_months: 8,
            ..SendRules::default()
        };
        assert_eq!(
            planned_send_at(d(2023, 6, 30), &eight),
            utc(2024, 2, 29, 8, 0)
        );
    }

    #[test]
    fn planned_send_moves_off_holidays() {
        let cases = [
            // (milestone, expected send at 09:00 Paris, in UTC); due date = milestone + 9.
            (d(2025, 8, 1), utc(2026, 5, 4, 7, 0)), // 1 May, Friday → Monday 4
            (d(2025, 7, 6), utc(2026, 4, 7, 7, 0)), // Easter Monday → Tuesday 7 April
            (d(2025, 10, 14), utc(2026, 7, 15, 7, 0)), // 14 July, Tuesday → Wednesday
            (d(2026, 3, 25), utc(2026, 12, 28, 8, 0)), // Christmas, Friday → Monday 28
            (d(2025, 8, 14), utc(2026, 5, 15, 7, 0)), // Ascension Thursday → Friday 15
            (d(2025, 8, 8), utc(2026, 5, 11, 7, 0)), // 8 May, Friday → Monday 11
            (d(2025, 8, 23), utc(2026, 5, 26, 7, 0)), // Sat, Sun, Whit Monday → Tuesday 26
            (d(2026, 2, 1), utc(2026, 11, 2, 8, 0)), // Toussaint on a Sunday → Monday 2
            (d(2026, 2, 11), utc(2026, 11, 12, 8, 0)), // Armistice, Wednesday → Thursday
            (d(2026, 4, 1), utc(2027, 1, 4, 8, 0)), // 1 January 2027, Friday → Monday 4
        ];
        for (milestone, expected) in cases {
            assert_eq!(
                planned_send_at(milestone, &rules()),
                expected,
                "{milestone}"
            );
        }
    }

    #[test]
    fn planned_send_shift_across_dst_change_uses_the_new_offset() {
        // Due Saturday 28 March 2026 (CET) → Monday 30 March (CEST): 07:00 UTC.
        assert_eq!(
            planned_send_at(d(2025, 6, 28), &rules()),
            utc(2026, 3, 30, 7, 0)
        );
        // Due Saturday 24 October 2026 (CEST) → Monday 26 October (CET): 08:00 UTC.
        assert_eq!(
            planned_send_at(d(2026, 1, 24), &rules()),
            utc(2026, 10, 26, 8, 0)
        );
        // Friday 27 March 2026 is still winter time.
        assert_eq!(
            planned_send_at(d(2025, 6, 27), &rules()),
            utc(2026, 3, 27, 8, 0)
        );
    }

    #[test]
    fn planned_send_with_custom_rules() {
        let afternoon = SendRules {
            delay_months: 6,
            send_hour: 14,
            ..SendRules::default()
        };
        // 31 August 2025 + 6 = Saturday 28 February 2026 → Monday 2 March, 14:00 CET.
        assert_eq!(
            planned_send_at(d(2025, 8, 31), &afternoon),
            utc(2026, 3, 2, 13, 0)
        );
        let immediate = SendRules {
            delay_months: 0,
            ..SendRules::default()
        };
        assert_eq!(
            planned_send_at(d(2026, 1, 15), &immediate),
            utc(2026, 1, 15, 8, 0)
        );
        assert_eq!(
            planned_send_at(d(2026, 1, 17), &immediate),
            utc(2026, 1, 19, 8, 0)
        );
        // Out-of-range hours (only reachable by building rules by hand) are read as 23.
        assert_eq!(
            planned_send_at(d(2025, 4, 15), &with_hour(99)),
            utc(2026, 1, 15, 22, 0)
        );
    }

    #[test]
    fn explicit_send_date_is_kept_and_only_the_hour_applied() {
        // Saturday, kept.
        assert_eq!(
            planned_send_at_date(d(2026, 1, 17), &rules()),
            utc(2026, 1, 17, 8, 0)
        );
        // 1 May, kept.
        assert_eq!(
            planned_send_at_date(d(2026, 5, 1), &rules()),
            utc(2026, 5, 1, 7, 0)
        );
        // No delay applied.
        assert_eq!(
            planned_send_at_date(d(2026, 1, 15), &rules()),
            utc(2026, 1, 15, 8, 0)
        );
        assert_eq!(
            planned_send_at_date(d(2026, 1, 15), &with_hour(0)),
            utc(2026, 1, 14, 23, 0)
        );
    }

    #[test]
    fn every_hour_on_dst_change_days_never_panics_and_lands_on_the_wall_clock() {
        for year in 2000..=2099 {
            let spring = last_sunday(year, 3);
            let autumn = last_sunday(year, 10);
            for day in [
                spring.pred_opt().unwrap(),
                spring,
                autumn,
                autumn.succ_opt().unwrap(),
            ] {
                let mut previous: Option<DateTime<Utc>> = None;
                for hour in 0..=30 {
                    let rules = with_hour(hour);
                    let at = planned_send_at_date(day, &rules);
                    let wall = paris_naive(at);
                    assert_eq!(wall.date(), day, "{day} {hour}h");
                    let expected_hour = if day == spring && hour == 2 {
                        3
                    } else {
                        hour.min(23)
                    };
                    assert_eq!(
                        (wall.hour(), wall.minute()),
                        (expected_hour, 0),
                        "{day} {hour}h"
                    );
                    if day == autumn && hour == 2 {
                        // Ambiguous: the earlier of the two, still in summer time.
                        assert_eq!(at.hour(), 0, "{day}");
                    }
                    if let Some(previous) = previous {
                        assert!(previous <= at, "{day} {hour}h not monotonic");
                    }
                    previous = Some(at);
                    // The whole pipeline, from a send at that instant.
                    let reminders = reminder_instants(at, &rules);
                    let closes = closes_at(at, &rules);
                    assert!(
                        reminders.iter().all(|&r| at < r && r < closes),
                        "{day} {hour}h"
                    );
                    let _ = planned_send_at(day, &rules);
                }
            }
            assert_eq!(spring.month(), 3);
            assert_eq!(autumn.month(), 10);
            // The offsets really change on those days.
            assert_eq!(
                paris_local_to_utc(spring.and_hms_opt(1, 0, 0).unwrap()).hour(),
                0
            );
            assert_eq!(
                paris_local_to_utc(spring.and_hms_opt(4, 0, 0).unwrap()).hour(),
                2
            );
        }
    }

    #[test]
    fn every_hour_of_every_day_of_2026_lands_on_the_wall_clock() {
        for day in days_of(2026) {
            for hour in 0..24 {
                let at = planned_send_at_date(day, &with_hour(hour));
                let wall = paris_naive(at);
                assert_eq!(wall.date(), day);
                if !(day == d(2026, 3, 29) && hour == 2) {
                    assert_eq!(wall.hour(), hour, "{day} {hour}h");
                }
                let offset = if (d(2026, 3, 29)..d(2026, 10, 25)).contains(&day)
                    || (day == d(2026, 10, 25) && hour < 3)
                {
                    2
                } else {
                    1
                };
                if !(day == d(2026, 3, 29) && hour <= 2) {
                    assert_eq!(
                        (i64::from(hour) - i64::from(at.hour())).rem_euclid(24),
                        offset,
                        "{day} {hour}h"
                    );
                }
            }
        }
    }

    #[test]
    fn extreme_inputs_never_panic() {
        let extreme = SendRules {
            delay_months: u32::MAX,
            send_hour: u32::MAX,
            reminder_days: vec![0, 1, u32::MAX - 1, u32::MAX],
            close_after_days: u32::MAX,
        };
        let rule_sets = [SendRules::default(), extreme];
        for rules in &rule_sets {
            for date in [NaiveDate::MIN, d(1, 1, 1), d(2026, 3, 29), NaiveDate::MAX] {
                for hour in 0..=30 {
                    let rules = SendRules {
                        send_hour: hour,
                        ..rules.clone()
                    };
                    let _ = planned_send_at(date, &rules);
                    let _ = planned_send_at_date(date, &rules);
                }
            }
            for sent in [
                DateTime::<Utc>::MIN_UTC,
                utc(2026, 3, 29, 1, 0),
                utc(2026, 10, 25, 0, 30),
                DateTime::<Utc>::MAX_UTC,
            ] {
                let _ = reminder_instants(sent, rules);
                let _ = closes_at(sent, rules);
                let _ = paris_date(sent);
                let _ = paris_year(sent);
            }
        }
        assert_eq!(
            planned_send_on(d(2026, 1, 15), &rule_sets[1]),
            next_working_day_on_or_after(NaiveDate::MAX)
        );
    }

    // --- Reminders and closing ---------------------------------------------------------------

    #[test]
    fn reminder_across_spring_change_keeps_nine_oclock_paris() {
        // Sent Friday 20 March 2026, 09:00 CET (08:00 UTC).
        let sent = utc(2026, 3, 20, 8, 0);
        assert_eq!(
            reminder_instants(sent, &rules()),
            vec![
                utc(2026, 3, 30, 7, 0), // Monday 30 March, 09:00 CEST
                utc(2026, 4, 9, 7, 0),  // Thursday 9 April, 09:00 CEST
            ]
        );
        // Sunday 19 April, 09:00 CEST: closing is not moved.
        assert_eq!(closes_at(sent, &rules()), utc(2026, 4, 19, 7, 0));
    }

    #[test]
    fn reminder_across_autumn_change_and_holidays() {
        // Sent Thursday 22 October 2026, 09:00 CEST (07:00 UTC).
        let sent = utc(2026, 10, 22, 7, 0);
        assert_eq!(
            reminder_instants(sent, &rules()),
            vec![
                utc(2026, 11, 2, 8, 0),  // +10 = Sunday 1 Nov (Toussaint) → Monday 2, CET
                utc(2026, 11, 12, 8, 0), // +20 = Wednesday 11 Nov (Armistice) → Thursday 12
            ]
        );
        // +30 = Saturday 21 November, 09:00 CET.
        assert_eq!(closes_at(sent, &rules()), utc(2026, 11, 21, 8, 0));
    }

    #[test]
    fn reminder_skips_weekend_and_easter_monday() {
        // Sent Wednesday 25 March 2026, 09:00 CET. +10 = Saturday 4 April → (Sunday 5,
        // Easter Monday 6) → Tuesday 7 April 09:00 CEST.
        let sent = utc(2026, 3, 25, 8, 0);
        assert_eq!(
            reminder_instants(sent, &rules()),
            vec![utc(2026, 4, 7, 7, 0), utc(2026, 4, 14, 7, 0)]
        );
        assert_eq!(closes_at(sent, &rules()), utc(2026, 4, 24, 7, 0));
    }

    #[test]
    fn reminders_keep_the_exact_wall_clock_time_of_the_send() {
        // Sent Thursday 15 January 2026 at 09:04:37 Paris (the dispatch tick after 09:00).
        let sent = utc_s(2026, 1, 15, 8, 4, 37);
        assert_eq!(
            reminder_instants(sent, &rules()),
            vec![
                utc_s(2026, 1, 26, 8, 4, 37), // +10 = Sunday 25 → Monday 26
                utc_s(2026, 2, 4, 8, 4, 37),  // +20 = Wednesday 4 February
            ]
        );
        // +30 = Saturday 14 February.
        assert_eq!(closes_at(sent, &rules()), utc_s(2026, 2, 14, 8, 4, 37));
    }

    #[test]
    fn reminders_count_days_in_paris_not_utc() {
        // 23:30 UTC on Thursday 15 January is 00:30 on Friday 16 in Paris.
        let sent = utc(2026, 1, 15, 23, 30);
        assert_eq!(paris_date(sent), d(2026, 1, 16));
        assert_eq!(
            reminder_instants(sent, &rules()),
            vec![
                utc(2026, 1, 25, 23, 30), // Monday 26, 00:30 Paris
                utc(2026, 2, 4, 23, 30),  // Thursday 5 February, 00:30 Paris
            ]
        );
        assert_eq!(closes_at(sent, &rules()), utc(2026, 2, 14, 23, 30));
    }

    #[test]
    fn reminders_moved_onto_each_other_are_merged() {
        let close_together = SendRules {
            reminder_days: vec![10, 11],
            ..SendRules::default()
        };
        assert_eq!(close_together.validate(), Ok(()));
        // Sent Wednesday 14 January 2026: +10 Saturday, +11 Sunday, both → Monday 26.
        let sent = utc(2026, 1, 14, 8, 0);
        assert_eq!(
            reminder_instants(sent, &close_together),
            vec![utc(2026, 1, 26, 8, 0)]
        );
    }

    #[test]
    fn reminder_moved_past_closing_is_dropped() {
        let late = SendRules {
            reminder_days: vec![29],
            close_after_days: 30,
            ..SendRules::default()
        };
        // Sent Friday 16 January 2026: +29 = Saturday 14 February → Monday 16, after the
        // closing on Sunday 15.
        let sent = utc(2026, 1, 16, 8, 0);
        assert_eq!(closes_at(sent, &late), utc(2026, 2, 15, 8, 0));
        assert!(reminder_instants(sent, &late).is_empty());
        let longer = SendRules {
            close_after_days: 35,
            ..late
        };
        assert_eq!(
            reminder_instants(sent, &longer),
            vec![utc(2026, 2, 16, 8, 0)]
        );
    }

    #[test]
    fn no_reminders_configured() {
        let none = SendRules {
            reminder_days: vec![],
            ..SendRules::default()
        };
        assert!(reminder_instants(utc(2026, 1, 15, 8, 0), &none).is_empty());
    }

    #[test]
    fn unvalidated_reminders_are_filtered_sorted_and_deduplicated() {
        let messy = SendRules {
            reminder_days: vec![20, 0, 10, 10, 45],
            ..SendRules::default()
        };
        let sent = utc(2026, 3, 20, 8, 0);
        assert_eq!(
            reminder_instants(sent, &messy),
            vec![utc(2026, 3, 30, 7, 0), utc(2026, 4, 9, 7, 0)]
        );
    }

    #[test]
    fn reminders_and_closing_properties_for_every_send_day() {
        for day in days_of(2024).chain(days_of(2025)).chain(days_of(2026)) {
            let sent = planned_send_at_date(day, &rules());
            let reminders = reminder_instants(sent, &rules());
            let closes = closes_at(sent, &rules());
            let close_wall = paris_naive(closes);
            assert_eq!(close_wall.date(), day + Days::new(30), "{day}");
            assert_eq!((close_wall.hour(), close_wall.minute()), (9, 0), "{day}");
            assert_eq!(reminders.len(), 2, "{day}");
            for (reminder, days) in reminders.iter().zip([10, 20]) {
                let wall = paris_naive(*reminder);
                assert_eq!((wall.hour(), wall.minute()), (9, 0), "{day}");
                assert!(is_working_day(wall.date()), "{day}");
                assert_eq!(
                    wall.date(),
                    next_working_day_on_or_after(day + Days::new(days)),
                    "{day}"
                );
            }
            assert!(sent < reminders[0] && reminders[0] < reminders[1] && reminders[1] < closes);
        }
    }
}

const FRENCH_MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

/// A date as French people write it in a sentence: « 1er avril 2026 », « 15 mai 2026 ».
pub fn french_date(date: NaiveDate) -> String {
    let day = date.day();
    let month = FRENCH_MONTHS[date.month0() as usize];
    if day == 1 {
        format!("1er {month} {}", date.year())
    } else {
        format!("{day} {month} {}", date.year())
    }
}

#[cfg(test)]
mod french_date_tests {
    use super::*;

    #[test]
    fn dates_read_as_in_a_french_sentence() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(french_date(d(2026, 4, 1)), "1er avril 2026");
        assert_eq!(french_date(d(2026, 8, 15)), "15 août 2026");
        assert_eq!(french_date(d(2027, 2, 28)), "28 février 2027");
    }
}

#[cfg(test)]
mod reminder_cutoff_tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// No invitation sent after the cutoff owes a reminder: across every day of two
        /// years (clock changes, weekends, holidays) and every hour and minute.
        #[test]
        fn nothing_sent_after_the_cutoff_owes_a_reminder(
            sent_minutes in 0_i64..(2 * 366 * 24 * 60),
            // Around the first reminder, where a cutoff too early would show.
            around_first in -240_i64..240,
            first in 1_u32..15,
            gap in 1_u32..10,
        ) {
            let rules = SendRules {
                reminder_days: vec![first, first + gap],
                close_after_days: first + gap + 5,
                ..SendRules::default()
            };
            let start = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").unwrap().to_utc();
            let sent_at = start + chrono::Duration::minutes(sent_minutes);
            let now = sent_at
                + chrono::Duration::days(i64::from(first))
                + chrono::Duration::minutes(around_first);
            let cutoff = reminders_owed_if_sent_by(now, &rules).unwrap();
            let owes = reminder_instants(sent_at, &rules).iter().any(|at| *at <= now);
            prop_assert!(!owes || sent_at <= cutoff, "sent {sent_at}, now {now}, cutoff {cutoff}");
        }
    }

    #[test]
    fn no_reminders_no_cutoff() {
        let rules = SendRules {
            reminder_days: Vec::new(),
            ..SendRules::default()
        };
        let now = DateTime::parse_from_rfc3339("2026-06-01T09:00:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(reminders_owed_if_sent_by(now, &rules), None);
    }
}
