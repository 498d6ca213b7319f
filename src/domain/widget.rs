//! Indicator 4's download widget: what the agency's website sends about its resources.
//!
//! The website is another team's site and its requests come from anybody's browser, so every
//! value is parsed here once, capped and cleaned, before it can reach the store.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use super::indicators::{self, DownloadParticipation, Proportion};
use super::questionnaire::QuestionKind;

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
    /// `(value, count)` given to the scored question.
    pub answers: Vec<(String, u64)>,
}

/// Indicator 4 for one group of downloads: satisfied / ratings, and ratings / downloads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Rates {
    pub satisfaction: Proportion,
    pub participation: DownloadParticipation,
}

impl Rates {
    fn of(downloads: u64, answers: &[(String, u64)], question: &QuestionKind) -> Self {
        let satisfaction = indicators::satisfaction(answers, question);
        Self {
            satisfaction,
            participation: DownloadParticipation::new(downloads, satisfaction.total()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResourceResult {
    pub resource: Option<String>,
    pub title: Option<String>,
    pub theme: Option<String>,
    #[serde(flatten)]
    pub rates: Rates,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ThemeResult {
    /// `None`: resources without a theme.
    pub theme: Option<String>,
    pub resources: usize,
    #[serde(flatten)]
    pub rates: Rates,
}

/// Indicator 4 for a year: overall, per resource, per theme.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WidgetResults {
    pub year: i32,
    pub total: Rates,
    pub resources: Vec<ResourceResult>,
    pub themes: Vec<ThemeResult>,
}

/// Adds counts (never rates): a theme's or the year's rate is its satisfied ratings over its
/// ratings, so a resource with many ratings weighs accordingly.
/// Downloads and counts per value, added up over several resources.
type Pooled = (u64, BTreeMap<String, u64>);

pub fn summarize(year: i32, tallies: &[ResourceTally], question: &QuestionKind) -> WidgetResults {
    fn merge(into: &mut Pooled, tally: &ResourceTally) {
        into.0 += tally.downloads;
        for (value, count) in &tally.answers {
            *into.1.entry(value.clone()).or_default() += count;
        }
    }
    let rates = |(downloads, answers): &Pooled| {
        let answers: Vec<(String, u64)> = answers.iter().map(|(v, n)| (v.clone(), *n)).collect();
        Rates::of(*downloads, &answers, question)
    };
    let mut total = (0, BTreeMap::new());
    let mut themes: BTreeMap<Option<&str>, (usize, Pooled)> = BTreeMap::new();
    let mut resources = Vec::with_capacity(tallies.len());
    for tally in tallies {
        merge(&mut total, tally);
        let theme = themes
            .entry(tally.theme.as_deref())
            .or_insert_with(|| (0, (0, BTreeMap::new())));
        theme.0 += 1;
        merge(&mut theme.1, tally);
        resources.push(ResourceResult {
            resource: tally.resource.clone(),
            title: tally.title.clone(),
            theme: tally.theme.clone(),
            rates: Rates::of(tally.downloads, &tally.answers, question),
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
    use super::*;

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

    #[test]
    fn results_add_counts_per_resource_theme_and_year() {
        let question = QuestionKind::Likert(crate::domain::questionnaire::Scale {
            options: Vec::new(),
            favorable: vec!["tres_satisfait".to_owned(), "plutot_satisfait".to_owned()],
            not_applicable: Vec::new(),
        });
        let tally = |id: Option<&str>, theme: Option<&str>, downloads, answers: &[(&str, u64)]| {
            ResourceTally {
                resource: id.map(str::to_owned),
                title: None,
                theme: theme.map(str::to_owned),
                downloads,
                answers: answers.iter().map(|(v, n)| ((*v).to_owned(), *n)).collect(),
            }
        };
        let results = summarize(
            2026,
            &[
                tally(
                    Some("a"),
                    Some("TMS"),
                    100,
                    &[("tres_satisfait", 8), ("pas_du_tout_satisfait", 2)],
                ),
                tally(
                    Some("b"),
                    Some("TMS"),
                    10,
                    &[("plutot_satisfait", 1), ("plutot_pas_satisfait", 1)],
                ),
                tally(Some("c"), None, 5, &[]),
                tally(None, None, 0, &[("plutot_satisfait", 3)]),
            ],
            &question,
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
}
