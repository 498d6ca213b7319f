//! Every bad input gets a clear answer and stores nothing.

use jalon::domain::QuestionnaireCode;

use crate::helpers::{encode, spawn_app, valid_form_answers};

#[tokio::test]
async fn unknown_and_malformed_links_get_a_french_404() {
    let app = spawn_app().await;
    for path in [
        "/r/AAAAAAAAAAAAAAAAAAAAAA",
        "/r/court",
        "/r/%00%FF",
        "/r/AAAAAAAAAAAAAAAAAAAAAA/merci",
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 404, "{path}");
        assert!(
            response.text().await.unwrap().contains("Lien introuvable"),
            "{path}"
        );
    }
    let response = app
        .post_form("/r/AAAAAAAAAAAAAAAAAAAAAA", "satisfaction=x")
        .await;
    assert_eq!(response.status(), 404);
    let api = app
        .post_json(
            "/api/v1/responses/AAAAAAAAAAAAAAAAAAAAAA",
            &serde_json::json!({"answers": {}}),
        )
        .await;
    assert_eq!(api.status(), 404);
    let body: serde_json::Value = api.json().await.unwrap();
    assert_eq!(body["error"], "unknown_token");
}

#[tokio::test]
async fn oversized_bodies_are_413_and_store_nothing() {
    let app = spawn_app().await;
    let token = app.invite(QuestionnaireCode::I3_1).await;
    let mut pairs = valid_form_answers(&app, QuestionnaireCode::I3_1);
    pairs.push(("commentaire".into(), "x".repeat(70 * 1024)));
    let page = app.post_form(&format!("/r/{token}"), encode(&pairs)).await;
    assert_eq!(page.status(), 413);
    assert!(page.text().await.unwrap().contains("Envoi trop volumineux"));

    let json = app
        .post_json(
            &format!("/api/v1/responses/{token}"),
            &serde_json::json!({ "answers": { "commentaire": "x".repeat(70 * 1024) } }),
        )
        .await;
    assert_eq!(json.status(), 413);
    let body: serde_json::Value = json.json().await.unwrap();
    assert_eq!(body["error"], "payload_too_large");
    assert_eq!(app.stored().await, (0, 0, 0));
}

#[tokio::test]
async fn invalid_utf8_is_refused_and_stores_nothing() {
    let app = spawn_app().await;
    let token = app.invite(QuestionnaireCode::I4).await;
    let response = app
        .post_form(
            &format!("/r/{token}"),
            b"satisfaction=plutot_satisfait&commentaire=%FF%FE".to_vec(),
        )
        .await;
    assert_eq!(response.status(), 400);
    assert!(response.text().await.unwrap().contains("UTF-8"));
    let raw = app
        .client
        .post(app.url(&format!("/api/v1/responses/{token}")))
        .header("Content-Type", "application/json")
        .body(b"{\"answers\":{\"commentaire\":\"\xff\"}}".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 400);
    assert_eq!(app.stored().await, (0, 0, 0));
}

#[tokio::test]
async fn too_long_texts_and_unknown_options_are_422() {
    let app = spawn_app().await;
    let token = app.invite(QuestionnaireCode::I3_1).await;
    let mut pairs = valid_form_answers(&app, QuestionnaireCode::I3_1);
    pairs.push(("commentaire".into(), "é".repeat(2001)));
    pairs.retain(|(k, _)| k != "outils_compris");
    pairs.push(("outils_compris".into(), "invente".into()));
    let response = app.post_form(&format!("/r/{token}"), encode(&pairs)).await;
    assert_eq!(response.status(), 422);
    let html = response.text().await.unwrap();
    assert!(html.contains("2001 caractères ; 2000 au maximum"));
    assert!(html.contains("ne fait pas partie des choix proposés"));
    assert!(html.contains("2 réponses sont à corriger"));
    assert_eq!(app.stored().await, (0, 0, 0));
}

#[tokio::test]
async fn malformed_json_gets_a_json_error_never_a_500() {
    let app = spawn_app().await;
    let token = app.invite(QuestionnaireCode::I4).await;
    let path = format!("/api/v1/responses/{token}");
    let cases: Vec<(&str, &[u8])> = vec![
        ("application/json", b"{"),
        ("application/json", b"[]"),
        ("application/json", b"{\"answers\": 3}"),
        ("application/json", b"{\"answers\": {}, \"extra\": 1}"),
        ("text/plain", b"{\"answers\": {}}"),
    ];
    for (content_type, body) in cases {
        let response = app
            .client
            .post(app.url(&path))
            .header("Content-Type", content_type)
            .body(body.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{}", String::from_utf8_lossy(body));
        let json: serde_json::Value = response.json().await.unwrap();
        assert_eq!(json["error"], "bad_request");
        assert!(!json["message"].as_str().unwrap().is_empty());
    }
    let typed = app
        .post_json(
            &path,
            &serde_json::json!({ "answers": { "satisfaction": {"a": 1}, "trouve": true } }),
        )
        .await;
    assert_eq!(typed.status(), 422);
    let json: serde_json::Value = typed.json().await.unwrap();
    assert_eq!(json["errors"].as_array().unwrap().len(), 2);
    assert!(
        json["errors"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["code"] == "invalid_type")
    );
    assert_eq!(app.stored().await, (0, 0, 0));
}

#[tokio::test]
async fn a_single_choice_sent_twice_is_an_error() {
    let app = spawn_app().await;
    let token = app.invite(QuestionnaireCode::I4).await;
    let response = app
        .post_form(
            &format!("/r/{token}"),
            "satisfaction=tres_satisfait&satisfaction=plutot_satisfait",
        )
        .await;
    assert_eq!(response.status(), 422);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Une seule réponse est attendue")
    );
    assert_eq!(app.stored().await, (0, 0, 0));
}
