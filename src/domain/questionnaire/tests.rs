//! Each validation error kind of a definition file, with its line.

use super::*;
use crate::domain::schedule::SendRules;

/// A valid file to start from; each test breaks one thing in it.
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

[[attributes]]
key = "role"
label = "Fonction"
question = "fonction"

[[sections]]
id = "s1"
title = "Section"

[[sections.questions]]
id = "usage"
text = "Utilisez-vous l'outil ?"
type = "likert"
scale = "accord"
required = true
scored = true

[[sections.questions]]
id = "fonction"
text = "Votre fonction"
type = "single_choice"
options = [{ value = "dirigeant", label = "Dirigeant" }, { value = "autre", label = "Autre" }]

[[sections.questions]]
id = "precision"
text = "Précisez"
type = "text"
max_length = 200
show_if = { question = "fonction", equals = "autre" }
"#;

fn errors(source: &str) -> Vec<(usize, String)> {
    match parse_questionnaire(source) {
        Ok(_) => Vec::new(),
        Err(errors) => errors.into_iter().map(|e| (e.line, e.message)).collect(),
    }
}

fn assert_error(source: &str, line: usize, fragment: &str) {
    let found = errors(source);
    assert!(
        found
            .iter()
            .any(|(l, m)| *l == line && m.contains(fragment)),
        "expected line {line} « {fragment} », got {found:?}"
    );
}

#[test]
fn the_base_file_is_valid_and_means_what_it_says() {
    let q = parse_questionnaire(BASE).unwrap();
    assert_eq!(q.code, QuestionnaireCode::I3_1);
    assert_eq!(q.question_count(), 3);
    let usage = q.question("usage").unwrap();
    assert!(usage.scored && usage.required);
    assert_eq!(usage.kind.favorable(), ["oui"]);
    assert_eq!(usage.kind.not_applicable(), ["nc"]);
    let precision = q.question("precision").unwrap();
    assert_eq!(
        precision.condition,
        Some(Condition {
            question: "fonction".into(),
            equals: "autre".into()
        })
    );
    assert_eq!(q.attributes[0].question.as_deref(), Some("fonction"));
    assert!(!q.anonymous && !q.open);
}

#[test]
fn unknown_keys_are_refused_with_their_line() {
    let source = BASE.replace("required = true\nscored", "requis = true\nscored");
    assert_error(&source, 29, "clé inconnue « requis »");
}

#[test]
fn toml_syntax_errors_have_a_line() {
    let source = BASE.replace("title = \"Section\"", "title = \"Section");
    let found = errors(&source);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, 22);
    assert!(found[0].1.starts_with("format TOML invalide"), "{found:?}");
}

#[test]
fn missing_mandatory_keys_are_named() {
    assert_error("code = \"i4\"\n", 1, "clé obligatoire manquante « title »");
}

#[test]
fn unknown_codes_are_refused() {
    assert_error(
        &BASE.replace("\"i3.1\"", "\"i5\""),
        1,
        "code de questionnaire inconnu « i5 »",
    );
}

#[test]
fn duplicate_question_ids_point_to_the_first() {
    let source = BASE.replace("id = \"precision\"", "id = \"usage\"");
    assert_error(&source, 39, "« usage » en double (déjà défini ligne 25)");
}

#[test]
fn duplicate_section_ids_are_refused() {
    let source = format!(
        "{BASE}\n[[sections]]\nid = \"s1\"\ntitle = \"Encore\"\n\n[[sections.questions]]\nid = \"q9\"\ntext = \"Q\"\ntype = \"text\"\nmax_length = 5\n"
    );
    assert_error(&source, 46, "section « s1 » en double");
}

#[test]
fn conditions_must_point_to_an_earlier_question_and_one_of_its_options() {
    let later = BASE.replace(
        "scored = true\n",
        "scored = true\nshow_if = { question = \"fonction\", equals = \"autre\" }\n",
    );
    assert_error(
        &later,
        31,
        "« fonction », qui n'est pas une question précédente",
    );

    let unknown = BASE.replace(
        "question = \"fonction\", equals",
        "question = \"inconnue\", equals",
    );
    assert_error(
        &unknown,
        43,
        "« inconnue », qui n'est pas une question précédente",
    );

    let bad_value = BASE.replace("equals = \"autre\"", "equals = \"peut_etre\"");
    assert_error(
        &bad_value,
        43,
        "« peut_etre », qui n'est pas une option de « fonction »",
    );

    let itself = BASE.replace(
        "question = \"fonction\", equals",
        "question = \"precision\", equals",
    );
    assert_error(&itself, 43, "porte sur elle-même");

    let on_text = format!(
        "{BASE}\n[[sections.questions]]\nid = \"suite\"\ntext = \"Suite\"\ntype = \"text\"\nmax_length = 5\nshow_if = {{ question = \"precision\", equals = \"x\" }}\n"
    );
    assert_error(&on_text, 50, "qui n'a pas d'options");
}

#[test]
fn option_lists_must_be_non_empty_and_without_duplicates() {
    let empty = BASE.replace(
        "options = [{ value = \"dirigeant\", label = \"Dirigeant\" }, { value = \"autre\", label = \"Autre\" }]",
        "options = []",
    );
    assert!(
        errors(&empty)
            .iter()
            .any(|(l, m)| *l == 36 && m == "la liste d'options est vide")
    );

    let duplicate = BASE.replace(
        "{ value = \"non\", label = \"Non\" }",
        "{ value = \"oui\", label = \"Non\" }",
    );
    assert_error(&duplicate, 9, "valeur d'option « oui » en double");
}

#[test]
fn favourable_and_not_applicable_values_must_be_options_and_disjoint() {
    let not_an_option = BASE.replace("favorable = [\"oui\"]", "favorable = [\"oui\", \"bof\"]");
    assert_error(
        &not_an_option,
        12,
        "favorable : « bof » n'est pas une des options",
    );

    let na_not_an_option = BASE.replace("not_applicable = [\"nc\"]", "not_applicable = [\"ns\"]");
    assert_error(
        &na_not_an_option,
        13,
        "not_applicable : « ns » n'est pas une des options",
    );

    let both = BASE.replace("not_applicable = [\"nc\"]", "not_applicable = [\"oui\"]");
    assert!(
        errors(&both)
            .iter()
            .any(|(_, m)| m.contains("à la fois favorable et non applicable"))
    );
}

#[test]
fn scored_questions_must_be_ordinal_with_favourable_values() {
    let on_choice = BASE.replace(
        "type = \"single_choice\"\n",
        "type = \"single_choice\"\nscored = true\n",
    );
    assert_error(&on_choice, 36, "est scored mais de type single_choice");

    let without_favourable = BASE.replace("favorable = [\"oui\"]\n", "");
    assert_error(
        &without_favourable,
        29,
        "est scored mais n'a aucune valeur favorable",
    );
}

#[test]
fn only_one_overall_question() {
    let source = BASE.replace("scored = true\n", "scored = true\noverall = true\n")
        + "\n[[sections.questions]]\nid = \"global\"\ntext = \"Global\"\ntype = \"likert\"\nscale = \"accord\"\noverall = true\n";
    assert_error(
        &source,
        47,
        "une seule question peut porter overall = true (déjà ligne 25)",
    );
}

#[test]
fn type_specific_keys_are_checked_against_the_type() {
    let stray = BASE.replace(
        "max_length = 200\n",
        "max_length = 200\noptions = [{ value = \"a\", label = \"A\" }]\n",
    );
    assert_error(
        &stray,
        43,
        "la clé « options » ne s'applique pas au type text",
    );

    let unknown_type = BASE.replace("type = \"text\"", "type = \"texte\"");
    assert_error(&unknown_type, 41, "type « texte » inconnu");

    let text_without_length = BASE.replace("max_length = 200\n", "");
    assert_error(&text_without_length, 41, "doit définir « max_length »");

    let huge = BASE.replace("max_length = 200", "max_length = 100000");
    assert_error(&huge, 42, "max_length doit être entre 1 et 10000");

    let likert_without_scale = BASE.replace("scale = \"accord\"\n", "");
    assert_error(
        &likert_without_scale,
        27,
        "doit définir « scale (ou options) »",
    );

    let unknown_scale = BASE.replace("scale = \"accord\"", "scale = \"accords\"");
    assert_error(&unknown_scale, 28, "échelle « accords » inconnue");
}

#[test]
fn numbers_and_ratings_need_sound_bounds() {
    let number = "\n[[sections.questions]]\nid = \"effectif\"\ntext = \"Effectif\"\ntype = \"number\"\nmin = 10\nmax = 1\n";
    assert_error(
        &format!("{BASE}{number}"),
        50,
        "max doit être supérieur ou égal à min",
    );
    let no_bounds =
        "\n[[sections.questions]]\nid = \"effectif\"\ntext = \"Effectif\"\ntype = \"number\"\n";
    assert_error(
        &format!("{BASE}{no_bounds}"),
        48,
        "doit définir « min et max »",
    );

    let rating = "\n[[sections.questions]]\nid = \"note\"\ntext = \"Note\"\ntype = \"rating\"\nmin = 1\nmax = 5\nfavorable = [\"4\", \"6\"]\nscored = true\n";
    assert_error(
        &format!("{BASE}{rating}"),
        51,
        "favorable : « 6 » n'est pas une des options",
    );
    let too_wide = "\n[[sections.questions]]\nid = \"note\"\ntext = \"Note\"\ntype = \"rating\"\nmin = 0\nmax = 20\n";
    assert_error(&format!("{BASE}{too_wide}"), 50, "11 niveaux au plus");
}

#[test]
fn a_valid_rating_offers_its_integers() {
    let rating = "\n[[sections.questions]]\nid = \"note\"\ntext = \"Note\"\ntype = \"rating\"\nmin = 1\nmax = 5\nfavorable = [\"4\", \"5\"]\nscored = true\n";
    let q = parse_questionnaire(&format!("{BASE}{rating}")).unwrap();
    let kind = &q.question("note").unwrap().kind;
    assert_eq!(kind.options().len(), 5);
    assert!(kind.has_option("3") && !kind.has_option("6") && !kind.has_option("03"));
}

#[test]
fn attributes_must_name_a_single_choice_question() {
    let unknown = BASE.replace(
        "question = \"fonction\"\n\n[[sections]]",
        "question = \"poste\"\n\n[[sections]]",
    );
    assert_error(&unknown, 18, "renvoie à la question inconnue « poste »");
    let on_text = BASE.replace(
        "question = \"fonction\"\n\n[[sections]]",
        "question = \"precision\"\n\n[[sections]]",
    );
    assert_error(&on_text, 18, "doit venir d'une question single_choice");
    let duplicate = BASE.replace(
        "[[sections]]\nid = \"s1\"",
        "[[attributes]]\nkey = \"role\"\nlabel = \"Encore\"\n\n[[sections]]\nid = \"s1\"",
    );
    assert_error(&duplicate, 21, "attribut « role » en double");
}

#[test]
fn an_attributes_values_map_every_option_of_its_question_and_only_those() {
    let with = |values: &str| {
        BASE.replace(
            "question = \"fonction\"\n\n[[sections]]",
            &format!("question = \"fonction\"\nvalues = {values}\n\n[[sections]]"),
        )
    };
    let q = parse_questionnaire(&with(r#"{ dirigeant = "D", autre = "A" }"#)).unwrap();
    assert_eq!(q.attributes[0].value_of_answer("autre"), "A");
    assert_eq!(q.attributes[0].option_of_value("D"), "dirigeant");
    assert_error(
        &with(r#"{ dirigeant = "D" }"#),
        19,
        "n'associe pas l'option « autre »",
    );
    assert_error(
        &with(r#"{ dirigeant = "D", autre = "A", chef = "C" }"#),
        19,
        "associe l'option inconnue « chef »",
    );
    assert_error(
        &with(r#"{ dirigeant = " ", autre = "A" }"#),
        19,
        "à une valeur vide",
    );
    let without_question = BASE.replace(
        "question = \"fonction\"\n\n[[sections]]",
        "values = { dirigeant = \"D\" }\n\n[[sections]]",
    );
    assert_error(&without_question, 18, "« values » ne s'applique pas");
}

#[test]
fn identifiers_are_plain_snake_case() {
    let source = BASE.replace("id = \"usage\"", "id = \"Usage général\"");
    assert_error(
        &source,
        25,
        "identifiant de question « Usage général » invalide",
    );
    let option = BASE.replace("value = \"dirigeant\"", "value = \"Dirigeant\"");
    assert_error(&option, 36, "valeur d'option « Dirigeant » invalide");
}

#[test]
fn every_error_of_a_file_is_reported_at_once_sorted_by_line() {
    let source = BASE
        .replace("estimated_minutes = 4", "estimated_minutes = 0")
        .replace("id = \"precision\"", "id = \"usage\"")
        .replace("favorable = [\"oui\"]", "favorable = [\"bof\"]");
    let found = errors(&source);
    assert_eq!(found.len(), 3, "{found:?}");
    let lines: Vec<usize> = found.iter().map(|(l, _)| *l).collect();
    assert_eq!(lines, [4, 12, 39]);
}

#[test]
fn the_schedule_defaults_to_the_fiches_and_can_be_set_per_questionnaire() {
    let q = parse_questionnaire(BASE).unwrap();
    assert_eq!(q.schedule, SendRules::default());
    let custom = BASE.replace(
        "estimated_minutes = 4\n",
        "estimated_minutes = 4\n\n[schedule]\ndelay_months = 6\nreminder_days = [7]\n",
    );
    let q = parse_questionnaire(&custom).unwrap();
    assert_eq!(q.schedule.delay_months, 6);
    assert_eq!(q.schedule.reminder_days, [7]);
    assert_eq!(q.schedule.close_after_days, 30);
    let bad = BASE.replace(
        "estimated_minutes = 4\n",
        "estimated_minutes = 4\n\n[schedule]\nreminder_days = [20, 10]\n",
    );
    let found = errors(&bad);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, 6, "{found:?}");
    assert!(found[0].1.contains("strictement croissant"), "{found:?}");
}

#[test]
fn a_file_without_sections_is_refused() {
    let source = "code = \"i4\"\ntitle = \"T\"\nintroduction = \"\"\nestimated_minutes = 1\n";
    assert_error(source, 1, "aucune section");
    let empty_section = "code = \"i4\"\ntitle = \"T\"\nintroduction = \"\"\nestimated_minutes = 1\n[[sections]]\nid = \"s\"\ntitle = \"S\"\n";
    assert_error(empty_section, 6, "n'a aucune question");
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    const SHIPPED: [&str; 5] = [
        include_str!("../../../questionnaires/i3_1.toml"),
        include_str!("../../../questionnaires/i3_2.toml"),
        include_str!("../../../questionnaires/i4.toml"),
        include_str!("../../../questionnaires/i6.toml"),
        include_str!("../../../questionnaires/i7.toml"),
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn any_text_is_parsed_or_refused_without_panicking(source in "\\PC{0,300}") {
            if let Err(errors) = parse_questionnaire(&source) {
                prop_assert!(!errors.is_empty());
                let lines = source.lines().count().max(1);
                prop_assert!(errors.iter().all(|e| e.line >= 1 && e.line <= lines + 1));
            }
        }

        /// The shipped files with lines dropped, repeated or swapped: parsed, or refused with
        /// errors that name a line of the damaged text, never a panic.
        #[test]
        fn damaged_shipped_files_are_parsed_or_refused_with_a_line(
            which in 0..SHIPPED.len(),
            edits in proptest::collection::vec((0usize..400, 0u8..3), 1..6),
        ) {
            let mut lines: Vec<&str> = SHIPPED[which].lines().collect();
            for (at, edit) in edits {
                let at = at % lines.len().max(1);
                match edit {
                    0 if !lines.is_empty() => {
                        lines.remove(at);
                    }
                    1 if !lines.is_empty() => lines.insert(at, lines[at]),
                    _ if lines.len() > 1 => {
                        let next = (at + 1) % lines.len();
                        lines.swap(at, next);
                    }
                    _ => {}
                }
            }
            let source = lines.join("\n");
            if let Err(errors) = parse_questionnaire(&source) {
                prop_assert!(!errors.is_empty());
                let count = source.lines().count().max(1);
                prop_assert!(errors.iter().all(|e| e.line >= 1 && e.line <= count + 1 && !e.message.is_empty()));
            }
        }

        #[test]
        fn damaged_definitions_are_refused_with_a_line(
            at in 0..BASE.len(),
            junk in "[a-z_=\\[\\]{}\",.\\n 0-9]{1,24}",
        ) {
            let mut source = BASE.to_owned();
            if source.is_char_boundary(at) {
                source.insert_str(at, &junk);
            }
            match parse_questionnaire(&source) {
                Ok(q) => prop_assert!(q.question_count() >= 1),
                Err(errors) => prop_assert!(errors.iter().all(|e| e.line >= 1 && !e.message.is_empty())),
            }
        }
    }
}
