//! Indicators computed from the tallies, checked against hand-worked datasets, through the
//! JSON API, on SQLite and on PostgreSQL.

use jalon::store;
use jalon::store::results::counts::{Scope, value_counts};
use sea_orm::{ConnectionTrait, Statement};

use crate::datasets;
use crate::helpers::spawn_app;

/// The per-value tallies kept at submission equal a `GROUP BY` over the raw answers, and
/// rebuilding them from scratch gives the same rows.
#[tokio::test]
async fn tallies_match_the_raw_answers_and_a_rebuild() {
    let app = spawn_app().await;
    datasets::indicator_3_1(&app).await;
    let clock = jalon::clock::MockClock::new(datasets::at("2026-03-16T09:30:00Z"));
    jalon::demo::load(&app.db, &app.catalog, &clock, "http://x")
        .await
        .unwrap();

    let sql = "SELECT r.campaign_id, a.question_id, a.value, COUNT(*) AS n \
               FROM answers a JOIN responses r ON r.id = a.response_id \
               GROUP BY r.campaign_id, a.question_id, a.value";
    let raw = app
        .db
        .query_all_raw(Statement::from_string(
            app.db.get_database_backend(),
            sql.to_owned(),
        ))
        .await
        .unwrap();
    let mut checked = 0;
    let campaigns = store::results::campaigns::all(&app.db).await.unwrap();
    let mut before = Vec::new();
    for campaign in &campaigns {
        let counts = value_counts(&app.db, Scope::Campaign(campaign.id))
            .await
            .unwrap();
        for row in &raw {
            let campaign_id: uuid::Uuid = row.try_get("", "campaign_id").unwrap();
            if campaign_id != campaign.id {
                continue;
            }
            let question: String = row.try_get("", "question_id").unwrap();
            let value: String = row.try_get("", "value").unwrap();
            let n: i64 = row.try_get("", "n").unwrap();
            let tallied: u64 = counts
                .iter()
                .filter(|c| c.question == question && c.value == value)
                .map(|c| c.count)
                .sum();
            // Free texts are counted as answered only.
            if question != "commentaire" {
                assert_eq!(tallied, n as u64, "{} {question} {value}", campaign.label);
                checked += 1;
            }
        }
        before.push(counts);
    }
    assert!(checked > 100, "only {checked} counts checked");

    store::results::tallies::rebuild(&app.db).await.unwrap();
    for (campaign, counts) in campaigns.iter().zip(before) {
        let mut after = value_counts(&app.db, Scope::Campaign(campaign.id))
            .await
            .unwrap();
        let mut counts = counts;
        let key = |c: &jalon::domain::results::ValueCount| {
            (c.version.clone(), c.question.clone(), c.value.clone())
        };
        counts.sort_by_key(key);
        after.sort_by_key(key);
        assert_eq!(counts, after, "{}", campaign.label);
    }
}
