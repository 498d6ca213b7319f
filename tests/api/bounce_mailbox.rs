//! The bounce mailbox read over IMAP by `jalon bounces check` (the real binary), from a real
//! Dovecot: each effect once, every message moved to "traité" or "non reconnu", none
//! deleted, however often it is read and wherever a reading is interrupted.

use std::io::BufRead;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::bounces::{FIXTURES, bounce_dispatcher, invitation_to, register, report_about, to};
use crate::dovecot::{Dovecot, PASSWORD, free_port};
use crate::helpers::{TestApp, questionnaires_dir, spawn_app};
use crate::postfix::{BOUNCE_DOMAIN, Postfix, UNKNOWN_DOMAIN};
use crate::smtp::SmtpSink;
use jalon::domain::bounce::BounceAddress;

/// "traité" as stored by the server (IMAP's modified UTF-7).
const TREATED: &str = "trait&AOk-";
const UNRECOGNISED: &str = "non reconnu";

fn jalon(app: &TestApp, url: Option<&str>) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_jalon"));
    command
        .env("JALON_QUESTIONNAIRES_DIR", questionnaires_dir())
        .env("JALON_LOG", "warn")
        .env("JALON_DATABASE_URL", &app.database_url)
        .env_remove("JALON_BOUNCE_IMAP_URL")
        .args(["bounces", "check"]);
    if let Some(url) = url {
        command.env("JALON_BOUNCE_IMAP_URL", url);
    }
    command
}

fn check(app: &TestApp, url: Option<&str>) -> (bool, String, String) {
    let output = jalon(app, url).output().unwrap();
    (
        output.status.success(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

fn sample(name: &str) -> Vec<u8> {
    std::fs::read(Path::new(FIXTURES).join(name)).unwrap()
}

#[tokio::test]
async fn the_mailbox_is_read_once_and_tidied_never_emptied() {
    let app = spawn_app().await;
    let smtp = SmtpSink::start();
    let imap = Dovecot::start();
    register(
        &app,
        &["gone@example.org", "busy@example.org", "here@example.org"],
    )
    .await;
    bounce_dispatcher(&app, &smtp).run(app.now()).await.unwrap();
    let sent = smtp.messages();

    let hard = report_about(
        "postfix_unknown_user.eml",
        to(&sent, "gone"),
        "hard-1@mx.example",
    );
    imap.deliver("1-hard", hard.as_bytes());
    let soft = report_about(
        "postfix_delayed.eml",
        to(&sent, "busy"),
        "soft-1@mx.example",
    );
    imap.deliver("2-soft", soft.as_bytes());
    for name in [
        "out_of_office.eml",
        "outlook_automatic_reply.eml",
        "delivered_notice.eml",
        "foreign_newsletter.eml",
        "malformed.eml",
        // A real report, but about no email of this jalon's.
        "postfix_unknown_user.eml",
    ] {
        imap.deliver(&format!("3-{name}"), &sample(name));
    }
    assert_eq!(imap.message_count(), 8);

    let (ok, stdout, stderr) = check(&app, Some(&imap.url()));
    assert!(ok, "{stdout}{stderr}\n{}", imap.log().unwrap_or_default());
    assert!(stdout.contains("messages lus : 8\n"), "{stdout}");
    assert!(stdout.contains("non distribuables : 1\n"), "{stdout}");
    assert!(stdout.contains("échecs temporaires : 1\n"), "{stdout}");
    assert!(stdout.contains("sans effet : 3\n"), "{stdout}");
    assert!(
        stdout.contains("non reconnus ou sans envoi correspondant : 3\n"),
        "{stdout}"
    );
    // The unrecognised are listed one by one, with their UID, for a person to look at.
    let listed: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains("non reconnu, à examiner") || l.contains("aucun envoi"))
        .collect();
    assert_eq!(listed.len(), 3, "{stdout}");
    assert!(
        listed.iter().all(|l| l.starts_with("INBOX UID ")),
        "{stdout}"
    );

    let gone = invitation_to(&app, "gone@example.org").await;
    assert_eq!(gone.delivery.as_deref(), Some("bounced"));
    assert_eq!(gone.delivery_status.as_deref(), Some("5.1.1"));
    let busy = invitation_to(&app, "busy@example.org").await;
    assert_eq!(
        (busy.delivery.as_deref(), busy.soft_bounces),
        (Some("deferred"), 1)
    );
    assert_eq!(invitation_to(&app, "here@example.org").await.delivery, None);

    // Tidied, nothing deleted: the recognised in "traité", the others in "non reconnu".
    assert!(imap.messages("INBOX").is_empty());
    let treated = imap.messages(TREATED);
    let unrecognised = imap.messages(UNRECOGNISED);
    assert_eq!((treated.len(), unrecognised.len()), (5, 3));
    assert!(treated.iter().any(|m| m.contains("hard-1@mx.example")));
    assert!(
        treated
            .iter()
            .any(|m| m.contains("vacation-123@menuiserie"))
    );
    for id in ["news-2026-05@editeur.example", "20260512070003.4F1A2B3C4D@"] {
        assert!(unrecognised.iter().any(|m| m.contains(id)), "{id}");
    }
    assert_eq!(imap.message_count(), 8);
    assert_eq!(app.count("bounce_messages").await, 8);

    // Read again: nothing new, nothing done twice.
    let (ok, again, stderr) = check(&app, Some(&imap.url()));
    assert!(ok, "{again}{stderr}");
    assert!(again.contains("messages lus : 0\n"), "{again}");
    assert_eq!(
        invitation_to(&app, "busy@example.org").await.soft_bounces,
        1
    );
    assert_eq!(app.count("bounce_messages").await, 8);
    assert_eq!(imap.message_count(), 8);
}

#[tokio::test]
async fn a_message_recorded_but_not_moved_has_no_second_effect() {
    let app = spawn_app().await;
    let smtp = SmtpSink::start();
    let imap = Dovecot::start();
    register(&app, &["busy@example.org"]).await;
    bounce_dispatcher(&app, &smtp).run(app.now()).await.unwrap();
    let soft = report_about(
        "postfix_delayed.eml",
        &smtp.messages()[0],
        "soft-1@mx.example",
    );
    imap.deliver("1-soft", soft.as_bytes());
    imap.deliver("2-malformed", &sample("malformed.eml"));
    let (ok, stdout, stderr) = check(&app, Some(&imap.url()));
    assert!(ok, "{stdout}{stderr}");
    assert_eq!(
        invitation_to(&app, "busy@example.org").await.soft_bounces,
        1
    );

    // As after a crash between recording and moving: the same messages in INBOX again.
    imap.deliver("1-soft-again", soft.as_bytes());
    imap.deliver("2-malformed-again", &sample("malformed.eml"));
    let (ok, stdout, stderr) = check(&app, Some(&imap.url()));
    assert!(ok, "{stdout}{stderr}");
    assert!(stdout.contains("déjà traités : 2\n"), "{stdout}");
    assert!(stdout.contains("échecs temporaires : 0\n"), "{stdout}");
    assert_eq!(
        invitation_to(&app, "busy@example.org").await.soft_bounces,
        1,
        "a second count of the same delay"
    );
    assert_eq!(app.count("bounce_messages").await, 2);
    // Each goes where its first reading would have put it.
    assert!(imap.messages("INBOX").is_empty());
    assert_eq!(imap.messages(TREATED).len(), 2);
    assert_eq!(imap.messages(UNRECOGNISED).len(), 2);
    assert_eq!(imap.message_count(), 4);
}

#[tokio::test]
async fn killed_in_the_middle_then_read_again_each_effect_once() {
    let app = spawn_app().await;
    let smtp = SmtpSink::start();
    let imap = Dovecot::start();
    let people: Vec<String> = (0..8).map(|n| format!("p{n}@example.org")).collect();
    let emails: Vec<&str> = people.iter().map(String::as_str).collect();
    register(&app, &emails).await;
    bounce_dispatcher(&app, &smtp).run(app.now()).await.unwrap();
    let sent = smtp.messages();
    for (n, person) in people.iter().enumerate() {
        let report = report_about(
            "postfix_delayed.eml",
            to(&sent, person),
            &format!("soft-{n}@mx.example"),
        );
        imap.deliver(&format!("{n}-soft"), report.as_bytes());
    }

    // kill -9 as soon as the first message is done, the others being read.
    let mut child = jalon(&app, Some(&imap.url()))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(first.starts_with("INBOX UID "), "{first}");
    assert!(imap.messages("INBOX").len() < 8);

    let (ok, stdout, stderr) = check(&app, Some(&imap.url()));
    assert!(ok, "{stdout}{stderr}");
    for person in &people {
        let invitation = invitation_to(&app, person).await;
        assert_eq!(invitation.soft_bounces, 1, "{person}");
    }
    assert_eq!(app.count("bounce_messages").await, 8);
    assert!(imap.messages("INBOX").is_empty());
    assert_eq!(imap.messages(TREATED).len(), 8);
    assert_eq!(imap.message_count(), 8);
}

#[tokio::test]
async fn an_unreachable_or_refused_mailbox_fails_with_a_french_message() {
    let app = spawn_app().await;
    let imap = Dovecot::start();
    imap.deliver("1", &sample("out_of_office.eml"));

    let wrong = format!(
        "imap://retours:not-the-password@127.0.0.1:{}/INBOX",
        imap.port
    );
    let (ok, stdout, stderr) = check(&app, Some(&wrong));
    assert!(!ok, "{stdout}");
    assert!(stderr.contains("identification refusée"), "{stderr}");
    assert!(!stderr.contains("not-the-password"), "{stderr}");

    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let nobody = format!("imap://retours:{PASSWORD}@127.0.0.1:{closed_port}/INBOX");
    let (ok, _, stderr) = check(&app, Some(&nobody));
    assert!(!ok);
    assert!(
        stderr.contains("boîte aux lettres des retours illisible : connexion à 127.0.0.1:"),
        "{stderr}"
    );
    assert!(!stderr.contains(PASSWORD), "{stderr}");

    let (ok, _, stderr) = check(&app, Some("imap://retours:x@imap.example.org/INBOX"));
    assert!(!ok);
    assert!(stderr.contains("boucle locale"), "{stderr}");
    let (ok, _, stderr) = check(&app, None);
    assert!(!ok);
    assert!(
        stderr.contains("JALON_BOUNCE_IMAP_URL n'est pas défini"),
        "{stderr}"
    );

    // Nothing was read, nothing moved.
    assert_eq!(imap.messages("INBOX").len(), 1);
    assert_eq!(app.count("bounce_messages").await, 0);
}

#[tokio::test]
async fn a_certificate_no_authority_vouches_for_is_refused_over_starttls_and_tls() {
    let app = spawn_app().await;
    let imap = Dovecot::start_with_tls();
    imap.deliver("1", &sample("out_of_office.eml"));
    let starttls = format!(
        "imap://retours:{PASSWORD}@127.0.0.1:{}/INBOX?tls=starttls",
        imap.port
    );
    let tls = format!(
        "imaps://retours:{PASSWORD}@127.0.0.1:{}/INBOX",
        imap.tls_port.unwrap()
    );
    for url in [starttls, tls] {
        let (ok, stdout, stderr) = check(&app, Some(&url));
        assert!(!ok, "{url}: {stdout}");
        // The server took STARTTLS (or spoke TLS at once); the certificate stopped us.
        assert!(
            stderr.contains("négociation TLS avec 127.0.0.1:")
                && stderr.contains("invalid peer certificate: UnknownIssuer"),
            "{url}: {stderr}\n{}",
            imap.log().unwrap_or_default()
        );
    }
    assert_eq!(imap.messages("INBOX").len(), 1);
    assert_eq!(app.count("bounce_messages").await, 0);
}

#[tokio::test]
async fn the_mailbox_is_read_over_starttls_and_tls_with_the_authority_trusted() {
    let app = spawn_app().await;
    let imap = Dovecot::start_with_tls();
    let starttls = format!(
        "imap://retours:{PASSWORD}@127.0.0.1:{}/INBOX?tls=starttls",
        imap.port
    );
    let tls = format!(
        "imaps://retours:{PASSWORD}@127.0.0.1:{}/INBOX",
        imap.tls_port.unwrap()
    );
    for (url, name) in [(starttls, "out_of_office.eml"), (tls, "malformed.eml")] {
        imap.deliver(name, &sample(name));
        let output = jalon(&app, Some(&url))
            .env("JALON_BOUNCE_IMAP_CA_FILE", imap.ca_file())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{url}: {stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(stdout.contains("messages lus : 1\n"), "{url}: {stdout}");
    }
    assert!(imap.messages("INBOX").is_empty());
    assert_eq!(imap.messages(TREATED).len(), 1);
    assert_eq!(imap.messages(UNRECOGNISED).len(), 1);
    assert_eq!(app.count("bounce_messages").await, 2);
    // The server's word that both logins were encrypted.
    let log = imap.log().unwrap_or_default();
    let encrypted = log
        .lines()
        .filter(|l| l.contains("Login: user=<retours>") && l.contains(", TLS"))
        .count();
    assert_eq!(encrypted, 2, "{log}");
}

/// `jalon serve` reading the mailbox of `url` every second.
fn serve(app: &TestApp, outbox: &Path, url: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_jalon"));
    command
        .env("JALON_QUESTIONNAIRES_DIR", questionnaires_dir())
        .env("JALON_DATABASE_URL", &app.database_url)
        .env("JALON_BIND", "127.0.0.1:0")
        .env("JALON_LOG", "jalon=info")
        .env("JALON_SEAL_KEY_FILE", &app.seal_key_file)
        .env("JALON_OUTBOX_DIR", outbox)
        .env("JALON_BOUNCE_IMAP_URL", url)
        .env("JALON_BOUNCE_CHECK_CRON", "* * * * * *")
        .arg("serve");
    command
}

#[tokio::test]
async fn serve_reads_the_mailbox_on_its_schedule_and_retries_after_a_failure() {
    let app = spawn_app().await;
    let outbox = tempfile::tempdir().unwrap();

    // A clear-text password over a network: refused at start, not at the first tick.
    let refused = serve(
        &app,
        outbox.path(),
        "imap://retours:x@imap.example.org/INBOX",
    )
    .output()
    .unwrap();
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("boucle locale"), "{stderr}");

    // No server yet where the mailbox is said to be: each tick fails and says so.
    let port = free_port();
    let url = format!("imap://retours:{PASSWORD}@127.0.0.1:{port}/INBOX");
    let mut child = serve(&app, outbox.path(), &url)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (lines, log) = std::sync::mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut warned = false;
    while !warned && Instant::now() < deadline {
        if let Ok(line) = log.recv_timeout(Duration::from_millis(200)) {
            warned = line.contains("bounce mailbox unreadable; next tick retries");
            assert!(!line.contains(PASSWORD), "{line}");
        }
    }
    // Then the server comes: a later tick reads it.
    let imap = Dovecot::start_on(port);
    imap.deliver("1", &sample("out_of_office.eml"));
    let deadline = Instant::now() + Duration::from_secs(20);
    while !imap.messages("INBOX").is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(warned, "no warning while the mailbox was unreachable");
    assert!(imap.messages("INBOX").is_empty(), "not read by serve");
    assert_eq!(imap.messages(TREATED).len(), 1);
    assert_eq!(app.count("bounce_messages").await, 1);
}

#[tokio::test]
async fn a_bounce_written_by_a_real_postfix_makes_the_invitation_undeliverable() {
    let app = spawn_app().await;
    let imap = Dovecot::start();
    let postfix = Postfix::start(&imap);
    let unknown = format!("personne-inconnue@{UNKNOWN_DOMAIN}");
    register(&app, &[&unknown]).await;
    let mut dispatcher = app.dispatcher(std::sync::Arc::new(
        jalon::mail::SmtpMailer::from_url(&postfix.smtp_url(), None).unwrap(),
    ));
    dispatcher.bounce_address =
        Some(BounceAddress::parse(&format!("retours@{BOUNCE_DOMAIN}")).unwrap());
    let sent = dispatcher.run(app.now()).await.unwrap();
    assert_eq!(sent.sent, 1, "{sent:?}\n{}", postfix.log());

    // Postfix accepts it, finds no such user, and sends its report to the VERP address.
    let deadline = Instant::now() + Duration::from_secs(30);
    while imap.messages("INBOX").is_empty() {
        assert!(Instant::now() < deadline, "no report\n{}", postfix.log());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let report = &imap.messages("INBOX")[0];
    assert!(report.contains("multipart/report"), "{report}");
    assert_eq!(invitation_to(&app, &unknown).await.delivery, None);

    let (ok, stdout, stderr) = check(&app, Some(&imap.url()));
    assert!(ok, "{stdout}{stderr}");
    assert!(stdout.contains("non distribuables : 1\n"), "{stdout}");
    let invitation = invitation_to(&app, &unknown).await;
    assert_eq!(invitation.delivery.as_deref(), Some("bounced"));
    assert_eq!(invitation.delivery_status.as_deref(), Some("5.1.1"));
    assert_eq!(imap.messages(TREATED).len(), 1);
    assert!(imap.messages("INBOX").is_empty());
}

#[tokio::test]
async fn a_message_too_large_is_moved_unread_and_listed() {
    let app = spawn_app().await;
    let imap = Dovecot::start();
    let mut huge = b"From: <someone@example.org>\r\nSubject: une piece jointe enorme\r\nMessage-ID: <huge-1@example.org>\r\n\r\n".to_vec();
    let line = [b'x'; 998];
    while (huge.len() as u64) <= jalon::bounces::MAX_MESSAGE_BYTES {
        huge.extend_from_slice(&line);
        huge.extend_from_slice(b"\r\n");
    }
    imap.deliver("1-huge", &huge);
    imap.deliver("2-auto", &sample("out_of_office.eml"));

    let (ok, stdout, stderr) = check(&app, Some(&imap.url()));
    assert!(
        !ok,
        "an unread message is worth a look: exit 1\n{stdout}{stderr}"
    );
    assert!(stdout.contains("messages lus : 1\n"), "{stdout}");
    assert!(stdout.contains("illisibles : 1\n"), "{stdout}");
    assert!(
        stderr.contains("Mio lus au plus : non lu ; déplacé dans « non reconnu »"),
        "{stderr}"
    );
    let unrecognised = imap.messages(UNRECOGNISED);
    assert_eq!(unrecognised.len(), 1);
    assert!(unrecognised[0].contains("huge-1@example.org"));
    assert_eq!(imap.messages(TREATED).len(), 1);
    assert!(imap.messages("INBOX").is_empty());
    assert_eq!(
        app.count("bounce_messages").await,
        1,
        "the large one unread"
    );

    // Read again: it is not in the folder any more.
    let (ok, again, stderr) = check(&app, Some(&imap.url()));
    assert!(ok, "{again}{stderr}");
    assert!(again.contains("messages lus : 0\n"), "{again}");
}

#[tokio::test]
async fn folders_are_made_under_the_inbox_where_the_server_keeps_them_there() {
    let app = spawn_app().await;
    let imap = Dovecot::start_with_folders_under_inbox();
    imap.deliver("1-news", &sample("foreign_newsletter.eml"));
    imap.deliver("2-auto", &sample("out_of_office.eml"));

    let (ok, stdout, stderr) = check(&app, Some(&imap.url()));
    assert!(ok, "{stdout}{stderr}\n{}", imap.log().unwrap_or_default());
    assert!(stdout.contains("messages lus : 2\n"), "{stdout}");
    assert!(imap.messages("INBOX").is_empty());
    assert_eq!(imap.messages(UNRECOGNISED).len(), 1);
    assert_eq!(imap.messages(TREATED).len(), 1);

    // Read again: the folders are found where they were made.
    imap.deliver("3-auto", &sample("outlook_automatic_reply.eml"));
    let (ok, again, stderr) = check(&app, Some(&imap.url()));
    assert!(ok, "{again}{stderr}");
    assert!(again.contains("messages lus : 1\n"), "{again}");
    assert_eq!(imap.messages(TREATED).len(), 2);
    assert_eq!(imap.message_count(), 3);
}

/// The inbox's messages flagged `\Deleted` (Maildir's flag `T` in the file's name).
fn flagged_deleted(imap: &Dovecot) -> usize {
    std::fs::read_dir(imap.base().join("mail/cur"))
        .unwrap()
        .filter(|entry| {
            let name = entry.as_ref().unwrap().file_name();
            let name = name.to_string_lossy();
            name.rsplit_once(":2,")
                .is_some_and(|(_, flags)| flags.contains('T'))
        })
        .count()
}

#[tokio::test]
async fn without_move_a_message_is_copied_then_expunged_by_its_uid_alone() {
    let app = spawn_app().await;
    let imap = Dovecot::start_with_capabilities("IMAP4rev1 LITERAL+ UIDPLUS");
    imap.deliver("1-news", &sample("foreign_newsletter.eml"));
    imap.deliver("2-auto", &sample("out_of_office.eml"));

    let (ok, stdout, stderr) = check(&app, Some(&imap.url()));
    assert!(ok, "{stdout}{stderr}\n{}", imap.log().unwrap_or_default());
    assert!(stdout.contains("messages lus : 2\n"), "{stdout}");
    assert!(imap.messages("INBOX").is_empty(), "expunged after the copy");
    assert_eq!(imap.messages(UNRECOGNISED).len(), 1);
    assert_eq!(imap.messages(TREATED).len(), 1);
}

#[tokio::test]
async fn without_move_nor_uidplus_a_copied_message_stays_flagged_and_is_not_read_again() {
    let app = spawn_app().await;
    let imap = Dovecot::start_with_capabilities("IMAP4rev1 LITERAL+");
    imap.deliver("1-news", &sample("foreign_newsletter.eml"));
    imap.deliver("2-auto", &sample("out_of_office.eml"));

    let (ok, stdout, stderr) = check(&app, Some(&imap.url()));
    assert!(ok, "{stdout}{stderr}\n{}", imap.log().unwrap_or_default());
    assert!(stdout.contains("messages lus : 2\n"), "{stdout}");
    assert_eq!(imap.messages(UNRECOGNISED).len(), 1);
    assert_eq!(imap.messages(TREATED).len(), 1);
    // Left flagged for the mailbox's owner to expunge: a plain EXPUNGE would also remove
    // what others flagged.
    assert_eq!(imap.messages("INBOX").len(), 2);
    assert_eq!(flagged_deleted(&imap), 2);

    let (ok, again, stderr) = check(&app, Some(&imap.url()));
    assert!(ok, "{again}{stderr}");
    assert!(again.contains("messages lus : 0\n"), "{again}");
    assert_eq!(imap.message_count(), 4);
}
