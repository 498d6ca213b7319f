//! Indicator 4's download widget: what the agency's website sends about its resources.
//!
//! The website is another team's site and its requests come from anybody's browser, so every
//! value is parsed here once, capped and cleaned, before it can reach the store.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use super::indicators::{DownloadParticipation, Proportion};
use super::results::rates::satisfaction_rate;
use super::results::{ValueCount, Versions};

/// The response attribute that ties a rating to its resource.
pub const RESOURCE_ATTRIBUTE: &str = "resource";

/// A resource id as the website's links carry it: 1 to 64 URL-safe characters
/// (`A-Z a-z 0-9 - _ . ~`), so that it fits in a URL, a data attribute and a file name as is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct ResourceId(String);

pub const RESOURCE_ID_MAX: usize = 64;
pub const TITLE_MAX: usize = 200;
pub const THEME_MAX: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidResourceId {
    #[error("identifiant de ressource manquant")]
    Empty,
    #[error("identifiant de ressource trop long ({RESOURCE_ID_MAX} caractères au plus)")]
    TooLong,
    #[error(
        "identifiant de ressource invalide : lettres sans accent, chiffres, « - », « _ », « . » et « ~ » seulement"
    )]
    Characters,
}

impl ResourceId {
    pub fn parse(raw: &str) -> Result<Self, InvalidResourceId> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(InvalidResourceId::Empty);
        }
        if trimmed.len() > RESOURCE_ID_MAX {
            return Err(InvalidResourceId::TooLong);
        }
        if !trimmed
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'))
        {
            return Err(InvalidResourceId::Characters);
        }
        Ok(Self(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A label sent by the website (a title, a theme): control characters become spaces, runs of
/// white space one space, trimmed and cut to `max` characters; empty means absent.
pub fn clean_label(raw: Option<&str>, max: usize) -> Option<String> {
    let raw = raw?;
    let mut cleaned = String::with_capacity(raw.len().min(max * 4));
    let mut count = 0;
    let mut pending_space = false;
    for c in raw.chars() {
        if c.is_whitespace() || c.is_control() {
            pending_space = !cleaned.is_empty();
            continue;
        }
        if pending_space {
            if count + 1 >= max {
                break;
            }
            cleaned.push(' ');
            count += 1;
            pending_space = false;
        }
        if count >= max {
            break;
        }
        cleaned.push(c);
        count += 1;
    }
    (!cleaned.is_empty()).then_some(cleaned)
}

/// One resource's counts for a year, as the store aggregates them. `resource` is `None` for
/// ratings given without a resource (the open form reached directly).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResourceTally {
    pub resource: Option<String>,
    pub title: Option<String>,
    pub theme: Option<String>,
    pub downloads: u64,
    /// The ratings of the scored question: how many gave each value, per version answered.
    pub answers: Vec<ValueCount>,
}

/// Indicator 4 for one group of downloads: satisfied / ratings, and ratings / downloads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = WidgetRates)]
pub struct Rates {
    pub satisfaction: Proportion,
    pub participation: DownloadParticipation,
}

impl Rates {
    /// Each version's ratings are judged with that version's definition, by the very function
    /// indicator 4's headline uses: after the questionnaire's satisfied values change, a
    /// resource, a theme and the year still add up to the headline.
    fn of(downloads: u64, answers: &[ValueCount], versions: &Versions) -> Self {
        let satisfaction = satisfaction_rate(answers, versions)
            .map(|rate| rate.proportion)
            .unwrap_or_default();
        Self {
            satisfaction,
            participation: DownloadParticipation::new(downloads, satisfaction.total()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ResourceResult {
    #[schema(required = true)]
    pub resource: Option<String>,
    #[schema(required = true)]
    pub title: Option<String>,
    #[schema(required = true)]
    pub theme: Option<String>,
    #[serde(flatten)]
    pub rates: Rates,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ThemeResult {
    /// `None`: resources without a theme.
    #[schema(required = true)]
    pub theme: Option<String>,
    pub resources: usize,
    #[serde(flatten)]
    pub rates: Rates,
}

/// Indicator 4 for a year: overall, per resource, per theme.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct WidgetResults {
    pub year: i32,
    pub total: Rates,
    pub resources: Vec<ResourceResult>,
    pub themes: Vec<ThemeResult>,
}

/// Downloads and ratings, put together over several resources.
type Pooled = (u64, Vec<ValueCount>);

/// Adds counts (never rates): a theme's or the year's rate is its satisfied ratings over its
/// ratings, so a resource with many ratings weighs accordingly. `versions` holds the
/// definition of every version the ratings answered (ratings of an unknown version are left
/// out, as the headline leaves them out).
pub fn summarize(year: i32, tallies: &[ResourceTally], versions: &Versions) -> WidgetResults {
    fn merge(into: &mut Pooled, tally: &ResourceTally) {
        into.0 += tally.downloads;
        into.1.extend(tally.answers.iter().cloned());
    }
    let rates = |(downloads, answers): &Pooled| Rates::of(*downloads, answers, versions);
    let mut total = (0, Vec::new());
    let mut themes: BTreeMap<Option<&str>, (usize, Pooled)> = BTreeMap::new();
    let mut resources = Vec::with_capacity(tallies.len());
    for tally in tallies {
        merge(&mut total, tally);
        let theme = themes
            .entry(tally.theme.as_deref())
            .or_insert_with(|| (0, (0, Vec::new())));
        theme.0 += 1;
        merge(&mut theme.1, tally);
        resources.push(ResourceResult {
            resource: tally.resource.clone(),
            title: tally.title.clone(),
            theme: tally.theme.clone(),
            rates: Rates::of(tally.downloads, &tally.answers, versions),
        });
    }
    WidgetResults {
        year,
        total: rates(&total),
        resources,
        themes: themes
            .iter()
            .map(|(theme, (count, counts))| ThemeResult {
                theme: theme.map(str::to_owned),
                resources: *count,
                rates: rates(counts),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::domain::QuestionnaireCode;
    use crate::domain::questionnaire::parse_questionnaire;
    use crate::domain::results::{Companies, IndicatorInput, indicator, tally};

    #[test]
    fn resource_ids_are_short_url_safe_slugs() {
        assert_eq!(
            ResourceId::parse(" guide-tms_2026.v2~fr ")
                .unwrap()
                .as_str(),
            "guide-tms_2026.v2~fr"
        );
        assert_eq!(ResourceId::parse(""), Err(InvalidResourceId::Empty));
        assert_eq!(ResourceId::parse("   "), Err(InvalidResourceId::Empty));
        assert_eq!(
            ResourceId::parse(&"a".repeat(65)),
            Err(InvalidResourceId::TooLong)
        );
        assert!(ResourceId::parse(&"a".repeat(64)).is_ok());
        for bad in ["a b", "a/b", "é", "a<b", "a\"b", "a\nb", "a%20"] {
            assert_eq!(
                ResourceId::parse(bad),
                Err(InvalidResourceId::Characters),
                "{bad}"
            );
        }
    }

    #[test]
    fn labels_are_cleaned_and_capped() {
        assert_eq!(clean_label(None, 10), None);
        assert_eq!(clean_label(Some("  \n\t "), 10), None);
        assert_eq!(
            clean_label(Some("  Guide\u{0}  TMS\r\n2026 "), 200).as_deref(),
            Some("Guide TMS 2026")
        );
        assert_eq!(clean_label(Some("ééééé"), 3).as_deref(), Some("ééé"));
        assert_eq!(clean_label(Some("ab cd"), 3).as_deref(), Some("ab"));
        let long = "x".repeat(500);
        assert_eq!(clean_label(Some(&long), TITLE_MAX).unwrap().len(), 200);
    }

    const I4: &str = include_str!("../../questionnaires/i4.toml");

    fn versions(current: (&str, &str), older: &[(&str, &str)]) -> Versions {
        let parse = |source: &str| Arc::new(parse_questionnaire(source).unwrap());
        let mut versions = Versions::new(Some((current.0.to_owned(), parse(current.1))));
        for (id, source) in older {
            versions.insert((*id).to_owned(), parse(source));
        }
        versions
    }

    fn ratings(version: &str, answers: &[(&str, u64)]) -> Vec<ValueCount> {
        answers
            .iter()
            .map(|(value, count)| ValueCount {
                period: 2026,
                version: version.to_owned(),
                question: "satisfaction".to_owned(),
                value: (*value).to_owned(),
                count: *count,
            })
            .collect()
    }

    fn tally(
        id: Option<&str>,
        theme: Option<&str>,
        downloads: u64,
        answers: Vec<ValueCount>,
    ) -> ResourceTally {
        ResourceTally {
            resource: id.map(str::to_owned),
            title: None,
            theme: theme.map(str::to_owned),
            downloads,
            answers,
        }
    }

    #[test]
    fn results_add_counts_per_resource_theme_and_year() {
        let versions = versions(("v1", I4), &[]);
        let v1 = |answers: &[(&str, u64)]| ratings("v1", answers);
        let results = summarize(
            2026,
            &[
                tally(
                    Some("a"),
                    Some("TMS"),
                    100,
                    v1(&[("tres_satisfait", 8), ("pas_du_tout_satisfait", 2)]),
                ),
                tally(
                    Some("b"),
                    Some("TMS"),
                    10,
                    v1(&[("plutot_satisfait", 1), ("plutot_pas_satisfait", 1)]),
                ),
                tally(Some("c"), None, 5, Vec::new()),
                tally(None, None, 0, v1(&[("plutot_satisfait", 3)])),
            ],
            &versions,
        );
        let a = &results.resources[0];
        assert_eq!(a.rates.satisfaction, Proportion::new(8, 10));
        assert_eq!(a.rates.participation, DownloadParticipation::new(100, 10));
        let c = &results.resources[2];
        assert_eq!(c.rates.satisfaction.rate(), None, "no rating, no rate");
        assert_eq!(c.rates.participation.rate(), Some(0.0));
        // Themes pool counts: (8 + 1) / 12, not the mean of 0.8 and 0.5.
        let tms = results
            .themes
            .iter()
            .find(|t| t.theme.as_deref() == Some("TMS"))
            .unwrap();
        assert_eq!(tms.resources, 2);
        assert_eq!(tms.rates.satisfaction, Proportion::new(9, 12));
        assert_eq!(tms.rates.participation, DownloadParticipation::new(110, 12));
        let none = results.themes.iter().find(|t| t.theme.is_none()).unwrap();
        assert_eq!(none.resources, 2);
        assert_eq!(none.rates.satisfaction, Proportion::new(3, 3));
        assert_eq!(results.total.satisfaction, Proportion::new(12, 15));
        assert_eq!(
            results.total.participation,
            DownloadParticipation::new(115, 15)
        );
        let json = serde_json::to_value(&results).unwrap();
        assert_eq!(json["resources"][0]["satisfaction"]["total"], 10);
        assert_eq!(json["resources"][0]["participation"]["rate"], 0.1);
        assert_eq!(json["resources"][0]["resource"], "a");
    }

    #[test]
    fn after_an_edit_resources_judge_each_version_with_its_own_definition_like_the_headline() {
        // v1 counted only "très satisfait"; the current v2 (the shipped file) also counts
        // "plutôt satisfait".
        let strict = I4.replace(
            r#"favorable = ["tres_satisfait", "plutot_satisfait"]"#,
            r#"favorable = ["tres_satisfait"]"#,
        );
        assert_ne!(strict, I4);
        let versions = versions(("v2", I4), &[("v1", &strict)]);
        // a: v1 1 of 3 (the 2 "plutôt" were not satisfied then), v2 1 of 1 → 2 / 4;
        // b: v2 0 of 1. The year: 2 / 5. Read with v2's list, a would be 4 / 4.
        let a: Vec<ValueCount> = [
            ratings("v1", &[("plutot_satisfait", 2), ("tres_satisfait", 1)]),
            ratings("v2", &[("plutot_satisfait", 1)]),
        ]
        .concat();
        let b = ratings("v2", &[("pas_du_tout_satisfait", 1)]);
        let results = summarize(
            2026,
            &[
                tally(Some("a"), Some("TMS"), 10, a.clone()),
                tally(Some("b"), Some("RPS"), 10, b.clone()),
            ],
            &versions,
        );
        assert_eq!(
            results.resources[0].rates.satisfaction,
            Proportion::new(2, 4)
        );
        assert_eq!(
            results.resources[1].rates.satisfaction,
            Proportion::new(0, 1)
        );
        assert_eq!(results.total.satisfaction, Proportion::new(2, 5));

        // The headline, from the tallies of the same ratings (with their respondent rows).
        let mut counts = [a, b].concat();
        for version in ["v1", "v2"] {
            let respondents: u64 = counts
                .iter()
                .filter(|c| c.version == version)
                .map(|c| c.count)
                .sum();
            counts.push(ValueCount {
                period: 2026,
                version: version.to_owned(),
                question: tally::RESPONDENTS.to_owned(),
                value: tally::ANSWERED.to_owned(),
                count: respondents,
            });
        }
        let headline = indicator(
            IndicatorInput {
                code: QuestionnaireCode::I4,
                counts: &counts,
                companies: Companies::NONE,
                participation: None,
                downloads: None,
            },
            &versions,
            &Default::default(),
        );
        assert_eq!(headline.value, Some(0.4));
        assert_eq!(
            headline.mean.questions[0].proportion,
            results.total.satisfaction
        );
        let per_resource = results
            .resources
            .iter()
            .map(|r| r.rates.satisfaction)
            .fold(Proportion::default(), |sum, p| sum + p);
        assert_eq!(per_resource, results.total.satisfaction);
        let per_theme = results
            .themes
            .iter()
            .map(|t| t.rates.satisfaction)
            .fold(Proportion::default(), |sum, p| sum + p);
        assert_eq!(per_theme, results.total.satisfaction);
    }
}
