//! Administration pages: campaigns (pause, resume, close, cancel), imports, previews.

use std::sync::Arc;

use jalon::mail::FileMailer;
use jalon::store;
use serde_json::{Value, json};

use crate::datasets::at;
use crate::helpers::{StaffBrowser, TestApp, spawn_app};

async fn register_two(app: &TestApp) -> Value {
    let response = app
        .post_json(
            "/api/v1/interventions",
            &json!({
                "reference": "BRE-2025-042",
                "company": { "name": "Menuiserie Exemple", "size_band": "10-49" },
                "kind": "accompagnement_collectif",
                "entity": "aract-bretagne",
                "started_on": "2025-01-06",
                "ended_on": "2025-07-31",
                "participants": [{ "email": "camille@example.org" }, { "email": "dominique@example.org" }],
            }),
        )
        .await;
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

async fn post(browser: &StaffBrowser, app: &TestApp, path: &str) -> reqwest::Response {
    browser
        .client
        .post(app.url(path))
        .form(&[("_csrf", browser.csrf.as_str())])
        .send()
        .await
        .unwrap()
}

async fn campaign_status(app: &TestApp) -> (uuid::Uuid, String) {
    let campaigns = store::results::campaigns::all(&app.db).await.unwrap();
    assert_eq!(campaigns.len(), 1);
    (campaigns[0].id, campaigns[0].status.clone())
}

#[tokio::test]
async fn an_admin_pauses_resumes_and_closes_a_campaign_and_cancels_a_planned_invitation() {
    let app = spawn_app().await;
    register_two(&app).await;
    let admin = app.sign_in_as("admin").await;
    let (id, status) = campaign_status(&app).await;
    assert_eq!(status, "open");
    let list = admin
        .client
        .get(app.url("/admin/campagnes"))
        .send()
        .await
        .unwrap();
    assert!(
        list.text()
            .await
            .unwrap()
            .contains(&format!("/admin/campagnes/{id}"))
    );
    let page = admin
        .client
        .get(app.url(&format!("/admin/campagnes/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("camille@example.org") && page.contains("dominique@example.org"),
        "{page}"
    );

    // Paused: the send day comes and nothing goes.
    let paused = post(&admin, &app, &format!("/admin/campagnes/{id}/suspension")).await;
    assert_eq!(paused.status(), 303);
    assert_eq!(campaign_status(&app).await.1, "paused");
    let outbox = tempfile::tempdir().unwrap();
    let dispatcher = app.dispatcher(Arc::new(FileMailer::new(outbox.path()).unwrap()));
    let send_day = at("2026-04-30T08:00:00Z");
    assert_eq!(
        dispatcher.run(send_day).await.unwrap().invitations_queued,
        0
    );

    // One planned invitation cancelled, then resumed: only the other goes.
    let invitations = jalon::entities::invitation::Entity::find_all_of(&app.db).await;
    let camille = invitations
        .iter()
        .find(|i| i.email.as_deref() == Some("camille@example.org"))
        .unwrap();
    let cancelled = post(
        &admin,
        &app,
        &format!("/admin/invitations/{}/annulation", camille.id),
    )
    .await;
    assert_eq!(cancelled.status(), 303);
    let again = post(
        &admin,
        &app,
        &format!("/admin/invitations/{}/annulation", camille.id),
    )
    .await;
    assert_eq!(again.status(), 404, "already cancelled");
    assert_eq!(
        post(&admin, &app, &format!("/admin/campagnes/{id}/reprise"))
            .await
            .status(),
        303
    );
    assert_eq!(campaign_status(&app).await.1, "open");
    assert_eq!(
        dispatcher.run(send_day).await.unwrap().invitations_queued,
        1
    );

    // Closed: the link no longer takes answers.
    let dominique = invitations
        .iter()
        .find(|i| i.email.as_deref() == Some("dominique@example.org"))
        .unwrap();
    assert_eq!(
        post(&admin, &app, &format!("/admin/campagnes/{id}/cloture"))
            .await
            .status(),
        303
    );
    assert_eq!(campaign_status(&app).await.1, "closed");
    let token = app.seal_key.links().token(dominique.id);
    let link = app.get(&format!("/r/{}", token.expose())).await;
    assert_eq!(link.status(), 410);
    // Closed is final.
    post(&admin, &app, &format!("/admin/campagnes/{id}/reprise")).await;
    assert_eq!(campaign_status(&app).await.1, "closed");

    let actions: Vec<String> = store::audit::latest(&app.db, 20)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    for action in [
        "campagne_suspendue",
        "campagne_reprise",
        "campagne_close",
        "invitation_annulee",
    ] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} in {actions:?}"
        );
    }
}

trait FindAll {
    async fn find_all_of(
        db: &sea_orm::DatabaseConnection,
    ) -> Vec<jalon::entities::invitation::Model>;
}

impl FindAll for jalon::entities::invitation::Entity {
    async fn find_all_of(
        db: &sea_orm::DatabaseConnection,
    ) -> Vec<jalon::entities::invitation::Model> {
        use sea_orm::EntityTrait;
        Self::find().all(db).await.unwrap()
    }
}

const CSV: &str = "Référence;Entreprise;SIRET;Tranche effectif;Secteur;Type;Entité;Début;Fin;Email;Nom;Fonction\n\
BRE-1;Boulangerie Exemple;;1-9;;accompagnement_individuel;aract-bretagne;2025-01-06;2025-03-31;a@example.org;Ana;Gérante\n\
BRE-2;Garage Exemple;;10-49;;accompagnement_collectif;aract-atlantide;2025-01-06;2025-03-31;c@example.org;;\n";

fn csv_form(skip_invalid: bool) -> reqwest::multipart::Form {
    let form = reqwest::multipart::Form::new()
        .text("type", "interventions")
        .part(
            "fichier",
            reqwest::multipart::Part::bytes(CSV.as_bytes().to_vec())
                .file_name("interventions.csv")
                .mime_str("text/csv")
                .unwrap(),
        );
    if skip_invalid {
        form.text("lignes_valides", "oui")
    } else {
        form
    }
}

#[tokio::test]
async fn an_admin_uploads_a_csv_and_reads_the_report_line_by_line() {
    let app = spawn_app().await;
    let admin = app.sign_in_as("admin").await;
    let page = admin
        .client
        .get(app.url("/admin/imports"))
        .send()
        .await
        .unwrap();
    let html = page.text().await.unwrap();
    assert!(
        html.contains(&format!("/admin/imports?_csrf={}", admin.csrf)),
        "{html}"
    );
    let upload = |form: reqwest::multipart::Form, path: String| {
        admin.client.post(app.url(&path)).multipart(form).send()
    };
    // Without its token, refused before anything is read.
    let refused = upload(csv_form(true), "/admin/imports".into())
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    assert_eq!(app.count("interventions").await, 0);

    let path = format!("/admin/imports?_csrf={}", admin.csrf);
    let all_or_nothing = upload(csv_form(false), path.clone()).await.unwrap();
    assert_eq!(all_or_nothing.status(), 422);
    let report = all_or_nothing.text().await.unwrap();
    assert!(report.contains("rien n’a été importé"), "{report}");
    assert!(
        report.contains("ligne 3 : entity : entité inconnue « aract-atlantide »"),
        "{report}"
    );
    assert_eq!(app.count("interventions").await, 0);

    let valid_rows = upload(csv_form(true), path).await.unwrap();
    assert_eq!(valid_rows.status(), 422);
    let report = valid_rows.text().await.unwrap();
    assert!(
        report.contains("1 élément(s) accepté(s), dont 1 nouveau(x)"),
        "{report}"
    );
    assert_eq!(app.count("interventions").await, 1);
    let entry = &store::audit::latest(&app.db, 1).await.unwrap()[0];
    assert_eq!(entry.action, "import_csv");
}

/// The questions of a form page: from the first section to the end of the last.
fn questions_of(html: &str) -> &str {
    let start = html
        .find(r#"<section class="form-section""#)
        .expect("a section");
    let end = html.rfind("</section>").expect("a section") + "</section>".len();
    &html[start..end]
}

#[tokio::test]
async fn previews_show_the_questionnaire_as_respondents_see_it_and_store_nothing() {
    let app = spawn_app().await;
    let admin = app.sign_in_as("admin").await;
    let list = admin
        .client
        .get(app.url("/admin/questionnaires"))
        .send()
        .await
        .unwrap();
    assert!(
        list.text()
            .await
            .unwrap()
            .contains("/admin/questionnaires/i3.1/apercu")
    );
    let token = app.invite(jalon::domain::QuestionnaireCode::I3_1).await;
    let respondent = app.get(&format!("/r/{token}")).await.text().await.unwrap();
    let preview = admin
        .client
        .get(app.url("/admin/questionnaires/i3.1/apercu"))
        .send()
        .await
        .unwrap();
    assert_eq!(preview.status(), 200);
    let preview = preview.text().await.unwrap();
    assert_eq!(questions_of(&preview), questions_of(&respondent));
    assert!(preview.contains("Aperçu"));

    let stored = app.stored().await;
    let checked = admin
        .client
        .post(app.url("/admin/questionnaires/i3.1/apercu"))
        .form(&[("_csrf", admin.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(checked.status(), 422, "required questions missing");
    assert!(checked.text().await.unwrap().contains("error-summary"));
    let mut answers =
        crate::helpers::valid_form_answers(&app, jalon::domain::QuestionnaireCode::I3_1);
    answers.push(("_csrf".into(), admin.csrf.clone()));
    let valid = admin
        .client
        .post(app.url("/admin/questionnaires/i3.1/apercu"))
        .form(&answers)
        .send()
        .await
        .unwrap();
    assert_eq!(valid.status(), 200);
    assert!(
        valid
            .text()
            .await
            .unwrap()
            .contains("Rien n’a été enregistré")
    );
    assert_eq!(app.stored().await, stored, "a preview stores nothing");
}

#[tokio::test]
async fn an_admin_previews_the_emails_and_sends_a_test_to_themself() {
    let app = spawn_app().await;
    let admin = app.sign_in_as("admin").await;
    let page = admin
        .client
        .get(app.url("/admin/questionnaires/i3.1/email?type=relance"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Relance du questionnaire i3.1"), "{page}");
    assert!(page.contains("Camille Martin"), "{page}");
    let part = admin
        .client
        .get(app.url("/admin/questionnaires/i3.1/email.html"))
        .send()
        .await
        .unwrap();
    let policy = part.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        policy.starts_with("default-src 'none'; style-src 'unsafe-inline'"),
        "{policy}"
    );
    assert!(!policy.contains("script"), "{policy}");
    assert!(part.text().await.unwrap().contains("/desinscription/"));

    let sent = admin
        .client
        .post(app.url("/admin/questionnaires/i3.1/email/essai"))
        .form(&[("_csrf", admin.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 303);
    let rows = jalon::entities::outbox::Entity::all_rows(&app.db).await;
    assert_eq!(rows.len(), 1);
    assert!(rows[0].recipient.starts_with("admin.") && rows[0].subject.starts_with("[Essai] "));
    let outbox = tempfile::tempdir().unwrap();
    let dispatcher = app.dispatcher(Arc::new(FileMailer::new(outbox.path()).unwrap()));
    assert_eq!(dispatcher.run(app.now()).await.unwrap().sent, 1);
    // An API token has no address to send to.
    let refused = app
        .post_form("/admin/questionnaires/i3.1/email/essai", "")
        .await;
    assert_eq!(refused.status(), 400);
}

trait AllRows {
    async fn all_rows(db: &sea_orm::DatabaseConnection) -> Vec<jalon::entities::outbox::Model>;
}

impl AllRows for jalon::entities::outbox::Entity {
    async fn all_rows(db: &sea_orm::DatabaseConnection) -> Vec<jalon::entities::outbox::Model> {
        use sea_orm::EntityTrait;
        Self::find().all(db).await.unwrap()
    }
}

#[tokio::test]
async fn an_admin_registers_with_forms_and_sees_every_error_at_once() {
    let app = spawn_app().await;
    let admin = app.sign_in_as("admin").await;
    let page = admin
        .client
        .get(app.url("/admin/enregistrements"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let send = |path: &'static str, fields: Vec<(&'static str, &'static str)>| {
        let mut fields: Vec<(&str, String)> =
            fields.into_iter().map(|(k, v)| (k, v.to_owned())).collect();
        fields.push(("_csrf", admin.csrf.clone()));
        admin.client.post(app.url(path)).form(&fields).send()
    };
    let bad = send(
        "/admin/enregistrements/intervention",
        vec![
            ("reference", "BRE-7"),
            ("tranche_effectif", "10-49"),
            ("type", "formation_intra"),
            ("entite", "aract-bretagne"),
            ("debut", "2025-01-06"),
            ("fin", "2025-03-31"),
            ("participants", "pas-une-adresse ; Ana\n"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(bad.status(), 422);
    let html = bad.text().await.unwrap();
    assert!(html.contains("rien n’a été enregistré"), "{html}");
    assert!(html.contains("pas-une-adresse"), "the values stay: {html}");
    assert!(html.matches("<li>").count() >= 2, "every error: {html}");
    assert_eq!(app.count("interventions").await, 0);

    let good = send(
        "/admin/enregistrements/intervention",
        vec![
            ("reference", "BRE-7"),
            ("entreprise", "Boulangerie Exemple"),
            ("tranche_effectif", "1-9"),
            ("type", "formation_intra"),
            ("entite", "aract-bretagne"),
            ("debut", "2025-01-06"),
            ("fin", "2025-03-31"),
            (
                "participants",
                "ana@example.org ; Ana ; Gérante\nbo@example.org\n\n",
            ),
        ],
    )
    .await
    .unwrap();
    assert_eq!(good.status(), 303);
    let location = good.headers()["location"].to_str().unwrap().to_owned();
    let after = admin
        .client
        .get(app.url(&location))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        after.contains("Intervention « BRE-7 » : enregistrée ; 2 invitation(s) prévue(s)."),
        "{after}"
    );
    assert_eq!(
        (
            app.count("interventions").await,
            app.count("invitations").await
        ),
        (1, 2)
    );

    let coproduction = send(
        "/admin/enregistrements/coproduction",
        vec![
            ("reference", "OUT-1"),
            ("outil", "Guide TMS"),
            ("entite", "aract-bretagne"),
            ("finalise_le", "2025-06-30"),
            (
                "contacts",
                "Carsat ; c@example.org ; Cé\nCarsat ; d@example.org\nOPPBTP ; e@example.org",
            ),
        ],
    )
    .await
    .unwrap();
    assert_eq!(coproduction.status(), 303);
    assert_eq!(app.count("invitations").await, 5);

    let wave = send(
        "/admin/enregistrements/vague",
        vec![
            ("questionnaire", "i7"),
            ("libelle", "2026"),
            ("envoi", "2026-06-01"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(wave.status(), 303);
    let imports = admin
        .client
        .get(app.url("/admin/imports"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        imports.contains("i7 – 2026"),
        "the wave is offered for its roster"
    );
}

#[tokio::test]
async fn an_admin_manages_accounts_and_revokes_tokens() {
    let app = spawn_app().await;
    let admin = app.sign_in_as("admin").await;
    let add = |fields: Vec<(&'static str, &'static str)>| {
        let mut fields: Vec<(&str, String)> =
            fields.into_iter().map(|(k, v)| (k, v.to_owned())).collect();
        fields.push(("_csrf", admin.csrf.clone()));
        admin
            .client
            .post(app.url("/admin/comptes"))
            .form(&fields)
            .send()
    };
    let short = add(vec![
        ("email", "lou@anact.example"),
        ("role", "analyst"),
        ("mot_de_passe", "court"),
    ])
    .await
    .unwrap();
    assert_eq!(short.status(), 422);
    assert!(
        short
            .text()
            .await
            .unwrap()
            .contains("mot de passe trop court")
    );
    let no_entity = add(vec![
        ("email", "lou@anact.example"),
        ("role", "regional"),
        ("mot_de_passe", "un mot de passe long"),
    ])
    .await
    .unwrap();
    assert_eq!(no_entity.status(), 422);
    let created = add(vec![
        ("email", "lou@anact.example"),
        ("role", "regional"),
        ("entite", "aract-bretagne"),
        ("mot_de_passe", "un mot de passe long"),
    ])
    .await
    .unwrap();
    assert_eq!(created.status(), 303);
    let again = add(vec![
        ("email", "Lou@anact.example"),
        ("role", "admin"),
        ("mot_de_passe", "un mot de passe long"),
    ])
    .await
    .unwrap();
    assert_eq!(again.status(), 422, "one account per address");

    // The new account signs in; removed, its session ends.
    let lou = app.anonymous_client();
    let signed_in = app
        .sign_in(&lou, "lou@anact.example", "un mot de passe long")
        .await;
    assert_eq!(signed_in.status(), 303);
    assert_eq!(
        signed_in.headers()["location"],
        "/tableau-de-bord/entites/aract-bretagne",
        "a regional account cannot read the dashboard: its entity's page"
    );
    assert_eq!(
        lou.get(app.url("/api/v1/entities"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let user = store::staff::find_user(&app.db, "lou@anact.example")
        .await
        .unwrap()
        .unwrap();
    let removed = post(
        &admin,
        &app,
        &format!("/admin/comptes/{}/suppression", user.id),
    )
    .await;
    assert_eq!(removed.status(), 303);
    assert_eq!(
        lou.get(app.url("/api/v1/entities"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    // Nobody removes their own account.
    let me = store::staff::users(&app.db).await.unwrap();
    assert_eq!(me.len(), 1);
    assert_eq!(
        post(
            &admin,
            &app,
            &format!("/admin/comptes/{}/suppression", me[0].id)
        )
        .await
        .status(),
        400
    );

    // A revoked token opens nothing.
    let analyst = app.client_as("analyst").await;
    assert_eq!(
        analyst
            .get(app.url("/api/v1/indicators"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let tokens = store::staff::api_tokens(&app.db).await.unwrap();
    let token = tokens.iter().find(|t| t.role == "analyst").unwrap();
    let page = admin
        .client
        .get(app.url("/admin/comptes"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !page.contains("lou@anact.example") && page.contains("Révoquer le jeton test"),
        "{page}"
    );
    assert!(!page.contains(&token.token_hash), "no hash shown");
    assert_eq!(
        post(
            &admin,
            &app,
            &format!("/admin/jetons/{}/revocation", token.id)
        )
        .await
        .status(),
        303
    );
    assert_eq!(
        analyst
            .get(app.url("/api/v1/indicators"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
}

#[tokio::test]
async fn only_admins_get_the_form_hiding_a_comment_and_it_needs_the_csrf_token() {
    let app = spawn_app().await;
    let rated = app
        .post_json(
            "/api/v1/public/ratings",
            &json!({ "resource": "guide-tms", "answers": { "satisfaction": "tres_satisfait", "commentaire": "Injurieux" } }),
        )
        .await;
    assert_eq!(rated.status(), 201, "{}", rated.text().await.unwrap());
    let page = |browser: &StaffBrowser| {
        browser
            .client
            .get(app.url("/tableau-de-bord/ressources"))
            .send()
    };
    let analyst = app.sign_in_as("analyst").await;
    let html = page(&analyst).await.unwrap().text().await.unwrap();
    assert!(
        html.contains("Injurieux") && !html.contains("/masquer"),
        "{html}"
    );
    let admin = app.sign_in_as("admin").await;
    let html = page(&admin).await.unwrap().text().await.unwrap();
    let start = html
        .find("/tableau-de-bord/commentaires/")
        .expect("a hide form");
    let action = html[start..].split('"').next().unwrap().to_owned();
    assert!(html.contains(&format!(r#"name="_csrf" value="{}""#, admin.csrf)));
    let hide =
        |body: Vec<(&'static str, String)>| admin.client.post(app.url(&action)).form(&body).send();
    assert_eq!(
        hide(vec![("annee", "2026".into())]).await.unwrap().status(),
        403
    );
    let done = hide(vec![
        ("annee", "2026".into()),
        ("_csrf", admin.csrf.clone()),
    ])
    .await
    .unwrap();
    assert_eq!(done.status(), 303);
    let html = page(&admin).await.unwrap().text().await.unwrap();
    assert!(!html.contains("Injurieux"));
    let entry = &store::audit::latest(&app.db, 1).await.unwrap()[0];
    assert_eq!(entry.action, "commentaire_masque");
}
