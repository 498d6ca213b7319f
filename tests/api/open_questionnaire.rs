use crate::helpers::spawn_app;

#[tokio::test]
async fn an_open_questionnaire_is_answered_without_a_link() {
    let app = spawn_app().await;
    let form = app.get("/o/i4").await;
    assert_eq!(form.status(), 200);
    let html = form.text().await.unwrap();
    assert!(html.contains(r#"action="/o/i4""#));
    assert!(
        !html.contains("Enregistrer le brouillon"),
        "no draft without a personal link"
    );

    let invalid = app.post_form("/o/i4", "commentaire=Bien").await;
    assert_eq!(invalid.status(), 422);
    assert_eq!(app.stored().await, (0, 0, 0));

    for _ in 0..3 {
        let response = app
            .post_form("/o/i4", "satisfaction=tres_satisfait&trouve=oui")
            .await;
        assert_eq!(response.status(), 303);
        assert_eq!(response.headers()["location"], "/o/i4/merci");
    }
    assert_eq!(app.stored().await, (3, 6, 0));
    let thanks = app.get("/o/i4/merci").await;
    assert_eq!(thanks.status(), 200);
    // All three land in the campaign of the current year.
    assert_eq!(app.count("campaigns").await, 1);
}

#[tokio::test]
async fn questionnaires_not_marked_open_need_a_personal_link() {
    let app = spawn_app().await;
    for code in ["i3.1", "i7", "nope"] {
        assert_eq!(app.get(&format!("/o/{code}")).await.status(), 404, "{code}");
        assert_eq!(
            app.post_form(&format!("/o/{code}"), "x=y").await.status(),
            404,
            "{code}"
        );
    }
    assert_eq!(app.stored().await, (0, 0, 0));
}
