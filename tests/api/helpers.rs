use std::path::PathBuf;
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use jalon::catalog::Catalog;
use jalon::clock::MockClock;
use jalon::config::{AuthSettings, WidgetSettings};
use jalon::domain::staff::Role;
use jalon::domain::{Email, QuestionnaireCode};
use jalon::seal_key::SealKey;
use jalon::startup::{AppParts, Application};
use jalon::store;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::Map;
use uuid::Uuid;

pub struct TestApp {
    pub address: String,
    pub db: DatabaseConnection,
    pub clock: MockClock,
    pub client: reqwest::Client,
    pub catalog: Arc<Catalog>,
    pub database_url: String,
    /// The key the app seals anonymous responses with, and its file.
    pub seal_key: SealKey,
    pub seal_key_file: PathBuf,
    _dir: Option<tempfile::TempDir>,
    _key_dir: tempfile::TempDir,
}

pub fn questionnaires_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("questionnaires")
}

/// A fresh, migrated database: a SQLite file in a temporary folder, or, when
/// `JALON_TEST_DATABASE_URL` names a PostgreSQL server, a new database on it.
pub async fn fresh_database() -> (DatabaseConnection, String, Option<tempfile::TempDir>) {
    let (db, url, dir) = empty_database().await;
    store::migrate(&db).await.expect("migrations apply");
    (db, url, dir)
}

/// Like [`fresh_database`], without any migration applied.
pub async fn empty_database() -> (DatabaseConnection, String, Option<tempfile::TempDir>) {
    let (url, dir) = match std::env::var("JALON_TEST_DATABASE_URL") {
        Ok(server_url) if server_url.starts_with("postgres") => {
            let admin = store::connect(&server_url, 1)
                .await
                .expect("PostgreSQL reachable");
            let name = format!("jalon_test_{}", Uuid::new_v4().simple());
            admin
                .execute_raw(Statement::from_string(
                    admin.get_database_backend(),
                    format!("CREATE DATABASE {name}"),
                ))
                .await
                .expect("create test database");
            admin.close().await.ok();
            let mut url = url::Url::parse(&server_url).expect("valid URL");
            url.set_path(&name);
            (url.to_string(), None)
        }
        _ => {
            let dir = tempfile::tempdir().expect("temporary folder");
            let url = format!("sqlite://{}", dir.path().join("jalon.db").display());
            (url, Some(dir))
        }
    };
    let db = store::connect(&url, 8).await.expect("database reachable");
    (db, url, dir)
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(WidgetSettings::default()).await
}

/// The app with the download widget's settings (origins, proxies, rate limits).
pub async fn spawn_app_with(widget: WidgetSettings) -> TestApp {
    spawn_app_full(widget, AuthSettings::default(), "127.0.0.1:0").await
}

/// The app with staff sign-in settings (single sign-on, local passwords), listening on
/// `address` (the provider must know jalon's redirect URL before jalon starts).
pub async fn spawn_app_with_auth(auth: AuthSettings, address: &str) -> TestApp {
    spawn_app_full(WidgetSettings::default(), auth, address).await
}

async fn spawn_app_full(widget: WidgetSettings, auth: AuthSettings, address: &str) -> TestApp {
    let (db, database_url, dir) = fresh_database().await;
    let key_dir = tempfile::tempdir().expect("temporary folder");
    let seal_key_file = key_dir.path().join("jalon.seal-key");
    let seal_key = jalon::store::anonymity::open_seal_key(&db, &seal_key_file)
        .await
        .expect("seal key created");
    let catalog =
        Arc::new(Catalog::load_dir(&questionnaires_dir()).expect("shipped questionnaires load"));
    let clock = MockClock::new(Utc.with_ymd_and_hms(2026, 3, 16, 9, 30, 0).unwrap());
    store::versions::record_all(&db, &catalog, clock.now_utc())
        .await
        .expect("versions recorded");
    let app = Application::build_with_widget(
        AppParts {
            db: db.clone(),
            catalog: catalog.clone(),
            clock: Arc::new(clock.clone()),
            max_body_bytes: 64 * 1024,
            results: Default::default(),
            seal_key: seal_key.clone(),
            auth,
        },
        widget,
        address,
    )
    .expect("app builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    // The default client acts as an admin (a bearer token), so that tests of other features
    // reach staff routes; `anonymous_client`, `client_as` and `sign_in_as` act otherwise.
    let admin_token = store::staff::create_api_token(&db, "tests", &Role::Admin, clock.now_utc())
        .await
        .expect("admin token");
    let client = bearer_client(&admin_token);
    TestApp {
        address,
        db,
        clock,
        client,
        catalog,
        database_url,
        seal_key,
        seal_key_file,
        _dir: dir,
        _key_dir: key_dir,
    }
}

fn bearer_client(token: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse().unwrap(),
    );
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(headers)
        .build()
        .unwrap()
}

/// A browser signed in as a staff member: keeps the session cookie, knows the CSRF token
/// its forms carry.
pub struct StaffBrowser {
    pub client: reqwest::Client,
    pub csrf: String,
}

/// The value of `name="_csrf"` in a page.
pub fn csrf_in(html: &str) -> String {
    let marker = r#"name="_csrf" value=""#;
    let start = html.find(marker).expect("a CSRF field") + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

/// Password of the accounts `sign_in_as` creates.
pub const STAFF_PASSWORD: &str = "un mot de passe assez long";

trait NowUtc {
    fn now_utc(&self) -> chrono::DateTime<Utc>;
}

impl NowUtc for MockClock {
    fn now_utc(&self) -> chrono::DateTime<Utc> {
        jalon::clock::Clock::now(self)
    }
}

impl TestApp {
    /// A client without any credentials (respondents, the website, an intruder).
    pub fn anonymous_client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_store(true)
            .build()
            .unwrap()
    }

    /// A client with a bearer token of `role` (`admin`, `analyst`, `regional:CODE`).
    pub async fn client_as(&self, role: &str) -> reqwest::Client {
        let role: Role = role.parse().unwrap();
        let token = store::staff::create_api_token(&self.db, "test", &role, self.clock.now_utc())
            .await
            .unwrap();
        bearer_client(&token)
    }

    /// Creates an account of `role` and signs it in through the sign-in form.
    pub async fn sign_in_as(&self, role: &str) -> StaffBrowser {
        let role: Role = role.parse().unwrap();
        let email = format!("{}.{}@anact.example", role.name(), Uuid::new_v4().simple());
        let hash = jalon::domain::staff::password::hash(STAFF_PASSWORD).unwrap();
        store::staff::add_user(
            &self.db,
            &Email::parse(&email).unwrap(),
            &hash,
            &role,
            self.clock.now_utc(),
        )
        .await
        .unwrap()
        .unwrap();
        let client = self.anonymous_client();
        let response = self.sign_in(&client, &email, STAFF_PASSWORD).await;
        assert_eq!(response.status(), 303, "signed in");
        let page = client
            .get(self.url("/connexion"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        StaffBrowser {
            client,
            csrf: csrf_in(&page),
        }
    }

    /// Fills and sends the sign-in form with `client` (which keeps cookies).
    pub async fn sign_in(
        &self,
        client: &reqwest::Client,
        email: &str,
        password: &str,
    ) -> reqwest::Response {
        let form = client
            .get(self.url("/connexion"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        client
            .post(self.url("/connexion"))
            .form(&[
                ("email", email),
                ("password", password),
                ("retour", "/tableau-de-bord"),
                ("_csrf", &csrf_in(&form)),
            ])
            .send()
            .await
            .unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// Creates an invitation in the campaign "test" of `code` and returns its token.
    pub async fn invite(&self, code: QuestionnaireCode) -> String {
        self.invite_with(code, Map::new()).await
    }

    pub async fn invite_with(
        &self,
        code: QuestionnaireCode,
        attributes: Map<String, serde_json::Value>,
    ) -> String {
        let now = self.clock.now_utc();
        let campaign = store::campaigns::find_or_create(&self.db, code, "test", now)
            .await
            .unwrap();
        let email =
            Email::parse(&format!("personne.{}@example.org", Uuid::new_v4().simple())).unwrap();
        let (_, token) = store::invitations::create(
            &self.db,
            self.seal_key.links(),
            campaign.id,
            &email,
            &attributes,
            now,
        )
        .await
        .unwrap();
        token.expose().to_owned()
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    pub async fn post_form(&self, path: &str, body: impl Into<reqwest::Body>) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    /// The rows of `table`, which may be followed by a condition (`"outbox WHERE …"`).
    pub async fn count(&self, table: &str) -> i64 {
        let row = self
            .db
            .query_one_raw(Statement::from_string(
                self.db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get::<i64>("", "n").unwrap()
    }

    /// Fails unless the participation counts the triggers keep agree with a `COUNT(*)` over
    /// the invitations themselves.
    pub async fn assert_invitation_counts_agree(&self) {
        let rows = |sql: &str| {
            let sql = sql.to_owned();
            async move {
                let rows = self
                    .db
                    .query_all_raw(Statement::from_string(self.db.get_database_backend(), sql))
                    .await
                    .unwrap();
                let mut rows: Vec<String> = rows
                    .iter()
                    .map(|r| {
                        let campaign: Uuid = r.try_get("", "campaign_id").unwrap();
                        let key: String = r.try_get("", "k").unwrap();
                        let n: i64 = r.try_get("", "n").unwrap();
                        format!("{campaign} {key} {n}")
                    })
                    .collect();
                rows.sort();
                rows
            }
        };
        // The keys as text, so both databases compare them the same way.
        let (text, date) = match self.db.get_database_backend() {
            sea_orm::DbBackend::Postgres => (
                "sent_at::text || ' ' || status || ' ' || reminders_sent::text",
                "opened_on::text",
            ),
            _ => (
                "sent_at || ' ' || status || ' ' || reminders_sent",
                "opened_on",
            ),
        };
        // The counts with their changes not yet moved in (PostgreSQL), summed per key.
        let kept = rows(&format!(
            "SELECT campaign_id, {text} AS k, CAST(SUM(n) AS BIGINT) AS n FROM \
             (SELECT campaign_id, sent_at, status, reminders_sent, n FROM invitation_counts \
              UNION ALL SELECT campaign_id, sent_at, status, reminders_sent, n \
              FROM invitation_count_changes) AS c \
             GROUP BY campaign_id, sent_at, status, reminders_sent HAVING SUM(n) > 0"
        ))
        .await;
        let counted = rows(&format!(
            "SELECT campaign_id, {text} AS k, COUNT(*) AS n FROM invitations \
             WHERE sent_at IS NOT NULL GROUP BY campaign_id, sent_at, status, reminders_sent"
        ))
        .await;
        assert_eq!(kept, counted, "sent invitations");
        assert!(!counted.is_empty(), "something was sent");
        let kept = rows(&format!(
            "SELECT campaign_id, {date} AS k, CAST(SUM(n) AS BIGINT) AS n FROM \
             (SELECT campaign_id, opened_on, n FROM opened_counts \
              UNION ALL SELECT campaign_id, opened_on, n FROM opened_count_changes) AS c \
             GROUP BY campaign_id, opened_on HAVING SUM(n) > 0"
        ))
        .await;
        let counted = rows(&format!(
            "SELECT campaign_id, {date} AS k, COUNT(*) AS n FROM invitations \
             WHERE opened_on IS NOT NULL GROUP BY campaign_id, opened_on"
        ))
        .await;
        assert_eq!(kept, counted, "opened links");
    }

    /// Counts of (responses, answers, completed invitations): what a bad input must not move.
    pub async fn stored(&self) -> (i64, i64, i64) {
        let completed = {
            let row = self
                .db
                .query_one_raw(Statement::from_string(
                    self.db.get_database_backend(),
                    "SELECT COUNT(*) AS n FROM invitations WHERE status = 'completed'".to_owned(),
                ))
                .await
                .unwrap()
                .unwrap();
            row.try_get::<i64>("", "n").unwrap()
        };
        (
            self.count("responses").await + self.count("anonymous_pending").await,
            self.count("answers").await,
            completed,
        )
    }

    /// Runs the release of anonymous responses as dispatch does (`store::anonymity`), at the
    /// app's clock and the default threshold; returns the number released.
    pub async fn release_anonymous(&self) -> u64 {
        store::anonymity::release_due_campaigns(
            &self.db,
            &self.seal_key,
            &[QuestionnaireCode::I6, QuestionnaireCode::I7],
            jalon::domain::indicators::DEFAULT_THRESHOLD,
            self.clock.now_utc(),
        )
        .await
        .expect("release runs")
        .released
    }
}

/// A complete, valid set of answers for `code`, as form pairs: for every required question
/// the first favourable value or the first option.
pub fn valid_form_answers(app: &TestApp, code: QuestionnaireCode) -> Vec<(String, String)> {
    use jalon::domain::questionnaire::QuestionKind;
    let definition = &app.catalog.get(code).unwrap().definition;
    let mut pairs = Vec::new();
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
        pairs.push((q.id.clone(), value));
    }
    pairs
}

pub fn encode(pairs: &[(String, String)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// A questionnaires folder with the shipped network and email files and the given
/// definition files, for tests that need to edit or break definitions.
pub fn questionnaires_folder(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for sub in ["network", "emails"] {
        let target = dir.path().join(sub);
        std::fs::create_dir_all(&target).unwrap();
        for entry in std::fs::read_dir(questionnaires_dir().join(sub)).unwrap() {
            let path = entry.unwrap().path();
            std::fs::copy(&path, target.join(path.file_name().unwrap())).unwrap();
        }
    }
    for (name, content) in files {
        std::fs::write(dir.path().join(name), content).unwrap();
    }
    dir
}

impl TestApp {
    /// A dispatcher on this app's database, sending through `mailer`.
    pub fn dispatcher(
        &self,
        mailer: std::sync::Arc<dyn jalon::mail::Mailer>,
    ) -> jalon::dispatch::Dispatcher {
        jalon::dispatch::Dispatcher {
            db: self.db.clone(),
            catalog: self.catalog.clone(),
            mailer,
            base_url: self.address.clone(),
            from: "Réseau Anact-Aract <enquetes@anact.example>"
                .parse()
                .unwrap(),
            retention_months: jalon::domain::retention::DEFAULT_MONTHS,
            anonymity_threshold: jalon::domain::indicators::DEFAULT_THRESHOLD,
            seal_key: self.seal_key.clone(),
            bounce_address: None,
        }
    }

    pub fn smtp_dispatcher(&self, smtp: &crate::smtp::SmtpSink) -> jalon::dispatch::Dispatcher {
        self.dispatcher(std::sync::Arc::new(
            jalon::mail::SmtpMailer::from_url(&smtp.url(), None).unwrap(),
        ))
    }

    pub fn now(&self) -> chrono::DateTime<Utc> {
        self.clock.now_utc()
    }
}
