use std::sync::Arc;

use chrono::NaiveDate;
use uuid::Uuid;

use super::*;
use crate::domain::questionnaire::parse_questionnaire;

const CURRENT: &str = r#"code = "i3.2"
title = "Sample"
introduction = ""
estimated_minutes = 2

[scales.accord]
options = [
  { value = "oui", label = "D’accord" },
  { value = "non", label = "Pas d’accord" },
  { value = "nc", label = "Non concerné·e" },
]
favorable = ["oui"]
not_applicable = ["nc"]

[[attributes]]
key = "entity"
label = "Entité"

[[sections]]
id = "s"
title = "S"

[[sections.questions]]
id = "utile"
text = "L’outil est utile."
type = "likert"
scale = "accord"
required = true

[[sections.questions]]
id = "usage"
text = "Usages"
type = "multiple_choice"
options = [{ value = "a", label = "Former" }, { value = "b", label = "Outiller" }]

[[sections.questions]]
id = "pourquoi"
text = "Pourquoi ?"
type = "single_choice"
show_if = { question = "utile", equals = "non" }
options = [{ value = "x", label = "X" }, { value = "y", label = "Y" }]

[[sections.questions]]
id = "note"
text = "Note"
type = "rating"
min = 0
max = 3

[[sections.questions]]
id = "commentaire"
text = "Commentaire"
type = "text"
max_length = 500
"#;

/// An older version: `utile` and `commentaire` only, `with` since removed.
const OLD: &str = r#"code = "i3.2"
title = "Sample"
introduction = ""
estimated_minutes = 2

[[sections]]
id = "s"
title = "S"

[[sections.questions]]
id = "utile"
text = "Ancien intitulé"
type = "single_choice"
options = [{ value = "oui", label = "Oui" }, { value = "plus", label = "Plus tard" }]

[[sections.questions]]
id = "with"
text = "Nombre"
type = "number"
min = -5
max = 10
"#;

fn definition(source: &str) -> Arc<Questionnaire> {
    match parse_questionnaire(source) {
        Ok(q) => Arc::new(q),
        Err(e) => panic!("{e:?}"),
    }
}

/// Two versions and four responses covering every missing reason.
pub fn sample() -> Dataset {
    let mut versions = Versions::new(Some(("c".repeat(64), definition(CURRENT))));
    versions.insert("0".repeat(64), definition(OLD));
    let day = NaiveDate::from_ymd_opt(2026, 3, 16).unwrap_or_default();
    let answers: Vec<Vec<(String, Vec<String>)>> = vec![
        vec![
            ("utile".into(), vec!["non".into()]),
            ("usage".into(), vec!["b".into()]),
            ("pourquoi".into(), vec!["y".into()]),
            ("note".into(), vec!["0".into()]),
            (
                "commentaire".into(),
                vec![r#"=HYPERLINK("http://evil.example.com","cliquez") "«'\é"#.into()],
            ),
        ],
        vec![("utile".into(), vec!["nc".into()])],
        vec![("utile".into(), vec!["oui".into()])],
        vec![
            ("utile".into(), vec!["plus".into()]),
            ("with".into(), vec!["-3".into()]),
        ],
    ];
    let attributes = [
        vec![("entity".to_owned(), "ARACT-BRE".to_owned())],
        vec![],
        vec![],
        vec![],
    ];
    let ids: Vec<Uuid> = (1..=4u128).map(Uuid::from_u128).collect();
    let (current, old) = ("c".repeat(64), "0".repeat(64));
    let records: Vec<ResponseRecord<'_>> = (0..4)
        .map(|i| ResponseRecord {
            id: ids[i],
            version: if i == 3 { &old } else { &current },
            submitted_on: day,
            answers: &answers[i],
            attributes: &attributes[i],
        })
        .collect();
    build(
        &versions,
        "Bretagne 2026",
        &[("entity".to_owned(), "Entité".to_owned())],
        &records,
    )
}

fn column<'a>(dataset: &'a Dataset, name: &str) -> (&'a Variable, Vec<&'a Cell>) {
    let Some((i, variable)) = dataset.variable(name) else {
        panic!("no variable {name}");
    };
    (variable, dataset.rows.iter().map(|r| &r[i]).collect())
}

#[test]
fn variables_follow_the_current_order_then_old_questions() {
    let dataset = sample();
    let names: Vec<&str> = dataset.variables.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "reponse",
            "date_reponse",
            "version",
            "entity",
            "utile",
            "usage_a",
            "usage_b",
            "pourquoi",
            "note",
            "commentaire",
            "with_"
        ]
    );
    assert_eq!(dataset.sets.len(), 1);
    assert_eq!(dataset.sets[0].name, "$usage");
    assert_eq!(dataset.sets[0].variables, [5, 6]);
    assert!(dataset.rows.iter().all(|r| r.len() == names.len()));
}

#[test]
fn codes_follow_the_scale_and_old_options_come_after() {
    let dataset = sample();
    let (utile, cells) = column(&dataset, "utile");
    assert_eq!(utile.label, "L’outil est utile.");
    assert_eq!(utile.measure, Measure::Ordinal);
    assert_eq!(
        utile.values,
        [
            (1, "D’accord".to_owned()),
            (2, "Pas d’accord".to_owned()),
            (3, "Plus tard".to_owned())
        ]
    );
    assert_eq!(
        utile.missing,
        [(-1, Missing::NotApplicable), (-3, Missing::NoAnswer)]
    );
    assert_eq!(
        cells,
        [
            &Cell::Number(2),
            &Cell::Number(-1),
            &Cell::Number(1),
            &Cell::Number(3)
        ]
    );
}

#[test]
fn missing_reasons_are_kept_apart() {
    let dataset = sample();
    let (pourquoi, cells) = column(&dataset, "pourquoi");
    assert_eq!(pourquoi.measure, Measure::Nominal);
    assert_eq!(
        cells,
        [
            &Cell::Number(2),
            &Cell::Number(-2),
            &Cell::Number(-2),
            &Cell::Number(-4)
        ]
    );
    let (note, cells) = column(&dataset, "note");
    assert_eq!(note.values.first(), Some(&(0, "0".to_owned())));
    assert_eq!(
        cells,
        [
            &Cell::Number(0),
            &Cell::Number(-3),
            &Cell::Number(-3),
            &Cell::Number(-4)
        ]
    );
    // A number whose minimum is negative: its missing codes lie below it.
    let (with, cells) = column(&dataset, "with_");
    assert_eq!(with.measure, Measure::Scale);
    assert_eq!(
        with.missing,
        [(-8, Missing::NoAnswer), (-9, Missing::NotInVersion)]
    );
    assert_eq!(cells[3], &Cell::Number(-3));
    assert_eq!(cells[0], &Cell::Number(-9));
}

#[test]
fn a_multiple_choice_is_one_ticked_variable_per_option() {
    let dataset = sample();
    let (a, cells_a) = column(&dataset, "usage_a");
    let (_, cells_b) = column(&dataset, "usage_b");
    assert_eq!(a.label, "Usages : Former");
    assert_eq!(
        a.values,
        [(0, "Non cochée".to_owned()), (1, "Cochée".to_owned())]
    );
    assert_eq!(cells_a[0], &Cell::Number(0));
    assert_eq!(cells_b[0], &Cell::Number(1));
    assert_eq!(cells_b[1], &Cell::Number(-3));
    assert_eq!(cells_b[3], &Cell::Number(-4));
}

#[test]
fn texts_are_kept_as_typed_and_widths_fit_them() {
    let dataset = sample();
    let (comment, cells) = column(&dataset, "commentaire");
    let Cell::Text(text) = cells[0] else {
        panic!("a text");
    };
    assert!(text.starts_with("=HYPERLINK"));
    assert_eq!(comment.storage, Storage::Text { width: text.len() });
    assert_eq!(cells[1], &Cell::Empty);
    let (version, cells) = column(&dataset, "version");
    assert_eq!(version.values[0], (1, "cccccccccccc (actuelle)".to_owned()));
    assert_eq!(cells[3], &Cell::Number(2));
}

#[test]
fn truncation_keeps_whole_characters() {
    assert_eq!(truncated("éé", 3), "é");
    assert_eq!(truncated("abc", 5), "abc");
}
