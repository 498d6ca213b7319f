//! Staff access: every route guarded as listed, per role; sign-in, sessions, lockout, CSRF,
//! security headers.

use std::process::Command;

use chrono::Duration;
use jalon::domain::QuestionnaireCode;
use reqwest::{Client, Method, Response};
use serde_json::{Value, json};

use crate::helpers::{STAFF_PASSWORD, TestApp, csrf_in, spawn_app};

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Who {
    Anyone,
    /// Every signed-in role.
    Staff,
    /// Admin and analyst.
    Results,
    /// Admin, analyst and regional (its own entity's share).
    EntityReaders,
    /// Admin and regional (its own entity).
    Registrars,
    /// Admin and editeur.
    Editors,
    Admin,
}

/// Every route of jalon, with a path to call it by and who may call it.
#[rustfmt::skip]
const ROUTES: &[(&str, &str, &str, Who)] = {
    use Who::*;
    &[
        ("GET", "/", "/", Anyone),
        ("GET", "/healthz", "/healthz", Anyone),
        ("GET", "/api", "/api", Anyone),
        ("GET", "/api/v1/openapi.json", "/api/v1/openapi.json", Anyone),
        ("GET", "/static/jalon.css", "/static/jalon.css", Anyone),
        ("GET", "/widget.js", "/widget.js", Anyone),
        ("GET", "/connexion", "/connexion", Anyone),
        ("POST", "/connexion", "/connexion", Anyone),
        ("GET", "/connexion/oidc", "/connexion/oidc", Anyone),
        ("GET", "/connexion/oidc/retour", "/connexion/oidc/retour", Anyone),
        ("GET", "/api/v1/questionnaires/{code}", "/api/v1/questionnaires/i4", Anyone),
        ("GET", "/api/v1/questionnaires/{code}/draft", "/api/v1/questionnaires/i4/draft", Editors),
        ("PUT", "/api/v1/questionnaires/{code}/draft", "/api/v1/questionnaires/i4/draft", Editors),
        ("GET", "/api/v1/questionnaires/{code}/draft/emails", "/api/v1/questionnaires/i4/draft/emails", Editors),
        ("PUT", "/api/v1/questionnaires/{code}/draft/emails", "/api/v1/questionnaires/i4/draft/emails", Editors),
        ("POST", "/api/v1/questionnaires/{code}/draft/pilot-links", "/api/v1/questionnaires/i4/draft/pilot-links", Editors),
        ("GET", "/api/v1/questionnaires/{code}/draft/pilot-results", "/api/v1/questionnaires/i4/draft/pilot-results", Editors),
        ("DELETE", "/api/v1/questionnaires/{code}/draft/pilot-results", "/api/v1/questionnaires/i4/draft/pilot-results", Editors),
        ("POST", "/api/v1/questionnaires/{code}/publish", "/api/v1/questionnaires/i4/publish", Editors),
        ("GET", "/pilote/{token}", "/pilote/inconnu", Anyone),
        ("POST", "/pilote/{token}", "/pilote/inconnu", Anyone),
        ("GET", "/pilote/{token}/merci", "/pilote/inconnu/merci", Anyone),
        ("POST", "/api/v1/responses/{token}", "/api/v1/responses/AAAAAAAAAAAAAAAAAAAAAA", Anyone),
        ("GET", "/r/{token}", "/r/AAAAAAAAAAAAAAAAAAAAAA", Anyone),
        ("POST", "/r/{token}", "/r/AAAAAAAAAAAAAAAAAAAAAA", Anyone),
        ("GET", "/r/{token}/merci", "/r/AAAAAAAAAAAAAAAAAAAAAA/merci", Anyone),
        ("GET", "/o/{code}", "/o/i4", Anyone),
        ("POST", "/o/{code}", "/o/i4", Anyone),
        ("GET", "/o/{code}/merci", "/o/i4/merci", Anyone),
        ("GET", "/confidentialite/{code}", "/confidentialite/i4", Anyone),
        ("GET", "/desinscription/{token}", "/desinscription/AAAAAAAAAAAAAAAAAAAAAA", Anyone),
        ("POST", "/desinscription/{token}", "/desinscription/AAAAAAAAAAAAAAAAAAAAAA", Anyone),
        ("POST", "/api/v1/public/downloads", "/api/v1/public/downloads", Anyone),
        ("POST", "/api/v1/public/ratings", "/api/v1/public/ratings", Anyone),
        ("POST", "/deconnexion", "/deconnexion", Staff),
        ("GET", "/api/v1/entities", "/api/v1/entities", Staff),
        ("POST", "/api/v1/interventions", "/api/v1/interventions", Registrars),
        ("POST", "/api/v1/coproductions", "/api/v1/coproductions", Registrars),
        ("POST", "/api/v1/waves", "/api/v1/waves", Admin),
        ("POST", "/api/v1/waves/{id}/roster", "/api/v1/waves/00000000-0000-0000-0000-000000000000/roster", Admin),
        ("GET", "/api/v1/indicators", "/api/v1/indicators", Results),
        ("GET", "/api/v1/campaigns/{id}/results", "/api/v1/campaigns/00000000-0000-0000-0000-000000000000/results", Results),
        ("GET", "/api/v1/campaigns/{id}/comments", "/api/v1/campaigns/00000000-0000-0000-0000-000000000000/comments", Results),
        ("GET", "/api/v1/widget/resources", "/api/v1/widget/resources", Results),
        ("GET", "/api/v1/widget/comments", "/api/v1/widget/comments", Results),
        ("POST", "/api/v1/comments/{response_id}/hide", "/api/v1/comments/00000000-0000-0000-0000-000000000000/hide", Admin),
        ("GET", "/tableau-de-bord", "/tableau-de-bord", Results),
        ("GET", "/tableau-de-bord/ressources", "/tableau-de-bord/ressources", Results),
        ("POST", "/tableau-de-bord/commentaires/{response_id}/masquer", "/tableau-de-bord/commentaires/00000000-0000-0000-0000-000000000000/masquer", Admin),
        ("GET", "/tableau-de-bord/campagnes/{id}", "/tableau-de-bord/campagnes/00000000-0000-0000-0000-000000000000", Results),
        // Every role reads aract-bretagne's share; the regional account is aract-bretagne's.
        ("GET", "/tableau-de-bord/entites/{code}", "/tableau-de-bord/entites/aract-bretagne", EntityReaders),
        ("GET", "/tableau-de-bord/fiches/{code}", "/tableau-de-bord/fiches/i4", Results),
        ("GET", "/exports/campagnes/{id}/reponses.csv", "/exports/campagnes/00000000-0000-0000-0000-000000000000/reponses.csv", Results),
        ("GET", "/exports/campagnes/{id}/codebook", "/exports/campagnes/00000000-0000-0000-0000-000000000000/codebook", Results),
        ("GET", "/exports/campagnes/{id}/{file}", "/exports/campagnes/00000000-0000-0000-0000-000000000000/reponses.sav", Results),
        ("GET", "/exports/indicateurs.xlsx", "/exports/indicateurs.xlsx", Results),
        ("GET", "/exports/ressources.csv", "/exports/ressources.csv", Results),
        ("GET", "/admin", "/admin", Admin),
        ("GET", "/admin/journal", "/admin/journal", Admin),
        ("GET", "/admin/comptes", "/admin/comptes", Admin),
        ("POST", "/admin/comptes", "/admin/comptes", Admin),
        ("POST", "/admin/comptes/{id}/suppression", "/admin/comptes/00000000-0000-0000-0000-000000000000/suppression", Admin),
        ("POST", "/admin/jetons/{id}/revocation", "/admin/jetons/00000000-0000-0000-0000-000000000000/revocation", Admin),
        ("GET", "/admin/questionnaires", "/admin/questionnaires", Editors),
        ("GET", "/admin/questionnaires/{code}/apercu", "/admin/questionnaires/i3.1/apercu", Editors),
        ("POST", "/admin/questionnaires/{code}/apercu", "/admin/questionnaires/i3.1/apercu", Editors),
        ("GET", "/admin/questionnaires/{code}/edition", "/admin/questionnaires/i4/edition", Editors),
        ("POST", "/admin/questionnaires/{code}/edition", "/admin/questionnaires/i4/edition", Editors),
        ("GET", "/admin/questionnaires/{code}/edition/apercu", "/admin/questionnaires/i4/edition/apercu", Editors),
        ("POST", "/admin/questionnaires/{code}/edition/apercu", "/admin/questionnaires/i4/edition/apercu", Editors),
        ("GET", "/admin/questionnaires/{code}/edition/email", "/admin/questionnaires/i4/edition/email", Editors),
        ("POST", "/admin/questionnaires/{code}/publication", "/admin/questionnaires/i4/publication", Editors),
        ("GET", "/admin/questionnaires/{code}/pilote", "/admin/questionnaires/i4/pilote", Editors),
        ("POST", "/admin/questionnaires/{code}/pilote/liens", "/admin/questionnaires/i4/pilote/liens", Editors),
        ("POST", "/admin/questionnaires/{code}/pilote/effacement", "/admin/questionnaires/i4/pilote/effacement", Editors),
        ("GET", "/admin/questionnaires/{code}/email", "/admin/questionnaires/i3.1/email", Admin),
        ("GET", "/admin/questionnaires/{code}/email.html", "/admin/questionnaires/i3.1/email.html", Admin),
        ("POST", "/admin/questionnaires/{code}/email/essai", "/admin/questionnaires/i3.1/email/essai", Admin),
        ("GET", "/admin/enregistrements", "/admin/enregistrements", Admin),
        ("POST", "/admin/enregistrements/intervention", "/admin/enregistrements/intervention", Admin),
        ("POST", "/admin/enregistrements/coproduction", "/admin/enregistrements/coproduction", Admin),
        ("POST", "/admin/enregistrements/vague", "/admin/enregistrements/vague", Admin),
        ("GET", "/admin/imports", "/admin/imports", Admin),
        ("POST", "/admin/imports", "/admin/imports", Admin),
        ("GET", "/admin/campagnes", "/admin/campagnes", Admin),
        ("GET", "/admin/campagnes/{id}", "/admin/campagnes/00000000-0000-0000-0000-000000000000", Admin),
        ("POST", "/admin/campagnes/{id}/suspension", "/admin/campagnes/00000000-0000-0000-0000-000000000000/suspension", Admin),
        ("POST", "/admin/campagnes/{id}/reprise", "/admin/campagnes/00000000-0000-0000-0000-000000000000/reprise", Admin),
        ("POST", "/admin/campagnes/{id}/cloture", "/admin/campagnes/00000000-0000-0000-0000-000000000000/cloture", Admin),
        ("POST", "/admin/invitations/{id}/annulation", "/admin/invitations/00000000-0000-0000-0000-000000000000/annulation", Admin),
        ("POST", "/admin/invitations/{id}/adresse", "/admin/invitations/00000000-0000-0000-0000-000000000000/adresse", Admin),
        ("GET", "/admin/contacts", "/admin/contacts?email=x%40example.org", Admin),
        ("GET", "/admin/contacts/export", "/admin/contacts/export?email=x%40example.org", Admin),
        ("POST", "/admin/contacts/desinscription", "/admin/contacts/desinscription", Admin),
        ("POST", "/admin/contacts/effacement", "/admin/contacts/effacement", Admin),
    ]
};

fn allowed(who: Who, role: &str) -> bool {
    match who {
        Who::Anyone | Who::Staff => true,
        Who::Results => matches!(role, "admin" | "analyst"),
        Who::EntityReaders => role != "editeur",
        Who::Registrars => matches!(role, "admin" | "regional:aract-bretagne"),
        Who::Editors => matches!(role, "admin" | "editeur"),
        Who::Admin => role == "admin",
    }
}

async fn call(client: &Client, app: &TestApp, method: &str, path: &str) -> Response {
    let method: Method = method.parse().unwrap();
    let mut request = client.request(method.clone(), app.url(path));
    if method == Method::POST {
        request = request
            .header("Content-Type", "application/json")
            .body("{}");
    }
    request.send().await.unwrap()
}

/// Refused for want of credentials: a redirect to the sign-in page, or 401 for programs.
fn sent_to_sign_in(response: &Response) -> bool {
    response.status() == 401
        || (response.status() == 303
            && response.headers()["location"]
                .to_str()
                .unwrap()
                .starts_with("/connexion?retour="))
}

#[tokio::test]
async fn every_route_is_open_or_guarded_as_listed_for_each_role() {
    let app = spawn_app().await;
    // The app's own table of staff routes is all in this list: a new route needs a line here.
    for (method, pattern, _) in jalon::web::STAFF_ROUTES {
        assert!(
            ROUTES
                .iter()
                .any(|(m, p, _, who)| m == method && p == pattern && *who != Who::Anyone),
            "{method} {pattern} is missing from this test"
        );
    }
    let anonymous = app.anonymous_client();
    let roles = ["admin", "analyst", "regional:aract-bretagne", "editeur"];
    let mut clients = Vec::new();
    for role in roles {
        clients.push((role, app.client_as(role).await));
    }
    for (method, pattern, path, who) in ROUTES {
        let response = call(&anonymous, &app, method, path).await;
        let status = response.status();
        if *who == Who::Anyone {
            assert!(
                !sent_to_sign_in(&response) && status != 403,
                "{method} {pattern}: {status} for anyone"
            );
            continue;
        }
        let api = pattern.starts_with("/api/");
        if api {
            assert_eq!(status, 401, "{method} {pattern}");
            assert_eq!(response.headers()["www-authenticate"], "Bearer");
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["error"], "unauthorized", "{method} {pattern}");
        } else {
            assert_eq!(status, 303, "{method} {pattern}");
            let back = format!(
                "/connexion?retour={}",
                url::form_urlencoded::byte_serialize(path.as_bytes()).collect::<String>()
            );
            assert_eq!(
                response.headers()["location"],
                back.as_str(),
                "{method} {pattern}"
            );
        }
        for (role, client) in &clients {
            let response = call(client, &app, method, path).await;
            let status = response.status();
            if allowed(*who, role) {
                assert!(
                    !sent_to_sign_in(&response) && status != 403,
                    "{method} {pattern}: {status} for {role}"
                );
            } else {
                assert_eq!(status, 403, "{method} {pattern} for {role}");
                if api {
                    let body: Value = response.json().await.unwrap();
                    assert_eq!(body["error"], "forbidden");
                }
            }
        }
    }
    // A wrong token is no token.
    let forged = reqwest::Client::new()
        .get(app.url("/api/v1/indicators"))
        .bearer_auth("jalon_pas-un-vrai-jeton")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);
}

#[tokio::test]
async fn signing_in_opens_a_session_that_expires_and_signing_out_closes_it() {
    let app = spawn_app().await;
    let analyst = app.sign_in_as("analyst").await;
    let dashboard = analyst
        .client
        .get(app.url("/tableau-de-bord"))
        .send()
        .await
        .unwrap();
    assert_eq!(dashboard.status(), 200);
    let csv = analyst
        .client
        .get(app.url("/exports/indicateurs.xlsx"))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200, "analysts export");
    // A session is only in the database: signing out ends it even for a copied cookie.
    let signed_out = analyst
        .client
        .post(app.url("/deconnexion"))
        .form(&[("_csrf", analyst.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_out.status(), 303);
    assert_eq!(app.count("staff_sessions").await, 0);
    let after = analyst
        .client
        .get(app.url("/tableau-de-bord"))
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 303);

    // Sessions expire (8 hours by default).
    let admin = app.sign_in_as("admin").await;
    app.clock.advance(Duration::hours(7));
    let get = |c: &Client| c.get(app.url("/tableau-de-bord")).send();
    assert_eq!(get(&admin.client).await.unwrap().status(), 200);
    app.clock.advance(Duration::hours(1));
    assert_eq!(get(&admin.client).await.unwrap().status(), 303);
}

#[tokio::test]
async fn the_session_cookie_is_http_only_lax_and_its_secret_is_not_stored() {
    let app = spawn_app().await;
    let client = app.anonymous_client();
    jalon::store::staff::add_user(
        &app.db,
        &jalon::domain::Email::parse("camille@anact.example").unwrap(),
        &jalon::domain::staff::password::hash(STAFF_PASSWORD).unwrap(),
        &jalon::domain::staff::Role::Analyst,
        app.now(),
    )
    .await
    .unwrap();
    let response = app
        .sign_in(&client, "Camille@Anact.example", STAFF_PASSWORD)
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/tableau-de-bord");
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("jalon_session="))
        .expect("a session cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain HTTP here: {cookie}");
    let secret = cookie["jalon_session=".len()..].split(';').next().unwrap();
    let stored: Vec<String> = jalon::entities::staff_session::Entity::find_all(&app.db).await;
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0], secret);
    assert_eq!(stored[0], jalon::domain::staff::secret::digest(secret));
    // Only paths of this site are followed after signing in.
    let evil = app.anonymous_client();
    let form = evil
        .get(app.url("/connexion?retour=//evil.example/x"))
        .send()
        .await
        .unwrap();
    let html = form.text().await.unwrap();
    assert!(
        html.contains(r#"name="retour" value="/tableau-de-bord""#),
        "{html}"
    );
}

trait FindAll {
    async fn find_all(db: &sea_orm::DatabaseConnection) -> Vec<String>;
}

impl FindAll for jalon::entities::staff_session::Entity {
    async fn find_all(db: &sea_orm::DatabaseConnection) -> Vec<String> {
        use sea_orm::EntityTrait;
        Self::find()
            .all(db)
            .await
            .unwrap()
            .into_iter()
            .map(|s| s.token_hash)
            .collect()
    }
}

#[tokio::test]
async fn failed_sign_ins_are_slowed_then_locked_per_account() {
    let app = spawn_app().await;
    let email = "claude@anact.example";
    jalon::store::staff::add_user(
        &app.db,
        &jalon::domain::Email::parse(email).unwrap(),
        &jalon::domain::staff::password::hash(STAFF_PASSWORD).unwrap(),
        &jalon::domain::staff::Role::Admin,
        app.now(),
    )
    .await
    .unwrap();
    let client = app.anonymous_client();
    for _ in 0..3 {
        let wrong = app.sign_in(&client, email, "pas le bon mot de passe").await;
        assert_eq!(wrong.status(), 200);
        assert!(
            wrong
                .text()
                .await
                .unwrap()
                .contains("Adresse ou mot de passe incorrect.")
        );
    }
    // The fourth failure makes the next attempt wait, even with the right password.
    assert_eq!(
        app.sign_in(&client, email, "encore faux !!!")
            .await
            .status(),
        200
    );
    let waiting = app.sign_in(&client, email, STAFF_PASSWORD).await;
    assert_eq!(waiting.status(), 429);
    assert!(waiting.headers().contains_key("retry-after"));
    assert!(waiting.text().await.unwrap().contains("Trop de tentatives"));
    // The fifth failure locks the account for 15 minutes.
    app.clock.advance(Duration::seconds(6));
    assert_eq!(
        app.sign_in(&client, email, "toujours faux !!")
            .await
            .status(),
        200
    );
    app.clock.advance(Duration::minutes(14));
    assert_eq!(
        app.sign_in(&client, email, STAFF_PASSWORD).await.status(),
        429
    );
    app.clock.advance(Duration::minutes(2));
    assert_eq!(
        app.sign_in(&client, email, STAFF_PASSWORD).await.status(),
        303
    );
    // A success forgets the account's failures.
    let client = app.anonymous_client();
    assert_eq!(
        app.sign_in(&client, email, "faux une fois !!")
            .await
            .status(),
        200
    );
    assert_eq!(
        app.sign_in(&client, email, STAFF_PASSWORD).await.status(),
        303
    );
}

#[tokio::test]
async fn failed_sign_ins_are_slowed_per_address_across_accounts() {
    let app = spawn_app().await;
    let admin = app.sign_in_as("admin").await;
    drop(admin);
    let client = app.anonymous_client();
    for i in 0..11 {
        let email = format!("inconnu{i}@anact.example");
        let wrong = app.sign_in(&client, &email, "devinette devinette").await;
        assert_eq!(wrong.status(), 200, "attempt {i}");
    }
    let next = app
        .sign_in(&client, "autre@anact.example", "devinette devinette")
        .await;
    assert_eq!(next.status(), 429, "the address waits");
}

#[tokio::test]
async fn forms_sent_with_a_session_need_their_csrf_token() {
    let app = spawn_app().await;
    let admin = app.sign_in_as("admin").await;
    let post = |body: Vec<(&'static str, String)>| {
        admin
            .client
            .post(app.url("/deconnexion"))
            .form(&body)
            .send()
    };
    assert_eq!(post(vec![]).await.unwrap().status(), 403);
    let other = app.sign_in_as("admin").await;
    let refused = post(vec![("_csrf", other.csrf.clone())]).await.unwrap();
    assert_eq!(refused.status(), 403, "another session's token");
    assert!(refused.text().await.unwrap().contains("Formulaire expiré"));
    // A JSON call with the session cookie needs the token too (header).
    let hide = "/api/v1/comments/00000000-0000-0000-0000-000000000000/hide";
    let without = admin.client.post(app.url(hide)).send().await.unwrap();
    assert_eq!(without.status(), 403);
    assert_eq!(without.json::<Value>().await.unwrap()["error"], "csrf");
    let with = admin
        .client
        .post(app.url(hide))
        .header("X-CSRF-Token", &admin.csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(with.status(), 404, "past the guard");
    assert_eq!(
        app.count("staff_sessions").await,
        2,
        "nothing was signed out"
    );
    assert_eq!(
        post(vec![("_csrf", admin.csrf.clone())])
            .await
            .unwrap()
            .status(),
        303
    );
    assert_eq!(app.count("staff_sessions").await, 1);

    // The sign-in form has its own token (double submit): without the cookie, refused.
    let bare = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = bare.get(app.url("/connexion")).send().await.unwrap();
    let token = csrf_in(&page.text().await.unwrap());
    let forged = bare
        .post(app.url("/connexion"))
        .form(&[
            ("email", "x@anact.example"),
            ("password", STAFF_PASSWORD),
            ("retour", "/"),
            ("_csrf", &token),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
}

#[tokio::test]
async fn a_regional_account_registers_for_its_own_entity_only() {
    let app = spawn_app().await;
    let regional = app.client_as("regional:aract-bretagne").await;
    let body = |entity: &str| {
        json!({
            "reference": format!("REF-{entity}"),
            "company": { "name": "Menuiserie Exemple", "size_band": "10-49" },
            "kind": "accompagnement_collectif",
            "entity": entity,
            "started_on": "2025-01-06",
            "ended_on": "2025-07-31",
            "participants": [{ "email": "camille@example.org" }],
        })
    };
    let other = regional
        .post(app.url("/api/v1/interventions"))
        .json(&body("aract-occitanie"))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 403);
    assert_eq!(app.count("interventions").await, 0);
    let own = regional
        .post(app.url("/api/v1/interventions"))
        .json(&body("aract-bretagne"))
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), 201);
    // Results are not kept per entity: a regional account sees none.
    let results = regional
        .get(app.url("/api/v1/indicators"))
        .send()
        .await
        .unwrap();
    assert_eq!(results.status(), 403);
}

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let app = spawn_app().await;
    let token = app.invite(QuestionnaireCode::I3_1).await;
    let anonymous = app.anonymous_client();
    for (client, path) in [
        (&anonymous, "/healthz".to_owned()),
        (&anonymous, format!("/r/{token}")),
        (&anonymous, "/r/inconnu".to_owned()),
        (&anonymous, "/o/i4".to_owned()),
        (&anonymous, "/widget.js".to_owned()),
        (&anonymous, "/connexion".to_owned()),
        (&anonymous, "/tableau-de-bord".to_owned()),
        (&anonymous, "/api/v1/indicators".to_owned()),
        (&app.client, "/tableau-de-bord".to_owned()),
        (&app.client, "/api/v1/indicators".to_owned()),
    ] {
        let response = client.get(app.url(&path)).send().await.unwrap();
        let headers = response.headers();
        let policy = headers["content-security-policy"].to_str().unwrap();
        assert!(policy.contains("script-src 'self'"), "{path}: {policy}");
        assert!(!policy.contains("unsafe"), "{path}: {policy}");
        let framing = if path.starts_with("/o/i4") {
            "frame-ancestors 'self'"
        } else {
            "frame-ancestors 'none'"
        };
        assert!(policy.ends_with(framing), "{path}: {policy}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["referrer-policy"], "no-referrer", "{path}");
    }
}

#[tokio::test]
async fn pages_hold_no_inline_script_or_style_the_policy_would_block() {
    let app = spawn_app().await;
    let token = app.invite(QuestionnaireCode::I3_1).await;
    let answers = crate::helpers::valid_form_answers(&app, QuestionnaireCode::I3_1);
    let answered = app.invite(QuestionnaireCode::I3_1).await;
    let sent = app
        .post_form(&format!("/r/{answered}"), crate::helpers::encode(&answers))
        .await;
    assert_eq!(sent.status(), 303);
    let campaign: Value = app.get("/api/v1/indicators").await.json().await.unwrap();
    let mut paths = vec![
        "/".to_owned(),
        format!("/r/{token}"),
        "/o/i4".to_owned(),
        "/connexion".to_owned(),
        "/tableau-de-bord".to_owned(),
        "/tableau-de-bord/fiches/i3.1".to_owned(),
        "/tableau-de-bord/ressources".to_owned(),
    ];
    let campaigns = jalon::store::results::campaigns::all(&app.db)
        .await
        .unwrap();
    for c in campaigns {
        paths.push(format!("/tableau-de-bord/campagnes/{}", c.id));
    }
    assert!(paths.len() > 5, "{campaign}");
    for path in paths {
        let response = app.get(&path).await;
        assert_eq!(response.status(), 200, "{path}");
        let html = response.text().await.unwrap().to_lowercase();
        for banned in [
            "<script",
            "<style",
            " style=",
            " onclick=",
            " onload=",
            "javascript:",
        ] {
            assert!(!html.contains(banned), "{path} holds {banned}");
        }
    }
}

#[tokio::test]
async fn staff_accounts_and_api_tokens_are_made_from_the_command_line() {
    let (db, url, _dir) = crate::helpers::fresh_database().await;
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
    let added = jalon()
        .args([
            "user",
            "add",
            "--email",
            "Dominique@Anact.example",
            "--role",
            "regional",
            "--entity",
            "aract-bretagne",
        ])
        .env("JALON_NEW_PASSWORD", STAFF_PASSWORD)
        .output()
        .unwrap();
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let user = jalon::store::staff::find_user(&db, "dominique@anact.example")
        .await
        .unwrap()
        .expect("account stored");
    assert_eq!(
        (user.role.as_str(), user.entity.as_deref()),
        ("regional", Some("aract-bretagne"))
    );
    assert!(jalon::domain::staff::password::verify(
        STAFF_PASSWORD,
        &user.password_hash
    ));
    for bad in [
        vec!["--email", "x@anact.example", "--role", "regional"],
        vec![
            "--email",
            "x@anact.example",
            "--role",
            "regional",
            "--entity",
            "aract-atlantide",
        ],
        vec!["--email", "x@anact.example", "--role", "chef"],
        vec!["--email", "dominique@anact.example", "--role", "admin"],
    ] {
        let refused = jalon()
            .args(["user", "add"])
            .args(&bad)
            .env("JALON_NEW_PASSWORD", STAFF_PASSWORD)
            .output()
            .unwrap();
        assert!(!refused.status.success(), "{bad:?}");
        assert!(String::from_utf8_lossy(&refused.stderr).starts_with("erreur : "));
    }
    let short = jalon()
        .args([
            "user",
            "add",
            "--email",
            "y@anact.example",
            "--role",
            "admin",
        ])
        .env("JALON_NEW_PASSWORD", "court")
        .output()
        .unwrap();
    assert!(!short.status.success());

    let created = jalon()
        .args(["api-token", "create", "--name", "crm", "--role", "analyst"])
        .output()
        .unwrap();
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let token = String::from_utf8(created.stdout).unwrap().trim().to_owned();
    assert!(token.starts_with("jalon_"), "{token}");
    let identity = jalon::store::staff::identify_token(&db, &token)
        .await
        .unwrap()
        .expect("the printed token works");
    assert_eq!(identity.role, jalon::domain::staff::Role::Analyst);
    assert_eq!(identity.actor, "jeton:crm");
}

#[tokio::test]
async fn a_form_too_large_to_check_is_refused_as_too_large() {
    let app = spawn_app().await;
    let admin = app.sign_in_as("admin").await;
    let huge = "a@example.org ; Ana\n".repeat(4000);
    let response = admin
        .client
        .post(app.url("/admin/enregistrements/intervention"))
        .form(&[
            ("_csrf", admin.csrf.as_str()),
            ("participants", huge.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    assert_eq!(app.count("interventions").await, 0);
}

/// A regional account reads its own entity's share of each campaign, nothing of another
/// entity, and lands on it when it signs in.
#[tokio::test]
async fn a_regional_account_reads_its_own_entity_only() {
    let app = spawn_app().await;
    crate::datasets::indicator_3_1(&app).await;
    let regional = app.client_as("regional:aract-bretagne").await;
    let own = regional
        .get(app.url("/tableau-de-bord/entites/aract-bretagne"))
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), 200);
    let html = own.text().await.unwrap();
    assert!(html.contains("Résultats : Aract Bretagne"), "{html}");
    assert!(html.contains("<th scope=\"row\">2026</th>"), "{html}");
    assert!(
        !html.contains("aucun répondant"),
        "its respondents are counted: {html}"
    );
    assert!(html.contains("\u{202f}%"), "a value: {html}");
    for (path, status) in [
        ("/tableau-de-bord/entites/aract-occitanie", 403),
        ("/tableau-de-bord", 403),
        (
            "/tableau-de-bord/campagnes/00000000-0000-0000-0000-000000000000",
            403,
        ),
    ] {
        let response = regional.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), status, "{path}");
    }
    let elsewhere = app
        .client_as("regional:aract-normandie")
        .await
        .get(app.url("/tableau-de-bord/entites/aract-normandie"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(elsewhere.contains("aucun répondant"));
    assert_eq!(
        app.get("/tableau-de-bord/entites/inconnue").await.status(),
        404
    );

    // Signing in without a page to go back to lands on the entity's results.
    let email = "region@anact.example";
    let hash = jalon::domain::staff::password::hash(crate::helpers::STAFF_PASSWORD).unwrap();
    let role: jalon::domain::staff::Role = "regional:aract-bretagne".parse().unwrap();
    jalon::store::staff::add_user(
        &app.db,
        &jalon::domain::Email::parse(email).unwrap(),
        &hash,
        &role,
        jalon::clock::Clock::now(&app.clock),
    )
    .await
    .unwrap()
    .unwrap();
    let browser = app.anonymous_client();
    let signed_in = app
        .sign_in(&browser, email, crate::helpers::STAFF_PASSWORD)
        .await;
    assert_eq!(signed_in.status(), 303);
    assert_eq!(
        signed_in.headers()["location"],
        "/tableau-de-bord/entites/aract-bretagne"
    );
}
