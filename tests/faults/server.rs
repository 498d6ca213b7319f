//! Starting the real `jalon` binary on a database, waiting for it, killing it.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use jalon::catalog::Catalog;
use jalon::clock::{Clock, SystemClock};
use jalon::domain::{Email, QuestionnaireCode};
use jalon::link_key::LinkKey;
use jalon::store;
use sea_orm::DatabaseConnection;
use serde_json::{Map, Value};

pub fn questionnaires_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("questionnaires")
}

pub fn catalog() -> Catalog {
    Catalog::load_dir(&questionnaires_dir()).expect("shipped questionnaires load")
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub struct Jalon {
    child: Option<Child>,
    pub address: String,
}

impl Jalon {
    /// `jalon serve` on `database_url`, scheduler off unless `env` says otherwise.
    pub async fn start(database_url: &str, env: &[(&str, String)]) -> Self {
        // On SQLite the seal key defaults to a file beside the database; elsewhere it would
        // land in the working directory.
        assert!(
            database_url.starts_with("sqlite")
                || env.iter().any(|(k, _)| *k == "JALON_SEAL_KEY_FILE"),
            "give JALON_SEAL_KEY_FILE"
        );
        let port = free_port();
        let mut command = Command::new(env!("CARGO_BIN_EXE_jalon"));
        command
            .arg("serve")
            .env("JALON_DATABASE_URL", database_url)
            .env("JALON_BIND", format!("127.0.0.1:{port}"))
            .env("JALON_BASE_URL", format!("http://127.0.0.1:{port}"))
            .env("JALON_QUESTIONNAIRES_DIR", questionnaires_dir())
            .env("JALON_SCHEDULER", "off")
            .env("JALON_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        for (key, value) in env {
            command.env(key, value);
        }
        let child = command.spawn().expect("jalon binary starts");
        let jalon = Jalon {
            child: Some(child),
            address: format!("http://127.0.0.1:{port}"),
        };
        jalon.wait_healthy(Duration::from_secs(30)).await;
        jalon
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Waits until `/healthz` answers 200.
    pub async fn wait_healthy(&self, within: Duration) {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + within;
        loop {
            if let Ok(r) = client.get(self.url("/healthz")).send().await
                && r.status() == 200
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "jalon not healthy within {within:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGKILL: no shutdown hook runs.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().expect("SIGKILL sent");
            child.wait().expect("killed jalon reaped");
        }
    }
}

impl Drop for Jalon {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The key of personal links of the seal key file `key_file` (created if absent), the one the
/// `jalon` processes started on this database will use.
pub async fn link_key(db: &DatabaseConnection, key_file: &str) -> LinkKey {
    store::anonymity::open_seal_key(db, std::path::Path::new(key_file))
        .await
        .expect("seal key")
        .links()
        .clone()
}

/// The seal key file of a SQLite database when none is given (beside it).
pub fn default_key_file(database_url: &str) -> String {
    jalon::seal_key::default_path(database_url)
        .display()
        .to_string()
}

/// `n` invitations to `code` in campaign "faults", created now; their tokens.
pub async fn invite(
    db: &DatabaseConnection,
    links: &LinkKey,
    code: QuestionnaireCode,
    n: usize,
) -> Vec<String> {
    let now = SystemClock.now();
    store::versions::record_all(db, &catalog(), now)
        .await
        .unwrap();
    let campaign = store::campaigns::find_or_create(db, code, "faults", now)
        .await
        .unwrap();
    let mut tokens = Vec::with_capacity(n);
    for i in 0..n {
        let email = Email::parse(&format!("personne.{i}@example.org")).unwrap();
        let (_, token) =
            store::invitations::create(db, links, campaign.id, &email, &Map::new(), now)
                .await
                .unwrap();
        tokens.push(token.expose().to_owned());
    }
    tokens
}

/// A complete, valid JSON body for `code`: each required, unconditional question gets its
/// first favourable value (or first option, the minimum, a short text).
pub fn valid_answers(code: QuestionnaireCode) -> Value {
    use jalon::domain::questionnaire::QuestionKind;
    let catalog = catalog();
    let definition = &catalog.get(code).unwrap().definition;
    let mut answers = Map::new();
    for q in definition.questions() {
        if !q.required || q.condition.is_some() {
            continue;
        }
        let value = match &q.kind {
            QuestionKind::Text { .. } => "Réponse libre".to_owned(),
            QuestionKind::Number { min, .. } => min.to_string(),
            kind => kind
                .favorable()
                .first()
                .cloned()
                .unwrap_or_else(|| kind.options()[0].value.clone()),
        };
        answers.insert(q.id.clone(), Value::String(value));
    }
    serde_json::json!({ "answers": answers })
}

/// The same answers as form pairs, for `POST /r/{token}`.
pub fn form_body(answers: &Value) -> String {
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    for (key, value) in answers["answers"].as_object().unwrap() {
        form.append_pair(key, value.as_str().unwrap());
    }
    form.finish()
}

/// A client acting as an admin (a bearer token created in the database): the registration
/// API, the results and the dashboard are behind the sign-in.
pub async fn staff_client(database_url: &str) -> reqwest::Client {
    let db = jalon::store::connect(database_url, 1)
        .await
        .expect("database reachable");
    let token = jalon::store::staff::create_api_token(
        &db,
        "faults",
        &jalon::domain::staff::Role::Admin,
        SystemClock.now(),
    )
    .await
    .expect("token created");
    db.close().await.ok();
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse().expect("header value"),
    );
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .expect("client")
}
