use jalon::domain::QuestionnaireCode;

use crate::helpers::spawn_app;

#[tokio::test]
async fn the_five_shipped_questionnaires_are_served_as_json() {
    let app = spawn_app().await;
    for code in QuestionnaireCode::ALL {
        let response = app.get(&format!("/api/v1/questionnaires/{code}")).await;
        assert_eq!(response.status(), 200, "{code}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["code"], code.as_str());
        assert_eq!(body["version"], app.catalog.get(code).unwrap().version);
        let questions = body["questions"].as_array().unwrap();
        assert!(!questions.is_empty());
        for q in questions {
            for key in [
                "id",
                "type",
                "required",
                "scored",
                "options",
                "favorable",
                "not_applicable",
            ] {
                assert!(q.get(key).is_some(), "{code}: question without {key}: {q}");
            }
            if q["scored"] == true {
                assert!(!q["favorable"].as_array().unwrap().is_empty());
                assert!(matches!(q["type"].as_str(), Some("likert" | "rating")));
            }
        }
    }
}

#[tokio::test]
async fn the_shipped_questionnaires_match_the_fiches() {
    let app = spawn_app().await;
    let get = |code| app.catalog.get(code).unwrap().definition.clone();

    let i31 = get(QuestionnaireCode::I3_1);
    let scored = i31.scored_questions().count();
    assert!(
        (10..=15).contains(&scored),
        "i3.1 has {scored} scored items"
    );
    assert!(!i31.anonymous);
    assert!(
        i31.scored_questions()
            .all(|q| q.kind.not_applicable().len() == 1)
    );

    let i4 = get(QuestionnaireCode::I4);
    assert!(i4.open);
    let satisfaction: Vec<_> = i4.scored_questions().collect();
    assert_eq!(satisfaction.len(), 1);
    assert_eq!(satisfaction[0].kind.options().len(), 4);
    assert_eq!(
        satisfaction[0].kind.favorable(),
        ["tres_satisfait", "plutot_satisfait"]
    );

    for code in [QuestionnaireCode::I6, QuestionnaireCode::I7] {
        let q = get(code);
        assert!(q.anonymous, "{code} must be anonymous");
        assert!(
            q.overall_question().is_some(),
            "{code} needs an overall question"
        );
        assert!(
            q.attributes.iter().all(|a| a.question.is_none()),
            "{code} attributes come from the roster"
        );
    }
    let keys = |code| {
        get(code)
            .attributes
            .iter()
            .map(|a| a.key.clone())
            .collect::<Vec<_>>()
    };
    // Broadest first: the order in which anonymous responses keep them.
    assert_eq!(keys(QuestionnaireCode::I6), ["college", "region"]);
    assert_eq!(keys(QuestionnaireCode::I7), ["entity"]);

    for code in QuestionnaireCode::ALL {
        let q = get(code);
        if code != QuestionnaireCode::I4 {
            assert!(
                q.estimated_minutes <= 5,
                "{code} must take under five minutes"
            );
        }
    }
}

#[tokio::test]
async fn unknown_questionnaire_codes_are_404_json() {
    let app = spawn_app().await;
    let response = app.get("/api/v1/questionnaires/i5").await;
    assert_eq!(response.status(), 404);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "not_found");
}

#[tokio::test]
async fn each_distinct_content_is_stored_once() {
    let app = spawn_app().await;
    assert_eq!(app.count("questionnaire_versions").await, 5);
    jalon::store::versions::record_all(&app.db, &app.catalog, jalon::clock::Clock::now(&app.clock))
        .await
        .unwrap();
    assert_eq!(app.count("questionnaire_versions").await, 5);
}
