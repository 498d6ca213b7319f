//! The SMTP server disappears in the middle of a dispatch of 1,000 emails, then comes back:
//! each email is delivered exactly once, and the pending retries show on the campaign's
//! page and in its results meanwhile.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use jalon::dispatch::Dispatcher;
use jalon::domain::QuestionnaireCode;
use jalon::mail::SmtpMailer;
use jalon::store;
use serde_json::{Value, json};

use crate::kill::scalar;
use crate::server::{Jalon, catalog, staff_client};
use crate::smtp::SmtpSink;

const EMAILS: usize = 1_000;

fn intervention(n: usize) -> Value {
    json!({
        "reference": format!("PANNE-{n:03}"),
        "company": { "name": "Menuiserie Exemple", "size_band": "10-49" },
        "kind": "accompagnement_collectif",
        "entity": "aract-bretagne",
        "started_on": "2025-01-06",
        "ended_on": "2025-06-16",
        "participants": (0..100)
            .map(|i| json!({ "email": format!("p{n}-{i}@example.org") }))
            .collect::<Vec<_>>(),
    })
}

#[tokio::test]
async fn an_smtp_server_lost_mid_dispatch_delivers_each_email_once_and_shows_meanwhile() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("jalon.db").display());
    let jalon = Jalon::start(&url, &[]).await;
    let client = staff_client(&url).await;
    let mut due: Option<DateTime<Utc>> = None;
    for n in 0..EMAILS / 100 {
        let response = client
            .post(jalon.url("/api/v1/interventions"))
            .json(&intervention(n))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        let body: Value = response.json().await.unwrap();
        for invitation in body["invitations"].as_array().unwrap() {
            let at: DateTime<Utc> = invitation["scheduled_for"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap();
            due = due.max(Some(at));
        }
    }
    let now = due.unwrap() + chrono::Duration::minutes(1);

    let mut smtp = SmtpSink::start();
    let db = store::connect(&url, 4).await.unwrap();
    let dispatcher = Dispatcher {
        db: db.clone(),
        catalog: Arc::new(catalog()),
        mailer: Arc::new(SmtpMailer::from_url(&smtp.url(), None).unwrap()),
        base_url: jalon.address.clone(),
        from: "Réseau Anact-Aract <enquetes@anact.example>"
            .parse()
            .unwrap(),
        retention_months: jalon::domain::retention::DEFAULT_MONTHS,
        anonymity_threshold: jalon::domain::indicators::DEFAULT_THRESHOLD,
        seal_key: jalon::store::anonymity::open_seal_key(
            &db,
            &dir.path().join("jalon.db.seal-key"),
        )
        .await
        .unwrap(),
        bounce_address: None,
    };
    let dispatcher = Arc::new(dispatcher);
    let running = tokio::spawn({
        let dispatcher = dispatcher.clone();
        async move { dispatcher.run(now).await }
    });
    // The server goes away once some emails went through.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while smtp.received() < 100 {
        assert!(tokio::time::Instant::now() < deadline, "no email delivered");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    smtp.stop();
    let first = running.await.unwrap().unwrap();
    assert_eq!(first.invitations_queued, EMAILS as u64);
    assert_eq!(first.sent + first.retried, EMAILS as u64, "{first:?}");
    assert!(first.retried > 0, "the outage was not felt: {first:?}");
    assert_eq!(first.failed, 0);

    // Meanwhile, staff see what waits: in the results API and on the campaign's page.
    let campaign = store::results::campaigns::of_questionnaire(&db, QuestionnaireCode::I3_1)
        .await
        .unwrap()
        .pop()
        .expect("the campaign of the invitations");
    let results: Value = client
        .get(jalon.url(&format!("/api/v1/campaigns/{}/results", campaign.id)))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(results["delivery"]["retrying"], json!(first.retried));
    assert!(results["delivery"]["last_error"].is_string(), "{results}");
    let page = client
        .get(jalon.url(&format!("/tableau-de-bord/campagnes/{}", campaign.id)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Courriels en attente d’un nouvel essai"));
    assert!(page.contains(&first.retried.to_string()));

    // A run before the backoff sends nothing; once the server is back, the rest goes out.
    let early = dispatcher.run(now).await.unwrap();
    assert_eq!(early.sent + early.retried, 0);
    smtp.resume();
    let back = dispatcher
        .run(now + chrono::Duration::minutes(5))
        .await
        .unwrap();
    assert_eq!(back.sent, first.retried, "{back:?}");
    let again = dispatcher
        .run(now + chrono::Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(again.sent + again.retried + again.failed, 0);

    let messages = smtp.messages();
    let ids: HashSet<&str> = messages.iter().map(|m| m.message_id.as_str()).collect();
    let recipients: HashSet<&str> = messages.iter().map(|m| m.to.as_str()).collect();
    assert_eq!(
        messages.len(),
        EMAILS,
        "an email is missing or was sent twice"
    );
    assert_eq!(ids.len(), EMAILS);
    assert_eq!(recipients.len(), EMAILS);
    let sent = scalar(&db, "SELECT COUNT(*) FROM outbox WHERE status = 'sent'").await;
    assert_eq!(sent, EMAILS as i64);
    let results: Value = client
        .get(jalon.url(&format!("/api/v1/campaigns/{}/results", campaign.id)))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(results["delivery"]["retrying"], json!(0));
}
