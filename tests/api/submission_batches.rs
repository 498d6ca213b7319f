//! The submission writer's batches: each submission claimed on its own inside one
//! transaction, the tallies of the batch written once, a failing batch retried one by one,
//! and many concurrent requests answered each by its own outcome.

use jalon::domain::answers::{RawAnswers, UnknownKeys, ValidAnswers, validate};
use jalon::domain::{QuestionnaireCode, Token};
use jalon::store::responses::{Origin, SubmitError};
use jalon::store::{self, StoreError};
use jalon::submissions::{Ready, Submission, store_all};
use sea_orm::{ConnectionTrait, Statement};

use crate::helpers::{TestApp, encode, spawn_app, valid_form_answers};

fn valid_answers(app: &TestApp, code: QuestionnaireCode) -> ValidAnswers {
    let loaded = app.catalog.get(code).unwrap();
    let mut raw = RawAnswers::new();
    for (k, v) in valid_form_answers(app, code) {
        raw.push(k.as_str(), v.as_str());
    }
    validate(&loaded.definition, &raw, UnknownKeys::Reject).unwrap()
}

/// A submission of the personal link `token`, as the handlers build it.
async fn of_link(app: &TestApp, token: &str) -> Submission {
    let invitation = store::invitations::find_by_token(
        &app.db,
        app.seal_key.links(),
        &Token::parse(token).unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    let loaded = app.catalog.get(invitation.questionnaire).unwrap();
    Submission {
        campaign_id: invitation.campaign_id,
        version: loaded.version.clone(),
        definition: loaded.definition.clone(),
        origin: Origin::Invitation {
            id: invitation.id,
            anonymous: loaded.definition.anonymous,
        },
        answers: valid_answers(app, invitation.questionnaire),
        attributes: Vec::new(),
        submitted_at: app.now(),
    }
}

/// The submissions with their rows written out, as the queue to the writer does.
fn ready(app: &TestApp, batch: Vec<Submission>) -> Vec<Ready> {
    let backend = app.db.get_database_backend();
    batch.into_iter().map(|s| s.ready(backend)).collect()
}

async fn query_count(app: &TestApp, sql: &str) -> i64 {
    app.db
        .query_one_raw(Statement::from_string(
            app.db.get_database_backend(),
            sql.to_owned(),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap()
}

/// Every stored tally row, as text, sorted, once every stored response is folded in.
async fn tallies(app: &TestApp) -> Vec<String> {
    store::results::backlog::settle(&app.db).await.unwrap();
    let mut rows = Vec::new();
    for sql in [
        "SELECT campaign_id, period, version_id, question_id, value, count FROM answer_tallies",
        "SELECT campaign_id, period, dimension, group_value, question_id, favorable, total \
         FROM group_tallies",
    ] {
        for row in app
            .db
            .query_all_raw(Statement::from_string(
                app.db.get_database_backend(),
                sql.to_owned(),
            ))
            .await
            .unwrap()
        {
            let campaign: uuid::Uuid = row.try_get("", "campaign_id").unwrap();
            let period: i32 = row.try_get("", "period").unwrap();
            let text = |column: &str| row.try_get::<String>("", column).unwrap();
            let number = |column: &str| row.try_get::<i64>("", column).unwrap();
            rows.push(if sql.contains("answer_tallies") {
                format!(
                    "a {campaign} {period} {} {} {} {}",
                    text("version_id"),
                    text("question_id"),
                    text("value"),
                    number("count")
                )
            } else {
                format!(
                    "g {campaign} {period} {} {} {} {} {}",
                    text("dimension"),
                    text("group_value"),
                    text("question_id"),
                    number("favorable"),
                    number("total")
                )
            });
        }
    }
    rows.retain(|row| !row.ends_with(" 0") && !row.ends_with(" 0 0"));
    rows.sort();
    rows
}

/// Fails unless the tallies kept equal a rebuild from the stored answers.
async fn assert_tallies_agree(app: &TestApp) {
    let kept = tallies(app).await;
    store::results::tallies::rebuild(&app.db).await.unwrap();
    assert_eq!(kept, tallies(app).await, "tallies kept vs rebuilt");
}

#[tokio::test]
async fn a_batch_stores_valid_refuses_answered_and_seals_anonymous_submissions_each_alone() {
    let app = spawn_app().await;
    let valid = [
        app.invite(QuestionnaireCode::I3_1).await,
        app.invite(QuestionnaireCode::I3_1).await,
        app.invite(QuestionnaireCode::I3_2).await,
    ];
    let answered = app.invite(QuestionnaireCode::I3_1).await;
    let body = encode(&valid_form_answers(&app, QuestionnaireCode::I3_1));
    let first = app.post_form(&format!("/r/{answered}"), body).await;
    assert_eq!(first.status(), 303);
    let anonymous = [
        app.invite(QuestionnaireCode::I7).await,
        app.invite(QuestionnaireCode::I7).await,
    ];
    // A draft saved on a valid link goes with its response.
    let draft = app
        .post_form(
            &format!("/r/{}", valid[0]),
            "_action=draft&commentaire=brouillon",
        )
        .await;
    assert_eq!(draft.status(), 303);
    assert_eq!(app.count("drafts").await, 1);

    let batch = vec![
        of_link(&app, &valid[0]).await,
        of_link(&app, &answered).await,
        of_link(&app, &anonymous[0]).await,
        of_link(&app, &valid[1]).await,
        // The same link twice in one batch: the first submission wins.
        of_link(&app, &valid[1]).await,
        of_link(&app, &valid[2]).await,
        of_link(&app, &anonymous[1]).await,
        of_link(&app, &anonymous[1]).await,
    ];
    let results = store_all(&app.db, &app.seal_key, ready(&app, batch)).await;
    let outcome: Vec<&str> = results
        .iter()
        .map(|r| match r {
            Ok(_) => "stored",
            Err(SubmitError::AlreadyCompleted) => "answered",
            Err(SubmitError::Store(_)) => "failed",
        })
        .collect();
    assert_eq!(
        outcome,
        [
            "stored", "answered", "stored", "stored", "answered", "stored", "stored", "answered"
        ]
    );

    // 1 + 3 responses with their links, 2 sealed without any.
    assert_eq!(app.count("responses").await, 4);
    assert_eq!(
        query_count(
            &app,
            "SELECT COUNT(DISTINCT invitation_id) AS n FROM responses"
        )
        .await,
        4
    );
    assert_eq!(app.count("anonymous_pending").await, 2);
    assert_eq!(app.count("drafts").await, 0);
    assert_eq!(
        query_count(
            &app,
            "SELECT COUNT(*) AS n FROM invitations WHERE status = 'completed'"
        )
        .await,
        6
    );
    // Anonymous claims keep no day; the others do.
    assert_eq!(
        query_count(
            &app,
            "SELECT COUNT(*) AS n FROM invitations WHERE status = 'completed' \
             AND completed_on IS NULL"
        )
        .await,
        2
    );
    // Sealed answers reach neither the responses nor the tallies before their release.
    let i7 = store::campaigns::find(&app.db, QuestionnaireCode::I7, "test")
        .await
        .unwrap()
        .unwrap();
    let i7 = i7.id.to_string();
    assert!(tallies(&app).await.iter().all(|row| !row.contains(&i7)));
    assert_tallies_agree(&app).await;

    // Over HTTP, each link now answers "already answered".
    for token in valid.iter().chain(&anonymous) {
        let again = app
            .post_form(
                &format!("/r/{token}"),
                encode(&valid_form_answers(&app, QuestionnaireCode::I3_1)),
            )
            .await;
        assert_eq!(again.status(), 409);
    }
}

#[tokio::test]
async fn a_failing_batch_is_retried_one_by_one_and_only_the_bad_submission_fails() {
    let app = spawn_app().await;
    let good = [
        app.invite(QuestionnaireCode::I3_1).await,
        app.invite(QuestionnaireCode::I7).await,
        app.invite(QuestionnaireCode::I3_1).await,
    ];
    let mut bad = of_link(&app, &app.invite(QuestionnaireCode::I3_1).await).await;
    // A version the database does not know: its response row breaks a foreign key.
    bad.version = "0".repeat(64);
    let batch = vec![
        of_link(&app, &good[0]).await,
        bad,
        of_link(&app, &good[1]).await,
        of_link(&app, &good[2]).await,
    ];
    let batch = ready(&app, batch);
    // As one transaction the batch fails, and leaves nothing behind…
    let whole = store::submissions::submit_batch(&app.db, &app.seal_key, &batch).await;
    assert!(matches!(whole, Err(StoreError::Database(_))), "{whole:?}");
    assert_eq!(app.stored().await, (0, 0, 0));

    // …so the writer stores each submission alone: only the bad one fails.
    let results = store_all(&app.db, &app.seal_key, batch).await;
    assert!(results[0].is_ok(), "{:?}", results[0]);
    assert!(
        matches!(results[1], Err(SubmitError::Store(StoreError::Database(_)))),
        "{:?}",
        results[1]
    );
    assert!(results[2].is_ok() && results[3].is_ok(), "{results:?}");
    assert_eq!(app.count("responses").await, 2);
    assert_eq!(app.count("anonymous_pending").await, 1);
    // The bad submission's link was not used up: its claim went with its transaction.
    assert_eq!(
        query_count(
            &app,
            "SELECT COUNT(*) AS n FROM invitations WHERE status = 'pending'"
        )
        .await,
        1
    );
    assert_tallies_agree(&app).await;
}

#[tokio::test]
async fn many_concurrent_submissions_each_get_their_own_answer_and_one_response_per_link() {
    let app = spawn_app().await;
    let form = encode(&valid_form_answers(&app, QuestionnaireCode::I3_1));
    let json = serde_json::json!({ "answers": valid_form_answers(&app, QuestionnaireCode::I3_1)
        .into_iter()
        .map(|(k, v)| (k, serde_json::Value::String(v)))
        .collect::<serde_json::Map<_, _>>() });
    let mut tokens = Vec::new();
    for _ in 0..24 {
        tokens.push(app.invite(QuestionnaireCode::I3_1).await);
    }
    // Every link posted twice at once, through the form and the JSON API: 48 requests in
    // flight together, batched by the writer.
    let mut requests = tokio::task::JoinSet::new();
    for (n, token) in tokens.iter().enumerate() {
        for api in [n % 2 == 0, n % 3 == 0] {
            let (client, url, form, json) = (
                app.client.clone(),
                if api {
                    app.url(&format!("/api/v1/responses/{token}"))
                } else {
                    app.url(&format!("/r/{token}"))
                },
                form.clone(),
                json.clone(),
            );
            let token = token.clone();
            requests.spawn(async move {
                let request = if api {
                    client.post(url).json(&json)
                } else {
                    client
                        .post(url)
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .body(form)
                };
                (token, request.send().await.unwrap().status().as_u16())
            });
        }
    }
    let mut statuses: std::collections::HashMap<String, Vec<u16>> = Default::default();
    while let Some(done) = requests.join_next().await {
        let (token, status) = done.unwrap();
        statuses.entry(token).or_default().push(status);
    }
    for (token, mut got) in statuses {
        got.sort();
        assert!(
            got == [201, 409] || got == [303, 409],
            "{token}: {got:?} (one acknowledgement and one 409 per link)"
        );
    }
    assert_eq!(app.count("responses").await, 24);
    assert_eq!(
        query_count(
            &app,
            "SELECT COUNT(DISTINCT invitation_id) AS n FROM responses"
        )
        .await,
        24
    );
    assert_tallies_agree(&app).await;
}
