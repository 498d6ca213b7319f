//! The download widget on a stand-in website and every page a respondent sees, in headless
//! Chromium with axe-core: `tests/browser/widget.test.mjs`, run against the real `jalon`
//! binary; the front door and the staff pages at 320 px wide on the demo data:
//! `tests/browser/reflow.test.mjs`. Needs Debian's `chromium` and Node.js (with npm); fails,
//! never skips, without them.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, Statement};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port on loopback")
}

/// Stops `jalon serve` however the test ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn require_tool(program: &str, args: &[&str], install: &str) {
    let found = Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    assert!(
        found,
        "the browser test needs `{program}`, which is missing or broken: {install}"
    );
}

/// A database for this run: a SQLite file, or a new PostgreSQL database when
/// `JALON_TEST_DATABASE_URL` names a server (like the API tests).
async fn database(dir: &Path) -> String {
    match std::env::var("JALON_TEST_DATABASE_URL") {
        Ok(server) if server.starts_with("postgres") => {
            let admin = jalon::store::connect(&server, 1)
                .await
                .expect("PostgreSQL reachable");
            let name = format!("jalon_browser_{}", uuid::Uuid::new_v4().simple());
            admin
                .execute_raw(Statement::from_string(
                    admin.get_database_backend(),
                    format!("CREATE DATABASE {name}"),
                ))
                .await
                .expect("test database created");
            admin.close().await.ok();
            let mut url = url::Url::parse(&server).expect("valid URL");
            url.set_path(&name);
            url.to_string()
        }
        _ => format!("sqlite://{}", dir.join("jalon.db").display()),
    }
}

fn jalon(database_url: &str, dir: &Path, bind: &str, site: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_jalon"));
    command
        .env("JALON_DATABASE_URL", database_url)
        .env("JALON_QUESTIONNAIRES_DIR", repo().join("questionnaires"))
        .env("JALON_BIND", bind)
        .env("JALON_BASE_URL", format!("http://{bind}"))
        .env("JALON_OUTBOX_DIR", dir.join("outbox"))
        .env("JALON_SEAL_KEY_FILE", dir.join("jalon.seal-key"))
        .env("JALON_SCHEDULER", "off")
        .env("JALON_LOG", "warn")
        .env("JALON_WIDGET_ORIGINS", site)
        .env("JALON_DOWNLOADS_FLUSH_MS", "100")
        // Single sign-on configured, so that the sign-in page shows (and axe audits) the
        // ProConnect button beside the password form; no provider is reached by these pages.
        .env("JALON_OIDC_ISSUER", "https://proconnect.example")
        .env("JALON_OIDC_CLIENT_ID", "jalon-tests")
        .env("JALON_OIDC_CLIENT_SECRET", "not-a-secret");
    command
}

/// `jalon invite` and the token of the link it prints.
fn invite(
    base: &mut dyn FnMut() -> Command,
    questionnaire: &str,
    campaign: Option<&str>,
) -> String {
    let mut command = base();
    command.args(["invite", "--questionnaire", questionnaire, "--email"]);
    command.arg(format!("{}@example.org", uuid::Uuid::new_v4().simple()));
    if let Some(campaign) = campaign {
        command.args(["--campaign", campaign]);
    }
    let output = command.output().expect("jalon invite runs");
    assert!(
        output.status.success(),
        "jalon invite: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let link = String::from_utf8(output.stdout).expect("UTF-8 link");
    link.trim()
        .rsplit('/')
        .next()
        .expect("a token at the end of the link")
        .to_owned()
}

/// The browser and the test scripts' packages (`npm ci` once, whichever test comes first):
/// the path of the browser.
fn browser_tools() -> String {
    static READY: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = READY
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let chromium = std::env::var("JALON_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    require_tool(
        &chromium,
        &["--version"],
        "install it with `apt-get install -y --no-install-recommends chromium` (or set JALON_CHROMIUM)",
    );
    require_tool(
        "node",
        &["--version"],
        "install Node.js 18 or later (`apt-get install -y nodejs npm`)",
    );
    let browser_dir = repo().join("tests/browser");
    if !browser_dir.join("node_modules/playwright-core").exists()
        || !browser_dir.join("node_modules/axe-core").exists()
    {
        require_tool(
            "npm",
            &["--version"],
            "install npm (`apt-get install -y npm`)",
        );
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&browser_dir)
            .status()
            .expect("npm ci runs");
        assert!(status.success(), "npm ci failed in tests/browser");
    }
    chromium
}

/// Starts `command` (a `jalon serve`) and waits until it answers on `bind`.
async fn serve(mut command: Command, bind: &str, within: Duration) -> Server {
    let server = Server(
        command
            .stdout(Stdio::null())
            .spawn()
            .expect("jalon serve starts"),
    );
    let client = reqwest::Client::new();
    let started = Instant::now();
    loop {
        let healthy = client
            .get(format!("http://{bind}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success());
        if healthy {
            return server;
        }
        assert!(
            started.elapsed() < within,
            "jalon serve did not answer on {bind}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn widget_and_respondent_pages_in_headless_chromium() {
    let chromium = browser_tools();
    let browser_dir = repo().join("tests/browser");

    let dir = tempfile::tempdir().expect("temporary folder");
    let database_url = database(dir.path()).await;
    let bind = format!("127.0.0.1:{}", free_port());
    let site_port = free_port();
    let site = format!("http://127.0.0.1:{site_port}");
    let mut base = || jalon(&database_url, dir.path(), &bind, &site);

    let form = invite(&mut base, "i3.1", None);
    let thanks = invite(&mut base, "i4", None);
    let closed = invite(&mut base, "i4", Some("campagne close"));
    let token = base()
        .args([
            "api-token",
            "create",
            "--name",
            "browser-test",
            "--role",
            "analyst",
        ])
        .output()
        .expect("jalon api-token create runs");
    assert!(token.status.success(), "jalon api-token create");
    let token = String::from_utf8(token.stdout).expect("UTF-8 token");
    let staff_password = "un mot de passe de test assez long";
    let added = base()
        .args([
            "user",
            "add",
            "--email",
            "admin@anact.example",
            "--role",
            "admin",
        ])
        .env("JALON_NEW_PASSWORD", staff_password)
        .output()
        .expect("jalon user add runs");
    assert!(added.status.success(), "jalon user add");
    let anonymous = invite(&mut base, "i7", None);
    let db = jalon::store::connect(&database_url, 1)
        .await
        .expect("database reachable");
    db.execute_raw(Statement::from_string(
        db.get_database_backend(),
        "UPDATE campaigns SET status = 'closed' WHERE label = 'campagne close'".to_owned(),
    ))
    .await
    .expect("campaign closed");
    db.close().await.ok();

    let mut command = base();
    command.arg("serve");
    let _server = serve(command, &bind, Duration::from_secs(30)).await;

    let status = Command::new("node")
        .arg("widget.test.mjs")
        .current_dir(&browser_dir)
        .env("JALON_URL", format!("http://{bind}"))
        .env("SITE_PORT", site_port.to_string())
        .env("TOKEN_FORM", form)
        .env("TOKEN_THANKS", thanks)
        .env("TOKEN_CLOSED", closed)
        .env("JALON_API_TOKEN", token.trim())
        .env("STAFF_EMAIL", "admin@anact.example")
        .env("STAFF_PASSWORD", staff_password)
        .env("TOKEN_ANONYMOUS", anonymous)
        .env("JALON_CHROMIUM", &chromium)
        .status()
        .expect("node runs");
    assert!(
        status.success(),
        "the browser test failed (its output is above)"
    );
}

/// The front door, and the dashboard and downloads page at 320 px wide (RGAA 10.11), on the
/// demo data: its long wave labels ("Démonstration (vague précédente)"), two waves of 6 and 7
/// for the trend charts, and a full table of resources.
#[tokio::test]
async fn front_door_and_staff_pages_reflow_at_320_px_on_the_demo_data() {
    let chromium = browser_tools();
    let dir = tempfile::tempdir().expect("temporary folder");
    let database_url = database(dir.path()).await;
    let bind = format!("127.0.0.1:{}", free_port());
    let site = format!("http://127.0.0.1:{}", free_port());
    let base = || jalon(&database_url, dir.path(), &bind, &site);
    let staff_password = "un mot de passe de test assez long";
    let added = base()
        .args([
            "user",
            "add",
            "--email",
            "admin@anact.example",
            "--role",
            "admin",
        ])
        .env("JALON_NEW_PASSWORD", staff_password)
        .output()
        .expect("jalon user add runs");
    assert!(added.status.success(), "jalon user add");
    let mut command = base();
    command.args(["serve", "--demo"]);
    // The demo data are loaded before the server listens.
    let _server = serve(command, &bind, Duration::from_secs(120)).await;

    let status = Command::new("node")
        .arg("reflow.test.mjs")
        .current_dir(repo().join("tests/browser"))
        .env("JALON_URL", format!("http://{bind}"))
        .env("STAFF_EMAIL", "admin@anact.example")
        .env("STAFF_PASSWORD", staff_password)
        .env("JALON_CHROMIUM", &chromium)
        .status()
        .expect("node runs");
    assert!(
        status.success(),
        "the reflow test failed (its output is above)"
    );
}
