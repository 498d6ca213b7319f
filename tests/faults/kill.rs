//! `kill -9` in the middle of a submission load on a SQLite file: every acknowledged response
//! is there exactly once, the file is intact, and the tallies agree with the answers.

use std::time::Duration;

use jalon::domain::{QuestionnaireCode, Token};
use jalon::link_key::LinkKey;
use jalon::store;
use jalon::store::results::counts::{Scope, value_counts};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

use crate::load::Load;
use crate::server::{Jalon, default_key_file, invite, link_key};

pub async fn scalar(db: &DatabaseConnection, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            sql.to_owned(),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

/// Each acknowledged token has exactly one response, no invitation has two, every completed
/// invitation has its response and the other way round.
pub async fn assert_each_acknowledged_once(
    db: &DatabaseConnection,
    links: &LinkKey,
    acknowledged: &std::collections::HashMap<String, usize>,
) {
    for (token, times) in acknowledged {
        assert_eq!(*times, 1, "link acknowledged {times} times");
        // Only the token's keyed hash is stored.
        let hash = links.digest(&Token::parse(token).expect("a well-formed token"));
        let sql = format!(
            "SELECT COUNT(*) FROM responses r JOIN invitations i ON i.id = r.invitation_id \
             WHERE i.token_hash = '{hash}'"
        );
        assert_eq!(
            scalar(db, &sql).await,
            1,
            "an acknowledged response is missing"
        );
    }
    let twice = scalar(
        db,
        "SELECT COUNT(*) FROM (SELECT invitation_id FROM responses \
         WHERE invitation_id IS NOT NULL GROUP BY invitation_id HAVING COUNT(*) > 1) t",
    )
    .await;
    assert_eq!(twice, 0, "an invitation has two responses");
    let completed = scalar(
        db,
        "SELECT COUNT(*) FROM invitations WHERE status = 'completed'",
    )
    .await;
    let responses = scalar(
        db,
        "SELECT COUNT(*) FROM responses WHERE invitation_id IS NOT NULL",
    )
    .await;
    assert_eq!(
        completed, responses,
        "completed invitations and responses disagree"
    );
    let orphans = scalar(
        db,
        "SELECT COUNT(*) FROM responses r WHERE NOT EXISTS \
         (SELECT 1 FROM answers a WHERE a.response_id = r.id)",
    )
    .await;
    assert_eq!(orphans, 0, "a response without its answers");
}

/// The tallies kept at submission equal those rebuilt from the raw answers.
pub async fn assert_tallies_agree(db: &DatabaseConnection) {
    let campaigns = store::results::campaigns::all(db).await.unwrap();
    let key = |c: &jalon::domain::results::ValueCount| {
        (c.version.clone(), c.question.clone(), c.value.clone())
    };
    let mut kept = Vec::new();
    for campaign in &campaigns {
        let mut counts = value_counts(db, Scope::Campaign(campaign.id))
            .await
            .unwrap();
        counts.sort_by_key(key);
        kept.push(counts);
    }
    store::results::tallies::rebuild(db).await.unwrap();
    for (campaign, before) in campaigns.iter().zip(kept) {
        let mut after = value_counts(db, Scope::Campaign(campaign.id))
            .await
            .unwrap();
        after.sort_by_key(key);
        assert_eq!(before, after, "tallies of {} drifted", campaign.label);
    }
}

#[tokio::test]
async fn kill_9_during_submissions_loses_no_acknowledged_response() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("jalon.db").display());
    let db = store::connect(&url, 1).await.unwrap();
    store::migrate(&db).await.unwrap();
    let links = link_key(&db, &default_key_file(&url)).await;
    let tokens = invite(&db, &links, QuestionnaireCode::I3_1, 600).await;
    db.close().await.unwrap();

    let mut jalon = Jalon::start(&url, &[]).await;
    let load = Load::start(vec![jalon.address.clone()], tokens, 32, Duration::ZERO);
    load.wait_for_acks(150, Duration::from_secs(60)).await;
    jalon.kill();
    let tally = load.finish().await;
    let acknowledged = tally.acknowledged.len();
    assert!(acknowledged >= 150, "{:?}", tally.statuses);
    assert!(
        tally.statuses.get(&0).copied().unwrap_or(0) > 0,
        "the kill interrupted no request: {:?}",
        tally.statuses
    );
    assert!(
        !tally.statuses.keys().any(|s| *s >= 500),
        "{:?}",
        tally.statuses
    );

    // The same file, a new process: recovery from the WAL happens on open.
    let jalon = Jalon::start(&url, &[]).await;
    let db = store::connect(&url, 1).await.unwrap();
    let integrity = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "PRAGMA integrity_check".to_owned(),
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(integrity.try_get_by_index::<String>(0).unwrap(), "ok");
    assert_each_acknowledged_once(&db, &links, &tally.acknowledged).await;
    assert_tallies_agree(&db).await;

    // An acknowledged link stays answered for the restarted server.
    let token = tally.acknowledged.keys().next().unwrap();
    let again = reqwest::Client::new()
        .post(jalon.url(&format!("/api/v1/responses/{token}")))
        .json(&crate::server::valid_answers(QuestionnaireCode::I3_1))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 409);
}
