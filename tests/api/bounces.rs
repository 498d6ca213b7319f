//! Bounces: each email names its invitation, and what comes back (read by `jalon bounces
//! import`) makes it undeliverable, deferred or unsubscribed, once.

use std::path::Path;
use std::process::Command;

use chrono::Duration;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use crate::helpers::{TestApp, encode, questionnaires_dir, spawn_app, valid_form_answers};
use crate::smtp::{Delivered, SmtpSink};
use jalon::domain::QuestionnaireCode;
use jalon::domain::bounce::BounceAddress;
use jalon::entities::invitation;

pub(crate) const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/bounces");
/// The tag and Message-ID written in the sample reports, replaced by a real email's.
const SAMPLE_TAG: &str = "3f9a1c0be27d4a5f8c6e1b2d";
const SAMPLE_MESSAGE_ID: &str = "0b8e9c1e-4c41-4f7a-9d1e-6a3f2b1c5d7e@anact.example";

pub(crate) async fn register(app: &TestApp, emails: &[&str]) {
    let body = json!({
        "reference": "BRE-2025-090",
        "company": { "name": "Menuiserie Exemple", "siret": "73282932000074", "size_band": "10-49" },
        "kind": "accompagnement_collectif",
        "entity": "aract-bretagne",
        "started_on": "2025-01-06",
        "ended_on": "2025-06-16",
        "participants": emails.iter().map(|e| json!({ "email": e, "name": "Camille Martin" })).collect::<Vec<_>>(),
    });
    let response = app.post_json("/api/v1/interventions", &body).await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
}

pub(crate) fn bounce_dispatcher(app: &TestApp, smtp: &SmtpSink) -> jalon::dispatch::Dispatcher {
    let mut dispatcher = app.smtp_dispatcher(smtp);
    dispatcher.bounce_address =
        Some(BounceAddress::parse("retours@enquetes.anact.example").unwrap());
    dispatcher
}

/// A sample report made about `email`: its tag and Message-ID written in.
pub(crate) fn report_about(sample: &str, email: &Delivered, own_id: &str) -> String {
    let raw = std::fs::read_to_string(Path::new(FIXTURES).join(sample)).unwrap();
    let message_id = email.message_id.trim_matches(['<', '>']);
    raw.replace(SAMPLE_TAG, email.jalon_tag.as_deref().unwrap())
        .replace(SAMPLE_MESSAGE_ID, message_id)
        .replace(
            "20260512070003.4F1A2B3C4D@mx.enquetes.anact.example",
            own_id,
        )
        .replace(
            "20260512110005.7C2D1E0F9A@mx.enquetes.anact.example",
            own_id,
        )
}

fn import(app: &TestApp, path: &Path) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_jalon"))
        .env("JALON_QUESTIONNAIRES_DIR", questionnaires_dir())
        .env("JALON_LOG", "warn")
        .env("JALON_DATABASE_URL", &app.database_url)
        .args(["bounces", "import"])
        .arg(path)
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

pub(crate) async fn invitation_to(app: &TestApp, email: &str) -> invitation::Model {
    invitation::Entity::find()
        .filter(invitation::Column::Email.eq(email))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
}

pub(crate) fn to<'a>(messages: &'a [Delivered], who: &str) -> &'a Delivered {
    messages.iter().find(|m| m.to.contains(who)).unwrap()
}

#[tokio::test]
async fn each_email_names_its_invitation_in_its_envelope_header_and_message_id() {
    let app = spawn_app().await;
    let smtp = SmtpSink::start();
    register(&app, &["a@example.org", "b@example.org"]).await;
    bounce_dispatcher(&app, &smtp).run(app.now()).await.unwrap();
    let messages = smtp.messages();
    assert_eq!(messages.len(), 2);
    let mut tags = Vec::new();
    for message in &messages {
        let tag = message.jalon_tag.clone().expect("jalon's header");
        assert_eq!(tag.len(), 24);
        assert!(tag.bytes().all(|b| b.is_ascii_hexdigit()));
        assert!(
            message
                .return_path
                .contains(&format!("retours+{tag}@enquetes.anact.example")),
            "{}",
            message.return_path
        );
        assert!(!message.message_id.contains(&tag));
        tags.push(tag);
    }
    assert_ne!(tags[0], tags[1], "one tag per email");

    // Without JALON_BOUNCE_ADDRESS the envelope sender is the From address, as before.
    let app = spawn_app().await;
    let smtp = SmtpSink::start();
    register(&app, &["a@example.org"]).await;
    app.smtp_dispatcher(&smtp).run(app.now()).await.unwrap();
    let message = &smtp.messages()[0];
    assert!(
        message.return_path.contains("enquetes@anact.example"),
        "{}",
        message.return_path
    );
    assert!(!message.return_path.contains('+'));
}

#[tokio::test]
async fn a_hard_bounce_stops_the_reminders_once_however_often_it_is_read() {
    let app = spawn_app().await;
    let smtp = SmtpSink::start();
    let dispatcher = bounce_dispatcher(&app, &smtp);
    register(
        &app,
        &["gone@example.org", "busy@example.org", "here@example.org"],
    )
    .await;
    dispatcher.run(app.now()).await.unwrap();
    let messages = smtp.messages();

    let folder = tempfile::tempdir().unwrap();
    let write = |name: &str, text: String| std::fs::write(folder.path().join(name), text).unwrap();
    write(
        "1-hard.eml",
        report_about(
            "postfix_unknown_user.eml",
            to(&messages, "gone"),
            "hard-1@mx.example",
        ),
    );
    for n in 1..=2 {
        write(
            &format!("2-soft-{n}.eml"),
            report_about(
                "postfix_delayed.eml",
                to(&messages, "busy"),
                &format!("soft-{n}@mx.example"),
            ),
        );
    }
    for sample in [
        "out_of_office.eml",
        "foreign_newsletter.eml",
        "malformed.eml",
    ] {
        std::fs::copy(
            Path::new(FIXTURES).join(sample),
            folder.path().join(format!("3-{sample}")),
        )
        .unwrap();
    }
    std::fs::write(folder.path().join("notes.txt"), "not a message").unwrap();

    let (ok, stdout, stderr) = import(&app, folder.path());
    assert!(ok, "{stdout}{stderr}");
    assert!(stdout.contains("messages lus : 6\n"), "{stdout}");
    assert!(stdout.contains("non distribuables : 1\n"), "{stdout}");
    assert!(stdout.contains("échecs temporaires : 2\n"), "{stdout}");
    assert!(stdout.contains("sans effet : 1\n"), "{stdout}");
    assert!(
        stdout.contains("(5.1.1, adresse inconnue du serveur destinataire)"),
        "{stdout}"
    );

    let gone = invitation_to(&app, "gone@example.org").await;
    assert_eq!(gone.delivery.as_deref(), Some("bounced"));
    assert_eq!(gone.delivery_status.as_deref(), Some("5.1.1"));
    assert_eq!(
        gone.email.as_deref(),
        Some("gone@example.org"),
        "kept for the record"
    );
    let busy = invitation_to(&app, "busy@example.org").await;
    assert_eq!(
        (busy.delivery.as_deref(), busy.soft_bounces),
        (Some("deferred"), 2)
    );
    assert_eq!(invitation_to(&app, "here@example.org").await.delivery, None);

    // Read again: nothing more.
    let (ok, again, _) = import(&app, folder.path());
    assert!(ok);
    assert!(again.contains("déjà traités : 6\n"), "{again}");
    assert_eq!(
        invitation_to(&app, "busy@example.org").await.soft_bounces,
        2
    );
    assert_eq!(app.count("bounce_messages").await, 6);

    // Ten days on, the reminders go to the deferred and the silent, not to the bounced.
    app.clock.advance(Duration::days(10));
    let reminders = dispatcher.run(app.now()).await.unwrap();
    assert_eq!(reminders.reminders_queued, 2);
    let messages = smtp.messages();
    assert_eq!(messages.iter().filter(|m| m.to.contains("gone")).count(), 1);
    assert_eq!(messages.iter().filter(|m| m.to.contains("busy")).count(), 2);

    // A third delay of the reminder: treated as a hard bounce.
    let reminder = messages
        .iter()
        .filter(|m| m.to.contains("busy"))
        .find(|m| m.subject.starts_with("Rappel"))
        .unwrap();
    let third = folder.path().join("third.eml");
    std::fs::write(
        &third,
        report_about("postfix_delayed.eml", reminder, "soft-3@mx.example"),
    )
    .unwrap();
    let (ok, stdout, _) = import(&app, &third);
    assert!(ok);
    assert!(stdout.contains("non distribuables : 1\n"), "{stdout}");
    let busy = invitation_to(&app, "busy@example.org").await;
    assert_eq!(
        (busy.delivery.as_deref(), busy.soft_bounces),
        (Some("bounced"), 3)
    );
    app.assert_invitation_counts_agree().await;
}

#[tokio::test]
async fn a_complaint_unsubscribes() {
    let app = spawn_app().await;
    let smtp = SmtpSink::start();
    register(&app, &["angry@example.org"]).await;
    bounce_dispatcher(&app, &smtp).run(app.now()).await.unwrap();
    let email = &smtp.messages()[0];
    let raw = std::fs::read_to_string(Path::new(FIXTURES).join("arf_complaint.eml"))
        .unwrap()
        .replace(
            "1234567890abcdef12345678",
            email.jalon_tag.as_deref().unwrap(),
        );
    let file = tempfile::NamedTempFile::with_suffix(".eml").unwrap();
    std::fs::write(file.path(), raw).unwrap();
    let (ok, stdout, _) = import(&app, file.path());
    assert!(ok);
    assert!(
        stdout.contains("signalements (désinscriptions) : 1"),
        "{stdout}"
    );
    let angry = invitation_to(&app, "angry@example.org").await;
    assert_eq!(angry.delivery.as_deref(), Some("complained"));
    assert!(angry.unsubscribed_at.is_some());
}

#[tokio::test]
async fn a_forged_tag_finds_nothing_and_an_unreadable_path_fails() {
    let app = spawn_app().await;
    let smtp = SmtpSink::start();
    register(&app, &["a@example.org"]).await;
    bounce_dispatcher(&app, &smtp).run(app.now()).await.unwrap();
    let forged = tempfile::NamedTempFile::with_suffix(".eml").unwrap();
    std::fs::copy(
        Path::new(FIXTURES).join("postfix_unknown_user.eml"),
        forged.path(),
    )
    .unwrap();
    let (ok, stdout, _) = import(&app, forged.path());
    assert!(ok);
    assert!(
        stdout.contains("aucun envoi de jalon correspondant"),
        "{stdout}"
    );
    assert_eq!(invitation_to(&app, "a@example.org").await.delivery, None);

    let (ok, _, stderr) = import(&app, Path::new("/nonexistent/bounces"));
    assert!(!ok);
    assert!(stderr.contains("illisible"), "{stderr}");
}

#[tokio::test]
async fn a_permanent_smtp_refusal_lands_with_the_bounces() {
    let app = spawn_app().await;
    let smtp = SmtpSink::start();
    // The test server refuses this recipient's domain at RCPT (see `smtp.rs`).
    register(&app, &["nobody@refused.example.org"]).await;
    let summary = bounce_dispatcher(&app, &smtp).run(app.now()).await.unwrap();
    assert_eq!(summary.failed, 1);
    let refused = invitation_to(&app, "nobody@refused.example.org").await;
    assert_eq!(refused.delivery.as_deref(), Some("bounced"));
    assert_eq!(
        refused.delivery_status.as_deref().map(|s| &s[..1]),
        Some("5")
    );
}

#[tokio::test]
async fn staff_see_the_undeliverable_and_correct_an_address() {
    let app = spawn_app().await;
    let smtp = SmtpSink::start();
    let dispatcher = bounce_dispatcher(&app, &smtp);
    register(&app, &["gone@example.org", "fine@example.org"]).await;
    dispatcher.run(app.now()).await.unwrap();
    let first = smtp.messages();
    let old_link = first
        .iter()
        .find(|m| m.to.contains("gone"))
        .map(|m| {
            let start = m.text.find("/r/").unwrap() + 3;
            m.text[start..start + 22].to_owned()
        })
        .unwrap();
    let file = tempfile::NamedTempFile::with_suffix(".eml").unwrap();
    // The server's reason is hostile text: shown escaped.
    let hostile = report_about(
        "postfix_unknown_user.eml",
        to(&first, "gone"),
        "hard-9@mx.example",
    )
    .replace(
        "address rejected: User unknown in virtual mailbox table",
        "<script>alert(1)</script>",
    );
    std::fs::write(file.path(), hostile).unwrap();
    assert!(import(&app, file.path()).0);
    let gone = invitation_to(&app, "gone@example.org").await;
    let campaign = gone.campaign_id;

    let admin = app.sign_in_as("admin").await;
    let page = admin
        .client
        .get(app.url(&format!("/admin/campagnes/{campaign}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Adresses non distribuables"), "{page}");
    assert!(page.contains("Non distribuable (plus aucun envoi)"));
    assert!(page.contains("adresse inconnue du serveur destinataire (code 5.1.1)"));
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!page.contains("<script>alert"));
    assert!(
        !page.contains("fine@example.org"),
        "only those that bounced"
    );
    let contacts = admin
        .client
        .get(app.url("/admin/contacts"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(contacts.contains("gone@example.org"));
    assert!(contacts.contains(&format!("href=\"/admin/campagnes/{campaign}\"")));

    // The API's campaign results count them.
    let api = app.client_as("admin").await;
    let results: serde_json::Value = api
        .get(app.url(&format!("/api/v1/campaigns/{campaign}/results")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(results["delivery"]["bounced"], 1, "{results}");
    assert_eq!(results["delivery"]["deferred"], 0);
    assert_eq!(results["delivery"]["complained"], 0);

    // One of the two answers: 50 % of those invited, as before; 100 % of those reached.
    let fine = to(&first, "fine");
    let start = fine.text.find("/r/").unwrap() + 3;
    let token = &fine.text[start..start + 22];
    let answered = app
        .post_form(
            &format!("/r/{token}"),
            encode(&valid_form_answers(&app, QuestionnaireCode::I3_1)),
        )
        .await;
    assert_eq!(answered.status(), 303);
    let indicators: serde_json::Value = app
        .get("/api/v1/indicators?year=2026")
        .await
        .json()
        .await
        .unwrap();
    let i31 = indicators["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["invited"] == 2)
        .unwrap_or_else(|| panic!("{indicators}"));
    assert_eq!(
        i31["participation_rate"], 0.5,
        "the indicator's rate unchanged"
    );
    assert_eq!(i31["undeliverable"], 1);
    assert_eq!(i31["participation_rate_reached"], 1.0);
    let home = admin
        .client
        .get(app.url("/tableau-de-bord?annee=2026"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        home.contains("Taux de participation des personnes jointes"),
        "{home}"
    );
    assert!(home.contains("(hors 1 adresse(s) non distribuable(s))"));

    // A regional account cannot correct; an admin can.
    let correct = |client: &reqwest::Client, csrf: &str, email: &str| {
        client
            .post(app.url(&format!("/admin/invitations/{}/adresse", gone.id)))
            .form(&[("email", email), ("_csrf", csrf)])
            .send()
    };
    let regional = app.sign_in_as("regional:aract-bretagne").await;
    let refused = correct(&regional.client, &regional.csrf, "new@example.org")
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    let bad = correct(&admin.client, &admin.csrf, "not an address")
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let done = correct(&admin.client, &admin.csrf, "new@example.org")
        .await
        .unwrap();
    assert_eq!(done.status(), 303);
    let again = correct(&admin.client, &admin.csrf, "other@example.org")
        .await
        .unwrap();
    assert_eq!(again.status(), 400, "already corrected");

    assert_eq!(app.get(&format!("/r/{old_link}")).await.status(), 404);
    let summary = dispatcher.run(app.now()).await.unwrap();
    assert_eq!(summary.invitations_queued, 1);
    let messages = smtp.messages();
    let new = to(&messages, "new@example.org");
    assert!(new.text.contains("/r/") && !new.text.contains(&old_link));
    let audit: i64 = {
        use sea_orm::PaginatorTrait;
        jalon::entities::audit_entry::Entity::find()
            .filter(jalon::entities::audit_entry::Column::Action.eq("adresse_corrigee"))
            .count(&app.db)
            .await
            .unwrap() as i64
    };
    assert_eq!(audit, 1);
    // The corrected one leaves the list, but still counts as not reached.
    let page = admin
        .client
        .get(app.url(&format!("/admin/campagnes/{campaign}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Aucune adresse en échec de distribution."));
    app.assert_invitation_counts_agree().await;
}

#[tokio::test]
async fn an_exported_message_too_large_is_listed_unread() {
    let app = spawn_app().await;
    let folder = tempfile::tempdir().unwrap();
    let huge = folder.path().join("1-huge.eml");
    let file = std::fs::File::create(&huge).unwrap();
    // Sparse: its length is what is checked, before anything is read.
    file.set_len(jalon::bounces::MAX_MESSAGE_BYTES + 1).unwrap();
    std::fs::copy(
        Path::new(FIXTURES).join("out_of_office.eml"),
        folder.path().join("2-auto.eml"),
    )
    .unwrap();

    let (ok, stdout, stderr) = import(&app, folder.path());
    assert!(!ok, "{stdout}{stderr}");
    assert!(stdout.contains("messages lus : 1\n"), "{stdout}");
    assert!(stdout.contains("illisibles : 1\n"), "{stdout}");
    assert!(
        stderr.contains(
            "1-huge.eml illisible : message de 10.0 Mio, plus que les 10 Mio lus au plus : non lu"
        ),
        "{stderr}"
    );
    assert_eq!(app.count("bounce_messages").await, 1);
}
