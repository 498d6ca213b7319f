//! Hand-worked datasets through the whole pure pipeline: responses → tally increments →
//! summed counts (what the database keeps) → indicators, distributions and breakdowns.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;

use super::*;
use crate::domain::QuestionnaireCode;
use crate::domain::answers::{RawAnswers, UnknownKeys, validate};
use crate::domain::indicators::{ContractTargets, Participation, Proportion};
use crate::domain::questionnaire::{Questionnaire, parse_questionnaire};

fn source(code: &str, anonymous: bool, favorable: &str, overall: bool) -> String {
    let overall_question = if overall {
        r#"
[[sections.questions]]
id = "global"
text = "Globalement ?"
type = "likert"
scale = "accord"
overall = true
"#
    } else {
        ""
    };
    format!(
        r#"code = "{code}"
title = "T"
introduction = ""
estimated_minutes = 2
anonymous = {anonymous}

[scales.accord]
options = [
  {{ value = "oui", label = "Oui" }},
  {{ value = "plutot", label = "Plutôt" }},
  {{ value = "non", label = "Non" }},
  {{ value = "nc", label = "Non concerné" }},
]
favorable = [{favorable}]
not_applicable = ["nc"]

[[attributes]]
key = "region"
label = "Région"

[[sections]]
id = "s"
title = "S"

[[sections.questions]]
id = "q1"
text = "Q1"
type = "likert"
scale = "accord"
scored = true

[[sections.questions]]
id = "q2"
text = "Q2"
type = "likert"
scale = "accord"
scored = true

[[sections.questions]]
id = "q3"
text = "Q3"
type = "likert"
scale = "accord"
scored = true
{overall_question}
[[sections.questions]]
id = "freins"
text = "Freins"
type = "multiple_choice"
options = [{{ value = "temps", label = "Temps" }}, {{ value = "moyens", label = "Moyens" }}]
"#
    )
}

fn definition(code: &str, anonymous: bool, favorable: &str, overall: bool) -> Arc<Questionnaire> {
    Arc::new(parse_questionnaire(&source(code, anonymous, favorable, overall)).unwrap())
}

/// Sums the increments of each response as the database does.
#[derive(Default)]
struct Db {
    values: BTreeMap<(String, String, String), u64>,
    groups: BTreeMap<(String, String, String), (u64, u64)>,
}

impl Db {
    fn add(
        &mut self,
        version: &str,
        q: &Questionnaire,
        answers: &[(&str, &str)],
        attrs: &[(&str, &str)],
    ) {
        let mut raw = RawAnswers::new();
        for (k, v) in answers {
            raw.push(*k, *v);
        }
        let valid = validate(q, &raw, UnknownKeys::Reject).unwrap();
        let attrs: Vec<(String, String)> = attrs
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect();
        let day = NaiveDate::from_ymd_opt(2026, 3, 16).unwrap();
        let tally = response_tally(q, &valid, &attrs, day);
        for row in tally.answers {
            *self
                .values
                .entry((version.to_owned(), row.question, row.value))
                .or_default() += 1;
        }
        for row in tally.groups {
            let slot = self
                .groups
                .entry((row.dimension, row.group, row.question))
                .or_default();
            slot.0 += row.favorable;
            slot.1 += row.total;
        }
    }

    fn values(&self) -> Vec<ValueCount> {
        self.values
            .iter()
            .map(|((version, question, value), count)| ValueCount {
                period: 2026,
                version: version.clone(),
                question: question.clone(),
                value: value.clone(),
                count: *count,
            })
            .collect()
    }

    fn groups(&self, dimension: Option<&str>) -> Vec<GroupCount> {
        self.groups
            .iter()
            .filter(|((d, _, _), _)| dimension.is_none_or(|wanted| d == wanted))
            .map(
                |((dimension, group, question), (favorable, total))| GroupCount {
                    period: 2026,
                    dimension: dimension.clone(),
                    group: group.clone(),
                    question: question.clone(),
                    favorable: *favorable,
                    total: *total,
                },
            )
            .collect()
    }
}

const AGREE: &str = r#""oui", "plutot""#;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

#[test]
fn indicator_3_1_is_the_mean_of_company_scores() {
    let q = definition("i3.1", false, AGREE, false);
    let mut db = Db::default();
    // Company A, 3 respondents: q1 3/3, q2 2/3, q3 1/2 (one "non concerné")
    // → score (1 + 2/3 + 1/2) / 3 = 13/18.
    db.add(
        "v1",
        &q,
        &[("q1", "oui"), ("q2", "plutot"), ("q3", "oui")],
        &[("company", "A")],
    );
    db.add(
        "v1",
        &q,
        &[("q1", "plutot"), ("q2", "non"), ("q3", "nc")],
        &[("company", "A")],
    );
    db.add(
        "v1",
        &q,
        &[("q1", "oui"), ("q2", "oui"), ("q3", "non")],
        &[("company", "A")],
    );
    // Company B, a single respondent who left q3 blank: q1 1/1, q2 0/1 → score 1/2.
    db.add(
        "v1",
        &q,
        &[("q1", "oui"), ("q2", "non")],
        &[("company", "B")],
    );
    // Company C answered "non concerné" everywhere: no score, not counted.
    db.add(
        "v1",
        &q,
        &[("q1", "nc"), ("q2", "nc"), ("q3", "nc")],
        &[("company", "C")],
    );

    let versions = Versions::new(Some(("v1".into(), q.clone())));
    let values = db.values();
    let companies = db.groups(Some("company"));
    let report = indicator(
        IndicatorInput {
            code: QuestionnaireCode::I3_1,
            counts: &values,
            companies: Companies::Counts(&companies),
            participation: Some(Participation::new(8, 1, 5)),
            downloads: None,
        },
        &versions,
        &ContractTargets::default(),
    );
    // (13/18 + 9/18) / 2 = 11/18 = 0.6111…
    assert!(close(report.value.unwrap(), 11.0 / 18.0));
    assert_eq!(report.target_met(), Some(true));
    let two_level = report.two_level.as_ref().unwrap();
    assert_eq!(two_level.companies_counted, 2);
    assert_eq!(two_level.companies.len(), 3);
    assert_eq!(two_level.companies[2].score, None);
    // Pooled: q1 4/4, q2 2/4, q3 1/2 → (1 + 0.5 + 0.5) / 3 = 2/3.
    assert!(close(two_level.pooled_value.unwrap(), 2.0 / 3.0));
    assert_eq!(
        report
            .mean
            .questions
            .iter()
            .map(|r| r.proportion)
            .collect::<Vec<_>>(),
        [
            Proportion::new(4, 4),
            Proportion::new(2, 4),
            Proportion::new(1, 2)
        ]
    );
    assert_eq!(report.respondents, 5);
    // 5 completed out of 8 sent, 1 bounced: 5 / 7.
    assert!(close(report.participation_rate().unwrap(), 5.0 / 7.0));
    assert_eq!(report.invited(), Some(8));
    // Two company scores: 13/18 and 1/2 → an interval around their mean.
    let (low, high) = report.interval.unwrap();
    assert!(low < 11.0 / 18.0 && 11.0 / 18.0 < high);
}

#[test]
fn indicators_6_and_7_report_the_overall_question_apart() {
    let q = definition("i6", true, AGREE, true);
    let mut db = Db::default();
    db.add(
        "v1",
        &q,
        &[
            ("q1", "oui"),
            ("q2", "oui"),
            ("q3", "non"),
            ("global", "oui"),
        ],
        &[],
    );
    db.add(
        "v1",
        &q,
        &[("q1", "non"), ("q2", "plutot"), ("global", "non")],
        &[],
    );
    db.add(
        "v1",
        &q,
        &[("q1", "oui"), ("q2", "nc"), ("q3", "nc"), ("global", "nc")],
        &[],
    );
    db.add("v1", &q, &[], &[]);
    let versions = Versions::new(Some(("v1".into(), q)));
    let values = db.values();
    let report = indicator(
        IndicatorInput {
            code: QuestionnaireCode::I6,
            counts: &values,
            companies: Companies::NONE,
            participation: Some(Participation::new(10, 0, 4)),
            downloads: None,
        },
        &versions,
        &ContractTargets::default(),
    );
    // q1 2/3, q2 2/2, q3 0/1 → (2/3 + 1 + 0) / 3 = 5/9; overall 1/2.
    assert!(close(report.value.unwrap(), 5.0 / 9.0));
    assert_eq!(report.overall().unwrap().proportion, Proportion::new(1, 2));
    assert_eq!(report.respondents, 4);
    assert_eq!(report.participation_rate(), Some(0.4));
    // Targets of 6: perception 80 %, participation 50 %.
    assert_eq!(report.target_met(), Some(false));
    assert_eq!(report.participation_met(), Some(false));
}

#[test]
fn each_version_is_read_with_its_own_favourable_values() {
    // Version 1 counted only "oui" as favourable; version 2 also "plutot".
    let v1 = definition("i3.2", false, r#""oui""#, false);
    let v2 = definition("i3.2", false, AGREE, false);
    let mut db = Db::default();
    db.add("v1", &v1, &[("q1", "plutot")], &[]);
    db.add("v2", &v2, &[("q1", "plutot")], &[]);
    let mut versions = Versions::new(Some(("v2".into(), v2)));
    versions.insert("v1".into(), v1);
    let values = db.values();
    let report = indicator(
        IndicatorInput {
            code: QuestionnaireCode::I3_2,
            counts: &values,
            companies: Companies::NONE,
            participation: None,
            downloads: None,
        },
        &versions,
        &ContractTargets::default(),
    );
    // q1 pooled over versions: 1 favourable (v2) out of 2; q2 and q3 unanswered.
    assert_eq!(report.mean.questions[0].proportion, Proportion::new(1, 2));
    assert_eq!(report.value, Some(0.5));
    assert_eq!(report.mean.questions_averaged, 1);
}

#[test]
fn indicator_4_counts_every_rating() {
    let q = definition("i4", false, AGREE, false);
    let mut db = Db::default();
    for value in ["oui", "oui", "plutot", "non", "nc"] {
        db.add("v1", &q, &[("q1", value)], &[]);
    }
    let versions = Versions::new(Some(("v1".into(), q)));
    let values = db.values();
    let report = indicator(
        IndicatorInput {
            code: QuestionnaireCode::I4,
            counts: &values,
            companies: Companies::NONE,
            participation: None,
            downloads: None,
        },
        &versions,
        &ContractTargets::default(),
    );
    // "très ou plutôt satisfaits / nombre d'usagers total": 3 / 5, not 3 / 4.
    assert_eq!(report.value, Some(0.6));
    assert_eq!(report.invited(), None);
    assert_eq!(report.participation_rate(), None);
    assert!(report.interval.is_some());
}

#[test]
fn distributions_count_options_and_respondents_of_multiple_choices() {
    let q = definition("i3.2", false, AGREE, false);
    let mut db = Db::default();
    db.add(
        "v1",
        &q,
        &[("q1", "oui"), ("freins", "temps"), ("freins", "moyens")],
        &[],
    );
    db.add("v1", &q, &[("q1", "nc"), ("freins", "temps")], &[]);
    db.add("v1", &q, &[], &[]);
    let versions = Versions::new(Some(("v1".into(), q)));
    let result = distributions(&db.values(), &versions);
    let q1 = &result[0];
    assert_eq!(q1.answered, 2);
    let counts: Vec<(&str, u64)> = q1
        .options
        .iter()
        .map(|o| (o.value.as_str(), o.count))
        .collect();
    assert_eq!(counts, [("oui", 1), ("plutot", 0), ("non", 0), ("nc", 1)]);
    assert_eq!(q1.rate.as_ref().unwrap().proportion, Proportion::new(1, 1));
    let freins = result.iter().find(|d| d.id == "freins").unwrap();
    assert_eq!(freins.answered, 2);
    assert_eq!(freins.options[0].count, 2);
    assert_eq!(freins.options[1].count, 1);
    assert_eq!(freins.rate, None);
}

#[test]
fn anonymous_breakdowns_hide_small_groups_and_what_would_reveal_them() {
    let q = definition("i7", true, AGREE, true);
    let mut db = Db::default();
    for (region, n) in [("Bretagne", 6), ("Corse", 2), ("Normandie", 7)] {
        for _ in 0..n {
            db.add(
                "v1",
                &q,
                &[("q1", "oui"), ("global", "oui")],
                &[("region", region)],
            );
        }
    }
    let groups = db.groups(None);
    let scored = vec!["q1".to_owned(), "q2".to_owned(), "q3".to_owned()];
    let result = breakdowns(&groups, &scored, Some("global"), true, 5);
    assert_eq!(result.len(), 1, "the day dimension is not a breakdown");
    let regions = &result[0];
    assert_eq!(regions.dimension, "region");
    // Corse (2) is below 5; alone it would be 15 − 6 − 7: Bretagne (6), the smallest shown
    // cell, is hidden with it.
    let shown: Vec<(&str, Option<u64>, Option<f64>)> = regions
        .groups
        .iter()
        .map(|g| (g.group.as_str(), g.respondents, g.value))
        .collect();
    assert_eq!(
        shown,
        [
            ("Bretagne", None, None),
            ("Corse", None, None),
            ("Normandie", Some(7), Some(1.0))
        ]
    );
    assert_eq!(regions.total, Some(15));
    assert_eq!(regions.hidden_count(), 2);

    // The same breakdown of a questionnaire that is not anonymous shows everything.
    let open = breakdowns(&groups, &scored, Some("global"), false, 5);
    assert!(open[0].groups.iter().all(|g| g.respondents.is_some()));
}

#[test]
fn a_change_between_two_waves_is_tested() {
    let q = definition("i7", true, AGREE, true);
    let versions = Versions::new(Some(("v1".into(), q.clone())));
    let wave = |favourable: usize| {
        let mut db = Db::default();
        for i in 0..100 {
            let value = if i < favourable { "oui" } else { "non" };
            db.add(
                "v1",
                &q,
                &[("q1", value), ("q2", value), ("q3", value)],
                &[],
            );
        }
        let values = db.values();
        indicator(
            IndicatorInput {
                code: QuestionnaireCode::I7,
                counts: &values,
                companies: Companies::NONE,
                participation: None,
                downloads: None,
            },
            &versions,
            &ContractTargets::default(),
        )
    };
    let (before, after) = (wave(45), wave(60));
    let result = change(&before, &after);
    assert!(close(result.points.unwrap(), 15.0));
    // Each question 45/100 → 60/100: z = 2.124 (see change.rs), p = 0.034.
    assert!(result.significant());
    assert_eq!(result.questions.len(), 3);
}
