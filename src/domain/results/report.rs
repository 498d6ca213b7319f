//! What the results pages, the API and the exports show, assembled from the computed
//! reports: the period asked for, one entry per indicator with its trend and change, and a
//! campaign's full results. Pure data and rules; the web layer loads the counts.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{
    Breakdown, IndicatorReport, PeriodChange, QuestionDistribution, Timeline, change, parse_year,
};
use crate::domain::QuestionnaireCode;
use crate::domain::indicators::{
    GroupParticipation, MeanIndicator, Participation, ParticipationBreakdown,
    suppress_participation,
};
use crate::domain::questionnaire::Questionnaire;
use crate::domain::schedule::paris_year;

/// The period a request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeriodQuery {
    Year(i32),
    Wave(String),
}

impl PeriodQuery {
    /// From the query string (`year` or `wave`; the dashboard says `annee`, `vague`): both at
    /// once is an error, neither is the current year.
    pub fn parse(
        year: Option<&str>,
        wave: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Self, String> {
        // Empty (a form's blank choice) means "this year"; anything else must be a year.
        let year = year.filter(|y| !y.is_empty());
        let wave = wave.map(str::trim).filter(|w| !w.is_empty());
        match (year, wave) {
            (Some(_), Some(_)) => Err("Indiquez une année ou une vague, pas les deux.".into()),
            (Some(raw), None) => parse_year(raw).map(Self::Year).ok_or_else(|| {
                format!(
                    "Année invalide « {} » : attendu un nombre entre 2000 et 2100.",
                    raw.chars().take(20).collect::<String>()
                )
            }),
            (None, Some(label)) if label.chars().count() > 120 => {
                Err("Nom de vague trop long.".into())
            }
            (None, Some(label)) => Ok(Self::Wave(label.to_owned())),
            (None, None) => Ok(Self::Year(paris_year(now))),
        }
    }
}

/// Which period an indicator was computed for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeriodRef {
    Year(i32),
    Wave {
        label: String,
        campaign_id: Uuid,
    },
    /// A wave-measured indicator with no wave in the year asked for.
    NoWave {
        year: i32,
    },
}

impl PeriodRef {
    pub fn label(&self) -> String {
        match self {
            Self::Year(year) => year.to_string(),
            Self::Wave { label, .. } => format!("vague « {label} »"),
            Self::NoWave { year } => format!("aucune vague en {year}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct TrendPoint {
    pub label: String,
    pub value: Option<f64>,
    pub respondents: u64,
    pub selected: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorEntry {
    pub report: IndicatorReport,
    pub period: PeriodRef,
    pub anonymous: bool,
    /// An anonymous questionnaire with fewer respondents than the threshold: its opinions are
    /// not shown (the figures are emptied), only the counts of respondents.
    pub masked: bool,
    /// Every period with responses, oldest first.
    pub trend: Vec<TrendPoint>,
    /// From the previous period with responses to this one.
    pub change: Option<(String, PeriodChange)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Overview {
    pub year: i32,
    pub wave: Option<String>,
    pub entries: Vec<IndicatorEntry>,
    /// Years with responses or invitations, for the period selector.
    pub years: Vec<i32>,
    /// Wave labels of 6 and 7.
    pub waves: Vec<String>,
}

/// Empties the opinion figures of an anonymous questionnaire with too few respondents.
pub fn mask(report: &mut IndicatorReport) {
    report.value = None;
    report.interval = None;
    report.mean = MeanIndicator::new(Vec::new(), None);
    report.two_level = None;
}

/// Whether an anonymous questionnaire has too few respondents to show any opinion: the
/// first rule of [`crate::domain::indicators::suppression`], for the whole campaign.
pub fn masked(threshold: u64, anonymous: bool, report: &IndicatorReport) -> bool {
    anonymous && report.respondents < threshold
}

/// Assembles an entry from the reports of every period: trend, selected one, change.
pub fn entry_from<P>(
    threshold: u64,
    anonymous: bool,
    reports: Vec<(P, IndicatorReport)>,
    is_selected: impl Fn(&P) -> bool,
    label: impl Fn(&P) -> String,
    period: PeriodRef,
    empty: IndicatorReport,
) -> IndicatorEntry {
    let trend: Vec<TrendPoint> = reports
        .iter()
        .filter(|(p, r)| r.respondents > 0 || is_selected(p))
        .map(|(p, r)| TrendPoint {
            label: label(p),
            value: if masked(threshold, anonymous, r) {
                None
            } else {
                r.value
            },
            respondents: r.respondents,
            selected: is_selected(p),
        })
        .collect();
    let position = reports.iter().position(|(p, _)| is_selected(p));
    let previous = position.and_then(|i| {
        reports[..i]
            .iter()
            .rev()
            .find(|(_, r)| r.respondents > 0 && !masked(threshold, anonymous, r))
    });
    let mut report = match position {
        Some(i) => reports[i].1.clone(),
        None => empty,
    };
    let is_masked = masked(threshold, anonymous, &report);
    let change = match previous {
        Some((p, before)) if !is_masked && report.respondents > 0 => {
            Some((label(p), change(before, &report)))
        }
        _ => None,
    };
    if is_masked {
        mask(&mut report);
    }
    IndicatorEntry {
        report,
        period,
        anonymous,
        masked: is_masked,
        trend,
        change,
    }
}

/// A breakdown with its French labels.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelledBreakdown {
    pub label: String,
    pub breakdown: Breakdown,
    pub group_labels: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignInfo {
    pub id: Uuid,
    pub label: String,
    pub status: String,
}

/// A campaign's emails not delivered yet: queued, of which `retrying` already failed at least
/// once for a transient reason (SMTP server unreachable…), and the last error met; and what
/// the bounces said of its invitations.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[schema(as = Delivery)]
pub struct DeliveryBacklog {
    pub queued: u64,
    pub retrying: u64,
    #[schema(required = true)]
    pub last_error: Option<String>,
    /// Invitations undeliverable: a hard bounce, three soft ones, or the SMTP server's
    /// permanent refusal (those whose address staff corrected since included).
    pub bounced: u64,
    /// Invitations with soft bounces (fewer than three): emails still go to them.
    pub deferred: u64,
    /// Invitations reported as unwanted by their recipient: unsubscribed.
    pub complained: u64,
}

/// A page of 3.1's companies in the order of their references.
#[derive(Debug, Clone, PartialEq)]
pub struct CompanyPage {
    pub offset: u64,
    /// Companies with respondents, in all.
    pub total: u64,
    /// `(company, respondents, score)`.
    pub rows: Vec<(String, u64, Option<f64>)>,
}

/// Everything a campaign's page and results show.
#[derive(Debug, Clone)]
pub struct CampaignResults {
    pub campaign: CampaignInfo,
    pub code: QuestionnaireCode,
    pub definition: Option<Arc<Questionnaire>>,
    pub anonymous: bool,
    pub threshold: u64,
    pub report: IndicatorReport,
    /// Anonymous with fewer respondents than the threshold: nothing but counts is shown.
    pub masked: bool,
    pub distributions: Vec<QuestionDistribution>,
    pub breakdowns: Vec<LabelledBreakdown>,
    /// Respondents per company (3.1), with every company.
    pub company_respondents: HashMap<String, u64>,
    /// One page of the companies of 3.1 (the dashboard), instead of all of them.
    pub company_page: Option<CompanyPage>,
    pub timeline: Timeline,
    /// `None` for an open questionnaire (no invitations).
    pub participation: Option<Participation>,
    pub opened: u64,
    /// `None` for an open questionnaire (no invitations).
    pub delivery: Option<DeliveryBacklog>,
    /// The wave the breakdowns' changes are measured from (6, 7).
    pub previous_wave: Option<String>,
    /// Participation per roster attribute (6, 7), suppressed for an anonymous questionnaire.
    pub participation_groups: Vec<GroupParticipationTable>,
}

/// Participation per value of one roster attribute, as published.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupParticipationTable {
    pub key: String,
    pub label: String,
    pub breakdown: ParticipationBreakdown,
    pub group_labels: Vec<String>,
}

/// Participation per group of one attribute: with [`suppress_participation`] for an
/// anonymous questionnaire (the roster says who was invited, so "3 of 3 answered" would say
/// who answered); as counted otherwise.
pub fn participation_table(
    groups: &[GroupParticipation],
    anonymous: bool,
    threshold: u64,
) -> ParticipationBreakdown {
    suppress_participation(groups, if anonymous { threshold } else { 0 })
}
