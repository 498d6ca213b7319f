//! Personal link tokens: derived from the invitation's id under the key, stored only as a
//! keyed hash, filled into each email when it is sent; links made before keep working.

use chrono::Duration;
use jalon::domain::{QuestionnaireCode, Token};
use jalon::entities::{email_body, invitation, outbox};
use jalon::link_key::LinkKey;
use jalon::store;
use sea_orm::sea_query::{Alias, Query};
use sea_orm::{ConnectionTrait, EntityTrait};
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{encode, spawn_app, valid_form_answers};
use crate::smtp::SmtpSink;

/// The token of every personal link in `text`.
fn tokens_in(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for marker in ["/r/", "/desinscription/"] {
        let mut rest = text;
        while let Some(at) = rest.find(marker) {
            let start = at + marker.len();
            found.push(rest[start..start + 22].to_owned());
            rest = &rest[start..];
        }
    }
    found
}

/// Every text column of the invitations and emails (rows and bodies), and on SQLite every byte of the files.
async fn everything_stored(app: &crate::helpers::TestApp) -> Vec<String> {
    let mut all = Vec::new();
    for row in invitation::Entity::find().all(&app.db).await.unwrap() {
        all.push(format!("{row:?}"));
    }
    for row in outbox::Entity::find().all(&app.db).await.unwrap() {
        all.push(format!("{row:?}"));
    }
    for row in email_body::Entity::find().all(&app.db).await.unwrap() {
        all.push(format!("{row:?}"));
    }
    if let Some(file) = app.database_url.strip_prefix("sqlite://") {
        let file = file.split('?').next().unwrap();
        for suffix in ["", "-wal", "-shm"] {
            let bytes = std::fs::read(format!("{file}{suffix}")).unwrap_or_default();
            all.push(String::from_utf8_lossy(&bytes).into_owned());
        }
    }
    all
}

#[tokio::test]
async fn personal_links_are_stored_only_as_keyed_hashes() {
    let app = spawn_app().await;
    let smtp = SmtpSink::start();
    let dispatcher = app.smtp_dispatcher(&smtp);
    // Ended 16 June 2025: due on the app's day, 16 March 2026.
    let registered = app
        .post_json(
            "/api/v1/interventions",
            &json!({
                "reference": "BRE-2025-088",
                "company": { "name": "Menuiserie Exemple", "size_band": "10-49" },
                "kind": "accompagnement_collectif",
                "entity": "aract-bretagne",
                "started_on": "2025-01-06",
                "ended_on": "2025-06-16",
                "participants": [
                    { "email": "a@example.org" },
                    { "email": "b@example.org" },
                    { "email": "c@example.org" },
                ],
            }),
        )
        .await;
    assert_eq!(registered.status(), 201);
    assert_eq!(dispatcher.run(app.now()).await.unwrap().sent, 3);
    let messages = smtp.messages();
    let link_of = |who: &str| {
        let message = messages.iter().find(|m| m.to.contains(who)).unwrap();
        let mut tokens = tokens_in(&message.text);
        tokens.extend(tokens_in(&message.html));
        tokens.extend(tokens_in(message.list_unsubscribe.as_deref().unwrap()));
        tokens.dedup();
        assert_eq!(tokens.len(), 1, "one token per email: {tokens:?}");
        tokens.pop().unwrap()
    };
    let (a, b) = (link_of("a@"), link_of("b@"));
    let tokens = [a.clone(), b.clone(), link_of("c@")];
    assert!(Token::parse(&a).is_some());

    // Nowhere in the database: not in the invitations, not in the emails kept in the outbox,
    // not in the files.
    let stored = everything_stored(&app).await;
    assert!(stored.iter().any(|s| s.contains("a@example.org")), "read");
    for token in &tokens {
        assert!(
            !stored.iter().any(|s| s.contains(token.as_str())),
            "{token} stored"
        );
    }

    // The links work: answering, and unsubscribing.
    let answers = encode(&valid_form_answers(&app, QuestionnaireCode::I3_1));
    assert_eq!(app.get(&format!("/r/{a}")).await.status(), 200);
    assert_eq!(
        app.post_form(&format!("/r/{a}"), answers.clone())
            .await
            .status(),
        303
    );
    assert_eq!(
        app.post_form(
            &format!("/desinscription/{b}"),
            "List-Unsubscribe=One-Click"
        )
        .await
        .status(),
        200
    );

    // A token of the right shape but not made by this key for this invitation: unknown.
    let other_key = LinkKey::from_seal_key(&[7; 32]);
    let some_id = invitation::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .id;
    for wrong in [
        app.seal_key.links().token(Uuid::new_v4()),
        other_key.token(some_id),
    ] {
        let wrong = wrong.expose();
        assert_eq!(app.get(&format!("/r/{wrong}")).await.status(), 404);
        assert_eq!(
            app.post_form(&format!("/r/{wrong}"), answers.clone())
                .await
                .status(),
            404
        );
        assert_eq!(
            app.post_json(
                &format!("/api/v1/responses/{wrong}"),
                &json!({ "answers": {} })
            )
            .await
            .status(),
            404
        );
        assert_eq!(
            app.post_form(&format!("/desinscription/{wrong}"), "")
                .await
                .status(),
            404
        );
    }

    // The reminder carries the same link, recomputed at sending.
    app.clock.advance(Duration::days(10));
    assert_eq!(dispatcher.run(app.now()).await.unwrap().sent, 1);
    let reminder = smtp
        .messages()
        .into_iter()
        .rfind(|m| m.to.contains("c@"))
        .unwrap();
    assert!(reminder.subject.starts_with("Rappel"));
    assert_eq!(tokens_in(&reminder.text)[0], tokens[2]);
    assert_eq!(app.get(&format!("/r/{}", tokens[2])).await.status(), 200);
}

/// Migration 13 on a database with a link made before it (a random token in clear, its email
/// sent, a reminder still queued): the token is gone from the database, the link emailed
/// before still works, and so does the derived one the queued reminder now carries.
#[tokio::test]
async fn links_emailed_before_the_upgrade_keep_working() {
    use migration::{Migrator, MigratorTrait};
    let (db, _url, _dir) = crate::helpers::empty_database().await;
    Migrator::up(&db, Some(11)).await.unwrap();
    let backend = db.get_database_backend();
    let now = crate::datasets::at("2026-03-16T09:30:00Z");
    let campaign = store::campaigns::find_or_create(&db, QuestionnaireCode::I7, "2026", now)
        .await
        .unwrap();
    let (id, old) = (Uuid::new_v4(), Token::generate());
    let insert = Query::insert()
        .into_table(Alias::new("invitations"))
        .columns(
            [
                "id",
                "campaign_id",
                "token",
                "email",
                "attributes",
                "status",
                "created_at",
                "sent_at",
            ]
            .map(Alias::new),
        )
        .values_panic([
            id.into(),
            campaign.id.into(),
            old.expose().into(),
            "ancien@example.org".into(),
            "{}".into(),
            "pending".into(),
            now.into(),
            now.into(),
        ])
        .to_owned();
    db.execute_raw(backend.build(&insert)).await.unwrap();
    let body = format!("Répondez : https://enquetes.example/r/{}", old.expose());
    let queued = Query::insert()
        .into_table(Alias::new("outbox"))
        .columns(
            [
                "id",
                "invitation_id",
                "kind",
                "recipient",
                "subject",
                "body_text",
                "body_html",
                "unsubscribe_url",
                "status",
                "attempts",
                "next_attempt_at",
                "created_at",
            ]
            .map(Alias::new),
        )
        .values_panic([
            Uuid::new_v4().into(),
            id.into(),
            "reminder_1".into(),
            "ancien@example.org".into(),
            "Rappel".into(),
            body.clone().into(),
            body.clone().into(),
            format!("https://enquetes.example/desinscription/{}", old.expose()).into(),
            "queued".into(),
            0.into(),
            now.into(),
            now.into(),
        ])
        .to_owned();
    db.execute_raw(backend.build(&queued)).await.unwrap();

    store::migrate(&db).await.unwrap();
    let row = invitation::Entity::find_by_id(id)
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        row.legacy_token_hash.as_deref(),
        Some(row.token_hash.as_str())
    );
    let email = outbox::Entity::find().one(&db).await.unwrap().unwrap();
    let bodies = email_body::Entity::find_by_id(email.body_id.expect("the email has its bodies"))
        .one(&db)
        .await
        .unwrap()
        .expect("the bodies moved to their own table");
    for stored in [
        format!("{row:?}"),
        format!("{email:?}"),
        format!("{bodies:?}"),
    ] {
        assert!(!stored.contains(old.expose()), "{stored}");
    }
    assert!(bodies.body_text.ends_with("/r/JALON-LINK-TOKEN"));
    assert!(bodies.body_html.ends_with("/r/JALON-LINK-TOKEN"));

    // The app opens the key: the old row gets the hash of its derived token too.
    let key_dir = tempfile::tempdir().unwrap();
    let key = store::anonymity::open_seal_key(&db, &key_dir.path().join("cle"))
        .await
        .unwrap();
    let links = key.links();
    let derived = links.token(id);
    for token in [&old, &derived] {
        let found = store::invitations::find_by_token(&db, links, token)
            .await
            .unwrap()
            .expect("the link leads to its invitation");
        assert_eq!(found.id, id);
    }
    assert!(
        store::invitations::find_by_token(&db, links, &Token::generate())
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store::invitations::key_legacy_links(&db, links)
            .await
            .unwrap(),
        0,
        "once only"
    );
}

/// A link is found through the indexes even in a large table just filled, before PostgreSQL
/// has any statistics on it (autovacuum kept away here): neither a known link nor an unknown
/// one reads the invitations whole. (With `LIMIT 1`, PostgreSQL read the table here: twice.)
/// SQLite's planner takes the indexes whatever it knows of the table; there the lookups are
/// checked to find what they should.
#[tokio::test]
async fn a_link_is_looked_up_through_the_indexes_before_any_statistics() {
    use sea_orm::{DbBackend, TransactionTrait};

    let app = spawn_app().await;
    let postgres = app.db.get_database_backend() == DbBackend::Postgres;
    if postgres {
        app.db
            .execute_unprepared("ALTER TABLE invitations SET (autovacuum_enabled = false)")
            .await
            .unwrap();
    }
    let loaded = app.catalog.get(QuestionnaireCode::I3_1).unwrap();
    let links = app.seal_key.links();
    let campaign = jalon::demo::bulk::load(
        &app.db,
        links,
        &loaded,
        "Import",
        0,
        1_000,
        jalon::clock::Clock::now(&app.clock),
        &jalon::progress::Silent,
    )
    .await
    .unwrap();
    if postgres {
        // Links of another import, written in one statement (the library's loading of 150,000
        // would take most of a minute in a test build).
        let more = format!(
            "INSERT INTO invitations \
             (id, campaign_id, token_hash, email, attributes, status, created_at, \
              reminders_sent, soft_bounces) \
             SELECT gen_random_uuid(), '{}', md5(n::text) || md5((-n)::text), \
              'p' || n || '@example.org', '{{\"entreprise\": \"' || repeat('x', 200) || '\"}}', \
              'pending', now(), 0, 0 FROM generate_series(1, 150000) AS n",
            campaign.id
        );
        app.db.execute_unprepared(&more).await.unwrap();
        // Vacuumed after the import, not yet analysed (autovacuum vacuums a table that has
        // had many rows inserted, and analyses it on its own schedule): PostgreSQL knows how
        // many rows there are, nothing of their values.
        app.db
            .execute_unprepared("VACUUM invitations")
            .await
            .unwrap();
    }

    let txn = app.db.begin().await.unwrap();
    let known = &campaign.pending_tokens[345];
    let found = store::invitations::find_by_token(&txn, links, known)
        .await
        .unwrap();
    assert!(found.is_some_and(|i| i.campaign_id == campaign.id));
    let unknown = store::invitations::find_by_token(&txn, links, &Token::generate())
        .await
        .unwrap();
    assert!(unknown.is_none());
    if postgres {
        let number = |sql: &'static str| {
            let txn = &txn;
            async move {
                txn.query_one_raw(sea_orm::Statement::from_string(DbBackend::Postgres, sql))
                    .await
                    .unwrap()
                    .unwrap()
                    .try_get_by_index::<i64>(0)
                    .unwrap()
            }
        };
        let statistics =
            number("SELECT COUNT(*) FROM pg_stats WHERE tablename = 'invitations'").await;
        assert_eq!(
            statistics, 0,
            "the table was analysed: the test proves nothing"
        );
        let scans =
            number("SELECT seq_scan FROM pg_stat_xact_user_tables WHERE relname = 'invitations'")
                .await;
        assert_eq!(scans, 0, "a lookup read the invitations whole");
    }
    txn.commit().await.unwrap();
}
