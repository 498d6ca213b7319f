//! PostgreSQL sessions killed under load (`pg_terminate_backend`, as an operator or a
//! failover would): the requests they carried get 503, never 500; jalon opens new sessions
//! by itself; nothing acknowledged is lost and no session is left inside a transaction.

use std::time::Duration;

use jalon::domain::QuestionnaireCode;
use jalon::store;
use sea_orm::{ConnectionTrait, Statement};

use crate::kill::{assert_each_acknowledged_once, assert_tallies_agree, scalar};
use crate::load::{Load, assert_acknowledged_or_unavailable};
use crate::postgres::PgCluster;
use crate::server::{Jalon, invite, link_key};

#[tokio::test]
async fn postgres_sessions_killed_under_load_mean_503_then_recovery_and_nothing_lost() {
    let cluster = PgCluster::start();
    let url = cluster.database().await;
    let db = store::connect(&url, 1).await.unwrap();
    let links = link_key(&db, &cluster.seal_key_file()).await;
    let tokens = invite(&db, &links, QuestionnaireCode::I3_1, 3_000).await;

    let env = [
        ("JALON_DATABASE_MAX_CONNECTIONS", "8".into()),
        ("JALON_SEAL_KEY_FILE", cluster.seal_key_file()),
    ];
    let jalon = Jalon::start(&url, &env).await;
    let load = Load::start(vec![jalon.address.clone()], tokens, 16, Duration::ZERO);
    load.wait_for_acks(100, Duration::from_secs(60)).await;

    let mut killed = 0;
    for _ in 0..20 {
        killed += scalar(
            &db,
            "SELECT COUNT(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()) t",
        )
        .await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(killed > 0, "no session was killed");
    let after = load.acks();
    load.wait_for_acks(after + 200, Duration::from_secs(60))
        .await;
    let tally = load.finish().await;

    assert_acknowledged_or_unavailable(&tally.statuses);
    assert!(
        tally.statuses.get(&503).is_some_and(|n| *n > 0),
        "no request met a killed session: {:?}",
        tally.statuses
    );
    // A transaction in progress is idle between two statements for a moment; one left
    // behind stays so.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let idle_in_transaction = scalar(
        &db,
        "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() \
         AND state LIKE 'idle in transaction%' AND state_change < now() - interval '2 seconds'",
    )
    .await;
    assert_eq!(
        idle_in_transaction, 0,
        "a session left inside a transaction"
    );
    db.execute_raw(Statement::from_string(
        db.get_database_backend(),
        "SELECT 1".to_owned(),
    ))
    .await
    .unwrap();
    assert_each_acknowledged_once(&db, &links, &tally.acknowledged).await;
    assert_tallies_agree(&db).await;
    drop(jalon);
}
