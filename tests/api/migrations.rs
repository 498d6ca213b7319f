//! Migrations undone and applied again, on the database under test: a `down` that no test
//! ran would first run on a production database, the day an upgrade is rolled back.

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

use jalon::store::outbox::{self, NewEmail};

/// The tables and indexes of the schema, by name.
async fn schema(db: &DatabaseConnection) -> Vec<String> {
    let sql = match db.get_database_backend() {
        DbBackend::Postgres => {
            "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' \
             UNION SELECT indexname FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1"
        }
        _ => {
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'index') \
              AND name NOT LIKE 'sqlite_%' ORDER BY 1"
        }
    };
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .iter()
        .map(|row| row.try_get::<String>("", "name").unwrap())
        .collect()
}

async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    db.query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap()
}

/// Migration 13 cannot be undone (the clear link tokens it hashed are gone, on purpose): those
/// after it are undone to the schema it left, and applied again.
#[tokio::test]
async fn every_migration_after_the_link_hashes_can_be_undone_and_applied_again() {
    let migrations = Migrator::migrations();
    let hashes = migrations
        .iter()
        .position(|m| m.name() == "m20261210_000013_link_token_hashes")
        .expect("migration 13");
    let after = u32::try_from(migrations.len() - hashes - 1).unwrap();
    assert!(after >= 8, "{after}");

    let (db, _url, _dir) = crate::helpers::empty_database().await;
    Migrator::up(&db, Some(u32::try_from(hashes + 1).unwrap()))
        .await
        .unwrap();
    let at_hashes = schema(&db).await;
    Migrator::up(&db, None).await.unwrap();
    let applied = schema(&db).await;
    assert!(
        applied.iter().any(|name| name == "email_bodies"),
        "{applied:?}"
    );

    Migrator::down(&db, Some(after)).await.unwrap();
    assert_eq!(schema(&db).await, at_hashes);
    let refused = Migrator::down(&db, Some(1)).await.unwrap_err();
    assert!(
        refused.to_string().contains("retour impossible"),
        "{refused}"
    );

    Migrator::up(&db, None).await.unwrap();
    assert_eq!(schema(&db).await, applied);
}

/// Migration 21 undone with shared bodies: each email gets its own copy back; applied again,
/// each keeps its own.
#[tokio::test]
async fn shared_bodies_come_apart_when_their_migration_is_undone() {
    let (db, _url, _dir) = crate::helpers::fresh_database().await;
    let email = |to: &str| NewEmail {
        invitation_id: None,
        kind: "test".into(),
        recipient: to.into(),
        subject: "Essai".into(),
        body_text: "Bonjour JALON-NAME".into(),
        body_html: "<p>Bonjour JALON-NAME</p>".into(),
        unsubscribe_url: None,
        bounce_tag: None,
    };
    let now = crate::datasets::at("2026-03-16T09:30:00Z");
    let queued = outbox::enqueue_all(&db, &[email("a@example.org"), email("b@example.org")], now)
        .await
        .unwrap();
    assert_eq!(queued, 2);
    assert_eq!(
        count(&db, "SELECT COUNT(*) AS n FROM email_bodies").await,
        1
    );

    // Migration 21 and those after it undone.
    let migrations = Migrator::migrations();
    let shared = migrations
        .iter()
        .position(|m| m.name() == "m20261225_000021_shared_email_bodies")
        .expect("migration 21 exists");
    let undone = u32::try_from(migrations.len() - shared).unwrap();
    Migrator::down(&db, Some(undone)).await.unwrap();
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) AS n FROM outbox_bodies JOIN outbox ON outbox.id = outbox_id \
             WHERE body_text = 'Bonjour JALON-NAME'"
        )
        .await,
        2
    );

    Migrator::up(&db, None).await.unwrap();
    assert_eq!(
        count(&db, "SELECT COUNT(*) AS n FROM email_bodies").await,
        2
    );
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) AS n FROM outbox JOIN email_bodies ON email_bodies.id = body_id \
             WHERE body_html = '<p>Bonjour JALON-NAME</p>'"
        )
        .await,
        2
    );
}
