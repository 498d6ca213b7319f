//! Gathers what the results pages, the API and the exports show: counts from the store,
//! computed into figures by the domain. No SQL and no HTML here; shared by every results
//! route so that the dashboard, the JSON and the workbook always agree.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use uuid::Uuid;

use super::{AppState, WebError};
use crate::domain::QuestionnaireCode;
use crate::domain::indicators::DownloadParticipation;
use crate::domain::indicators::GroupParticipation;
use crate::domain::results::breakdown::{Breakdown, NOT_BREAKDOWNS, with_changes};
use crate::domain::results::labels::{dimension_label, group_label, group_rank};
use crate::domain::results::report::{
    CampaignInfo, CampaignResults, CompanyPage, GroupParticipationTable, IndicatorEntry,
    LabelledBreakdown, Overview, PeriodQuery, PeriodRef, entry_from, mask, masked,
    participation_table,
};
use crate::domain::results::tally::{COMPANY_DIMENSION, DAY_DIMENSION, RESPONDENTS};
use crate::domain::results::{
    Companies, GroupCount, IndicatorInput, IndicatorReport, ValueCount, Versions, breakdowns,
    distributions, indicator, measured_by_wave, paris_year_bounds, timeline,
};
use crate::entities::campaign;
use crate::store::results::campaigns;
use crate::store::results::company_scores::{self, ScoreScope};
use crate::store::results::counts::{Dimensions, Scope, group_counts, value_counts, versions_in};
use crate::store::results::participation::{
    Invited, failed_of, opened_per_day, participation_of, per_group, sending_span, sent_batches,
};
use crate::store::versions;

/// The five indicators of a year or a wave. A wave fixes the year of 3.1, 3.2 and 4 (the
/// year it was sent); a year selects the wave of 6 and 7 sent that year (the latest, if
/// several).
pub async fn overview(state: &AppState, query: &PeriodQuery) -> Result<Overview, WebError> {
    let mut waves_by_code = HashMap::new();
    let mut wave_labels: Vec<String> = Vec::new();
    for code in [QuestionnaireCode::I6, QuestionnaireCode::I7] {
        let waves = waves_of(state, code).await?;
        for w in &waves {
            if !wave_labels.contains(&w.campaign.label) {
                wave_labels.push(w.campaign.label.clone());
            }
        }
        waves_by_code.insert(code, waves);
    }
    let (year, wave) = match query {
        PeriodQuery::Year(year) => (*year, None),
        PeriodQuery::Wave(label) => {
            let year = waves_by_code
                .values()
                .flatten()
                .find(|w| w.campaign.label == *label)
                .map(|w| w.date.year())
                .ok_or(WebError::NotFound)?;
            (year, Some(label.clone()))
        }
    };

    let mut entries = Vec::new();
    let mut years: Vec<i32> = vec![year];
    for code in QuestionnaireCode::ALL {
        let entry = if measured_by_wave(code) {
            let waves = waves_by_code.remove(&code).unwrap_or_default();
            years.extend(waves.iter().map(|w| w.date.year()));
            wave_entry(state, code, waves, year, wave.as_deref()).await?
        } else {
            let (entry, periods) = year_entry(state, code, year).await?;
            years.extend(periods);
            entry
        };
        entries.push(entry);
    }
    years.sort_unstable();
    years.dedup();
    Ok(Overview {
        year,
        wave,
        entries,
        years,
        waves: wave_labels,
    })
}

/// The definitions of the versions `counts` were answered with, the current one first.
pub(super) async fn versions_for(
    state: &AppState,
    code: QuestionnaireCode,
    counts: &[ValueCount],
) -> Result<Versions, WebError> {
    let current = state.catalog.get(code);
    let mut versions = Versions::new(current.map(|l| (l.version.clone(), l.definition.clone())));
    for id in versions_in(counts) {
        if !versions.contains(&id)
            && let Some(definition) = versions::load(&state.db, &id).await?
        {
            versions.insert(id, Arc::new(definition));
        }
    }
    Ok(versions)
}

fn is_anonymous(state: &AppState, code: QuestionnaireCode) -> bool {
    state
        .catalog
        .get(code)
        .is_some_and(|l| l.definition.anonymous)
}

/// 3.1, 3.2 and 4: one report per year with responses, the year asked for in full.
async fn year_entry(
    state: &AppState,
    code: QuestionnaireCode,
    year: i32,
) -> Result<(IndicatorEntry, Vec<i32>), WebError> {
    let counts = value_counts(&state.db, Scope::PerPeriod(code)).await?;
    let versions = versions_for(state, code, &counts).await?;
    let mut periods: Vec<i32> = counts.iter().map(|c| c.period).collect();
    periods.push(year);
    periods.sort_unstable();
    periods.dedup();

    let participation = match code {
        QuestionnaireCode::I4 => None,
        _ => {
            let (from, to) = paris_year_bounds(year);
            Some(participation_of(&state.db, Invited::SentBetween { code, from, to }).await?)
        }
    };
    // 4: ratings over the downloads the widget counted in the year (one row per resource
    // and day, summed).
    let downloads = match code {
        QuestionnaireCode::I4 => {
            Some(crate::store::widget::downloads_in_year(&state.db, year).await?)
        }
        _ => None,
    };
    let anonymous = is_anonymous(state, code);
    let mut reports: Vec<(i32, IndicatorReport)> = Vec::new();
    for period in periods.iter().copied() {
        let counts: Vec<ValueCount> = counts
            .iter()
            .filter(|c| c.period == period)
            .cloned()
            .collect();
        // 3.1's value from the running sums of its company scores: one row, however many
        // companies answered.
        let companies = if code == QuestionnaireCode::I3_1 {
            Companies::Totals(
                company_scores::totals(&state.db, &ScoreScope::Year(code, period)).await?,
            )
        } else {
            Companies::NONE
        };
        let mut report = indicator(
            IndicatorInput {
                code,
                counts: &counts,
                companies,
                participation: participation.filter(|_| period == year),
                downloads: None,
            },
            &versions,
            &state.results.targets,
        );
        if let Some(downloads) = downloads.filter(|_| period == year) {
            report.downloads = Some(DownloadParticipation::new(downloads, report.respondents));
        }
        reports.push((period, report));
    }
    let entry = entry_from(
        state.results.anonymity_threshold,
        anonymous,
        reports,
        |p| *p == year,
        |p| p.to_string(),
        PeriodRef::Year(year),
        empty_report(state, code),
    );
    Ok((entry, periods))
}

/// The indicator of a period without any response, against its targets.
fn empty_report(state: &AppState, code: QuestionnaireCode) -> IndicatorReport {
    let current = state.catalog.get(code);
    let versions = Versions::new(current.map(|l| (l.version.clone(), l.definition.clone())));
    indicator(
        IndicatorInput {
            code,
            counts: &[],
            companies: Companies::NONE,
            participation: None,
            downloads: None,
        },
        &versions,
        &state.results.targets,
    )
}

/// A wave and the day it is placed on: when it was first sent, else its planned date.
#[derive(Debug, Clone)]
struct Wave {
    campaign: campaign::Model,
    date: NaiveDate,
}

async fn waves_of(state: &AppState, code: QuestionnaireCode) -> Result<Vec<Wave>, WebError> {
    let mut waves = Vec::new();
    for campaign in campaigns::of_questionnaire(&state.db, code).await? {
        let first_sent = sending_span(&state.db, campaign.id)
            .await?
            .map(|(first, _)| first);
        let date = first_sent
            .map(crate::domain::schedule::paris_date)
            .or(campaign.send_on)
            .or(campaign.milestone_on)
            .unwrap_or_else(|| crate::domain::schedule::paris_date(campaign.created_at));
        waves.push(Wave { campaign, date });
    }
    waves.sort_by(|a, b| (a.date, &a.campaign.label).cmp(&(b.date, &b.campaign.label)));
    Ok(waves)
}

/// 6 and 7: one report per wave, the wave asked for (or that of the year) in full.
async fn wave_entry(
    state: &AppState,
    code: QuestionnaireCode,
    waves: Vec<Wave>,
    year: i32,
    wave: Option<&str>,
) -> Result<IndicatorEntry, WebError> {
    let selected = match wave {
        Some(label) => waves.iter().position(|w| w.campaign.label == label),
        None => waves.iter().rposition(|w| w.date.year() == year),
    };
    let mut reports: Vec<(usize, IndicatorReport)> = Vec::new();
    for (i, w) in waves.iter().enumerate() {
        let counts = value_counts(&state.db, Scope::Campaign(w.campaign.id)).await?;
        if counts.is_empty() && Some(i) != selected {
            continue;
        }
        let versions = versions_for(state, code, &counts).await?;
        let participation = if Some(i) == selected {
            Some(participation_of(&state.db, Invited::Campaign(w.campaign.id)).await?)
        } else {
            None
        };
        let report = indicator(
            IndicatorInput {
                code,
                counts: &counts,
                companies: Companies::NONE,
                participation,
                downloads: None,
            },
            &versions,
            &state.results.targets,
        );
        reports.push((i, report));
    }
    let period = match selected {
        Some(i) => PeriodRef::Wave {
            label: waves[i].campaign.label.clone(),
            campaign_id: waves[i].campaign.id,
        },
        None => PeriodRef::NoWave { year },
    };
    let anonymous = is_anonymous(state, code);
    Ok(entry_from(
        state.results.anonymity_threshold,
        anonymous,
        reports,
        |i| Some(*i) == selected,
        |i| {
            waves
                .get(*i)
                .map_or_else(String::new, |w| w.campaign.label.clone())
        },
        period,
        empty_report(state, code),
    ))
}

/// Participation per roster attribute of the questionnaire (region, college, entity…).
async fn participation_groups(
    state: &AppState,
    campaign_id: Uuid,
    versions: &Versions,
    anonymous: bool,
) -> Result<Vec<GroupParticipationTable>, WebError> {
    let current = versions.current();
    let keys: Vec<String> = current
        .iter()
        .flat_map(|d| d.attributes.iter())
        .filter(|a| a.question.is_none())
        .map(|a| a.key.clone())
        .collect();
    let rows = per_group(&state.db, campaign_id, &keys).await?;
    let threshold = state.results.anonymity_threshold;
    Ok(keys
        .iter()
        .filter_map(|key| {
            let groups: Vec<GroupParticipation> = rows
                .iter()
                .filter(|(k, ..)| k == key)
                .map(|(_, value, invited, completed)| {
                    GroupParticipation::new(value.clone(), *invited, *completed)
                })
                .collect();
            (!groups.is_empty()).then(|| GroupParticipationTable {
                key: key.clone(),
                label: dimension_label(current, key),
                group_labels: groups
                    .iter()
                    .map(|g| group_label(current, &state.catalog.network, key, &g.label))
                    .collect(),
                breakdown: participation_table(&groups, anonymous, threshold),
            })
        })
        .collect())
}

/// The wave before `campaign_id` with published results: its label, group counts and
/// breakdowns as published (masks applied). `None` when there is none, or when that wave had
/// too few respondents to show anything.
async fn previous_wave_breakdowns(
    state: &AppState,
    code: QuestionnaireCode,
    campaign_id: Uuid,
    scored: &[String],
    overall: Option<&str>,
    anonymous: bool,
) -> Result<Option<(String, Vec<GroupCount>, Vec<Breakdown>)>, WebError> {
    let threshold = state.results.anonymity_threshold;
    let waves = waves_of(state, code).await?;
    let Some(position) = waves.iter().position(|w| w.campaign.id == campaign_id) else {
        return Ok(None);
    };
    for wave in waves[..position].iter().rev() {
        let groups = group_counts(
            &state.db,
            Scope::Campaign(wave.campaign.id),
            Dimensions::Except(COMPANY_DIMENSION),
        )
        .await?;
        let respondents: u64 = groups
            .iter()
            .filter(|g| g.dimension == DAY_DIMENSION && g.question == RESPONDENTS)
            .map(|g| g.total)
            .sum();
        if respondents == 0 {
            continue;
        }
        if anonymous && respondents < threshold {
            return Ok(None);
        }
        let published = breakdowns(&groups, scored, overall, anonymous, threshold);
        return Ok(Some((wave.campaign.label.clone(), groups, published)));
    }
    Ok(None)
}

/// How much of 3.1's companies a campaign's results carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompanyDetail {
    /// Every company with its questions (the JSON results and the exports).
    All,
    /// The value from the running sums, and one page of companies (the dashboard).
    Page { offset: u64, limit: u64 },
}

pub async fn campaign_results(
    state: &AppState,
    id: Uuid,
    detail: CompanyDetail,
) -> Result<CampaignResults, WebError> {
    let campaign = campaigns::by_id(&state.db, id)
        .await?
        .ok_or(WebError::NotFound)?;
    let code: QuestionnaireCode = campaign
        .questionnaire_code
        .parse()
        .map_err(|_| WebError::MissingQuestionnaire(campaign.questionnaire_code.clone()))?;
    let counts = value_counts(&state.db, Scope::Campaign(id)).await?;
    let groups = group_counts(
        &state.db,
        Scope::Campaign(id),
        Dimensions::Except(COMPANY_DIMENSION),
    )
    .await?;
    let versions = versions_for(state, code, &counts).await?;
    let definition = state.catalog.get(code).map(|l| l.definition.clone());
    let anonymous = definition.as_ref().is_some_and(|d| d.anonymous);
    let threshold = state.results.anonymity_threshold;

    let open = definition.as_ref().is_some_and(|d| d.open);
    let (batches, opened_days, failed) = if open {
        (Vec::new(), Vec::new(), 0)
    } else {
        (
            sent_batches(&state.db, id).await?,
            opened_per_day(&state.db, id).await?,
            failed_of(&state.db, Invited::Campaign(id)).await?,
        )
    };
    let delivery = if open {
        None
    } else {
        Some(crate::store::outbox::backlog(&state.db, id).await?)
    };
    let participation = (!open).then(|| {
        let sent = batches.iter().map(|b| b.count).sum();
        let completed = batches
            .iter()
            .filter(|b| b.completed)
            .map(|b| b.count)
            .sum();
        crate::domain::results::participation(sent, failed, completed)
    });
    let answered_days: Vec<(NaiveDate, u64)> = groups
        .iter()
        .filter(|g| g.dimension == DAY_DIMENSION && g.question == RESPONDENTS)
        .filter_map(|g| {
            NaiveDate::parse_from_str(&g.group, "%Y-%m-%d")
                .ok()
                .map(|d| (d, g.total))
        })
        .collect();
    let rules = definition
        .as_ref()
        .map(|d| d.schedule.clone())
        .unwrap_or_default();
    let timeline = timeline(&batches, &opened_days, &answered_days, &rules);

    let is_3_1 = code == QuestionnaireCode::I3_1;
    let companies: Vec<GroupCount> = if is_3_1 && detail == CompanyDetail::All {
        group_counts(
            &state.db,
            Scope::Campaign(id),
            Dimensions::Only(COMPANY_DIMENSION),
        )
        .await?
    } else {
        Vec::new()
    };
    let scope = ScoreScope::Campaign(id);
    let (company_input, company_page) = match detail {
        CompanyDetail::Page { offset, limit } if is_3_1 => {
            let totals = company_scores::totals(&state.db, &scope).await?;
            let rows = company_scores::page(&state.db, &scope, offset, limit).await?;
            let page = CompanyPage {
                offset,
                total: u64::try_from(totals.companies).unwrap_or(0),
                rows,
            };
            (Companies::Totals(totals), Some(page))
        }
        _ => (Companies::Counts(&companies), None),
    };
    let mut report = indicator(
        IndicatorInput {
            code,
            counts: &counts,
            companies: company_input,
            participation,
            downloads: None,
        },
        &versions,
        &state.results.targets,
    );
    let is_masked = masked(state.results.anonymity_threshold, anonymous, &report);
    let scored: Vec<String> = report
        .mean
        .questions
        .iter()
        .map(|q| q.question.clone())
        .collect();
    let overall = versions
        .current()
        .and_then(|d| d.overall_question())
        .map(|q| q.id.clone());
    let mut previous_wave = None;
    let breakdowns = if is_masked {
        Vec::new()
    } else {
        let current = versions.current();
        let mut computed = breakdowns(&groups, &scored, overall.as_deref(), anonymous, threshold);
        if measured_by_wave(code)
            && let Some((label, before, published)) =
                previous_wave_breakdowns(state, code, id, &scored, overall.as_deref(), anonymous)
                    .await?
        {
            with_changes(&mut computed, &published, &before, &groups, &scored);
            previous_wave = Some(label);
        }
        computed
            .into_iter()
            .filter(|b| !NOT_BREAKDOWNS.contains(&b.dimension.as_str()))
            .map(|mut b| {
                b.groups
                    .sort_by_key(|g| group_rank(current, &b.dimension, &g.group));
                b
            })
            .map(|b| LabelledBreakdown {
                label: dimension_label(current, &b.dimension),
                group_labels: b
                    .groups
                    .iter()
                    .map(|g| group_label(current, &state.catalog.network, &b.dimension, &g.group))
                    .collect(),
                breakdown: b,
            })
            .collect()
    };
    let distributions = if is_masked {
        Vec::new()
    } else {
        distributions(&counts, &versions)
    };
    if is_masked {
        mask(&mut report);
    }
    let participation_groups = if measured_by_wave(code) && !open {
        participation_groups(state, id, &versions, anonymous).await?
    } else {
        Vec::new()
    };
    let company_respondents = companies
        .iter()
        .filter(|g| g.question == RESPONDENTS)
        .map(|g| (g.group.clone(), g.total))
        .collect();
    Ok(CampaignResults {
        campaign: CampaignInfo {
            id: campaign.id,
            label: campaign.label,
            status: campaign.status,
        },
        code,
        definition,
        anonymous,
        threshold,
        report,
        masked: is_masked,
        distributions,
        breakdowns,
        company_respondents,
        company_page,
        opened: opened_days.iter().map(|(_, n)| n).sum(),
        delivery,
        previous_wave,
        participation_groups,
        timeline,
        participation,
    })
}

/// The campaign's free-text answers as staff may read them: texts only, in random order;
/// `None` while an anonymous questionnaire has fewer respondents than the threshold.
pub async fn campaign_comments(
    state: &AppState,
    results: &CampaignResults,
    limit: Option<u64>,
) -> Result<Option<Vec<(String, String)>>, WebError> {
    let threshold = state.results.anonymity_threshold;
    if !crate::domain::anonymity::comments_readable(
        results.anonymous,
        results.report.respondents,
        threshold,
    ) {
        return Ok(None);
    }
    let questions: Vec<String> = results
        .definition
        .iter()
        .flat_map(|d| d.questions())
        .filter(|q| {
            matches!(
                q.kind,
                crate::domain::questionnaire::QuestionKind::Text { .. }
            )
        })
        .map(|q| q.id.clone())
        .collect();
    Ok(Some(
        crate::store::results::comments::texts(&state.db, results.campaign.id, &questions, limit)
            .await?,
    ))
}
