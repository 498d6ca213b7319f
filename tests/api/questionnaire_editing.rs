//! Staff edit, pilot and publish a questionnaire over the JSON API: errors at their lines,
//! pilot responses counted nowhere, publications seen by every instance, and the changes
//! that would reinterpret stored answers refused with their reasons.

use std::sync::Arc;
use std::time::{Duration, Instant};

use jalon::catalog::Catalog;
use jalon::domain::QuestionnaireCode;
use jalon::startup::{AppParts, Application};
use jalon::store;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::helpers::{TestApp, questionnaires_dir, spawn_app};
use crate::smtp::SmtpSink;

const DRAFT: &str = "/api/v1/questionnaires/i4/draft";
const PUBLISH: &str = "/api/v1/questionnaires/i4/publish";

fn i4_source() -> String {
    std::fs::read_to_string(questionnaires_dir().join("i4.toml")).unwrap()
}

/// The shipped i4 with `from` replaced by `to` (which must be there).
fn i4_with(from: &str, to: &str) -> String {
    let source = i4_source();
    assert!(source.contains(from), "{from} not in i4.toml");
    source.replacen(from, to, 1)
}

async fn put_draft(app: &TestApp, client: &reqwest::Client, source: &str) -> reqwest::Response {
    client
        .put(app.url(DRAFT))
        .header("content-type", "application/toml")
        .body(source.to_owned())
        .send()
        .await
        .unwrap()
}

async fn publish(app: &TestApp) -> reqwest::Response {
    app.client.post(app.url(PUBLISH)).send().await.unwrap()
}

/// Saves `source` as the draft of i4 and publishes it; returns the publish's answer.
async fn draft_and_publish(app: &TestApp, source: &str) -> (u16, Value) {
    let saved = put_draft(app, &app.client, source).await;
    assert_eq!(saved.status(), 200, "{}", saved.text().await.unwrap());
    let published = publish(app).await;
    let status = published.status().as_u16();
    (status, published.json().await.unwrap())
}

async fn json_of(app: &TestApp, path: &str) -> Value {
    let response = app.get(path).await;
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.unwrap()
}

async fn version_in_use(app_url: &str, client: &reqwest::Client) -> String {
    let body: Value = client
        .get(format!("{app_url}/api/v1/questionnaires/i4"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["version"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_draft_with_errors_is_refused_with_each_error_at_its_line_and_column() {
    let app = spawn_app().await;
    let broken = i4_with("type = \"likert\"", "type = \"echelle\"").replacen(
        "estimated_minutes = 1",
        "estimated_minutes = 0",
        1,
    );
    let response = put_draft(&app, &app.client, &broken).await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "validation");
    let errors = body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{errors:?}");
    let line_of = |needle: &str| broken.lines().position(|l| l.contains(needle)).unwrap() + 1;
    assert_eq!(errors[0]["line"], line_of("estimated_minutes = 0"));
    assert_eq!(errors[0]["column"], 21);
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap()
            .contains("entre 1 et 120")
    );
    assert_eq!(errors[1]["line"], line_of("type = \"echelle\""));
    assert_eq!(errors[1]["column"], 8);
    assert!(errors[1]["message"].as_str().unwrap().contains("echelle"));

    // A TOML syntax error, another questionnaire's code, text that is not UTF-8.
    let syntax = put_draft(&app, &app.client, "code = \"i4\"\ntitle = = 1\n").await;
    assert_eq!(syntax.status(), 422);
    let body: Value = syntax.json().await.unwrap();
    assert_eq!(body["errors"][0]["line"], 2);
    let other = put_draft(
        &app,
        &app.client,
        &i4_with("code = \"i4\"", "code = \"i6\""),
    )
    .await;
    assert_eq!(other.status(), 422);
    let body: Value = other.json().await.unwrap();
    assert_eq!(body["errors"][0]["line"], 1);
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("attendu « i4 »")
    );
    let latin1 = app
        .client
        .put(app.url(DRAFT))
        .body(vec![b'c', 0xe9])
        .send()
        .await
        .unwrap();
    assert_eq!(latin1.status(), 422);

    // Nothing was saved: the draft is still the version in use.
    let draft = app.get(DRAFT).await;
    assert_eq!(draft.status(), 200);
    assert_eq!(draft.headers()["x-jalon-draft"], "published");
    assert_eq!(draft.text().await.unwrap(), i4_source());
    assert_eq!(app.count("questionnaire_drafts").await, 0);
}

#[tokio::test]
async fn a_saved_draft_is_read_back_with_what_publishing_it_would_change() {
    let app = spawn_app().await;
    let source = i4_with(
        "Avez-vous trouvé ce que vous cherchiez ?",
        "Avez-vous trouvé ce qu’il vous fallait ?",
    );
    let saved = put_draft(&app, &app.client, &source).await;
    assert_eq!(saved.status(), 200);
    let body: Value = saved.json().await.unwrap();
    assert_eq!(body["version"], jalon::catalog::content_version(&source));
    assert_eq!(body["refusals"], json!([]));
    let changes = body["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert!(
        changes[0]
            .as_str()
            .unwrap()
            .starts_with("question « trouve » reformulée")
    );
    let draft = app.get(DRAFT).await;
    assert_eq!(draft.headers()["x-jalon-draft"], "saved");
    assert_eq!(draft.text().await.unwrap(), source);
    // Saving does not publish.
    assert_eq!(
        version_in_use(&app.address, &app.client).await,
        app.catalog.get(QuestionnaireCode::I4).unwrap().version
    );
}

#[tokio::test]
async fn only_admins_and_editors_edit_while_the_definition_in_use_stays_public() {
    let app = spawn_app().await;
    let anonymous = app.anonymous_client();
    assert_eq!(
        anonymous.get(app.url(DRAFT)).send().await.unwrap().status(),
        401
    );
    assert_eq!(
        anonymous
            .get(app.url("/api/v1/questionnaires/i4"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let analyst = app.client_as("analyst").await;
    assert_eq!(
        analyst.get(app.url(DRAFT)).send().await.unwrap().status(),
        403
    );
    assert_eq!(
        analyst
            .post(app.url(PUBLISH))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    let editor = app.client_as("editeur").await;
    let source = i4_with("Vous êtes :", "Vous êtes plutôt :");
    assert_eq!(put_draft(&app, &editor, &source).await.status(), 200);
    let published = editor.post(app.url(PUBLISH)).send().await.unwrap();
    assert_eq!(published.status(), 200);
    // An editor sees no results.
    assert_eq!(
        editor
            .get(app.url("/api/v1/indicators"))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        app.get("/api/v1/questionnaires/i9/draft").await.status(),
        404
    );
}

#[tokio::test]
async fn a_publish_is_in_use_at_once_and_recorded_with_who_and_when() {
    let app = spawn_app().await;
    let source = i4_with("Vous êtes :", "Vous êtes plutôt :");
    let (status, body) = draft_and_publish(&app, &source).await;
    assert_eq!(status, 200, "{body}");
    let version = jalon::catalog::content_version(&source);
    assert_eq!(body["version"], version);
    assert_eq!(version_in_use(&app.address, &app.client).await, version);
    let form = app.get("/o/i4").await.text().await.unwrap();
    assert!(form.contains("Vous êtes plutôt :"));
    // New answers carry the new version.
    let answered = app
        .post_form("/o/i4", "satisfaction=tres_satisfait&profil=salarie")
        .await;
    assert_eq!(answered.status(), 303);
    let rows = app
        .db
        .query_all_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT version_id FROM responses".to_owned(),
        ))
        .await
        .unwrap();
    let stored: String = rows[0].try_get("", "version_id").unwrap();
    assert_eq!(stored, version);
    // Who published what, when; the draft is gone (the next starts from the published one).
    let publication = store::editing::latest_publication(&app.db, QuestionnaireCode::I4)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(publication.version_id, version);
    assert_eq!(publication.published_by, "jeton:tests");
    assert_eq!(publication.published_at, app.now());
    let audit = store::audit::latest(&app.db, 10).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.action == "questionnaire.publish" && e.target == "i4")
    );
    assert_eq!(app.get(DRAFT).await.headers()["x-jalon-draft"], "published");
    // Nothing left to publish.
    let again = publish(&app).await;
    assert_eq!(again.status(), 409);
}

/// Answers to i4's open form, in this year's open campaign.
async fn answer_i4(app: &TestApp, answers: &str) {
    let response = app.post_form("/o/i4", answers.to_owned()).await;
    assert_eq!(response.status(), 303);
}

async fn close_all_campaigns(app: &TestApp) {
    app.db
        .execute_raw(Statement::from_string(
            app.db.get_database_backend(),
            "UPDATE campaigns SET status = 'closed'".to_owned(),
        ))
        .await
        .unwrap();
}

fn reasons(body: &Value) -> Vec<String> {
    body["reasons"]
        .as_array()
        .unwrap_or_else(|| panic!("no reasons in {body}"))
        .iter()
        .map(|r| r.as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn each_change_that_would_reinterpret_answers_is_refused_with_its_reason() {
    let app = spawn_app().await;
    answer_i4(
        &app,
        "satisfaction=tres_satisfait&trouve=en_partie&commentaire=Bien",
    )
    .await;
    let before = version_in_use(&app.address, &app.client).await;

    // An option with answers removed.
    let (status, body) = draft_and_publish(
        &app,
        &i4_with("  { value = \"en_partie\", label = \"En partie\" },\n", ""),
    )
    .await;
    assert_eq!(status, 409);
    assert_eq!(body["error"], "publication_refused");
    let found = reasons(&body);
    assert!(
        found[0].contains("« en_partie » a déjà des réponses"),
        "{found:?}"
    );
    assert!(found[0].contains("nouvel identifiant"));

    // The type of an answered question.
    let (status, body) = draft_and_publish(
        &app,
        &i4_with(
            "type = \"single_choice\"\nrequired = false\noptions = [\n  { value = \"oui\", label = \"Oui\" },\n  { value = \"en_partie\", label = \"En partie\" },\n  { value = \"non\", label = \"Non\" },\n]",
            "type = \"text\"\nrequired = false\nmax_length = 100",
        ),
    )
    .await;
    assert_eq!(status, 409);
    assert!(reasons(&body)[0].contains("son type ne peut pas passer de single_choice à text"));

    // The scale of an answered question.
    let (status, body) = draft_and_publish(
        &app,
        &i4_with(
            "  { value = \"pas_du_tout_satisfait\", label = \"Pas du tout satisfait·e\" },\n",
            "",
        ),
    )
    .await;
    assert_eq!(status, 409);
    assert!(reasons(&body)[0].contains("son échelle ne peut pas changer"));

    // The favourable options while the campaign is open.
    let fewer_favourable = i4_with(
        "favorable = [\"tres_satisfait\", \"plutot_satisfait\"]",
        "favorable = [\"tres_satisfait\"]",
    );
    let (status, body) = draft_and_publish(&app, &fewer_favourable).await;
    assert_eq!(status, 409);
    assert!(reasons(&body)[0].contains("Attendez la clôture de la campagne"));

    // Nothing was published.
    assert_eq!(version_in_use(&app.address, &app.client).await, before);
    assert_eq!(app.count("questionnaire_publications").await, 0);

    // Once the campaign is closed, the favourable options may change.
    close_all_campaigns(&app).await;
    let (status, body) = draft_and_publish(&app, &fewer_favourable).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn an_old_question_id_is_not_given_to_another_question() {
    let app = spawn_app().await;
    let comment = "[[sections.questions]]\nid = \"commentaire\"\ntext = \"Un commentaire ou une suggestion ?\"";
    // Retire the comment question…
    let source = i4_source();
    let start = source.find(comment).unwrap();
    let without = &source[..start];
    let (status, body) = draft_and_publish(&app, without).await;
    assert_eq!(status, 200, "{body}");
    // …then bring its id back for another question.
    let reused = format!(
        "{without}[[sections.questions]]\nid = \"commentaire\"\ntext = \"Recommanderiez-vous cette ressource ?\"\ntype = \"text\"\nmax_length = 1000\n"
    );
    let (status, body) = draft_and_publish(&app, &reused).await;
    assert_eq!(status, 409);
    assert!(reasons(&body)[0].contains("« commentaire » a déjà servi à une autre question"));
    // The same question back under its id is fine.
    let (status, body) = draft_and_publish(&app, &source).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn an_anonymous_questionnaire_is_not_published_during_an_open_wave() {
    let app = spawn_app().await;
    store::campaigns::find_or_create(&app.db, QuestionnaireCode::I7, "vague 1", app.now())
        .await
        .unwrap();
    let source = app
        .catalog
        .get(QuestionnaireCode::I7)
        .unwrap()
        .source
        .replacen("title = \"", "title = \"Nouveau : ", 1);
    let saved = app
        .client
        .put(app.url("/api/v1/questionnaires/i7/draft"))
        .body(source.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), 200);
    let saved: Value = saved.json().await.unwrap();
    assert!(saved["refusals"][0].as_str().unwrap().contains("vague"));
    let refused = app
        .client
        .post(app.url("/api/v1/questionnaires/i7/publish"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 409);
    let body: Value = refused.json().await.unwrap();
    assert!(reasons(&body)[0].contains("Attendez la clôture de la vague"));
    close_all_campaigns(&app).await;
    let published = app
        .client
        .post(app.url("/api/v1/questionnaires/i7/publish"))
        .send()
        .await
        .unwrap();
    assert_eq!(published.status(), 200);
}

#[tokio::test]
async fn answers_stored_before_a_publish_keep_their_meaning() {
    let app = spawn_app().await;
    answer_i4(&app, "satisfaction=tres_satisfait").await;
    answer_i4(&app, "satisfaction=plutot_satisfait").await;
    answer_i4(&app, "satisfaction=plutot_pas_satisfait").await;
    close_all_campaigns(&app).await;
    let campaigns = store::results::campaigns::all(&app.db).await.unwrap();
    let results = format!("/api/v1/campaigns/{}/results", campaigns[0].id);
    let before = json_of(&app, &results).await;
    let indicators_before = json_of(&app, "/api/v1/indicators").await;

    // Only "very satisfied" is favourable from now on, and the question is reworded.
    let source = i4_with(
        "favorable = [\"tres_satisfait\", \"plutot_satisfait\"]",
        "favorable = [\"tres_satisfait\"]",
    )
    .replacen("Êtes-vous satisfait·e", "Êtes-vous content·e", 1);
    let (status, body) = draft_and_publish(&app, &source).await;
    assert_eq!(status, 200, "{body}");
    // The rates are read against the version each answer was given with. (Texts, labels
    // and option flags shown are the version in use's.)
    let after = json_of(&app, &results).await;
    assert_eq!(after["indicator"], before["indicator"]);
    assert_eq!(after["respondents"], before["respondents"]);
    let meaning = |body: &Value| -> Vec<(Value, Value, Vec<Value>)> {
        body["questions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|q| {
                let counts = q["options"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|o| o["count"].clone())
                    .collect();
                (q["answered"].clone(), q["rate"].clone(), counts)
            })
            .collect()
    };
    assert_eq!(meaning(&after), meaning(&before));
    assert_eq!(before["indicator"]["value"].as_f64(), Some(2.0 / 3.0));
    assert_eq!(json_of(&app, "/api/v1/indicators").await, indicators_before);
}

#[tokio::test]
async fn a_pilot_response_never_moves_any_indicator_or_export() {
    let app = spawn_app().await;
    answer_i4(&app, "satisfaction=tres_satisfait").await;
    let source = i4_with("Vous êtes :", "Vous êtes (test) :");
    assert_eq!(put_draft(&app, &app.client, &source).await.status(), 200);
    let campaigns = store::results::campaigns::all(&app.db).await.unwrap();
    let watched = [
        "/api/v1/indicators".to_owned(),
        format!("/api/v1/campaigns/{}/results", campaigns[0].id),
        format!("/api/v1/campaigns/{}/comments", campaigns[0].id),
    ];
    let mut before = Vec::new();
    for path in &watched {
        before.push(json_of(&app, path).await);
    }
    let export = format!("/exports/campagnes/{}/reponses.csv", campaigns[0].id);
    let csv_before = app.get(&export).await.bytes().await.unwrap();
    let counts_before = app.stored().await;

    let links = app
        .post_json(
            "/api/v1/questionnaires/i4/draft/pilot-links",
            &json!({"count": 2}),
        )
        .await;
    assert_eq!(links.status(), 201);
    let links: Value = links.json().await.unwrap();
    let paths: Vec<String> = links["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["path"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(paths.len(), 2);
    assert!(paths[0].starts_with("/pilote/"));

    // The panel sees the draft, with the respondents' form.
    let anonymous = app.anonymous_client();
    let form = anonymous.get(app.url(&paths[0])).send().await.unwrap();
    assert_eq!(form.status(), 200);
    let html = form.text().await.unwrap();
    assert!(html.contains("Vous êtes (test) :"));
    assert!(html.contains("Ceci est un test"));
    let started = app.now().timestamp() - 95;
    for (path, body) in [
        (
            &paths[0],
            format!("satisfaction=plutot_pas_satisfait&commentaire=Trop+long&_started={started}"),
        ),
        (&paths[1], "satisfaction=tres_satisfait".to_owned()),
    ] {
        let sent = anonymous
            .post(app.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(sent.status(), 303);
    }
    // A personal pilot link answers once; an invalid answer is shown again, not stored.
    let twice = anonymous
        .post(app.url(&paths[0]))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("satisfaction=tres_satisfait")
        .send()
        .await
        .unwrap();
    assert_eq!(twice.status(), 409);
    assert_eq!(
        anonymous
            .get(app.url("/pilote/inconnu"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );

    // Nothing counted moved.
    assert_eq!(app.stored().await, counts_before);
    for (path, earlier) in watched.iter().zip(&before) {
        assert_eq!(&json_of(&app, path).await, earlier, "{path}");
    }
    assert_eq!(app.get(&export).await.bytes().await.unwrap(), csv_before);

    // The pilot page's figures.
    let pilot = json_of(&app, "/api/v1/questionnaires/i4/draft/pilot-results").await;
    assert_eq!(pilot["responses"], 2);
    assert_eq!(pilot["durations"], json!([95]));
    assert_eq!(pilot["median_seconds"], 95);
    let question = |id: &str| {
        pilot["questions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|q| q["id"] == id)
            .unwrap()
            .clone()
    };
    let satisfaction = question("satisfaction");
    assert_eq!(satisfaction["answered"], 2);
    let counts: Vec<i64> = satisfaction["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["count"].as_i64().unwrap())
        .collect();
    assert_eq!(counts, [1, 0, 1, 0]);
    assert_eq!(question("commentaire")["written"], json!(["Trop long"]));
    assert_eq!(question("profil")["blank"], 2);

    // Purged: responses and links go.
    let purged = app
        .client
        .delete(app.url("/api/v1/questionnaires/i4/draft/pilot-results"))
        .send()
        .await
        .unwrap();
    assert_eq!(purged.status(), 200);
    let purged: Value = purged.json().await.unwrap();
    assert_eq!(purged["deleted"], 2);
    let pilot = json_of(&app, "/api/v1/questionnaires/i4/draft/pilot-results").await;
    assert_eq!(pilot["responses"], 0);
    assert_eq!(
        anonymous
            .get(app.url(&paths[1]))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

#[tokio::test]
async fn pilot_links_are_asked_for_in_sensible_numbers() {
    let app = spawn_app().await;
    for body in [
        json!({"count": 0}),
        json!({"count": 201}),
        json!({"count": -1}),
        json!({"count": 0, "open": true}),
    ] {
        let response = app
            .post_json("/api/v1/questionnaires/i4/draft/pilot-links", &body)
            .await;
        assert_eq!(response.status(), 422, "{body}");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], "count");
    }
    let open = app
        .post_json(
            "/api/v1/questionnaires/i4/draft/pilot-links",
            &json!({"count": 1, "open": true}),
        )
        .await;
    assert_eq!(open.status(), 201);
    let open: Value = open.json().await.unwrap();
    let path = open["links"][0]["path"].as_str().unwrap().to_owned();
    // An open link takes any number of responses.
    for _ in 0..2 {
        let sent = app.post_form(&path, "satisfaction=tres_satisfait").await;
        assert_eq!(sent.status(), 303);
    }
    assert_eq!(app.count("pilot_responses").await, 2);
    assert_eq!(app.count("responses").await, 0);
}

/// A second instance of the app on the same database (files loaded as at its start).
async fn second_instance(app: &TestApp) -> String {
    let db = store::connect(&app.database_url, 4).await.unwrap();
    let catalog = Arc::new(Catalog::load_dir(&questionnaires_dir()).unwrap());
    store::versions::record_all(&db, &catalog, app.now())
        .await
        .unwrap();
    let other = Application::build(
        AppParts {
            db,
            catalog,
            clock: Arc::new(app.clock.clone()),
            max_body_bytes: 64 * 1024,
            results: Default::default(),
            seal_key: app.seal_key.clone(),
            auth: Default::default(),
        },
        "127.0.0.1:0",
    )
    .unwrap();
    let address = format!("http://127.0.0.1:{}", other.port());
    tokio::spawn(other.run_until_stopped());
    address
}

#[tokio::test]
async fn a_publish_is_seen_by_another_instance_within_seconds_without_restart() {
    let app = spawn_app().await;
    let other = second_instance(&app).await;
    let client = app.anonymous_client();
    let before = version_in_use(&other, &client).await;
    let source = i4_with("Vous êtes :", "Vous êtes, en deux mots :");
    let (status, body) = draft_and_publish(&app, &source).await;
    assert_eq!(status, 200, "{body}");
    let published = body["version"].as_str().unwrap().to_owned();
    assert_ne!(published, before);
    let start = Instant::now();
    loop {
        if version_in_use(&other, &client).await == published {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(8),
            "the other instance still serves the old version"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let form = client
        .get(format!("{other}/o/i4"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(form.contains("Vous êtes, en deux mots :"));
}

#[tokio::test]
async fn an_editor_edits_pilots_and_publishes_from_the_pages_without_javascript() {
    let app = spawn_app().await;
    let editor = app.sign_in_as("editeur").await;
    let post = |path: &str, fields: Vec<(&str, String)>| {
        let mut fields = fields;
        fields.push(("_csrf", editor.csrf.clone()));
        editor.client.post(app.url(path)).form(&fields).send()
    };
    let list = editor
        .client
        .get(app.url("/admin/questionnaires"))
        .send()
        .await
        .unwrap();
    assert!(
        list.text()
            .await
            .unwrap()
            .contains("/admin/questionnaires/i4/edition")
    );
    let page = editor
        .client
        .get(app.url("/admin/questionnaires/i4/edition"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"<textarea id="definition" name="definition""#));
    assert!(html.contains("Avez-vous trouvé ce que vous cherchiez ?"));

    // Errors at their lines, the text kept as typed (with the browser's line breaks).
    let broken = i4_with("type = \"likert\"", "type = \"echelle\"").replace('\n', "\r\n");
    let refused = post(
        "/admin/questionnaires/i4/edition",
        vec![("definition", broken)],
    )
    .await
    .unwrap();
    assert_eq!(refused.status(), 422);
    let html = refused.text().await.unwrap();
    let line = i4_source()
        .lines()
        .position(|l| l == "type = \"likert\"")
        .unwrap()
        + 1;
    assert!(html.contains(&format!(
        "Ligne {line}, colonne 8 : type « echelle » inconnu"
    )));
    assert!(html.contains(r#"aria-describedby="definition-aide definition-erreurs""#));
    assert!(html.contains(r#"aria-invalid="true""#));
    assert!(html.contains("type = &quot;echelle&quot;"));
    assert_eq!(app.count("questionnaire_drafts").await, 0);

    // Saved, reviewed, previewed, piloted, published.
    let source = i4_with("Vous êtes :", "Vous êtes <b>vraiment</b> :");
    let saved = post(
        "/admin/questionnaires/i4/edition",
        vec![("definition", source.clone())],
    )
    .await
    .unwrap();
    assert_eq!(saved.status(), 303);
    let html = editor
        .client
        .get(app.url("/admin/questionnaires/i4/edition?etat=enregistre"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Brouillon enregistré."));
    assert!(html.contains("question « profil » reformulée"));
    assert!(!html.contains("<b>vraiment</b>"), "typed text is escaped");
    let preview = editor
        .client
        .get(app.url("/admin/questionnaires/i4/edition/apercu"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(preview.contains("Vous êtes &lt;b&gt;vraiment&lt;/b&gt; :"));
    let checked = post(
        "/admin/questionnaires/i4/edition/apercu",
        vec![("trouve", "oui".to_owned())],
    )
    .await
    .unwrap();
    assert_eq!(checked.status(), 422, "satisfaction is required");

    let links = post(
        "/admin/questionnaires/i4/pilote/liens",
        vec![("nombre", "2".to_owned())],
    )
    .await
    .unwrap();
    assert_eq!(links.status(), 200);
    let html = links.text().await.unwrap();
    let link = html
        .split("<code>")
        .find_map(|piece| {
            piece
                .split("</code>")
                .next()
                .filter(|l| l.contains("/pilote/"))
        })
        .unwrap()
        .to_owned();
    let path = &link[link.find("/pilote/").unwrap()..];
    let answered = app
        .anonymous_client()
        .post(app.url(path))
        .form(&[
            ("satisfaction", "plutot_satisfait"),
            ("commentaire", "Clair"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(answered.status(), 303);
    let pilot = editor
        .client
        .get(app.url("/admin/questionnaires/i4/pilote"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(pilot.contains("1 réponse(s)"));
    assert!(pilot.contains("<li>Clair</li>"));

    let published = post("/admin/questionnaires/i4/publication", vec![])
        .await
        .unwrap();
    assert_eq!(published.status(), 303);
    let form = app.get("/o/i4").await.text().await.unwrap();
    assert!(form.contains("Vous êtes &lt;b&gt;vraiment&lt;/b&gt; :"));

    let purged = post("/admin/questionnaires/i4/pilote/effacement", vec![])
        .await
        .unwrap();
    assert_eq!(purged.status(), 303);
    assert_eq!(app.count("pilot_responses").await, 0);
}

#[tokio::test]
async fn the_website_widget_asks_the_published_question() {
    let app = spawn_app().await;
    let before = app.get("/widget.js").await;
    let etag = before.headers()["etag"].to_str().unwrap().to_owned();
    assert!(!before.text().await.unwrap().contains("Êtes-vous content·e"));
    let source = i4_with("Êtes-vous satisfait·e", "Êtes-vous content·e");
    let (status, body) = draft_and_publish(&app, &source).await;
    assert_eq!(status, 200, "{body}");
    let after = app.get("/widget.js").await;
    assert_ne!(after.headers()["etag"].to_str().unwrap(), etag);
    assert!(after.text().await.unwrap().contains("Êtes-vous content·e"));
}

const I3_1_EMAILS: &str = "/api/v1/questionnaires/i3.1/draft/emails";

fn emails_file(name: &str) -> String {
    std::fs::read_to_string(questionnaires_dir().join("emails").join(name)).unwrap()
}

async fn put_text(app: &TestApp, path: &str, text: &str) -> reqwest::Response {
    app.client
        .put(app.url(path))
        .header("content-type", "application/toml")
        .body(text.to_owned())
        .send()
        .await
        .unwrap()
}

/// The line (1-based) of `text` where `needle` first appears.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

/// The line and column (in characters, 1-based) where `needle` first appears in `text`.
fn position_in(text: &str, needle: &str) -> (u64, u64) {
    let line = line_of(text, needle);
    let before = &text.lines().nth(line - 1).unwrap();
    let column = before[..before.find(needle).unwrap()].chars().count() + 1;
    (line as u64, column as u64)
}

#[tokio::test]
async fn draft_emails_with_errors_are_refused_at_their_lines_and_saved_ones_read_back() {
    let app = spawn_app().await;
    let in_use = emails_file("i3_1.toml");
    let shown = app.get(I3_1_EMAILS).await;
    assert_eq!(shown.status(), 200);
    assert_eq!(shown.headers()["x-jalon-draft"], "published");
    assert_eq!(shown.text().await.unwrap(), in_use);

    // An unknown variable, a missing unsubscribe link: each at the line of its text.
    let broken = in_use
        .replacen("environ {duree} minutes", "environ {delai} minutes", 1)
        .replacen(
            "cette enquête : {desinscription}\n\"\"\"\n",
            "cette enquête.\n\"\"\"\n",
            2,
        );
    let refused = put_text(&app, I3_1_EMAILS, &broken).await;
    assert_eq!(refused.status(), 422);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"], "validation");
    let found: Vec<(u64, u64, String)> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().unwrap(),
                e["column"].as_u64().unwrap(),
                e["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let body_line = line_of(&broken, "body = \"\"\"") as u64;
    let reminder_line = line_of(&broken, "reminder_body = \"\"\"") as u64;
    let (line, column) = position_in(&broken, "{delai}");
    assert!(
        found.iter().any(|(l, c, m)| (*l, *c) == (line, column)
            && m.starts_with("body : variable inconnue {delai}")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|(l, c, m)| (*l, *c) == (body_line, 1)
                && m == "body doit contenir {desinscription}"),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|(l, _, m)| *l == reminder_line
                && m == "reminder_body doit contenir {desinscription}"),
        "{found:?}"
    );
    // TOML itself wrong: at its line and column.
    let syntax = put_text(&app, I3_1_EMAILS, "subject = \"Bonjour\"\nbody = = 1\n").await;
    assert_eq!(syntax.status(), 422);
    let body: Value = syntax.json().await.unwrap();
    assert_eq!(body["errors"][0]["line"], 2);
    assert_eq!(body["errors"][0]["column"], 8);
    assert_eq!(app.count("questionnaire_drafts").await, 0);

    // Saved with the version in use as the draft's definition, the change named in French.
    let edited = in_use.replacen(
        "Neuf mois après votre accompagnement par {entite} : votre avis compte",
        "Votre avis sur l’accompagnement de {entite}",
        1,
    );
    let saved = put_text(&app, I3_1_EMAILS, &edited).await;
    assert_eq!(saved.status(), 200);
    let body: Value = saved.json().await.unwrap();
    assert_eq!(body["refusals"], json!([]));
    assert_eq!(
        body["changes"],
        json!([
            "objet de l’invitation : « Neuf mois après votre accompagnement par {entite} : votre avis compte » devient « Votre avis sur l’accompagnement de {entite} »"
        ])
    );
    let shown = app.get(I3_1_EMAILS).await;
    assert_eq!(shown.headers()["x-jalon-draft"], "saved");
    assert_eq!(shown.text().await.unwrap(), edited);
    let definition = app.get("/api/v1/questionnaires/i3.1/draft").await;
    assert_eq!(definition.headers()["x-jalon-draft"], "saved");
    let shipped = std::fs::read_to_string(questionnaires_dir().join("i3_1.toml")).unwrap();
    assert_eq!(definition.text().await.unwrap(), shipped);

    // Saving the definition keeps the draft's emails; the texts in use again are no change.
    let reworded = shipped.replacen("code = \"i3.1\"", "code = \"i3.1\"\n", 1);
    let saved = put_text(&app, "/api/v1/questionnaires/i3.1/draft", &reworded).await;
    assert_eq!(saved.status(), 200);
    assert_eq!(app.get(I3_1_EMAILS).await.text().await.unwrap(), edited);
    assert_eq!(put_text(&app, I3_1_EMAILS, &in_use).await.status(), 200);
    assert_eq!(
        app.get(I3_1_EMAILS).await.headers()["x-jalon-draft"],
        "published"
    );
    // Not the role's: refused before anything is read.
    let analyst = app.client_as("analyst").await;
    let forbidden = analyst.get(app.url(I3_1_EMAILS)).send().await.unwrap();
    assert_eq!(forbidden.status(), 403);
}

/// A fresh catalog from the files, with the database's publications applied (what another
/// instance, or `jalon questionnaires export`, does); returns it and how many changed.
async fn catalog_from_database(app: &TestApp) -> (Catalog, usize) {
    let catalog = Catalog::load_dir(&questionnaires_dir()).unwrap();
    let changed = store::editing::apply_publications(&app.db, &catalog)
        .await
        .unwrap();
    (catalog, changed)
}

#[tokio::test]
async fn published_emails_are_those_of_new_invitations_on_every_instance_and_of_the_export() {
    let app = spawn_app().await;
    let edited = emails_file("i3_1.toml")
        .replacen(
            "Neuf mois après votre accompagnement par {entite} : votre avis compte",
            "Votre avis, neuf mois après : {titre}",
            1,
        )
        .replacen(
            "Votre lien personnel : {lien}",
            "Pour répondre, suivez ce lien : {lien}",
            1,
        );
    let other_instance = second_instance(&app).await;
    assert_eq!(put_text(&app, I3_1_EMAILS, &edited).await.status(), 200);
    let published = app
        .client
        .post(app.url("/api/v1/questionnaires/i3.1/publish"))
        .send()
        .await
        .unwrap();
    assert_eq!(published.status(), 200);
    let body: Value = published.json().await.unwrap();
    let changes: Vec<&str> = body["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        changes.contains(&"texte de l’invitation modifié"),
        "{changes:?}"
    );
    let publication = store::editing::latest_publication(&app.db, QuestionnaireCode::I3_1)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(publication.emails.as_deref(), Some(edited.as_str()));

    // An invitation queued from now on carries the published texts.
    let smtp = SmtpSink::start();
    let registered = app
        .post_json(
            "/api/v1/interventions",
            &json!({
                "reference": "BRE-2025-031",
                "company": { "name": "Menuiserie Exemple", "siret": "73282932000074", "size_band": "10-49" },
                "kind": "accompagnement_collectif",
                "entity": "aract-bretagne",
                "started_on": "2025-01-06",
                "ended_on": "2025-06-16",
                "participants": [{ "email": "a@example.org", "name": "Camille Martin", "role": "RH" }],
            }),
        )
        .await;
    assert!(registered.status().is_success());
    let sent = app.smtp_dispatcher(&smtp).run(app.now()).await.unwrap();
    assert_eq!(sent.sent, 1);
    let message = &smtp.messages()[0];
    assert!(
        message
            .subject
            .starts_with("Votre avis, neuf mois après : "),
        "{}",
        message.subject
    );
    assert!(
        message.text.contains(&format!(
            "Pour répondre, suivez ce lien : {}/r/",
            app.address
        )),
        "{}",
        message.text
    );

    // A running instance swaps them in within seconds, without restart…
    let start = Instant::now();
    loop {
        let preview = app
            .client
            .get(format!("{other_instance}/admin/questionnaires/i3.1/email"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if preview.contains("Votre avis, neuf mois après") {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(8),
            "the other instance still sends the old emails"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // …and one started from the files takes them from the database.
    let (other, changed) = catalog_from_database(&app).await;
    assert_eq!(changed, 1);
    let loaded = other.get(QuestionnaireCode::I3_1).unwrap();
    assert_eq!(loaded.email_source, edited);
    assert!(
        loaded
            .email
            .subject
            .starts_with("Votre avis, neuf mois après")
    );
    // A questionnaire whose emails were never edited keeps its file's.
    assert_eq!(
        other.get(QuestionnaireCode::I3_2).unwrap().email_source,
        emails_file("i3_2.toml")
    );

    // A later publish of the definition alone keeps the published emails.
    let shipped = std::fs::read_to_string(questionnaires_dir().join("i3_1.toml")).unwrap();
    let definition = shipped.replacen("code = \"i3.1\"", "code = \"i3.1\"\n", 1);
    let saved = put_text(&app, "/api/v1/questionnaires/i3.1/draft", &definition).await;
    assert_eq!(saved.status(), 200);
    let published = app
        .client
        .post(app.url("/api/v1/questionnaires/i3.1/publish"))
        .send()
        .await
        .unwrap();
    assert_eq!(published.status(), 200);
    assert_eq!(
        app.catalog
            .get(QuestionnaireCode::I3_1)
            .unwrap()
            .email_source,
        edited
    );
    let (other, _) = catalog_from_database(&app).await;
    assert_eq!(
        other.get(QuestionnaireCode::I3_1).unwrap().email_source,
        edited
    );

    // The export writes each definition and its emails in use, as files that load back.
    let out = tempfile::tempdir().unwrap();
    let exported = other.export(out.path()).unwrap();
    assert_eq!(exported.len(), other.len());
    let read = |path: &str| std::fs::read_to_string(out.path().join(path)).unwrap();
    assert_eq!(read("emails/i3_1.toml"), edited);
    assert_eq!(read("i3_1.toml"), definition);
    assert_eq!(read("emails/i3_2.toml"), emails_file("i3_2.toml"));
    assert_eq!(read("emails/i4.toml"), emails_file("default.toml"));
}

/// A staff page's HTML, which must be there.
async fn page(app: &TestApp, client: &reqwest::Client, path: &str) -> String {
    let response = client.get(app.url(path)).send().await.unwrap();
    assert_eq!(response.status(), 200, "{path}");
    response.text().await.unwrap()
}

#[tokio::test]
async fn an_editor_edits_the_emails_from_the_page_without_javascript() {
    let app = spawn_app().await;
    let editor = app.sign_in_as("editeur").await;
    let post = |fields: Vec<(&str, String)>| {
        let mut fields = fields;
        fields.push(("_csrf", editor.csrf.clone()));
        editor
            .client
            .post(app.url("/admin/questionnaires/i4/edition"))
            .form(&fields)
            .send()
    };
    let html = page(&app, &editor.client, "/admin/questionnaires/i4/edition").await;
    assert!(html.contains(r#"<textarea id="messages" name="messages""#));
    assert!(html.contains("reminder_subject = &quot;Rappel : {titre}&quot;"));

    // Errors under the emails' field, at their lines; the typed texts kept; nothing saved.
    let in_use = emails_file("default.toml");
    let broken = in_use.replacen("{duree} minutes.", "{delai} minutes.", 1);
    let refused = post(vec![
        ("definition", i4_source()),
        ("messages", broken.replace('\n', "\r\n")),
    ])
    .await
    .unwrap();
    assert_eq!(refused.status(), 422);
    let html = refused.text().await.unwrap();
    let (line, column) = position_in(&broken, "{delai}");
    assert!(
        html.contains(&format!(
            "Ligne {line}, colonne {column} des messages : body : variable inconnue {{delai}}"
        )),
        "{html}"
    );
    assert!(html.contains(r#"aria-describedby="messages-aide messages-erreurs""#));
    assert!(html.contains("{delai} minutes."));
    assert_eq!(app.count("questionnaire_drafts").await, 0);

    // Saved, shown in the changes, previewed with example values, published.
    let edited = in_use.replacen(
        "subject = \"{titre}\"",
        "subject = \"<i>Votre avis</i> : {titre}\"",
        1,
    );
    let saved = post(vec![
        ("definition", i4_source()),
        ("messages", edited.clone()),
    ])
    .await
    .unwrap();
    assert_eq!(saved.status(), 303);
    let html = page(&app, &editor.client, "/admin/questionnaires/i4/edition").await;
    assert!(html.contains(
        "objet de l’invitation : « {titre} » devient « &lt;i&gt;Votre avis&lt;/i&gt; : {titre} »"
    ));
    let title = &app
        .catalog
        .get(QuestionnaireCode::I4)
        .unwrap()
        .definition
        .title;
    let preview = page(
        &app,
        &editor.client,
        "/admin/questionnaires/i4/edition/email",
    )
    .await;
    assert!(preview.contains(&format!(
        "&lt;i&gt;Votre avis&lt;/i&gt; : {}",
        maud::html! { (title) }.into_string()
    )));
    assert!(preview.contains("Bonjour Camille Martin"));
    let reminder = page(
        &app,
        &editor.client,
        "/admin/questionnaires/i4/edition/email?type=relance",
    )
    .await;
    assert!(reminder.contains("Rappel : "));
    // A form sending the definition alone leaves the draft's emails as they are.
    let definition_only = post(vec![(
        "definition",
        i4_with("Vous êtes :", "Vous êtes, vous :"),
    )])
    .await
    .unwrap();
    assert_eq!(definition_only.status(), 303);
    let emails = app.get("/api/v1/questionnaires/i4/draft/emails").await;
    assert_eq!(emails.headers()["x-jalon-draft"], "saved");
    assert_eq!(emails.text().await.unwrap(), edited);
    let published = editor
        .client
        .post(app.url("/admin/questionnaires/i4/publication"))
        .form(&[("_csrf", editor.csrf.clone())])
        .send()
        .await
        .unwrap();
    assert_eq!(published.status(), 303);
    assert_eq!(
        app.catalog.get(QuestionnaireCode::I4).unwrap().email_source,
        edited
    );
}
