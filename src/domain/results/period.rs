//! Which period a response counts in, and which periods a request asks for.
//!
//! The fiches measure 3.1 and 3.2 per calendar year of the invitation ("9 mois après"), 4 per
//! calendar year of the rating, and 6 and 7 per wave (a campaign). Years are French years:
//! an invitation sent on 31 December at 23:30 Paris time belongs to that year, even though it
//! is already 1 January in UTC… or the other way round.

use chrono::{DateTime, Datelike, NaiveDate, Utc};

use crate::domain::QuestionnaireCode;
use crate::domain::schedule::{paris_local_to_utc, paris_year};

/// The year stored with a response's tallies: the Paris year the invitation was sent for 3.1
/// and 3.2 (the year it was answered when it was never marked sent), the Paris year of the
/// response otherwise. For 6 and 7 the period that counts is the wave, i.e. the campaign; the
/// year is then only informative.
///
/// `submitted_on` is the Paris day of the response, the only time an anonymous response
/// keeps.
pub fn tally_period(
    code: QuestionnaireCode,
    invitation_sent_at: Option<DateTime<Utc>>,
    submitted_on: NaiveDate,
) -> i32 {
    match (code, invitation_sent_at) {
        (QuestionnaireCode::I3_1 | QuestionnaireCode::I3_2, Some(sent_at)) => paris_year(sent_at),
        _ => submitted_on.year(),
    }
}

/// Whether the questionnaire's period is a wave (a campaign) rather than a year.
pub fn measured_by_wave(code: QuestionnaireCode) -> bool {
    matches!(code, QuestionnaireCode::I6 | QuestionnaireCode::I7)
}

/// The instants `[start, end)` of a Paris calendar year, for comparing stored UTC instants.
pub fn paris_year_bounds(year: i32) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = |y: i32| {
        NaiveDate::from_ymd_opt(y, 1, 1)
            .map(|d| paris_local_to_utc(d.and_time(chrono::NaiveTime::MIN)))
            .unwrap_or(if y < 1970 {
                DateTime::<Utc>::MIN_UTC
            } else {
                DateTime::<Utc>::MAX_UTC
            })
    };
    (start(year), start(year.saturating_add(1)))
}

/// Years accepted in requests: anything else is a typo, answered with a 400.
pub const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// Parses a `year`/`annee` query value: exactly four digits, as the OpenAPI description
/// says (`^([0-9]{4})?$`). Nothing is trimmed: a program that sends `" 2025"` or a control
/// character gets a 400 rather than a guess.
pub fn parse_year(raw: &str) -> Option<i32> {
    if raw.len() != 4 || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    raw.parse::<i32>().ok().filter(|year| YEARS.contains(year))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_year_of_sending_counts_for_3_1_and_3_2() {
        // Sent on 31 December 2025 at 23:30 in Paris (22:30 UTC), answered in January 2026.
        let sent = Utc.with_ymd_and_hms(2025, 12, 31, 22, 30, 0).unwrap();
        let answered = NaiveDate::from_ymd_opt(2026, 1, 12).unwrap();
        assert_eq!(
            tally_period(QuestionnaireCode::I3_1, Some(sent), answered),
            2025
        );
        assert_eq!(
            tally_period(QuestionnaireCode::I3_2, Some(sent), answered),
            2025
        );
        // Never marked sent: the year it was answered.
        assert_eq!(tally_period(QuestionnaireCode::I3_1, None, answered), 2026);
    }

    #[test]
    fn the_year_of_the_response_counts_otherwise() {
        let sent = Utc.with_ymd_and_hms(2025, 12, 1, 8, 0, 0).unwrap();
        // Answered on 1 January 2026, Paris time (31 December at 23:30 UTC).
        let answered = crate::domain::schedule::paris_date(
            Utc.with_ymd_and_hms(2025, 12, 31, 23, 30, 0).unwrap(),
        );
        for code in [
            QuestionnaireCode::I4,
            QuestionnaireCode::I6,
            QuestionnaireCode::I7,
        ] {
            assert_eq!(tally_period(code, Some(sent), answered), 2026);
        }
    }

    #[test]
    fn paris_years_start_at_paris_midnight() {
        let (start, end) = paris_year_bounds(2026);
        assert_eq!(start, Utc.with_ymd_and_hms(2025, 12, 31, 23, 0, 0).unwrap());
        assert_eq!(end, Utc.with_ymd_and_hms(2026, 12, 31, 23, 0, 0).unwrap());
    }

    #[test]
    fn years_outside_the_plausible_range_are_refused() {
        assert_eq!(parse_year("2026"), Some(2026));
        for bad in [
            "",
            "26",
            "2026a",
            "-1",
            "99999999999",
            "1999",
            "2101",
            " 2025 ",
            "\u{c}",
            "+202",
            "２０２６",
        ] {
            assert_eq!(parse_year(bad), None, "{bad}");
        }
    }
}
