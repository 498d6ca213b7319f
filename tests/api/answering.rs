use jalon::domain::QuestionnaireCode;
use sea_orm::{ConnectionTrait, Statement};

use crate::helpers::{TestApp, encode, spawn_app, valid_form_answers};

async fn answers_of(app: &TestApp, question: &str) -> Vec<String> {
    let rows = app
        .db
        .query_all_raw(Statement::from_sql_and_values(
            app.db.get_database_backend(),
            match app.db.get_database_backend() {
                sea_orm::DbBackend::Postgres => {
                    "SELECT value FROM answers WHERE question_id = $1 ORDER BY position"
                }
                _ => "SELECT value FROM answers WHERE question_id = ? ORDER BY position",
            },
            [question.into()],
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|r| r.try_get::<String>("", "value").unwrap())
        .collect()
}

#[tokio::test]
async fn a_personal_link_shows_the_whole_questionnaire_as_one_accessible_form() {
    let app = spawn_app().await;
    let token = app.invite(QuestionnaireCode::I3_1).await;
    let response = app.get(&format!("/r/{token}")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let html = response.text().await.unwrap();
    let definition = &app.catalog.get(QuestionnaireCode::I3_1).unwrap().definition;
    assert!(html.contains(r#"<html lang="fr">"#));
    assert!(html.contains(&definition.title));
    assert!(
        !html.contains("<script"),
        "respondent pages need no JavaScript"
    );
    for question in definition.questions() {
        assert!(
            html.contains(&format!(r#"name="{}""#, question.id)),
            "input for {}",
            question.id
        );
    }
    // Every choice group is a fieldset with a legend; every input has its label.
    assert_eq!(
        html.matches("<fieldset").count(),
        html.matches("<legend>").count()
    );
    for id in html
        .split(r#"<input type="radio" id=""#)
        .skip(1)
        .map(|s| s.split('"').next().unwrap())
    {
        assert!(
            html.contains(&format!(r#"<label for="{id}">"#)),
            "label for {id}"
        );
    }
    assert!(html.contains("Enregistrer le brouillon"));
}

#[tokio::test]
async fn a_valid_form_is_stored_whole_then_thanked_and_never_twice() {
    let app = spawn_app().await;
    let token = app.invite(QuestionnaireCode::I3_1).await;
    let mut pairs = valid_form_answers(&app, QuestionnaireCode::I3_1);
    pairs.push(("commentaire".into(), "  Très utile\r\nmerci  ".into()));
    pairs.push(("_action".into(), "submit".into()));

    let response = app.post_form(&format!("/r/{token}"), encode(&pairs)).await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], format!("/r/{token}/merci"));
    let thanks = app.get(&format!("/r/{token}/merci")).await;
    assert_eq!(thanks.status(), 200);
    assert!(
        thanks
            .text()
            .await
            .unwrap()
            .contains("Merci pour votre participation")
    );

    let answered = pairs.len() - 1;
    assert_eq!(app.stored().await, (1, answered as i64, 1));
    assert_eq!(answers_of(&app, "commentaire").await, ["Très utile\nmerci"]);

    let again = app.post_form(&format!("/r/{token}"), encode(&pairs)).await;
    assert_eq!(again.status(), 409);
    assert!(again.text().await.unwrap().contains("déjà été enregistrée"));
    let page = app.get(&format!("/r/{token}")).await;
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("Réponse déjà enregistrée")
    );
    let api = app
        .post_json(
            &format!("/api/v1/responses/{token}"),
            &serde_json::json!({"answers": {}}),
        )
        .await;
    assert_eq!(api.status(), 409);
    assert_eq!(app.stored().await, (1, answered as i64, 1));
}

#[tokio::test]
async fn two_simultaneous_submissions_store_exactly_one_response() {
    let app = spawn_app().await;
    for _ in 0..5 {
        let token = app.invite(QuestionnaireCode::I7).await;
        let body = encode(&valid_form_answers(&app, QuestionnaireCode::I7));
        let path = format!("/r/{token}");
        let (a, b) = tokio::join!(
            app.post_form(&path, body.clone()),
            app.post_form(&path, body)
        );
        let mut statuses = [a.status().as_u16(), b.status().as_u16()];
        statuses.sort();
        assert_eq!(statuses, [303, 409]);
    }
    let (responses, _, completed) = app.stored().await;
    assert_eq!((responses, completed), (5, 5));
}

#[tokio::test]
async fn an_invalid_form_is_shown_again_with_french_errors_and_the_values_kept() {
    let app = spawn_app().await;
    let token = app.invite(QuestionnaireCode::I3_1).await;
    let body = encode(&[
        ("outils_compris".into(), "plutot_d_accord".into()),
        ("commentaire".into(), "Mon avis <b>gras</b>".into()),
    ]);
    let response = app.post_form(&format!("/r/{token}"), body).await;
    assert_eq!(response.status(), 422);
    let html = response.text().await.unwrap();
    assert!(html.contains("<title>Erreur : "));
    assert!(html.contains(r#"class="error-summary""#));
    assert!(
        html.contains(r##"href="#q-outils_adaptes-0""##),
        "summary links to the field"
    );
    assert!(html.contains(r#"aria-describedby="q-outils_adaptes-erreur""#));
    assert!(html.contains("Choisissez une réponse."));
    assert!(
        html.contains(r#"value="plutot_d_accord" checked"#),
        "answer kept"
    );
    assert!(
        html.contains("Mon avis &lt;b&gt;gras&lt;/b&gt;"),
        "text kept, escaped"
    );
    assert_eq!(app.stored().await, (0, 0, 0));
}

#[tokio::test]
async fn a_draft_is_saved_without_validation_and_restored() {
    let app = spawn_app().await;
    let token = app.invite(QuestionnaireCode::I3_1).await;
    let body = encode(&[
        ("outils_compris".into(), "tout_a_fait_d_accord".into()),
        ("commentaire".into(), "À finir".into()),
        ("_action".into(), "draft".into()),
    ]);
    let response = app.post_form(&format!("/r/{token}"), body).await;
    assert_eq!(response.status(), 303);
    assert_eq!(
        response.headers()["location"],
        format!("/r/{token}?brouillon=enregistre")
    );
    assert_eq!(app.stored().await, (0, 0, 0));
    assert_eq!(app.count("drafts").await, 1);

    let html = app
        .get(&format!("/r/{token}?brouillon=enregistre"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Votre brouillon est enregistré"));
    assert!(html.contains(r#"value="tout_a_fait_d_accord" checked"#));
    assert!(html.contains("À finir</textarea>"));

    // Completing the questionnaire removes the draft in the same transaction.
    let submit = app
        .post_form(
            &format!("/r/{token}"),
            encode(&valid_form_answers(&app, QuestionnaireCode::I3_1)),
        )
        .await;
    assert_eq!(submit.status(), 303);
    assert_eq!(app.count("drafts").await, 0);
}

#[tokio::test]
async fn answers_to_questions_hidden_by_their_condition_are_dropped() {
    let app = spawn_app().await;
    let token = app.invite(QuestionnaireCode::I3_1).await;
    let mut pairs = valid_form_answers(&app, QuestionnaireCode::I3_1);
    pairs.retain(|(k, _)| k != "outils_utilises");
    pairs.push(("outils_utilises".into(), "non".into()));
    pairs.push(("frequence_utilisation".into(), "regulierement".into()));
    pairs.push(("freins_utilisation".into(), "manque_de_temps".into()));
    pairs.push(("freins_utilisation".into(), "autre".into()));
    let response = app.post_form(&format!("/r/{token}"), encode(&pairs)).await;
    assert_eq!(response.status(), 303);
    assert!(answers_of(&app, "frequence_utilisation").await.is_empty());
    assert_eq!(
        answers_of(&app, "freins_utilisation").await,
        ["manque_de_temps", "autre"]
    );
}

#[tokio::test]
async fn programs_answer_through_the_json_api() {
    let app = spawn_app().await;
    let token = app.invite(QuestionnaireCode::I3_1).await;
    let mut answers = serde_json::Map::new();
    for (k, v) in valid_form_answers(&app, QuestionnaireCode::I3_1) {
        answers.insert(k, v.into());
    }
    answers.insert("outils_utilises".into(), "non".into());
    answers.insert(
        "freins_utilisation".into(),
        serde_json::json!(["pas_d_occasion"]),
    );
    answers.insert("profil_fonction".into(), serde_json::Value::Null);

    let mut bad = answers.clone();
    bad.remove("outils_compris");
    bad.insert("question_inexistante".into(), "x".into());
    bad.insert("outils_adaptes".into(), "peut_etre".into());
    let response = app
        .post_json(
            &format!("/api/v1/responses/{token}"),
            &serde_json::json!({ "answers": bad }),
        )
        .await;
    assert_eq!(response.status(), 422);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "validation");
    let mut codes: Vec<(String, String)> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["question"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    codes.sort();
    assert_eq!(
        codes,
        [
            ("outils_adaptes".to_owned(), "unknown_option".to_owned()),
            ("outils_compris".to_owned(), "required".to_owned()),
            (
                "question_inexistante".to_owned(),
                "unknown_question".to_owned()
            ),
        ]
    );
    assert_eq!(app.stored().await, (0, 0, 0));

    let response = app
        .post_json(
            &format!("/api/v1/responses/{token}"),
            &serde_json::json!({ "answers": answers }),
        )
        .await;
    assert_eq!(response.status(), 201);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "recorded");
    assert_eq!(
        answers_of(&app, "freins_utilisation").await,
        ["pas_d_occasion"]
    );
}

#[tokio::test]
async fn an_anonymous_response_keeps_no_path_back_to_the_person() {
    let app = spawn_app().await;
    let token = app.invite(QuestionnaireCode::I7).await;
    let response = app
        .post_form(
            &format!("/r/{token}"),
            encode(&valid_form_answers(&app, QuestionnaireCode::I7)),
        )
        .await;
    assert_eq!(response.status(), 303);
    // Sealed until enough colleagues have answered: no response row yet, and the invitation
    // only says "completed", without the day.
    assert_eq!(app.count("responses").await, 0);
    assert_eq!(app.count("anonymous_pending").await, 1);
    let row = app
        .db
        .query_one_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM invitations WHERE status = 'completed' AND completed_on IS NULL".to_owned(),
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get::<i64>("", "n").unwrap(), 1);
    // Everybody invited has answered: the release lets it in, without any path back.
    assert_eq!(app.release_anonymous().await, 1);
    let row = app
        .db
        .query_one_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM responses WHERE invitation_id IS NULL AND submitted_at IS NULL".to_owned(),
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get::<i64>("", "n").unwrap(), 1);
    assert_eq!(app.count("anonymous_pending").await, 0);
}

#[tokio::test]
async fn a_response_records_the_version_it_answered_and_old_versions_still_read() {
    let app = spawn_app().await;
    let token = app.invite(QuestionnaireCode::I4).await;
    let response = app
        .post_form(&format!("/r/{token}"), "satisfaction=plutot_satisfait")
        .await;
    assert_eq!(response.status(), 303);
    let old_version = app
        .catalog
        .get(QuestionnaireCode::I4)
        .unwrap()
        .version
        .clone();

    // Staff edit the file: a new version appears, the old one is untouched.
    let source =
        std::fs::read_to_string(crate::helpers::questionnaires_dir().join("i4.toml")).unwrap();
    let edited = source.replace("Très satisfait·e", "Très content·e");
    assert_ne!(edited, source);
    let dir = crate::helpers::questionnaires_folder(&[("i4.toml", &edited)]);
    let catalog = jalon::catalog::Catalog::load_dir(dir.path()).unwrap();
    let new_version = catalog.get(QuestionnaireCode::I4).unwrap().version.clone();
    assert_ne!(new_version, old_version);
    jalon::store::versions::record_all(&app.db, &catalog, jalon::clock::Clock::now(&app.clock))
        .await
        .unwrap();
    assert_eq!(app.count("questionnaire_versions").await, 6);

    let row = app
        .db
        .query_one_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT version_id FROM responses".to_owned(),
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        row.try_get::<String>("", "version_id").unwrap(),
        old_version
    );
    let old = jalon::store::versions::load(&app.db, &old_version)
        .await
        .unwrap()
        .unwrap();
    let label = &old.question("satisfaction").unwrap().kind.options()[0].label;
    assert_eq!(label, "Très satisfait·e");
}

#[tokio::test]
async fn anonymous_questionnaires_keep_no_draft() {
    let app = spawn_app().await;
    let token = app.invite(QuestionnaireCode::I7).await;
    let html = app.get(&format!("/r/{token}")).await.text().await.unwrap();
    assert!(!html.contains("Enregistrer le brouillon"));
    let response = app
        .post_form(
            &format!("/r/{token}"),
            "commentaire=brouillon&_action=draft",
        )
        .await;
    assert_eq!(
        response.status(),
        422,
        "treated as a submission, and incomplete"
    );
    assert_eq!(app.count("drafts").await, 0);
}

#[tokio::test]
async fn every_form_links_to_what_is_kept_and_anonymous_ones_say_so() {
    let app = spawn_app().await;
    let token = app.invite(QuestionnaireCode::I7).await;
    let form = app.get(&format!("/r/{token}")).await.text().await.unwrap();
    assert!(form.contains(r#"href="/confidentialite/i7""#));
    let notice = app.get("/confidentialite/i7").await;
    assert_eq!(notice.status(), 200);
    let notice = notice.text().await.unwrap();
    assert!(notice.contains("Vos réponses sont anonymes"));
    assert!(notice.contains("moins de 5 personnes"));
    let named = app.get("/confidentialite/i3.1").await.text().await.unwrap();
    assert!(named.contains("Ce que nous conservons"));
    assert!(!named.contains("sont anonymes"));
    assert_eq!(app.get("/confidentialite/i9").await.status(), 404);
}
