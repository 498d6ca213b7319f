//! Hand-worked datasets: responses given through the real API, with invitations sent at
//! chosen instants, so that each indicator's expected value can be worked out by hand.

use chrono::{DateTime, Utc};
use jalon::domain::questionnaire::QuestionKind;
use jalon::domain::{Email, QuestionnaireCode};
use jalon::entities::outbox;
use jalon::store;
use sea_orm::{EntityTrait, Set};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::helpers::TestApp;

/// Every scored question answered `value`, every other required question its first option,
/// then `overrides` (a `null` removes an answer).
pub fn answers(
    app: &TestApp,
    code: QuestionnaireCode,
    value: &str,
    overrides: &[(&str, Value)],
) -> Value {
    let definition = &app.catalog.get(code).unwrap().definition;
    let mut map = Map::new();
    for q in definition.questions() {
        if q.condition.is_some() {
            continue;
        }
        if q.scored {
            map.insert(q.id.clone(), json!(value));
        } else if q.required {
            let first = match &q.kind {
                QuestionKind::Text { .. } => "Texte".to_owned(),
                kind => kind.options()[0].value.clone(),
            };
            map.insert(q.id.clone(), json!(first));
        }
    }
    for (key, value) in overrides {
        if value.is_null() {
            map.remove(*key);
        } else {
            map.insert((*key).to_owned(), value.clone());
        }
    }
    Value::Object(map)
}

/// An invitation of campaign `label`, sent at `sent_at`.
pub async fn invitation(
    app: &TestApp,
    code: QuestionnaireCode,
    label: &str,
    attributes: Value,
    sent_at: DateTime<Utc>,
) -> (Uuid, String) {
    let campaign = store::campaigns::find_or_create(&app.db, code, label, sent_at)
        .await
        .unwrap();
    let email = Email::parse(&format!("p.{}@example.org", Uuid::new_v4().simple())).unwrap();
    let attributes = attributes.as_object().cloned().unwrap_or_default();
    let (id, token) = store::invitations::create(
        &app.db,
        app.seal_key.links(),
        campaign.id,
        &email,
        &attributes,
        sent_at,
    )
    .await
    .unwrap();
    (id, token.expose().to_owned())
}

/// An invitation answered through the JSON API (at the app's clock).
pub async fn respond(
    app: &TestApp,
    code: QuestionnaireCode,
    label: &str,
    attributes: Value,
    sent_at: DateTime<Utc>,
    answers: Value,
) {
    let (_, token) = invitation(app, code, label, attributes, sent_at).await;
    let response = app
        .post_json(
            &format!("/api/v1/responses/{token}"),
            &json!({ "answers": answers }),
        )
        .await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
}

/// Records that the invitation email of `invitation_id` failed for good.
pub async fn failed_delivery(app: &TestApp, invitation_id: Uuid, at: DateTime<Utc>) {
    outbox::Entity::insert(outbox::ActiveModel {
        id: Set(Uuid::new_v4()),
        invitation_id: Set(Some(invitation_id)),
        kind: Set("invitation".into()),
        recipient: Set("x@example.org".into()),
        subject: Set("Invitation".into()),
        unsubscribe_url: Set(None),
        status: Set("failed".into()),
        attempts: Set(5),
        next_attempt_at: Set(at),
        lease_owner: Set(None),
        lease_until: Set(None),
        last_error: Set(Some("550 mailbox unavailable".into())),
        server_response: Set(None),
        created_at: Set(at),
        sent_at: Set(None),
        bounce_tag: Set(None),
        body_id: Set(None),
    })
    .exec_without_returning(&app.db)
    .await
    .unwrap();
}

pub fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .with_timezone(&Utc)
}

/// Indicator 3.1 in 2026, worked by hand (13 scored questions):
///
/// - company A, 3 respondents: one "tout à fait d'accord" everywhere, one "plutôt pas
///   d'accord" everywhere but "non concerné" to `outils_compris`, one "plutôt d'accord"
///   everywhere → 12 questions at 2/3, `outils_compris` at 2/2:
///   score A = (12 · 2/3 + 1) / 13 = 9/13;
/// - company B, a single respondent, "pas du tout d'accord" everywhere → score 0;
/// - company C, a single respondent, "non concerné" everywhere → no score, not counted;
/// - indicator = (9/13 + 0) / 2 = 9/26 = 0.346153…;
/// - pooled: `outils_compris` 2/3, the 12 others 2/4 → (2/3 + 12/2) / 13 = 20/39;
/// - 8 invitations sent in 2026 (5 answered, 2 pending, 1 bounced): participation 5/7;
/// - one more invitation sent on 31 December 2025 at 23:30 Paris time and answered in 2026
///   counts in 2025, not 2026.
pub async fn indicator_3_1(app: &TestApp) {
    let code = QuestionnaireCode::I3_1;
    let sent = at("2026-02-02T08:00:00Z");
    let company =
        |name: &str| json!({ "company": name, "entity": "aract-bretagne", "region": "Bretagne" });
    respond(
        app,
        code,
        "2026",
        company("A"),
        sent,
        answers(app, code, "tout_a_fait_d_accord", &[]),
    )
    .await;
    respond(
        app,
        code,
        "2026",
        company("A"),
        sent,
        answers(
            app,
            code,
            "plutot_pas_d_accord",
            &[("outils_compris", json!("non_concerne"))],
        ),
    )
    .await;
    respond(
        app,
        code,
        "2026",
        company("A"),
        sent,
        answers(app, code, "plutot_d_accord", &[]),
    )
    .await;
    respond(
        app,
        code,
        "2026",
        company("B"),
        sent,
        answers(app, code, "pas_du_tout_d_accord", &[]),
    )
    .await;
    respond(
        app,
        code,
        "2026",
        company("C"),
        sent,
        answers(app, code, "non_concerne", &[]),
    )
    .await;
    invitation(app, code, "2026", company("D"), sent).await;
    invitation(app, code, "2026", company("D"), sent).await;
    let (bounced, _) = invitation(app, code, "2026", company("E"), sent).await;
    failed_delivery(app, bounced, sent).await;
    // Sent in 2025 (Paris time), answered in 2026: a 2025 response.
    respond(
        app,
        code,
        "2025",
        company("F"),
        at("2025-12-31T22:30:00Z"),
        answers(app, code, "tout_a_fait_d_accord", &[]),
    )
    .await;
}

/// Indicator 3.2 in 2026 (12 scored questions), worked by hand:
/// - one respondent "tout à fait d'accord" everywhere;
/// - one "pas du tout d'accord" everywhere but "non concerné" to `coconstruction_utile`;
/// - one "non concerné" everywhere but "plutôt d'accord" to `recommande`;
///
/// → `coconstruction_utile` 1/1, `recommande` 2/3, the 10 others 1/2:
/// (1 + 2/3 + 10 · 1/2) / 12 = (20/3) / 12 = 5/9.
pub async fn indicator_3_2(app: &TestApp) {
    let code = QuestionnaireCode::I3_2;
    let sent = at("2026-01-05T08:00:00Z");
    let entity = || json!({ "entity": "aract-normandie" });
    respond(
        app,
        code,
        "2026",
        entity(),
        sent,
        answers(app, code, "tout_a_fait_d_accord", &[]),
    )
    .await;
    respond(
        app,
        code,
        "2026",
        entity(),
        sent,
        answers(
            app,
            code,
            "pas_du_tout_d_accord",
            &[("coconstruction_utile", json!("non_concerne"))],
        ),
    )
    .await;
    respond(
        app,
        code,
        "2026",
        entity(),
        sent,
        answers(
            app,
            code,
            "non_concerne",
            &[("recommande", json!("plutot_d_accord"))],
        ),
    )
    .await;
}

/// Indicator 4 in 2026: 3 "très satisfait", 1 "plutôt satisfait", 2 "plutôt pas", 1 "pas du
/// tout" → 4/7, every rating in the denominator.
pub async fn indicator_4(app: &TestApp) {
    let ratings = [
        "tres_satisfait",
        "tres_satisfait",
        "tres_satisfait",
        "plutot_satisfait",
        "plutot_pas_satisfait",
        "plutot_pas_satisfait",
        "pas_du_tout_satisfait",
    ];
    for rating in ratings {
        let response = app
            .post_form("/o/i4", format!("satisfaction={rating}&profil=salarie"))
            .await;
        assert_eq!(response.status(), 303);
    }
}

/// Indicator 6, wave "2026" (14 scored questions and the overall one), worked by hand:
/// - 6 members in Bretagne: "tout à fait d'accord" everywhere, overall "très positive";
/// - 2 in Corse: "pas du tout d'accord" everywhere, overall "plutôt négative";
/// - 7 in Normandie: "plutôt d'accord" everywhere but `role_clair` left blank, overall
///   "je ne sais pas";
/// - 5 more invited, who did not answer.
///
/// → 13 questions at 13/15, `role_clair` at 6/8: (13 · 13/15 + 3/4) / 14 = 721/840;
/// overall 6/8 = 0.75 ("je ne sais pas" left out); participation 15/20 = 0.75. By region
/// (threshold 5), Corse (2) is hidden, and Bretagne with it, so that Corse cannot be
/// recovered from the total.
pub async fn indicator_6(app: &TestApp) {
    let code = QuestionnaireCode::I6;
    let sent = at("2026-02-02T08:00:00Z");
    let member = |region: &str| json!({ "region": region, "college": "salaries" });
    for _ in 0..6 {
        let a = answers(
            app,
            code,
            "tout_a_fait_d_accord",
            &[("perception_globale", json!("tres_positive"))],
        );
        respond(app, code, "2026", member("Bretagne"), sent, a).await;
    }
    for _ in 0..2 {
        let a = answers(
            app,
            code,
            "pas_du_tout_d_accord",
            &[("perception_globale", json!("plutot_negative"))],
        );
        respond(app, code, "2026", member("Corse"), sent, a).await;
    }
    for _ in 0..7 {
        let a = answers(
            app,
            code,
            "plutot_d_accord",
            &[
                ("perception_globale", json!("ne_sait_pas")),
                ("role_clair", Value::Null),
            ],
        );
        respond(app, code, "2026", member("Normandie"), sent, a).await;
    }
    for _ in 0..5 {
        invitation(app, code, "2026", member("Normandie"), sent).await;
    }
    // 15 sealed responses: enough to be released together.
    assert_eq!(app.release_anonymous().await, 15);
}

/// Indicator 7, wave "2026": only 3 agents answered, fewer than the anonymity threshold.
pub async fn indicator_7_below_threshold(app: &TestApp) {
    let code = QuestionnaireCode::I7;
    let sent = at("2026-02-02T08:00:00Z");
    for _ in 0..3 {
        let a = answers(
            app,
            code,
            "plutot_d_accord",
            &[("perception_globale", json!("plutot_positive"))],
        );
        respond(app, code, "2026", json!({ "entity": "anact" }), sent, a).await;
    }
    // Fewer than the threshold, but everybody invited has answered: released.
    assert_eq!(app.release_anonymous().await, 3);
}
