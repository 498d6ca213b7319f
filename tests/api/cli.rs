//! The `jalon` binary, run as staff would run it.

use std::process::Command;

use crate::helpers::{fresh_database, questionnaires_dir, questionnaires_folder};

fn jalon() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_jalon"));
    command
        .env("JALON_QUESTIONNAIRES_DIR", questionnaires_dir())
        .env("JALON_LOG", "warn")
        .env("JALON_BASE_URL", "https://enquetes.example.org/");
    command
}

#[test]
fn check_accepts_the_shipped_questionnaires() {
    let output = jalon().args(["questionnaires", "check"]).output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 5, "{stdout}");
}

#[test]
fn check_lists_every_error_with_file_and_line_and_fails() {
    let dir = questionnaires_folder(&[
        (
            "a.toml",
            "code = \"i4\"\ntitle = \"T\"\nintroduction = \"\"\nestimated_minutes = 1\n\n[[sections]]\nid = \"s\"\ntitle = \"S\"\n\n[[sections.questions]]\nid = \"q\"\ntext = \"Q\"\ntype = \"text\"\nscored = true\n",
        ),
        (
            "b.toml",
            "code = \"i3.1\"\ntitle = \"T\"\nintroduction = \"\"\nestimated_minutes = 1\ncouleur = \"bleu\"\n",
        ),
    ]);
    let output = jalon()
        .args(["questionnaires", "check"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    let a = dir.path().join("a.toml");
    let b = dir.path().join("b.toml");
    assert!(
        stderr.contains(&format!(
            "{}:13: la question « q » de type text doit définir « max_length »",
            a.display()
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("{}:5: clé inconnue « couleur »", b.display())),
        "{stderr}"
    );
    assert!(stderr.contains("2 erreur(s)"), "{stderr}");
}

#[test]
fn serve_refuses_to_start_on_an_invalid_file() {
    let dir = questionnaires_folder(&[("x.toml", "code = \"i4\"\n")]);
    let output = jalon()
        .env("JALON_QUESTIONNAIRES_DIR", dir.path())
        .env(
            "JALON_DATABASE_URL",
            format!("sqlite://{}", dir.path().join("j.db").display()),
        )
        .env("JALON_BIND", "127.0.0.1:0")
        .arg("serve")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("démarrage refusé"), "{stderr}");
    assert!(
        stderr.contains("x.toml:1: clé obligatoire manquante"),
        "{stderr}"
    );
}

#[tokio::test]
async fn invite_prints_a_personal_link_on_the_public_base_url() {
    let (db, url, _dir) = fresh_database().await;
    db.close().await.ok();
    let output = jalon()
        .env("JALON_DATABASE_URL", &url)
        .args([
            "invite",
            "--questionnaire",
            "i3.1",
            "--email",
            "Marie.Curie@Example.org",
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let link = String::from_utf8(output.stdout).unwrap();
    let token = link
        .trim()
        .strip_prefix("https://enquetes.example.org/r/")
        .expect("link on the base URL");
    assert!(jalon::domain::Token::parse(token).is_some());

    let bad = jalon()
        .env("JALON_DATABASE_URL", &url)
        .args([
            "invite",
            "--questionnaire",
            "i3.1",
            "--email",
            "pas-une-adresse",
        ])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("adresse électronique invalide"));
}

#[tokio::test]
async fn demo_loads_hundreds_of_responses_once() {
    let (db, url, _dir) = fresh_database().await;
    let keys = tempfile::tempdir().unwrap();
    let run = || {
        jalon()
            .env("JALON_DATABASE_URL", &url)
            .env("JALON_SEAL_KEY_FILE", keys.path().join("jalon.seal-key"))
            .arg("demo")
            .output()
            .unwrap()
    };
    let first = run();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let count = |table: &'static str| {
        let db = db.clone();
        async move {
            use sea_orm::{ConnectionTrait, Statement};
            db.query_one_raw(Statement::from_string(
                db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get::<i64>("", "n")
            .unwrap()
        }
    };
    let responses = count("responses").await;
    assert!(responses >= 300, "only {responses} demo responses");
    // This year's (or wave's) campaign and the previous one, for each questionnaire.
    assert_eq!(count("campaigns").await, 10);
    let second = run();
    assert!(second.status.success());
    assert!(String::from_utf8_lossy(&second.stdout).contains("déjà présentes"));
    assert_eq!(count("responses").await, responses);

    // The files for statisticians, from the command line: a campaign of 3.1 yes, of 7 never.
    let campaign_of = |code: &'static str| {
        let db = db.clone();
        async move {
            use jalon::entities::campaign;
            use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
            campaign::Entity::find()
                .filter(campaign::Column::QuestionnaireCode.eq(code))
                .one(&db)
                .await
                .unwrap()
                .unwrap()
                .id
                .to_string()
        }
    };
    let out = tempfile::tempdir().unwrap();
    let export = |campaign: &str, file: &str| {
        jalon()
            .env("JALON_DATABASE_URL", &url)
            .env("JALON_SEAL_KEY_FILE", keys.path().join("jalon.seal-key"))
            .args(["export", "--campaign", campaign, file, "--output"])
            .arg(out.path().join(file))
            .output()
            .unwrap()
    };
    let i3_1 = campaign_of("i3.1").await;
    let codebook = export(&i3_1, "codebook.csv");
    assert!(
        codebook.status.success(),
        "{}",
        String::from_utf8_lossy(&codebook.stderr)
    );
    let written = std::fs::read_to_string(out.path().join("codebook.csv")).unwrap();
    assert!(written.contains("outils_compris"), "{written}");
    let sav = export(&i3_1, "reponses.sav");
    assert!(sav.status.success());
    let bytes = std::fs::read(out.path().join("reponses.sav")).unwrap();
    assert!(bytes.starts_with(b"$FL2"), "an SPSS system file");

    let anonymous = export(&campaign_of("i7").await, "reponses.sav");
    assert!(!anonymous.status.success());
    assert!(!String::from_utf8_lossy(&anonymous.stderr).is_empty());
    assert_eq!(
        std::fs::read(out.path().join("reponses.sav")).unwrap(),
        bytes,
        "nothing written for an anonymous questionnaire"
    );
    let unknown = export(&i3_1, "reponses.exe");
    assert!(!unknown.status.success());
    assert!(!out.path().join("reponses.exe").exists());
}

#[tokio::test]
async fn healthcheck_exits_zero_only_when_the_server_is_healthy() {
    let app = crate::helpers::spawn_app().await;
    let bind = app.address.trim_start_matches("http://").to_owned();
    let healthy = tokio::task::spawn_blocking(move || {
        jalon()
            .env("JALON_BIND", bind)
            .arg("healthcheck")
            .status()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(healthy.success());
    let nobody = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = nobody.local_addr().unwrap().to_string();
    drop(nobody);
    let down = jalon()
        .env("JALON_BIND", closed)
        .arg("healthcheck")
        .output()
        .unwrap();
    assert!(!down.status.success());
    assert!(String::from_utf8_lossy(&down.stderr).contains("serveur injoignable"));
}

#[tokio::test]
async fn import_then_dispatch_as_of_a_date_writes_the_emails_and_says_so() {
    let (db, url, dir) = fresh_database().await;
    db.close().await.ok();
    let work = tempfile::tempdir().unwrap();
    let csv = work.path().join("interventions.csv");
    std::fs::write(
        &csv,
        "reference;entreprise;tranche_effectif;type;entite;debut;fin;email;nom\n\
         NOR-1;Imprimerie Exemple;10-49;formation_intra;aract-normandie;2025-03-03;2025-06-16;a@example.org;Ana\n\
         NOR-1;Imprimerie Exemple;10-49;formation_intra;aract-normandie;2025-03-03;2025-06-16;b@example.org;Bo\n",
    )
    .unwrap();
    let outbox = work.path().join("outbox");
    let run = |args: &[&str]| {
        jalon()
            .env("JALON_DATABASE_URL", &url)
            .env("JALON_OUTBOX_DIR", &outbox)
            .env("JALON_SEAL_KEY_FILE", work.path().join("jalon.seal-key"))
            .env("JALON_LOG", "info")
            .args(args)
            .output()
            .unwrap()
    };
    // Not a terminal: progress as plain lines, logs without colour codes, the migrations of
    // a new database not told at `info`.
    let plain = |output: &std::process::Output, progress: &str| {
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(stderr.matches(progress).count(), 1, "told once: {stderr}");
        assert!(!stderr.contains('\x1b'), "no colour codes: {stderr:?}");
        assert!(!stderr.to_lowercase().contains("migration"), "{stderr}");
    };
    let imported = run(&["import", "interventions", csv.to_str().unwrap()]);
    plain(&imported, "import : 1/1");
    assert!(
        imported.status.success(),
        "{}",
        String::from_utf8_lossy(&imported.stdout)
    );
    assert!(
        String::from_utf8_lossy(&imported.stdout)
            .contains("1 élément(s) accepté(s), dont 1 nouveau(x) ; 2 invitation(s)")
    );

    // Due Monday 16 March 2026 at 09:00 Paris: not yet on the 15th, sent on the 16th.
    let before = run(&["dispatch", "--as-of", "2026-03-15"]);
    assert!(String::from_utf8_lossy(&before.stdout).contains("invitations mises en file : 0"));
    let due = run(&["dispatch", "--as-of", "2026-03-16"]);
    let stdout = String::from_utf8_lossy(&due.stdout);
    assert!(due.status.success(), "{stdout}");
    assert!(stdout.contains("invitations mises en file : 2"), "{stdout}");
    assert!(stdout.contains("messages envoyés : 2"), "{stdout}");
    plain(&due, "envoi des courriels : 2/2");
    let files = std::fs::read_dir(&outbox).unwrap().count();
    assert_eq!(files, 2, "one .eml file per email");
    let again = run(&["dispatch", "--as-of", "2026-03-16T12:00:00+01:00"]);
    assert!(String::from_utf8_lossy(&again.stdout).contains("messages envoyés : 0"));

    let bad = run(&["dispatch", "--as-of", "demain"]);
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr)
            .contains("instant RFC 3339 ou date AAAA-MM-JJ attendu")
    );

    let broken = work.path().join("broken.csv");
    std::fs::write(&broken, "reference;email\nX;y@example.org\n").unwrap();
    let rejected = run(&["import", "interventions", broken.to_str().unwrap()]);
    assert!(!rejected.status.success());
    drop(dir);
}

/// The versions in use go back to files: the file's own where nothing was published, the
/// published one otherwise; the exported folder checks like the shipped one.
#[tokio::test]
async fn export_writes_the_versions_in_use_back_as_files() {
    let (db, url, _dir) = fresh_database().await;
    let shipped = std::fs::read_to_string(questionnaires_dir().join("i4.toml")).unwrap();
    let published = shipped.replacen("Vous êtes :", "Vous êtes, en un mot :", 1);
    let now = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 3, 16, 9, 0, 0).unwrap();
    jalon::store::editing::publish(
        &db,
        jalon::domain::QuestionnaireCode::I4,
        &published,
        None,
        "test@anact.example",
        now,
    )
    .await
    .unwrap();
    db.close().await.ok();
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("export");
    let output = jalon()
        .env("JALON_DATABASE_URL", &url)
        .args(["questionnaires", "export"])
        .arg(&target)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(String::from_utf8(output.stdout).unwrap().lines().count(), 5);
    assert_eq!(
        std::fs::read_to_string(target.join("i4.toml")).unwrap(),
        published
    );
    assert_eq!(
        std::fs::read_to_string(target.join("i3_1.toml")).unwrap(),
        std::fs::read_to_string(questionnaires_dir().join("i3_1.toml")).unwrap()
    );
    // Each questionnaire's emails in use, under its own name: i4 has no file of its own, and
    // keeps the default texts, as nothing published others.
    let emails = |folder: &std::path::Path, name: &str| {
        std::fs::read_to_string(folder.join("emails").join(name)).unwrap()
    };
    assert_eq!(
        emails(&target, "i4.toml"),
        emails(&questionnaires_dir(), "default.toml")
    );
    assert_eq!(
        emails(&target, "i3_1.toml"),
        emails(&questionnaires_dir(), "i3_1.toml")
    );
    // With the network and emails beside them, the exported files check as a folder.
    for sub in ["network", "emails"] {
        std::fs::create_dir_all(target.join(sub)).unwrap();
        for entry in std::fs::read_dir(questionnaires_dir().join(sub)).unwrap() {
            let path = entry.unwrap().path();
            std::fs::copy(&path, target.join(sub).join(path.file_name().unwrap())).unwrap();
        }
    }
    let check = jalon()
        .args(["questionnaires", "check"])
        .arg(&target)
        .output()
        .unwrap();
    assert!(check.status.success());
}

/// A sender address that does not parse stops the command before anything is queued: later,
/// it would fail every email of the sending for good.
#[test]
fn a_bad_sender_address_stops_dispatch_at_once_in_french() {
    let work = tempfile::tempdir().unwrap();
    let database = work.path().join("jalon.db");
    let output = jalon()
        .env(
            "JALON_DATABASE_URL",
            format!("sqlite://{}", database.display()),
        )
        .env("JALON_MAIL_FROM", "Enquêtes anact.fr")
        .arg("dispatch")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr
            .contains("JALON_MAIL_FROM : « Enquêtes anact.fr » n'est pas une adresse d'expéditeur"),
        "{stderr}"
    );
    assert!(!database.exists(), "nothing opened, nothing written");
}
