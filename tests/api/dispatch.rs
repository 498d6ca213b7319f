//! Registration, planned dates, and dispatch through a real SMTP server.

use chrono::{Duration, TimeZone, Utc};
use serde_json::{Value, json};

use crate::helpers::{TestApp, encode, spawn_app, valid_form_answers};
use crate::postfix::Postfix;
use crate::smtp::SmtpSink;
use jalon::domain::QuestionnaireCode;
use sea_orm::{ConnectionTrait, Statement};

fn intervention(reference: &str, ended_on: &str, emails: &[&str]) -> Value {
    json!({
        "reference": reference,
        "company": { "name": "Menuiserie Exemple", "siret": "73282932000074", "size_band": "10-49" },
        "kind": "accompagnement_collectif",
        "entity": "aract-bretagne",
        "started_on": "2025-01-06",
        "ended_on": ended_on,
        "participants": emails.iter().map(|e| json!({ "email": e, "name": "Camille Martin", "role": "RH" })).collect::<Vec<_>>(),
    })
}

async fn register(app: &TestApp, body: &Value) -> Value {
    let response = app.post_json("/api/v1/interventions", body).await;
    assert!(
        response.status().is_success(),
        "{}",
        response.text().await.unwrap()
    );
    response.json().await.unwrap()
}

fn token_in(link_text: &str) -> String {
    let start = link_text.find("/r/").expect("a personal link") + 3;
    link_text[start..start + 22].to_owned()
}

/// Registers one intervention of `count` participants, `p0@example.org` onwards.
async fn register_participants(app: &TestApp, reference: &str, count: usize) {
    let emails: Vec<String> = (0..count).map(|i| format!("p{i}@example.org")).collect();
    let refs: Vec<&str> = emails.iter().map(String::as_str).collect();
    register(app, &intervention(reference, "2025-06-16", &refs)).await;
}

#[tokio::test]
async fn registering_tells_each_participant_its_planned_send() {
    let app = spawn_app().await;
    // 31 July 2025 + 9 months = Thursday 30 April 2026, a working day: 09:00 in Paris (summer).
    let body = register(
        &app,
        &intervention(
            "BRE-2025-014",
            "2025-07-31",
            &["a@example.org", "b@example.org"],
        ),
    )
    .await;
    let planned: Vec<(&str, &str)> = body["invitations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["email"].as_str().unwrap(),
                i["scheduled_for"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        planned,
        [
            ("a@example.org", "2026-04-30T07:00:00Z"),
            ("b@example.org", "2026-04-30T07:00:00Z")
        ]
    );

    // 31 May 2025 + 9 months = 28 February 2026, a Saturday: Monday 2 March, 09:00 in winter.
    let body = register(
        &app,
        &intervention("BRE-2025-015", "2025-05-31", &["c@example.org"]),
    )
    .await;
    assert_eq!(
        body["invitations"][0]["scheduled_for"],
        "2026-03-02T08:00:00Z"
    );
}

#[tokio::test]
async fn registering_twice_creates_nothing_new() {
    let app = spawn_app().await;
    let body = intervention(
        "BRE-2025-020",
        "2025-07-31",
        &["a@example.org", "b@example.org"],
    );
    let first = app.post_json("/api/v1/interventions", &body).await;
    assert_eq!(first.status(), 201);
    let second = app.post_json("/api/v1/interventions", &body).await;
    assert_eq!(second.status(), 200);
    let second: Value = second.json().await.unwrap();
    assert_eq!(second["added"], 0);
    assert_eq!(app.count("interventions").await, 1);
    assert_eq!(app.count("invitations").await, 2);
}

#[tokio::test]
async fn a_bad_registration_is_422_with_every_error() {
    let app = spawn_app().await;
    let response = app
        .post_json(
            "/api/v1/interventions",
            &json!({
                "reference": "BRE 2025/01 é",
                "company": { "siret": "12345678901234", "size_band": "geant" },
                "kind": "conseil",
                "entity": "aract-atlantide",
                "started_on": "2025-02-30",
                "ended_on": "2025-01-01",
                "participants": [{ "email": "ok@example.org" }, { "email": "pas-une-adresse" }, { "email": "OK@example.org" }]
            }),
        )
        .await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    let mut fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    fields.sort();
    assert_eq!(
        fields,
        [
            "company.name",
            "company.siret",
            "company.size_band",
            "entity",
            "kind",
            "participants[1].email",
            "participants[2].email",
            "reference",
            "started_on",
        ]
    );
    assert_eq!(app.count("interventions").await, 0);
    assert_eq!(app.count("invitations").await, 0);
}

#[tokio::test]
async fn entities_come_from_the_shipped_file() {
    let app = spawn_app().await;
    let body: Value = app.get("/api/v1/entities").await.json().await.unwrap();
    let entities = body["entities"].as_array().unwrap();
    assert!(
        entities
            .iter()
            .any(|e| e["code"] == "aract-bretagne" && e["region"] == "Bretagne")
    );
}

#[tokio::test]
async fn each_invitation_is_sent_once_then_chased_until_it_closes() {
    let app = spawn_app().await;
    let smtp = SmtpSink::start();
    let dispatcher = app.smtp_dispatcher(&smtp);
    // Ended 16 June 2025: due Monday 16 March 2026 at 09:00 Paris (08:00 UTC).
    register(
        &app,
        &intervention(
            "BRE-2025-030",
            "2025-06-16",
            &[
                "answers@example.org",
                "leaves@example.org",
                "silent@example.org",
            ],
        ),
    )
    .await;

    let early = dispatcher
        .run(Utc.with_ymd_and_hms(2026, 3, 16, 7, 59, 0).unwrap())
        .await
        .unwrap();
    assert_eq!((early.invitations_queued, early.sent), (0, 0));

    let now = app.now();
    let first = dispatcher.run(now).await.unwrap();
    assert_eq!(
        (first.invitations_queued, first.sent, first.failed),
        (3, 3, 0)
    );
    let again = dispatcher.run(now).await.unwrap();
    assert_eq!(again, Default::default(), "a second run sends nothing");

    let messages = smtp.messages();
    assert_eq!(messages.len(), 3);
    let by = |who: &str| {
        messages
            .iter()
            .find(|m| m.to.contains(who))
            .unwrap()
            .clone()
    };
    let invitation = by("silent");
    assert!(
        invitation.subject.contains("Aract Bretagne"),
        "{}",
        invitation.subject
    );
    assert!(invitation.text.contains("Bonjour Camille Martin"));
    assert!(invitation.text.contains(&format!("{}/r/", app.address)));
    assert!(
        invitation
            .html
            .contains(&format!("href=\"{}/r/", app.address))
    );
    let unsubscribe = invitation.list_unsubscribe.clone().unwrap();
    assert!(unsubscribe.starts_with(&format!("<{}/desinscription/", app.address)));
    assert_eq!(
        invitation.list_unsubscribe_post.as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    assert!(
        invitation.text.contains("15 avril 2026"),
        "closing date in the text"
    );

    // One answers, one unsubscribes (one-click, as a mail client would), one stays silent.
    let answered = token_in(&by("answers").text);
    let body = encode(&valid_form_answers(&app, QuestionnaireCode::I3_1));
    assert_eq!(
        app.post_form(&format!("/r/{answered}"), body)
            .await
            .status(),
        303
    );
    let leaving = token_in(&by("leaves").text);
    let page = app.get(&format!("/desinscription/{leaving}")).await;
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("Confirmer la désinscription")
    );
    let one_click = app
        .post_form(
            &format!("/desinscription/{leaving}"),
            "List-Unsubscribe=One-Click",
        )
        .await;
    assert_eq!(one_click.status(), 200);

    app.clock.advance(Duration::days(10));
    let reminders = dispatcher.run(app.now()).await.unwrap();
    assert_eq!((reminders.reminders_queued, reminders.sent), (1, 1));
    app.clock.advance(Duration::days(12));
    let reminders = dispatcher.run(app.now()).await.unwrap();
    assert_eq!((reminders.reminders_queued, reminders.sent), (1, 1));
    let messages = smtp.messages();
    assert_eq!(
        messages.iter().filter(|m| m.to.contains("silent")).count(),
        3
    );
    assert_eq!(
        messages.iter().filter(|m| m.to.contains("answers")).count(),
        1
    );
    assert_eq!(
        messages.iter().filter(|m| m.to.contains("leaves")).count(),
        1
    );
    assert!(messages.iter().any(|m| m.subject.starts_with("Rappel")));

    app.clock.advance(Duration::days(9));
    let closing = dispatcher.run(app.now()).await.unwrap();
    assert_eq!(
        closing.closed, 2,
        "the silent and the unsubscribed invitations close"
    );
    let silent = token_in(&invitation.text);
    let page = app.get(&format!("/r/{silent}")).await;
    assert_eq!(page.status(), 410);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("n’accepte plus de réponses")
    );
    let late = app
        .post_form(
            &format!("/r/{silent}"),
            encode(&valid_form_answers(&app, QuestionnaireCode::I3_1)),
        )
        .await;
    assert_eq!(late.status(), 410);
    assert_eq!(app.count("responses").await, 1);
    assert_eq!(smtp.received(), 5);
    // Sent, answered, reminded, unsubscribed, closed: the participation counts followed.
    app.assert_invitation_counts_agree().await;
}

#[tokio::test]
async fn an_smtp_outage_delays_emails_but_delivers_each_once() {
    let app = spawn_app().await;
    let mut smtp = SmtpSink::start();
    let dispatcher = app.smtp_dispatcher(&smtp);
    register(
        &app,
        &intervention(
            "BRE-2025-040",
            "2025-06-16",
            &[
                "a@example.org",
                "b@example.org",
                "c@example.org",
                "d@example.org",
            ],
        ),
    )
    .await;

    smtp.stop();
    let down = dispatcher.run(app.now()).await.unwrap();
    assert_eq!(
        (down.invitations_queued, down.sent, down.retried),
        (4, 0, 4)
    );
    let still_down = dispatcher.run(app.now()).await.unwrap();
    assert_eq!(
        still_down.sent + still_down.retried,
        0,
        "nothing retried before its backoff"
    );

    smtp.resume();
    app.clock.advance(Duration::minutes(2));
    let back = dispatcher.run(app.now()).await.unwrap();
    assert_eq!((back.sent, back.retried, back.failed), (4, 0, 0));
    app.clock.advance(Duration::minutes(10));
    assert_eq!(dispatcher.run(app.now()).await.unwrap().sent, 0);
    let mut recipients: Vec<String> = smtp.messages().into_iter().map(|m| m.to).collect();
    recipients.dedup();
    assert_eq!(recipients.len(), 4);
    assert_eq!(smtp.received(), 4);
}

#[tokio::test]
async fn two_dispatchers_at_once_never_send_the_same_email_twice() {
    let app = spawn_app().await;
    let smtp = SmtpSink::start();
    register_participants(&app, "BRE-2025-050", 40).await;

    let (a, b) = (app.smtp_dispatcher(&smtp), app.smtp_dispatcher(&smtp));
    let now = app.now();
    let (ra, rb) = tokio::join!(a.run(now), b.run(now));
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    assert_eq!(ra.invitations_queued + rb.invitations_queued, 40);
    assert_eq!(ra.sent + rb.sent, 40);
    let messages = smtp.messages();
    assert_eq!(messages.len(), 40);
    let mut ids: Vec<String> = messages.into_iter().map(|m| m.message_id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 40);
}

#[tokio::test]
async fn dispatch_keeps_its_smtp_connections_open_between_messages() {
    let app = spawn_app().await;
    let smtp = SmtpSink::start();
    register_participants(&app, "BRE-2025-051", 200).await;

    let summary = app.smtp_dispatcher(&smtp).run(app.now()).await.unwrap();
    assert_eq!(summary.sent, 200);
    assert_eq!(smtp.received(), 200);
    assert_eq!(
        smtp.grouped(),
        200,
        "MAIL, RCPT and DATA in one write (PIPELINING)"
    );
    assert!(
        smtp.connections_opened() <= jalon::mail::SMTP_CONNECTIONS,
        "{} connections for 200 messages",
        smtp.connections_opened()
    );
    let stored: Vec<(String, i64)> = app
        .db
        .query_all_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT status, COUNT(*) FROM outbox GROUP BY status",
        ))
        .await
        .unwrap()
        .iter()
        .map(|row| {
            (
                row.try_get_by_index(0).unwrap(),
                row.try_get_by_index(1).unwrap(),
            )
        })
        .collect();
    assert_eq!(stored, [("sent".to_owned(), 200)], "every outcome recorded");
}

#[tokio::test]
async fn a_recipient_refused_among_grouped_commands_fails_alone() {
    for (smtp, grouped) in [
        (SmtpSink::start(), true),
        (SmtpSink::start_without_pipelining(), false),
    ] {
        let app = spawn_app().await;
        // The test server refuses this domain at RCPT; DATA, sent in the same write, is then
        // refused too, and the next messages must not read those answers as theirs.
        let emails = [
            "a@example.org",
            "nobody@refused.example.org",
            "b@example.org",
            "c@example.org",
        ];
        register(&app, &intervention("BRE-2025-054", "2025-06-16", &emails)).await;
        let summary = app.smtp_dispatcher(&smtp).run(app.now()).await.unwrap();
        assert_eq!((summary.sent, summary.failed), (3, 1), "{summary:?}");
        let mut received: Vec<String> = smtp.messages().into_iter().map(|m| m.to).collect();
        received.sort();
        assert_eq!(
            received,
            ["a@example.org", "b@example.org", "c@example.org"],
            "pipelining offered: {grouped}"
        );
        assert_eq!(smtp.grouped() > 0, grouped);
        let refused = app
            .count(
                "outbox o JOIN invitations i ON i.id = o.invitation_id \
                    WHERE o.status = 'failed' AND i.email = 'nobody@refused.example.org'",
            )
            .await;
        assert_eq!(refused, 1);
    }
}

#[tokio::test]
async fn a_rate_limited_relay_gets_no_more_than_its_rate() {
    let app = spawn_app().await;
    let smtp = SmtpSink::start();
    register_participants(&app, "BRE-2025-052", 21).await;
    let per_second = std::num::NonZeroU32::new(10).unwrap();
    let dispatcher = app.dispatcher(std::sync::Arc::new(
        jalon::mail::SmtpMailer::from_url(&smtp.url(), Some(per_second)).unwrap(),
    ));

    let started = std::time::Instant::now();
    let summary = dispatcher.run(app.now()).await.unwrap();
    // 21 messages at 10 a second, without a burst: the last one leaves 2 s after the first.
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(1900),
        "21 messages in {:?}",
        started.elapsed()
    );
    assert_eq!((summary.sent, smtp.received()), (21, 21));
}

#[tokio::test]
async fn a_sending_through_a_real_postfix_relay_hands_each_invitation_over_once() {
    let app = spawn_app().await;
    let relay = Postfix::discarding();
    register_participants(&app, "BRE-2025-053", 40).await;
    let dispatcher = app.dispatcher(std::sync::Arc::new(
        jalon::mail::SmtpMailer::from_url(&relay.smtp_url(), None).unwrap(),
    ));

    let summary = dispatcher.run(app.now()).await.unwrap();
    assert_eq!(summary.sent, 40, "{summary:?}\n{}", relay.log());
    // Each message queued once by Postfix (synced before its "250"), then discarded.
    let seconds = std::time::Duration::from_secs;
    assert_eq!(relay.settled(40, seconds(30)), 40, "{}", relay.log());
    assert_eq!(relay.settled(41, seconds(1)), 40, "none twice");
    assert_eq!(app.count("outbox WHERE status = 'sent'").await, 40);
    assert_eq!(dispatcher.run(app.now()).await.unwrap().sent, 0);
}

#[tokio::test]
async fn waves_and_rosters_plan_the_anonymous_surveys() {
    let app = spawn_app().await;
    let response = app
        .post_json(
            "/api/v1/waves",
            &json!({ "questionnaire": "i7", "label": "2026", "milestone_on": "2025-06-30" }),
        )
        .await;
    assert_eq!(response.status(), 201);
    let wave: Value = response.json().await.unwrap();
    // 30 June 2025 + 9 months = Monday 30 March 2026, 09:00 in Paris, summer time since the 29th.
    assert_eq!(wave["scheduled_for"], "2026-03-30T07:00:00Z");
    let id = wave["id"].as_str().unwrap();

    let bad = app
        .post_json(
            &format!("/api/v1/waves/{id}/roster"),
            &json!([{ "email": "a@example.org", "entity": "anact" }, { "email": "b@example.org", "entity": "aract-inconnue" }]),
        )
        .await;
    assert_eq!(bad.status(), 422);
    let body: Value = bad.json().await.unwrap();
    assert_eq!(body["errors"][0]["field"], "[1].entity");
    assert_eq!(app.count("invitations").await, 0);

    let good = app
        .post_json(
            &format!("/api/v1/waves/{id}/roster"),
            &json!([{ "email": "a@example.org", "entity": "anact" }, { "email": "b@example.org", "entity": "aract-bretagne" }]),
        )
        .await;
    assert_eq!(good.status(), 201);
    let again = app
        .post_json(
            "/api/v1/waves",
            &json!({ "questionnaire": "i7", "label": "2026", "milestone_on": "2025-06-30" }),
        )
        .await;
    assert_eq!(again.status(), 200);

    let i6 = app
        .post_json(
            "/api/v1/waves",
            &json!({ "questionnaire": "i6", "label": "2026", "send_on": "2026-09-15" }),
        )
        .await;
    let i6: Value = i6.json().await.unwrap();
    let roster = app
        .post_json(
            &format!("/api/v1/waves/{}/roster", i6["id"].as_str().unwrap()),
            &json!([{ "email": "c@example.org", "region": "Bretagne", "college": "patronat" }, { "email": "d@example.org", "region": "Atlantide", "college": "salaries" }]),
        )
        .await;
    assert_eq!(roster.status(), 422);
    let body: Value = roster.json().await.unwrap();
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["[0].college", "[1].region"]);

    let not_a_wave = app
        .post_json(
            "/api/v1/waves",
            &json!({ "questionnaire": "i4", "label": "2026", "send_on": "2026-09-15" }),
        )
        .await;
    assert_eq!(not_a_wave.status(), 422);
}

/// Two participants registered and their invitations queued, not sent: a dispatcher whose
/// SMTP server refuses every connection for now. Its summary.
async fn queue_two_without_sending(
    app: &TestApp,
    reference: &str,
) -> jalon::dispatch::DispatchSummary {
    register(
        app,
        &intervention(reference, "2025-06-16", &["a@example.org", "b@example.org"]),
    )
    .await;
    let unreachable = jalon::mail::SmtpMailer::from_url("smtp://127.0.0.1:9", None).unwrap();
    app.dispatcher(std::sync::Arc::new(unreachable))
        .run(app.now())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_sender_that_dies_after_claiming_loses_nothing() {
    let app = spawn_app().await;
    let smtp = SmtpSink::start();
    let queued = queue_two_without_sending(&app, "BRE-2025-060").await;
    assert_eq!((queued.invitations_queued, queued.retried), (2, 2));

    // A sender claims both rows, then is killed before sending or recording anything.
    app.clock.advance(Duration::minutes(2));
    let until = app.now() + Duration::minutes(5);
    let claimed = jalon::store::outbox::claim(&app.db, app.now(), until, 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 2);

    // While its lease runs, another instance leaves the rows alone…
    let dispatcher = app.smtp_dispatcher(&smtp);
    assert_eq!(dispatcher.run(app.now()).await.unwrap().sent, 0);
    // …and sends them once it has expired.
    app.clock.advance(Duration::minutes(6));
    assert_eq!(dispatcher.run(app.now()).await.unwrap().sent, 2);
    assert_eq!(dispatcher.run(app.now()).await.unwrap().sent, 0);
    assert_eq!(smtp.received(), 2);
}

/// Emails queued already leased come back to their sender without being read back, except
/// when some of them were left alone (their invitation and kind already queued): only those
/// written are handed over, or the same email would go out twice.
#[tokio::test]
async fn emails_queued_leased_are_handed_over_only_if_written() {
    let app = spawn_app().await;
    let queued = queue_two_without_sending(&app, "BRE-2025-062").await;
    assert_eq!(queued.invitations_queued, 2);
    let invitations: Vec<uuid::Uuid> = app
        .db
        .query_all_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT invitation_id FROM outbox ORDER BY recipient",
        ))
        .await
        .unwrap()
        .iter()
        .map(|row| row.try_get_by_index(0).unwrap())
        .collect();
    let email = |invitation: uuid::Uuid, kind: &str| jalon::store::outbox::NewEmail {
        invitation_id: Some(invitation),
        kind: kind.to_owned(),
        recipient: "a@example.org".to_owned(),
        subject: "Relance".to_owned(),
        body_text: "Bonjour".into(),
        body_html: "<p>Bonjour</p>".into(),
        unsubscribe_url: None,
        bounce_tag: Some(format!("{kind}-{invitation}")[..24].to_owned()),
    };
    let emails = [
        email(invitations[0], "invitation"),
        email(invitations[0], "reminder_1"),
        email(invitations[1], "invitation"),
    ];
    let until = app.now() + Duration::minutes(5);
    let handed = jalon::store::outbox::enqueue_leased(
        &app.db,
        &emails,
        &std::collections::HashMap::new(),
        app.now(),
        until,
    )
    .await
    .unwrap();
    let handed: Vec<_> = handed
        .iter()
        .map(|c| {
            (
                c.row.invitation_id,
                c.row.kind.as_str(),
                c.body_text.as_ref(),
            )
        })
        .collect();
    assert_eq!(handed, [(Some(invitations[0]), "reminder_1", "Bonjour")]);
    assert_eq!(app.count("outbox").await, 3);
}

#[tokio::test]
async fn emails_are_leased_as_they_are_queued_so_a_sender_cut_off_before_sending_loses_nothing() {
    let app = spawn_app().await;
    register(
        &app,
        &intervention(
            "BRE-2025-061",
            "2025-06-16",
            &["a@example.org", "b@example.org"],
        ),
    )
    .await;
    // An SMTP server that accepts connections and never greets: the run queues its emails,
    // hands them to its sending, which hangs, and is cut off as a killed process would be.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("smtp://127.0.0.1:{}", silent.local_addr().unwrap().port());
    let hanging = app.dispatcher(std::sync::Arc::new(
        jalon::mail::SmtpMailer::from_url(&url, None).unwrap(),
    ));
    let cut_off = tokio::time::timeout(std::time::Duration::from_secs(2), hanging.run(app.now()));
    assert!(cut_off.await.is_err(), "the run hangs on the silent server");
    let leased = app
        .count("outbox WHERE status = 'queued' AND lease_owner IS NOT NULL")
        .await;
    assert_eq!(leased, 2, "queued and leased in one commit");

    // While the lease runs, another instance leaves the emails alone…
    let smtp = SmtpSink::start();
    let dispatcher = app.smtp_dispatcher(&smtp);
    assert_eq!(dispatcher.run(app.now()).await.unwrap().sent, 0);
    // …and sends them once it has expired, once.
    app.clock.advance(Duration::minutes(6));
    assert_eq!(dispatcher.run(app.now()).await.unwrap().sent, 2);
    assert_eq!(dispatcher.run(app.now()).await.unwrap().sent, 0);
    assert_eq!(smtp.received(), 2);
    drop(silent);
}

#[tokio::test]
async fn the_invitation_email_reads_as_written() {
    let app = spawn_app().await;
    let smtp = SmtpSink::start();
    register(
        &app,
        &intervention("BRE-2025-070", "2025-06-16", &["camille@example.org"]),
    )
    .await;
    app.smtp_dispatcher(&smtp).run(app.now()).await.unwrap();
    let message = smtp.messages().remove(0);
    let token = token_in(&message.text);
    let text = message
        .text
        .replace(&token, "[TOKEN]")
        .replace(&app.address, "https://enquetes.example");
    insta::assert_snapshot!(
        "i3_1_invitation_email",
        format!("Subject: {}\n\n{}", message.subject, text)
    );
}

#[tokio::test]
async fn emails_share_their_stored_bodies_and_each_greets_its_own_contact() {
    let app = spawn_app().await;
    let smtp = SmtpSink::start();
    let hostile = "<b>Zoé & \"Léa\"</b>";
    let mut body = intervention("BRE-2025-080", "2025-06-16", &[]);
    body["participants"] = json!([
        { "email": "anne@example.org", "name": "Anne Durand" },
        { "email": "zoe@example.org", "name": hostile },
        { "email": "paul@example.org", "name": "Paul Petit" },
        { "email": "sans-nom@example.org" },
    ]);
    register(&app, &body).await;
    let summary = app.smtp_dispatcher(&smtp).run(app.now()).await.unwrap();
    assert_eq!(summary.sent, 4, "{summary:?}");

    // The named contacts read the same words but for their name: one stored body for them,
    // one for the contact without a name; neither names anyone.
    assert_eq!(app.count("email_bodies").await, 2);
    let backend = app.db.get_database_backend();
    for row in app
        .db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT body_text, body_html FROM email_bodies",
        ))
        .await
        .unwrap()
    {
        for column in ["body_text", "body_html"] {
            let stored: String = row.try_get("", column).unwrap();
            for name in ["Anne", "Zoé", "Paul"] {
                assert!(!stored.contains(name), "{column} names {name}: {stored}");
            }
        }
    }

    let messages = smtp.messages();
    let to = |who: &str| messages.iter().find(|m| m.to.contains(who)).unwrap();
    assert!(to("anne@").text.contains("Bonjour Anne Durand,"));
    assert!(to("paul@").text.contains("Bonjour Paul Petit,"));
    assert!(to("paul@").html.contains("Paul Petit"));
    assert!(to("sans-nom@").text.contains("Bonjour,"));
    // As typed in the text part, escaped in the HTML part.
    assert!(to("zoe@").text.contains(&format!("Bonjour {hostile},")));
    let html = &to("zoe@").html;
    assert!(html.contains("&lt;b&gt;Zoé &amp; "), "{html}");
    assert!(!html.contains("<b>"), "{html}");
    for message in &messages {
        assert!(!message.text.contains("JALON-"), "{}", message.text);
        assert!(!message.html.contains("JALON-"), "{}", message.html);
    }
}

#[tokio::test]
async fn the_same_intervention_registered_twice_at_once_exists_once() {
    let app = spawn_app().await;
    let body = intervention(
        "BRE-2025-080",
        "2025-07-31",
        &["a@example.org", "b@example.org"],
    );
    let (a, b) = tokio::join!(
        app.post_json("/api/v1/interventions", &body),
        app.post_json("/api/v1/interventions", &body)
    );
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort();
    assert!(
        statuses == [200, 201] || statuses == [201, 201],
        "{statuses:?}"
    );
    assert_eq!(app.count("interventions").await, 1);
    assert_eq!(app.count("invitations").await, 2);
}

/// Claims of one dispatch batch move the same participation counts (pending − 1,
/// completed + 1). On PostgreSQL two transactions claiming two links of the batch must not
/// wait on each other (the writers of two instances, a dispatch beside them): the second
/// gets a lock timeout of its own if it waits on the first, still open. SQLite runs one
/// write transaction at a time, so there they follow each other. Either way the counts
/// follow the invitations, before and after the changes are moved into them.
#[tokio::test]
async fn claims_of_one_batch_do_not_wait_on_each_other_and_the_counts_follow() {
    use jalon::entities::invitation;
    use sea_orm::sea_query::Expr;
    use sea_orm::{ColumnTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, TransactionTrait};

    let app = spawn_app().await;
    let smtp = SmtpSink::start();
    let dispatcher = app.smtp_dispatcher(&smtp);
    register(
        &app,
        &intervention(
            "BRE-2025-031",
            "2025-06-16",
            &[
                "first@example.org",
                "second@example.org",
                "third@example.org",
            ],
        ),
    )
    .await;
    let sent = dispatcher.run(app.now()).await.unwrap();
    assert_eq!(sent.sent, 3);
    let ids: Vec<uuid::Uuid> = invitation::Entity::find()
        .order_by_asc(invitation::Column::Id)
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.id)
        .collect();
    let complete = |id: uuid::Uuid| {
        invitation::Entity::update_many()
            .col_expr(invitation::Column::Status, Expr::value("completed"))
            .filter(invitation::Column::Id.eq(id))
    };

    let postgres = app.db.get_database_backend() == DbBackend::Postgres;
    let first = app.db.begin().await.unwrap();
    complete(ids[0]).exec(&first).await.unwrap();
    if postgres {
        let second = app.db.begin().await.unwrap();
        second
            .execute_unprepared("SET LOCAL lock_timeout = '2s'")
            .await
            .unwrap();
        let claimed = complete(ids[1]).exec(&second).await;
        assert!(
            claimed.is_ok(),
            "the second claim waited on the first: {claimed:?}"
        );
        second.commit().await.unwrap();
        first.commit().await.unwrap();
    } else {
        first.commit().await.unwrap();
        complete(ids[1]).exec(&app.db).await.unwrap();
    }
    app.assert_invitation_counts_agree().await;

    jalon::store::results::count_changes::compact(&app.db)
        .await
        .unwrap();
    assert_eq!(app.count("invitation_count_changes").await, 0);
    assert_eq!(app.count("opened_count_changes").await, 0);
    app.assert_invitation_counts_agree().await;
    let completed = app
        .count("invitation_counts WHERE status = 'completed' AND n = 2")
        .await;
    assert_eq!(completed, 1, "both claims are in the counts themselves");
}

/// On PostgreSQL the counts' changes are appended once per statement and key, not once per
/// invitation: claiming three links sent together in one statement appends two changes
/// (pending −3, completed +3), and an update that moves no count appends none. The counts
/// follow the invitations all along (on SQLite, whose triggers update the counts in place,
/// no change is ever appended).
#[tokio::test]
async fn a_statement_appends_one_change_per_count_it_moves() {
    use jalon::entities::invitation;
    use sea_orm::sea_query::Expr;
    use sea_orm::{ColumnTrait, DbBackend, EntityTrait, QueryFilter};

    let app = spawn_app().await;
    let postgres = app.db.get_database_backend() == DbBackend::Postgres;
    let smtp = SmtpSink::start();
    let dispatcher = app.smtp_dispatcher(&smtp);
    register(
        &app,
        &intervention(
            "BRE-2025-032",
            "2025-06-16",
            &["a@example.org", "b@example.org", "c@example.org"],
        ),
    )
    .await;
    assert_eq!(dispatcher.run(app.now()).await.unwrap().sent, 3);
    let compact = || jalon::store::results::count_changes::compact(&app.db);
    compact().await.unwrap();
    assert_eq!(app.count("invitation_count_changes").await, 0);

    invitation::Entity::update_many()
        .col_expr(invitation::Column::Status, Expr::value("completed"))
        .filter(invitation::Column::Status.eq("pending"))
        .exec(&app.db)
        .await
        .unwrap();
    assert_eq!(
        app.count("invitation_count_changes").await,
        if postgres { 2 } else { 0 }
    );
    assert_eq!(
        app.count("invitation_count_changes WHERE status = 'pending' AND n = -3")
            .await,
        i64::from(postgres)
    );
    app.assert_invitation_counts_agree().await;

    compact().await.unwrap();
    invitation::Entity::update_many()
        .col_expr(invitation::Column::Role, Expr::value("Dirigeant"))
        .exec(&app.db)
        .await
        .unwrap();
    assert_eq!(app.count("invitation_count_changes").await, 0);
    assert_eq!(app.count("opened_count_changes").await, 0);
    app.assert_invitation_counts_agree().await;
}
