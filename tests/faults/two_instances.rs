//! Two `jalon serve` behind one PostgreSQL, both dispatching every second and both taking the
//! same personal links at once: no email sent twice, no link answered twice.

use std::collections::HashSet;
use std::time::Duration;

use chrono::{Days, Months};
use jalon::clock::{Clock, SystemClock};
use jalon::domain::QuestionnaireCode;
use jalon::store;
use serde_json::json;

use crate::kill::{assert_each_acknowledged_once, assert_tallies_agree, scalar};
use crate::load::Load;
use crate::postgres::PgCluster;
use crate::server::{Jalon, invite, link_key, staff_client};
use crate::smtp::SmtpSink;

const PARTICIPANTS: usize = 300;

#[tokio::test]
async fn two_instances_on_one_postgres_never_send_or_store_twice() {
    let cluster = PgCluster::start();
    let url = cluster.database().await;
    let db = store::connect(&url, 2).await.unwrap();
    let links = link_key(&db, &cluster.seal_key_file()).await;
    let tokens = invite(&db, &links, QuestionnaireCode::I3_1, 400).await;
    let smtp = SmtpSink::start();
    let env = [
        ("JALON_SCHEDULER", "on".to_owned()),
        ("JALON_DISPATCH_CRON", "* * * * * *".to_owned()),
        ("JALON_SMTP_URL", smtp.url()),
        ("JALON_DATABASE_MAX_CONNECTIONS", "8".to_owned()),
        // Both instances share one key file, as they must.
        ("JALON_SEAL_KEY_FILE", cluster.seal_key_file()),
    ];
    let (a, b) = (
        Jalon::start(&url, &env).await,
        Jalon::start(&url, &env).await,
    );

    // Participants whose questionnaire is due: both schedulers race to send them.
    let ended_on = SystemClock.now().date_naive() - Months::new(9) - Days::new(3);
    let client = staff_client(&url).await;
    for n in 0..PARTICIPANTS / 100 {
        let response = client
            .post(a.url("/api/v1/interventions"))
            .json(&json!({
                "reference": format!("DOUBLE-{n}"),
                "company": { "name": "Menuiserie Exemple", "size_band": "10-49" },
                "kind": "accompagnement_individuel",
                "entity": "aract-bretagne",
                "started_on": "2024-01-08",
                "ended_on": ended_on.to_string(),
                "participants": (0..100)
                    .map(|i| json!({ "email": format!("d{n}-{i}@example.org") }))
                    .collect::<Vec<_>>(),
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    }

    // Meanwhile every link is sent to both instances at the same moment.
    let load = Load::start_patient(
        vec![a.address.clone(), b.address.clone()],
        tokens.clone(),
        16,
        Duration::ZERO,
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while smtp.received() < PARTICIPANTS {
        assert!(
            tokio::time::Instant::now() < deadline,
            "only {} emails delivered",
            smtp.received()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Every link answered once before the clients stop (the emails may all be out first).
    load.wait_for_acks(tokens.len(), Duration::from_secs(120))
        .await;
    let tally = load.finish().await;
    // A few more runs of both schedulers: nothing is left to send again.
    tokio::time::sleep(Duration::from_secs(3)).await;

    assert_eq!(
        tally.acknowledged.len(),
        tokens.len(),
        "{:?}",
        tally.statuses
    );
    assert_eq!(
        tally.statuses.get(&409).copied(),
        Some(tokens.len()),
        "each link: one 201/303, one 409: {:?}",
        tally.statuses
    );
    assert_each_acknowledged_once(&db, &links, &tally.acknowledged).await;
    assert_tallies_agree(&db).await;

    let messages = smtp.messages();
    let ids: HashSet<&str> = messages.iter().map(|m| m.message_id.as_str()).collect();
    let to: HashSet<&str> = messages.iter().map(|m| m.to.as_str()).collect();
    assert_eq!(messages.len(), PARTICIPANTS, "an email was sent twice");
    assert_eq!(ids.len(), PARTICIPANTS);
    assert_eq!(to.len(), PARTICIPANTS);
    let sent = scalar(&db, "SELECT COUNT(*) FROM outbox WHERE status = 'sent'").await;
    assert_eq!(sent, PARTICIPANTS as i64);
}
