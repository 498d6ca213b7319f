//! `/`: a page for whoever lands there, and a redirect for signed-in staff.

use jalon::domain::Email;
use jalon::domain::staff::Role;
use jalon::store;

use crate::helpers::{STAFF_PASSWORD, TestApp, spawn_app};

/// One tag a line, so that a change to the page reads as a small diff.
fn one_tag_a_line(html: &str) -> String {
    html.replace("><", ">\n<")
}

#[tokio::test]
async fn the_front_door_reads_as_written() {
    let app = spawn_app().await;
    let response = app
        .anonymous_client()
        .get(app.url("/"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    insta::assert_snapshot!(
        "front_door",
        one_tag_a_line(&response.text().await.unwrap())
    );
}

#[tokio::test]
async fn anyone_finds_what_jalon_is_and_where_staff_sign_in() {
    let app = spawn_app().await;
    let response = app
        .anonymous_client()
        .get(app.url("/"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    // The same address redirects signed-in staff: no cache may keep either answer.
    assert_eq!(response.headers()["cache-control"], "no-store");
    let html = response.text().await.unwrap();
    assert!(html.contains(r#"<a href="/connexion">"#), "{html}");
    assert!(html.contains(r#"<html lang="fr">"#));
    assert_eq!(html.matches("<h1").count(), 1, "one h1");
    for landmark in ["<header", "<main", "<footer"] {
        assert!(html.contains(landmark), "{landmark}");
    }
    assert!(!html.to_lowercase().contains("<script"), "no script");
    // The anonymous surveys' promise, with the threshold the app runs with.
    let threshold = jalon::domain::indicators::DEFAULT_THRESHOLD;
    assert!(
        html.contains(&format!("pour un groupe de moins de {threshold} personnes")),
        "{html}"
    );
    // Each questionnaire's notice is one link away, and exists.
    for loaded in app.catalog.iter() {
        let path = format!("/confidentialite/{}", loaded.definition.code.as_str());
        assert!(html.contains(&format!(r#"href="{path}""#)), "{path}");
        assert_eq!(app.get(&path).await.status(), 200, "{path}");
    }
}

#[tokio::test]
async fn a_signed_in_admin_is_sent_to_the_dashboard() {
    let app = spawn_app().await;
    let admin = app.sign_in_as("admin").await;
    let response = admin.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/tableau-de-bord");
    assert_eq!(response.headers()["cache-control"], "no-store");
}

/// Signs a new account of `role` in without asking for a page, and returns the client and
/// where signing in sent it.
async fn signed_in(app: &TestApp, role: &str) -> (reqwest::Client, String) {
    let role: Role = role.parse().unwrap();
    let email = format!(
        "{}.{}@anact.example",
        role.name(),
        uuid::Uuid::new_v4().simple()
    );
    let hash = jalon::domain::staff::password::hash(STAFF_PASSWORD).unwrap();
    store::staff::add_user(
        &app.db,
        &Email::parse(&email).unwrap(),
        &hash,
        &role,
        app.now(),
    )
    .await
    .unwrap()
    .unwrap();
    let client = app.anonymous_client();
    let response = app.sign_in(&client, &email, STAFF_PASSWORD).await;
    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    (client, location)
}

#[tokio::test]
async fn signed_in_staff_land_where_signing_in_sends_them() {
    let app = spawn_app().await;
    for (role, landing) in [
        ("admin", "/tableau-de-bord"),
        ("analyst", "/tableau-de-bord"),
        (
            "regional:aract-bretagne",
            "/tableau-de-bord/entites/aract-bretagne",
        ),
    ] {
        let (client, after_sign_in) = signed_in(&app, role).await;
        assert_eq!(after_sign_in, landing, "{role} signing in");
        let response = client.get(app.url("/")).send().await.unwrap();
        assert_eq!(response.status(), 303, "{role}");
        assert_eq!(response.headers()["location"], landing, "{role} at /");
        // The landing page is one this role may read.
        let landed = client.get(app.url(landing)).send().await.unwrap();
        assert_eq!(landed.status(), 200, "{role} at {landing}");
    }
}

#[tokio::test]
async fn an_expired_or_forged_session_reads_the_page() {
    let app = spawn_app().await;
    let admin = app.sign_in_as("admin").await;
    app.clock.advance(chrono::Duration::hours(9));
    let response = admin.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(response.status(), 200, "expired session");
    let forged = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url("/"))
        .header("Cookie", "jalon_session=pas-une-vraie-session")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 200, "forged session");
}
