//! Personal data (RGPD): erased after the retention by dispatch, or on request (page and
//! command line), exported on request; the indicators never move; the audit log says who.

use std::process::Command;
use std::sync::Arc;

use chrono::Duration;
use jalon::domain::{Email, QuestionnaireCode};
use jalon::mail::FileMailer;
use jalon::store;
use serde_json::{Value, json};

use crate::datasets;
use crate::helpers::{TestApp, spawn_app};

/// Everything the indicators show: the year's indicators and every campaign's results.
async fn figures(app: &TestApp) -> Vec<Value> {
    let mut all = Vec::new();
    for year in [2025, 2026] {
        let body: Value = app
            .get(&format!("/api/v1/indicators?year={year}"))
            .await
            .json()
            .await
            .unwrap();
        all.push(body);
    }
    for campaign in store::results::campaigns::all(&app.db).await.unwrap() {
        let body: Value = app
            .get(&format!("/api/v1/campaigns/{}/results", campaign.id))
            .await
            .json()
            .await
            .unwrap();
        all.push(body);
    }
    all
}

#[tokio::test]
async fn dispatch_erases_contacts_after_the_retention_and_the_indicators_do_not_move() {
    let app = spawn_app().await;
    datasets::indicator_3_1(&app).await;
    let outbox = tempfile::tempdir().unwrap();
    let mut dispatcher = app.dispatcher(Arc::new(FileMailer::new(outbox.path()).unwrap()));
    let later = app.now() + Duration::days(3 * 365);
    // A run far ahead, with a retention not over yet: nothing is erased.
    dispatcher.retention_months = 1000;
    assert_eq!(dispatcher.run(later).await.unwrap().erased, 0);
    let before = figures(&app).await;
    let invitations = app.count("invitations").await;
    assert!(invitations > 0);
    assert_eq!(app.count("invitations WHERE email IS NULL").await, 0);

    dispatcher.retention_months = 24;
    let summary = dispatcher.run(later).await.unwrap();
    assert_eq!(summary.erased, invitations as u64);
    assert!(summary.report().contains("coordonnées effacées"));
    assert_eq!(
        app.count("invitations WHERE email IS NOT NULL OR name IS NOT NULL OR role IS NOT NULL")
            .await,
        0
    );
    assert_eq!(app.count("outbox WHERE recipient <> ''").await, 0);
    assert_eq!(
        app.count("email_bodies WHERE body_text <> '' OR body_html <> ''")
            .await,
        0
    );
    assert_eq!(app.count("invitations").await, invitations, "rows stay");
    assert_eq!(figures(&app).await, before, "the indicators do not move");
    let logged = &store::audit::latest(&app.db, 1).await.unwrap()[0];
    assert_eq!(
        (logged.action.as_str(), logged.detail.clone()),
        (
            "effacement_conservation",
            format!("{invitations} invitation(s)")
        )
    );
    assert_eq!(dispatcher.run(later).await.unwrap().erased, 0, "once only");
}

#[tokio::test]
async fn a_campaign_still_running_keeps_its_contacts() {
    let app = spawn_app().await;
    datasets::indicator_3_1(&app).await;
    let outbox = tempfile::tempdir().unwrap();
    let dispatcher = app.dispatcher(Arc::new(FileMailer::new(outbox.path()).unwrap()));
    // Default retention (24 months), a year later: nothing is erased.
    let summary = dispatcher
        .run(app.now() + Duration::days(365))
        .await
        .unwrap();
    assert_eq!(summary.erased, 0);
    assert_eq!(app.count("invitations WHERE email IS NULL").await, 0);
}

/// An invitation of `email` in the i3.1 campaign "test", answered with valid answers.
async fn answered_invitation(app: &TestApp, email: &str) {
    let now = app.now();
    let campaign = store::campaigns::find_or_create(&app.db, QuestionnaireCode::I3_1, "test", now)
        .await
        .unwrap();
    let (_, token) = store::invitations::create(
        &app.db,
        app.seal_key.links(),
        campaign.id,
        &Email::parse(email).unwrap(),
        &serde_json::Map::new(),
        now,
    )
    .await
    .unwrap();
    let answers = crate::helpers::valid_form_answers(app, QuestionnaireCode::I3_1);
    let sent = app
        .post_form(
            &format!("/r/{}", token.expose()),
            crate::helpers::encode(&answers),
        )
        .await;
    assert_eq!(sent.status(), 303);
}

#[tokio::test]
async fn an_admin_exports_then_erases_a_contact_from_the_page() {
    let app = spawn_app().await;
    answered_invitation(&app, "camille.martin@example.org").await;
    answered_invitation(&app, "autre@example.org").await;
    let before = figures(&app).await;
    let admin = app.sign_in_as("admin").await;
    let page = admin
        .client
        .get(app.url("/admin/contacts?email=Camille.Martin%40example.org"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("1 invitation(s) pour Camille.Martin@example.org"),
        "{html}"
    );

    let export = admin
        .client
        .get(app.url("/admin/contacts/export?email=camille.martin%40example.org"))
        .send()
        .await
        .unwrap();
    assert_eq!(export.status(), 200);
    assert!(
        export.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    let data: Value = export.json().await.unwrap();
    let invitation = &data["invitations"][0];
    assert_eq!(invitation["email"], "camille.martin@example.org");
    assert_eq!(invitation["questionnaire"], "i3.1");
    assert!(
        !invitation["responses"][0]["answers"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert!(
        !data.to_string().contains("token"),
        "no secret in the export"
    );

    // Erasing needs the confirmation box and the CSRF token.
    let erase = |body: Vec<(&'static str, String)>| {
        admin
            .client
            .post(app.url("/admin/contacts/effacement"))
            .form(&body)
            .send()
    };
    let email = "camille.martin@example.org".to_owned();
    assert_eq!(
        erase(vec![
            ("email", email.clone()),
            ("confirmation", "oui".into())
        ])
        .await
        .unwrap()
        .status(),
        403
    );
    assert_eq!(
        erase(vec![
            ("email", email.clone()),
            ("_csrf", admin.csrf.clone())
        ])
        .await
        .unwrap()
        .status(),
        400
    );
    let done = erase(vec![
        ("email", email.clone()),
        ("confirmation", "oui".into()),
        ("_csrf", admin.csrf.clone()),
    ])
    .await
    .unwrap();
    assert_eq!(done.status(), 303);
    assert_eq!(app.count("invitations WHERE email IS NULL").await, 1);
    assert_eq!(figures(&app).await, before, "the indicators do not move");
    let data: Value = app
        .get("/admin/contacts/export?email=camille.martin%40example.org")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(data["invitations"], json!([]));

    // The audit log names the staff member and the action, not the erased address.
    let journal = admin
        .client
        .get(app.url("/admin/journal"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(journal.contains("effacement_contact"), "{journal}");
    assert!(journal.contains("export_contact"), "{journal}");
    assert!(!journal.contains("camille.martin@example.org"), "{journal}");
}

#[tokio::test]
async fn staff_actions_are_in_the_audit_log() {
    let app = spawn_app().await;
    let registered = app
        .post_json(
            "/api/v1/interventions",
            &json!({
                "reference": "BRE-2025-042",
                "company": { "name": "Menuiserie Exemple", "size_band": "10-49" },
                "kind": "accompagnement_collectif",
                "entity": "aract-bretagne",
                "started_on": "2025-01-06",
                "ended_on": "2025-07-31",
                "participants": [{ "email": "camille@example.org" }],
            }),
        )
        .await;
    assert_eq!(registered.status(), 201);
    let analyst = app.sign_in_as("analyst").await;
    let export = analyst
        .client
        .get(app.url("/exports/indicateurs.xlsx"))
        .send()
        .await
        .unwrap();
    assert_eq!(export.status(), 200);
    let entries = store::audit::latest(&app.db, 10).await.unwrap();
    let actions: Vec<(&str, &str, &str)> = entries
        .iter()
        .map(|e| (e.actor.as_str(), e.action.as_str(), e.target.as_str()))
        .collect();
    assert!(
        actions.contains(&("jeton:tests", "intervention_enregistree", "BRE-2025-042")),
        "{actions:?}"
    );
    assert!(
        actions
            .iter()
            .any(|(actor, action, _)| actor.starts_with("analyst.") && *action == "export_xlsx"),
        "{actions:?}"
    );
    assert!(
        actions.iter().any(|(_, action, _)| *action == "connexion"),
        "{actions:?}"
    );
    // Readable by admins only.
    assert_eq!(
        analyst
            .client
            .get(app.url("/admin/journal"))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    let page = app.get("/admin/journal").await.text().await.unwrap();
    assert!(page.contains("BRE-2025-042"), "{page}");
}

#[tokio::test]
async fn contacts_are_exported_and_erased_from_the_command_line() {
    let (db, url, _dir) = crate::helpers::fresh_database().await;
    let now = datasets::at("2026-03-16T09:30:00Z");
    let campaign = store::campaigns::find_or_create(&db, QuestionnaireCode::I7, "2026", now)
        .await
        .unwrap();
    let email = Email::parse("dominique@example.org").unwrap();
    // The key the command line will open, beside the database.
    let key_file = jalon::seal_key::default_path(&url);
    let links = store::anonymity::open_seal_key(&db, &key_file)
        .await
        .unwrap()
        .links()
        .clone();
    store::invitations::create(
        &db,
        &links,
        campaign.id,
        &email,
        &serde_json::Map::new(),
        now,
    )
    .await
    .unwrap();
    let jalon = || {
        let mut command = Command::new(env!("CARGO_BIN_EXE_jalon"));
        command
            .env(
                "JALON_QUESTIONNAIRES_DIR",
                crate::helpers::questionnaires_dir(),
            )
            .env("JALON_LOG", "warn")
            .env("JALON_DATABASE_URL", &url);
        command
    };
    let export = jalon()
        .args(["contact", "export", "--email", "Dominique@example.org"])
        .output()
        .unwrap();
    assert!(
        export.status.success(),
        "{}",
        String::from_utf8_lossy(&export.stderr)
    );
    let data: Value = serde_json::from_slice(&export.stdout).unwrap();
    assert_eq!(data["invitations"][0]["email"], "dominique@example.org");
    assert_eq!(data["invitations"][0]["questionnaire"], "i7");
    let erase = jalon()
        .args(["contact", "erase", "--email", "dominique@example.org"])
        .output()
        .unwrap();
    assert!(erase.status.success());
    assert!(String::from_utf8_lossy(&erase.stdout).starts_with("1 invitation(s)"));
    let again: Value = serde_json::from_slice(
        &jalon()
            .args(["contact", "export", "--email", "dominique@example.org"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(again["invitations"], json!([]));
}

/// The bytes of a SQLite database: its file, write-ahead log and shared-memory index.
fn database_files(url: &str) -> Vec<(String, Vec<u8>)> {
    let file = url
        .trim_start_matches("sqlite://")
        .split('?')
        .next()
        .unwrap();
    ["", "-wal", "-shm"]
        .iter()
        .map(|suffix| {
            let path = format!("{file}{suffix}");
            let bytes = std::fs::read(&path).unwrap_or_default();
            (path, bytes)
        })
        .collect()
}

/// Whether `needle` (lower case) occurs in `bytes`, whatever their case.
fn occurs(bytes: &[u8], needle: &str) -> bool {
    let haystack = bytes.to_ascii_lowercase();
    haystack
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}

#[tokio::test]
async fn an_erased_contact_leaves_no_copy_in_the_database_files() {
    let app = spawn_app().await;
    if !app.database_url.starts_with("sqlite:") {
        // PostgreSQL keeps dead row versions until VACUUM: see the README.
        return;
    }
    let smtp = crate::smtp::SmtpSink::start();
    let dispatcher = app.smtp_dispatcher(&smtp);
    let participants: Vec<Value> = (0..3)
        .map(|i| {
            json!({
                "email": format!("zephyrine.quillardeau.{i}@example.org"),
                "name": format!("Zephyrine Vasquembert {i}"),
                "role": "RH",
            })
        })
        .chain([json!({ "email": "autre@example.org", "name": "Camille Martin" })])
        .collect();
    // Ended 16 June 2025: due on the app's day, 16 March 2026.
    let registered = app
        .post_json(
            "/api/v1/interventions",
            &json!({
                "reference": "BRE-2025-077",
                "company": { "name": "Menuiserie Exemple", "size_band": "10-49" },
                "kind": "accompagnement_collectif",
                "entity": "aract-bretagne",
                "started_on": "2025-01-06",
                "ended_on": "2025-06-16",
                "participants": participants,
            }),
        )
        .await;
    assert_eq!(registered.status(), 201);
    assert_eq!(dispatcher.run(app.now()).await.unwrap().sent, 4);
    // Two of them answer; a reminder goes to the others.
    let answers = crate::helpers::encode(&crate::helpers::valid_form_answers(
        &app,
        QuestionnaireCode::I3_1,
    ));
    for message in smtp
        .messages()
        .iter()
        .filter(|m| m.to.contains("quillardeau.0") || m.to.contains("quillardeau.1"))
    {
        let start = message.text.find("/r/").unwrap() + 3;
        let token = &message.text[start..start + 22];
        let sent = app.post_form(&format!("/r/{token}"), answers.clone()).await;
        assert_eq!(sent.status(), 303);
    }
    app.clock.advance(Duration::days(10));
    assert_eq!(dispatcher.run(app.now()).await.unwrap().sent, 2);
    let everything: Vec<u8> = database_files(&app.database_url)
        .into_iter()
        .flat_map(|(_, bytes)| bytes)
        .collect();
    assert!(occurs(&everything, "quillardeau"), "stored before");
    assert!(occurs(&everything, "vasquembert"), "stored before");

    for i in 0..3 {
        let erase = std::process::Command::new(env!("CARGO_BIN_EXE_jalon"))
            .env(
                "JALON_QUESTIONNAIRES_DIR",
                crate::helpers::questionnaires_dir(),
            )
            .env("JALON_LOG", "warn")
            .env("JALON_DATABASE_URL", &app.database_url)
            .args([
                "contact",
                "erase",
                "--email",
                &format!("zephyrine.quillardeau.{i}@example.org"),
            ])
            .output()
            .unwrap();
        assert!(
            erase.status.success(),
            "{}",
            String::from_utf8_lossy(&erase.stderr)
        );
    }
    for (path, bytes) in database_files(&app.database_url) {
        for needle in ["quillardeau", "vasquembert"] {
            assert!(!occurs(&bytes, needle), "{needle} still in {path}");
        }
    }
    // The others keep theirs.
    assert_eq!(
        app.count("invitations WHERE email = 'autre@example.org'")
            .await,
        1
    );
}
