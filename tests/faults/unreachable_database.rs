//! PostgreSQL stops (as in a crash) under a submission load, then comes back: meanwhile jalon
//! answers 503, never 500; it reconnects by itself; nothing acknowledged is lost.

use std::time::Duration;

use jalon::domain::QuestionnaireCode;
use jalon::store;
use serde_json::Value;

use crate::kill::{assert_each_acknowledged_once, assert_tallies_agree};
use crate::load::{Load, assert_acknowledged_or_unavailable};
use crate::postgres::PgCluster;
use crate::server::{Jalon, invite, link_key, valid_answers};

#[tokio::test]
async fn postgres_restarted_under_load_means_503_then_recovery_and_nothing_lost() {
    let cluster = PgCluster::start();
    let url = cluster.database().await;
    let db = store::connect(&url, 1).await.unwrap();
    let links = link_key(&db, &cluster.seal_key_file()).await;
    let mut tokens = invite(&db, &links, QuestionnaireCode::I3_1, 1_200).await;
    db.close().await.ok();
    let spare = tokens.pop().unwrap();

    let env = [
        ("JALON_DATABASE_MAX_CONNECTIONS", "8".into()),
        ("JALON_SEAL_KEY_FILE", cluster.seal_key_file()),
    ];
    let jalon = Jalon::start(&url, &env).await;
    let load = Load::start(
        vec![jalon.address.clone()],
        tokens,
        8,
        Duration::from_millis(20),
    );
    load.wait_for_acks(50, Duration::from_secs(60)).await;

    cluster.stop("immediate");
    let client = reqwest::Client::new();
    let asked = std::time::Instant::now();
    let health = client.get(jalon.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 503);
    assert!(
        asked.elapsed() < Duration::from_secs(3),
        "a probe waited {:?}",
        asked.elapsed()
    );
    let body: Value = health.json().await.unwrap();
    assert_eq!(body["database"], "unavailable");
    let submission = client
        .post(jalon.url(&format!("/api/v1/responses/{spare}")))
        .json(&valid_answers(QuestionnaireCode::I3_1))
        .send()
        .await
        .unwrap();
    assert_eq!(submission.status(), 503);
    assert!(submission.headers().contains_key("retry-after"));
    let body: Value = submission.json().await.unwrap();
    assert_eq!(body["error"], "unavailable");
    tokio::time::sleep(Duration::from_secs(1)).await;

    cluster.resume();
    jalon.wait_healthy(Duration::from_secs(30)).await;
    let recovered_at = load.acks();
    load.wait_for_acks(recovered_at + 50, Duration::from_secs(30))
        .await;
    let tally = load.finish().await;

    assert_acknowledged_or_unavailable(&tally.statuses);
    assert!(
        tally.statuses.get(&503).is_some_and(|n| *n > 0),
        "the load never met the outage: {:?}",
        tally.statuses
    );
    let db = store::connect(&url, 1).await.unwrap();
    assert_each_acknowledged_once(&db, &links, &tally.acknowledged).await;
    assert_tallies_agree(&db).await;
    let again = client
        .post(jalon.url(&format!("/api/v1/responses/{spare}")))
        .json(&valid_answers(QuestionnaireCode::I3_1))
        .send()
        .await
        .unwrap();
    assert_eq!(
        again.status(),
        201,
        "the link refused during the outage works now"
    );
}
