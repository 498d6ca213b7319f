//! The diff between two definitions, and each refusal with its reason.

use super::*;
use crate::domain::questionnaire::position_of;

const BASE: &str = r#"code = "i3.1"
title = "Titre"
introduction = "Intro"
estimated_minutes = 4

[scales.accord]
options = [
  { value = "oui", label = "Oui" },
  { value = "non", label = "Non" },
  { value = "nc", label = "Non concerné" },
]
favorable = ["oui"]
not_applicable = ["nc"]

[[sections]]
id = "s1"
title = "Section"

[[sections.questions]]
id = "usage"
text = "Utilisez-vous l'outil ?"
type = "likert"
scale = "accord"
scored = true

[[sections.questions]]
id = "fonction"
text = "Votre fonction"
type = "single_choice"
options = [{ value = "dirigeant", label = "Dirigeant" }, { value = "autre", label = "Autre" }]

[[sections.questions]]
id = "note"
text = "Votre note"
type = "rating"
min = 1
max = 5
favorable = ["4", "5"]
"#;

fn parse(source: &str) -> Questionnaire {
    parse_questionnaire(source).unwrap_or_else(|e| panic!("{e:?}"))
}

fn edited(from: &str, to: &str) -> Questionnaire {
    assert!(BASE.contains(from), "{from} not in BASE");
    parse(&BASE.replacen(from, to, 1))
}

fn answered(pairs: &[(&str, &str)]) -> PublishContext {
    let mut context = PublishContext::default();
    for (question, value) in pairs {
        context
            .answered
            .entry((*question).to_owned())
            .or_default()
            .insert((*value).to_owned());
    }
    context
}

fn reasons(refused: &[Refusal]) -> Vec<String> {
    refused.iter().map(ToString::to_string).collect()
}

#[test]
fn an_unchanged_draft_has_no_change_and_no_refusal() {
    let base = parse(BASE);
    assert_eq!(diff(&base, &base), []);
    let mut context = answered(&[("usage", "oui"), ("fonction", "autre")]);
    context.campaign_open = true;
    assert_eq!(refusals(Some(&base), &base, &context), []);
}

#[test]
fn added_removed_and_reworded_questions_are_listed() {
    let base = parse(BASE);
    let draft = parse(
        &BASE
            .replace("Votre fonction", "Quelle est votre fonction ?")
            .replace(
                "[[sections.questions]]\nid = \"note\"",
                "[[sections.questions]]\nid = \"note2\"",
            ),
    );
    let changes = diff(&base, &draft);
    assert!(changes.contains(&Change::QuestionReworded {
        id: "fonction".into(),
        before: "Votre fonction".into(),
        after: "Quelle est votre fonction ?".into(),
    }));
    assert!(changes.contains(&Change::QuestionAdded {
        id: "note2".into(),
        text: "Votre note".into(),
    }));
    assert!(changes.contains(&Change::QuestionRemoved {
        id: "note".into(),
        text: "Votre note".into(),
    }));
    assert_eq!(
        Change::QuestionReworded {
            id: "q".into(),
            before: "a".into(),
            after: "b".into()
        }
        .to_string(),
        "question « q » reformulée : « a » → « b »"
    );
}

#[test]
fn options_added_removed_and_relabelled_are_listed() {
    let base = parse(BASE);
    let draft = edited(
        r#"options = [{ value = "dirigeant", label = "Dirigeant" }, { value = "autre", label = "Autre" }]"#,
        r#"options = [{ value = "dirigeant", label = "Dirigeant·e" }, { value = "salarie", label = "Salarié" }]"#,
    );
    let changes = diff(&base, &draft);
    assert_eq!(
        changes,
        [
            Change::OptionRelabelled {
                question: "fonction".into(),
                value: "dirigeant".into(),
                before: "Dirigeant".into(),
                after: "Dirigeant·e".into(),
            },
            Change::OptionAdded {
                question: "fonction".into(),
                value: "salarie".into(),
                label: "Salarié".into(),
            },
            Change::OptionRemoved {
                question: "fonction".into(),
                value: "autre".into(),
                label: "Autre".into(),
            },
        ]
    );
}

#[test]
fn other_parts_of_the_definition_are_named() {
    let base = parse(BASE);
    let draft = edited("title = \"Titre\"", "title = \"Nouveau titre\"");
    assert_eq!(
        diff(&base, &draft),
        [Change::OtherChanged { what: "titre" }]
    );
}

#[test]
fn removing_an_option_with_answers_is_refused_without_answers_allowed() {
    let base = parse(BASE);
    let draft = edited(r#", { value = "autre", label = "Autre" }]"#, "]");
    assert_eq!(
        refusals(Some(&base), &draft, &answered(&[("fonction", "dirigeant")])),
        []
    );
    let refused = refusals(Some(&base), &draft, &answered(&[("fonction", "autre")]));
    assert_eq!(
        refused,
        [Refusal::OptionWithAnswersRemoved {
            question: "fonction".into(),
            value: "autre".into()
        }]
    );
    assert!(reasons(&refused)[0].contains("nouvel identifiant"));
}

#[test]
fn changing_the_type_of_an_answered_question_is_refused() {
    let base = parse(BASE);
    let draft = edited(
        "type = \"single_choice\"\noptions = [{ value = \"dirigeant\", label = \"Dirigeant\" }, { value = \"autre\", label = \"Autre\" }]",
        "type = \"text\"\nmax_length = 100",
    );
    assert_eq!(
        refusals(Some(&base), &draft, &PublishContext::default()),
        []
    );
    let refused = refusals(Some(&base), &draft, &answered(&[("fonction", "autre")]));
    assert_eq!(
        refused,
        [Refusal::KindChanged {
            question: "fonction".into(),
            before: "single_choice",
            after: "text",
        }]
    );
    assert!(reasons(&refused)[0].contains("nouvel identifiant"));
    assert!(diff(&base, &draft).contains(&Change::KindChanged {
        id: "fonction".into(),
        before: "single_choice",
        after: "text"
    }));
}

#[test]
fn changing_the_scale_of_an_answered_question_is_refused() {
    let base = parse(BASE);
    let wider = edited("max = 5", "max = 10");
    let refused = refusals(Some(&base), &wider, &answered(&[("note", "4")]));
    assert_eq!(
        refused,
        [Refusal::ScaleChanged {
            question: "note".into()
        }]
    );
    assert!(diff(&base, &wider).contains(&Change::ScaleChanged {
        question: "note".into()
    }));
    let more_options = edited(
        "  { value = \"nc\", label = \"Non concerné\" },",
        "  { value = \"bof\", label = \"Bof\" },\n  { value = \"nc\", label = \"Non concerné\" },",
    );
    assert_eq!(
        refusals(Some(&base), &more_options, &answered(&[("usage", "non")])),
        [Refusal::ScaleChanged {
            question: "usage".into()
        }]
    );
    assert_eq!(
        refusals(Some(&base), &more_options, &PublishContext::default()),
        []
    );
}

#[test]
fn favourable_options_only_change_when_no_campaign_is_open() {
    let base = parse(BASE);
    let draft = edited("favorable = [\"4\", \"5\"]", "favorable = [\"5\"]");
    let mut context = answered(&[("note", "4")]);
    assert_eq!(refusals(Some(&base), &draft, &context), []);
    context.campaign_open = true;
    let refused = refusals(Some(&base), &draft, &context);
    assert_eq!(
        refused,
        [Refusal::FavourableChangedDuringCampaign {
            question: "note".into()
        }]
    );
    assert!(reasons(&refused)[0].contains("clôture de la campagne"));
    let not_applicable = edited("not_applicable = [\"nc\"]", "not_applicable = []");
    assert_eq!(
        refusals(Some(&base), &not_applicable, &context),
        [Refusal::FavourableChangedDuringCampaign {
            question: "usage".into()
        }]
    );
}

#[test]
fn an_old_question_id_cannot_come_back_for_another_question() {
    let base = parse(BASE);
    let mut context = PublishContext::default();
    let retired = parse(&BASE.replace("id = \"note\"", "id = \"ancienne\""));
    context.past_questions.insert(
        "nouvelle".into(),
        retired.question("ancienne").unwrap().clone(),
    );
    // The same question back under its old id is fine; another one is not.
    let same = parse(&BASE.replace("id = \"note\"", "id = \"nouvelle\""));
    assert_eq!(refusals(Some(&base), &same, &context), []);
    let other = parse(
        &BASE
            .replace("id = \"note\"", "id = \"nouvelle\"")
            .replace("Votre note", "Autre chose"),
    );
    let refused = refusals(Some(&base), &other, &context);
    assert_eq!(
        refused,
        [Refusal::QuestionIdReused {
            question: "nouvelle".into()
        }]
    );
    assert!(reasons(&refused)[0].contains("nouvel identifiant"));
}

#[test]
fn an_anonymous_questionnaire_is_not_published_during_an_open_wave() {
    let base = parse(&BASE.replace(
        "estimated_minutes = 4",
        "estimated_minutes = 4\nanonymous = true",
    ));
    let draft = parse(
        &BASE
            .replace(
                "estimated_minutes = 4",
                "estimated_minutes = 4\nanonymous = true",
            )
            .replace("Votre fonction", "Fonction"),
    );
    let mut context = PublishContext::default();
    assert_eq!(refusals(Some(&base), &draft, &context), []);
    context.campaign_open = true;
    let refused = refusals(Some(&base), &draft, &context);
    assert_eq!(refused, [Refusal::AnonymousDuringOpenCampaign]);
    assert!(reasons(&refused)[0].contains("clôture de la vague"));
    // A questionnaire that is not anonymous may be reworded during its campaign.
    let plain = edited("Votre fonction", "Fonction");
    assert_eq!(refusals(Some(&parse(BASE)), &plain, &context), []);
}

#[test]
fn a_draft_keeps_its_questionnaire_code() {
    assert!(parse_draft(BASE, QuestionnaireCode::I3_1).is_ok());
    let errors = parse_draft(BASE, QuestionnaireCode::I4).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!((errors[0].line, errors[0].column), (1, 1));
    assert!(errors[0].message.contains("attendu « i4 »"));
}

#[test]
fn errors_carry_their_line_and_column() {
    let source = BASE.replace("type = \"rating\"", "type = \"note\"");
    let errors = parse_questionnaire(&source).unwrap_err();
    let line = source.lines().position(|l| l == "type = \"note\"").unwrap() + 1;
    assert_eq!((errors[0].line, errors[0].column), (line, 8));
    let broken = "code = \"i3.1\"\ntitle = = 3\n";
    let errors = parse_questionnaire(broken).unwrap_err();
    assert_eq!(errors[0].line, 2);
    assert!(errors[0].column > 1, "{errors:?}");
    assert_eq!(position_of("ab\ncdé\n", 7), (2, 4));
}
