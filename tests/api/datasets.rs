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
    let (id, token) =
        store::invitations::create(&app.db, campaign.id, &email, &attributes, sent_at)
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
        body_text: Set(String::new()),
        body_html: Set(String::new()),
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

/// Indicator 3.1 in 2026, worked by hand (14 scored questions):
///
/// - company A, 3 respondents: one "tout à fait d'accord" everywhere, one "plutôt pas
///   d'accord" everywhere but "non concerné" to `outils_compris`, one "plutôt d'accord"
///   everywhere → 13 questions at 2/3, `outils_compris` at 2/2:
///   score A = (13 · 2/3 + 1) / 14 = 29/42;
/// - company B, a single respondent, "pas du tout d'accord" everywhere → score 0;
/// - company C, a single respondent, "non concerné" everywhere → no score, not counted;
/// - indicator = (29/42 + 0) / 2 = 29/84 = 0.345238…;
/// - pooled: `outils_compris` 2/3, the 13 others 2/4 → (2/3 + 13/2) / 14 = 43/84;
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
