//! Sealed anonymous responses are encrypted under a key kept outside the database
//! (`JALON_SEAL_KEY_FILE`): a new process with the same key file releases them; a missing or
//! wrong key keeps them (never lost, never released, loudly reported, `serve` refuses to
//! start); rows sealed before encryption (bare JSON) are still released.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use jalon::domain::QuestionnaireCode;
use jalon::entities::anonymous_pending;
use jalon::seal_key::{SealKey, SealKeyError};
use sea_orm::{EntityTrait, Set};
use serde_json::{Value, json};

use crate::helpers::{TestApp, encode, questionnaires_dir, spawn_app, valid_form_answers};

const I7: QuestionnaireCode = QuestionnaireCode::I7;

fn comment(i: usize) -> String {
    format!("Signé de l'agent numéro {i:02}")
}

/// `n` agents of the campaign "test" of i7 answer through the form, each with a comment
/// that names them: their responses are sealed.
async fn agents_answer(app: &TestApp, n: usize) {
    for i in 0..n {
        let token = app
            .invite_with(
                I7,
                json!({ "entity": "aract-bretagne" })
                    .as_object()
                    .cloned()
                    .unwrap(),
            )
            .await;
        let mut pairs = valid_form_answers(app, I7);
        pairs.push(("commentaire".to_owned(), comment(i)));
        let response = app.post_form(&format!("/r/{token}"), encode(&pairs)).await;
        assert_eq!(response.status(), 303, "{i}");
    }
}

/// The `jalon` binary on the app's database, with `key_file` as its seal key.
fn jalon(app: &TestApp, key_file: &Path, work: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_jalon"));
    command
        .env("JALON_DATABASE_URL", &app.database_url)
        .env("JALON_SEAL_KEY_FILE", key_file)
        .env("JALON_QUESTIONNAIRES_DIR", questionnaires_dir())
        .env("JALON_OUTBOX_DIR", work.join("outbox"))
        .env("JALON_SCHEDULER", "off")
        .env("JALON_LOG", "warn");
    command
}

async fn dispatch(app: &TestApp, key_file: &Path, work: &Path) -> Output {
    let mut command = jalon(app, key_file, work);
    command.args(["dispatch", "--as-of", &app.now().to_rfc3339()]);
    tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap()
}

/// `jalon serve`, which must exit by itself (refusing to start) within a minute.
async fn serve_exits(app: &TestApp, key_file: &Path, work: &Path) -> Output {
    let mut command = jalon(app, key_file, work);
    command
        .env("JALON_BIND", "127.0.0.1:0")
        .arg("serve")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    tokio::task::spawn_blocking(move || {
        let mut child = command.spawn().unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        while child.try_wait().unwrap().is_none() {
            if Instant::now() > deadline {
                child.kill().unwrap();
                child.wait().unwrap();
                panic!("serve started with a key that cannot open the sealed responses");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap()
}

async fn comments(app: &TestApp) -> Vec<String> {
    let campaign = jalon::store::campaigns::find(&app.db, I7, "test")
        .await
        .unwrap()
        .unwrap();
    let body: Value = app
        .get(&format!("/api/v1/campaigns/{}/comments", campaign.id))
        .await
        .json()
        .await
        .unwrap();
    let mut texts: Vec<String> = body["comments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["text"].as_str().unwrap().to_owned())
        .collect();
    texts.sort();
    texts
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn a_new_process_with_the_same_key_file_releases_the_sealed_responses() {
    let app = spawn_app().await;
    agents_answer(&app, 5).await;
    assert_eq!(app.count("anonymous_pending").await, 5);
    assert_eq!(app.count("responses").await, 0);
    // Created on first start, readable by its owner only.
    let bytes = std::fs::read(&app.seal_key_file).unwrap();
    assert_eq!(bytes.len(), 32);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&app.seal_key_file).unwrap().permissions();
        assert_eq!(mode.mode() & 0o777, 0o600);
    }

    let work = tempfile::tempdir().unwrap();
    let released = dispatch(&app, &app.seal_key_file, work.path()).await;
    let stdout = text(&released.stdout);
    assert!(
        released.status.success(),
        "{stdout}{}",
        text(&released.stderr)
    );
    assert!(
        stdout.contains("réponses anonymes publiées : 5"),
        "{stdout}"
    );
    assert!(stdout.contains("réponses anonymes retenues"), "{stdout}");
    assert_eq!(app.count("anonymous_pending").await, 0);
    assert_eq!(app.count("responses").await, 5);
    assert_eq!(
        comments(&app).await,
        (0..5).map(comment).collect::<Vec<_>>()
    );
    // The key file is the same one, untouched.
    assert_eq!(std::fs::read(&app.seal_key_file).unwrap(), bytes);
}

#[tokio::test]
async fn a_missing_or_wrong_key_keeps_the_sealed_responses_and_says_so() {
    let app = spawn_app().await;
    agents_answer(&app, 5).await;
    let work = tempfile::tempdir().unwrap();
    let kept = || async { app.count("anonymous_pending").await };

    // No key file: nothing is created (a new key would open none of them), nothing released.
    let missing = work.path().join("absente.seal-key");
    let run = dispatch(&app, &missing, work.path()).await;
    let stderr = text(&run.stderr);
    assert!(!run.status.success());
    assert!(
        stderr.contains("clé de scellement absente") && stderr.contains("5 réponse(s)"),
        "{stderr}"
    );
    assert!(!missing.exists());
    let serve = serve_exits(&app, &missing, work.path()).await;
    assert!(!serve.status.success());
    assert!(text(&serve.stderr).contains("démarrage refusé"));
    assert!(!missing.exists());
    assert_eq!(kept().await, 5);

    // Another key: refused, at start, by dispatch and serve.
    let wrong = work.path().join("autre.seal-key");
    std::fs::write(&wrong, SealKey::generate().unwrap()).unwrap();
    let run = dispatch(&app, &wrong, work.path()).await;
    let stderr = text(&run.stderr);
    assert!(!run.status.success());
    assert!(
        stderr.contains("n'ouvre pas 5 réponse(s)") && stderr.contains("conservées"),
        "{stderr}"
    );
    let serve = serve_exits(&app, &wrong, work.path()).await;
    let stderr = text(&serve.stderr);
    assert!(!serve.status.success());
    assert!(stderr.contains("démarrage refusé"), "{stderr}");
    // A damaged key file: refused too.
    let truncated = work.path().join("tronquee.seal-key");
    std::fs::write(
        &truncated,
        &std::fs::read(&app.seal_key_file).unwrap()[..31],
    )
    .unwrap();
    let run = dispatch(&app, &truncated, work.path()).await;
    assert!(!run.status.success());
    assert!(text(&run.stderr).contains("31 octets au lieu de 32"));
    assert!(matches!(
        jalon::store::anonymity::open_seal_key(&app.db, &wrong).await,
        Err(SealKeyError::Wrong { unreadable: 5, .. })
    ));
    assert_eq!(kept().await, 5);
    assert_eq!(app.count("responses").await, 0);

    // A running instance whose key differs from the one that sealed them (instances not
    // sharing one key file): its releases withhold the campaign, the rest of dispatch runs.
    let mut other = app.dispatcher(std::sync::Arc::new(
        jalon::mail::FileMailer::new(work.path()).unwrap(),
    ));
    other.seal_key = SealKey::from_bytes(SealKey::generate().unwrap());
    let summary = other.run(app.now()).await.unwrap();
    assert_eq!((summary.released, summary.withheld), (0, 5));
    assert_eq!(kept().await, 5);
    assert_eq!(app.count("responses").await, 0);

    // The right key file back: everything is released, nothing was lost.
    let run = dispatch(&app, &app.seal_key_file, work.path()).await;
    assert!(run.status.success(), "{}", text(&run.stderr));
    assert!(text(&run.stdout).contains("réponses anonymes publiées : 5"));
    assert_eq!(kept().await, 0);
    assert_eq!(
        comments(&app).await,
        (0..5).map(comment).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn responses_sealed_in_clear_before_encryption_are_still_released() {
    let app = spawn_app().await;
    let loaded = app.catalog.get(I7).unwrap();
    let campaign = jalon::store::campaigns::find_or_create(&app.db, I7, "test", app.now())
        .await
        .unwrap();
    // Two rows as the previous version sealed them: bare JSON.
    for i in [10, 11] {
        let mut answers: Vec<Value> = valid_form_answers(&app, I7)
            .into_iter()
            .map(|(question, value)| json!([question, [value]]))
            .collect();
        answers.push(json!(["commentaire", [comment(i)]]));
        let payload = json!({
            "answers": answers,
            "attributes": [["entity", "aract-bretagne"]],
        });
        anonymous_pending::Entity::insert(anonymous_pending::ActiveModel {
            id: Set(uuid::Uuid::new_v4()),
            campaign_id: Set(campaign.id),
            version_id: Set(loaded.version.clone()),
            payload: Set(payload.to_string()),
        })
        .exec_without_returning(&app.db)
        .await
        .unwrap();
    }
    // They need no key: a start without a key file creates one.
    let work = tempfile::tempdir().unwrap();
    let fresh = work.path().join("nouvelle.seal-key");
    jalon::store::anonymity::open_seal_key(&app.db, &fresh)
        .await
        .unwrap();
    assert!(fresh.exists());

    // Three more, sealed encrypted; the same campaign is released as a whole.
    agents_answer(&app, 3).await;
    assert_eq!(app.count("anonymous_pending").await, 5);
    assert_eq!(
        jalon::store::anonymity::sealed_with_a_key(&app.db)
            .await
            .unwrap(),
        3
    );
    assert!(matches!(
        jalon::store::anonymity::open_seal_key(&app.db, &work.path().join("autre")).await,
        Err(SealKeyError::Missing { sealed: 3, .. })
    ));
    assert_eq!(app.release_anonymous().await, 5);
    assert_eq!(app.count("anonymous_pending").await, 0);
    assert_eq!(app.count("responses").await, 5);
    let mut expected: Vec<String> = [0, 1, 2, 10, 11].into_iter().map(comment).collect();
    expected.sort();
    assert_eq!(comments(&app).await, expected);
}
