//! Single sign-on against a real OpenID Connect provider: `oidc-provider` (npm, pinned in
//! tests/oidc) started on loopback by each test, configured like ProConnect (the `claims`
//! parameter, `acr` values, signed userinfo, `client_secret_post`, RP-initiated logout, no
//! PKCE advertised unless asked). The provider signs its one test user in without a form;
//! the browser is a reqwest client with a cookie store, following redirects by hand.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Once;
use std::time::Duration;

use jalon::config::{AuthSettings, ClientSecret, OidcSettings, parse_domain_rules};
use jalon::domain::Email;
use jalon::domain::staff::Role;
use jalon::store;

use crate::helpers::{TestApp, spawn_app_with_auth};

const CLIENT_ID: &str = "jalon-test";
const CLIENT_SECRET: &str = "un secret de client de test";

/// The provider's process, stopped however the test ends.
struct Provider {
    child: Child,
    issuer: String,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn oidc_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oidc")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Node.js and the provider's package: missing ones fail the test with what to do.
fn require_node() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let node = Command::new("node")
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            node,
            "the single sign-on tests need Node.js 20 or later: `apt-get install -y nodejs npm`"
        );
        let dir = oidc_dir();
        if !dir.join("node_modules/oidc-provider").exists() {
            let status = Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
                .current_dir(&dir)
                .status()
                .expect("the single sign-on tests need npm: `apt-get install -y npm`");
            assert!(status.success(), "npm ci failed in tests/oidc");
        }
    });
}

/// How the provider is set up for one test.
struct Setup {
    email: &'static str,
    /// The `acr` the test user signs in with (empty: none).
    login_acr: &'static str,
    pkce: bool,
    /// `acr` values jalon requires.
    required_acr: &'static [&'static str],
    domains: &'static str,
    local_passwords: bool,
    /// Lifetime of the provider's ID tokens, in seconds.
    id_token_ttl: u32,
}

impl Default for Setup {
    fn default() -> Self {
        Self {
            email: "camille.agent@anact.fr",
            login_acr: "eidas1",
            pkce: false,
            required_acr: &["eidas1"],
            domains: "",
            local_passwords: true,
            id_token_ttl: 3600,
        }
    }
}

/// jalon and its provider, each on its own loopback port.
async fn start(setup: Setup) -> (TestApp, Provider) {
    require_node();
    let provider_port = free_port();
    let app_port = free_port();
    let issuer = format!("http://127.0.0.1:{provider_port}");
    let base = format!("http://127.0.0.1:{app_port}");
    let auth = AuthSettings {
        oidc: Some(OidcSettings {
            issuer: issuer.clone(),
            client_id: CLIENT_ID.to_owned(),
            client_secret: ClientSecret::new(CLIENT_SECRET),
            scopes: "openid email given_name usual_name uid siret idp_id"
                .split(' ')
                .map(str::to_owned)
                .collect(),
            acr: setup.required_acr.iter().map(|s| (*s).to_owned()).collect(),
            redirect_url: format!("{base}/connexion/oidc/retour"),
            post_logout_redirect_url: format!("{base}/connexion"),
            domains: parse_domain_rules(setup.domains).unwrap(),
            name: "ProConnect".to_owned(),
        }),
        local_passwords: setup.local_passwords,
        ..AuthSettings::default()
    };
    // What node says on its error stream, shown if the provider does not start.
    let stderr = tempfile::NamedTempFile::new().expect("a temporary file");
    let mut child = Command::new("node")
        .arg("provider.mjs")
        .current_dir(oidc_dir())
        .env("PORT", provider_port.to_string())
        .env("CLIENT_ID", CLIENT_ID)
        .env("CLIENT_SECRET", CLIENT_SECRET)
        .env("REDIRECT_URI", format!("{base}/connexion/oidc/retour"))
        .env("POST_LOGOUT_REDIRECT_URI", format!("{base}/connexion"))
        .env("USER_EMAIL", setup.email)
        .env("LOGIN_ACR", setup.login_acr)
        .env("PKCE", if setup.pkce { "on" } else { "off" })
        .env("ID_TOKEN_TTL", setup.id_token_ttl.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(stderr.reopen().expect("provider's error file")))
        .spawn()
        .expect("node starts the provider");
    let stdout = child.stdout.take().unwrap();
    let (ready_tx, ready) = tokio::sync::oneshot::channel();
    // The first line says the provider listens; the rest is read and dropped, so that the
    // provider never writes to a closed pipe.
    std::thread::spawn(move || {
        use std::io::BufRead;
        let mut lines = std::io::BufReader::new(stdout).lines();
        let first = lines.next().and_then(Result::ok).unwrap_or_default();
        let _ = ready_tx.send(first);
        for _ in lines {}
    });
    let provider = Provider { child, issuer };
    // Generous: node loads the provider's modules and makes an RSA key while the other tests
    // keep both cores busy.
    let Ok(line) = tokio::time::timeout(Duration::from_secs(90), ready).await else {
        panic!(
            "the provider did not start within 90 s; node said: {}",
            std::fs::read_to_string(stderr.path()).unwrap_or_default()
        );
    };
    let line = line.unwrap_or_default();
    assert!(
        line.starts_with("ready "),
        "provider: {line}; node said: {}",
        std::fs::read_to_string(stderr.path()).unwrap_or_default()
    );
    let app = spawn_app_with_auth(auth, &format!("127.0.0.1:{app_port}")).await;
    (app, provider)
}

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .unwrap_or_else(|| panic!("a redirect, got {}", response.status()))
        .to_str()
        .unwrap()
        .to_owned()
}

/// Starts a sign-in at jalon and follows the provider until it sends the browser back:
/// the callback URL (with `code` and `state`), not yet opened.
async fn sign_on_until_callback(app: &TestApp, client: &reqwest::Client) -> String {
    let response = client.get(app.url("/connexion/oidc")).send().await.unwrap();
    assert_eq!(response.status(), 303);
    follow_provider(app, client, location(&response)).await
}

/// Follows the provider's redirects from `url` until one leads back to jalon's callback.
async fn follow_provider(app: &TestApp, client: &reqwest::Client, mut url: String) -> String {
    let callback = app.url("/connexion/oidc/retour");
    for _ in 0..10 {
        if url.starts_with(&callback) {
            return url;
        }
        let response = client.get(&url).send().await.unwrap();
        assert!(
            response.status().is_redirection(),
            "{url}: {} {}",
            response.status(),
            response.text().await.unwrap_or_default()
        );
        let next = location(&response);
        url = if next.starts_with('/') {
            let base = url::Url::parse(&url).unwrap();
            base.join(&next).unwrap().to_string()
        } else {
            next
        };
    }
    panic!("the provider never sent the browser back");
}

fn param(url: &str, name: &str) -> String {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

fn with_param(url: &str, name: &str, value: &str) -> String {
    let mut parsed = url::Url::parse(url).unwrap();
    let pairs: Vec<(String, String)> = parsed
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == name {
                value.to_owned()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    parsed.query_pairs_mut().clear().extend_pairs(pairs);
    parsed.to_string()
}

async fn add_account(app: &TestApp, email: &str, role: &str) {
    let role: Role = role.parse().unwrap();
    store::staff::add_user(
        &app.db,
        &Email::parse(email).unwrap(),
        "!",
        &role,
        jalon::clock::Clock::now(&app.clock),
    )
    .await
    .unwrap()
    .unwrap();
}

async fn last_audit(app: &TestApp) -> (String, String, String) {
    let entry = store::audit::latest(&app.db, 1).await.unwrap().remove(0);
    (entry.actor, entry.action, entry.detail)
}

#[tokio::test]
async fn a_known_account_signs_in_and_out_through_the_provider() {
    let (app, provider) = start(Setup::default()).await;
    add_account(&app, "Camille.Agent@anact.fr", "analyst").await;
    let client = app.anonymous_client();

    let page = client.get(app.url("/connexion")).send().await.unwrap();
    let page = page.text().await.unwrap();
    assert!(page.contains("S’identifier avec"), "{page}");
    assert!(page.contains("href=\"/connexion/oidc?retour="));
    assert!(
        page.contains("name=\"password\""),
        "the password form stays"
    );

    let start = client.get(app.url("/connexion/oidc")).send().await.unwrap();
    assert_eq!(start.status(), 303);
    let authorize = location(&start);
    assert!(authorize.starts_with(&format!("{}/auth?", provider.issuer)));
    assert_eq!(param(&authorize, "client_id"), CLIENT_ID);
    assert!(!param(&authorize, "nonce").is_empty());
    assert!(!param(&authorize, "state").is_empty());
    assert!(param(&authorize, "claims").contains("eidas1"));
    assert!(param(&authorize, "scope").contains("usual_name"));
    assert!(
        !authorize.contains("code_challenge"),
        "no PKCE when the provider does not list it"
    );

    let callback = follow_provider(&app, &client, authorize).await;
    let response = client.get(&callback).send().await.unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/tableau-de-bord");
    let dashboard = client
        .get(app.url("/tableau-de-bord"))
        .send()
        .await
        .unwrap();
    assert_eq!(dashboard.status(), 200);
    let (actor, action, detail) = last_audit(&app).await;
    assert_eq!(
        (actor.as_str(), action.as_str()),
        ("camille.agent@anact.fr", "connexion")
    );
    assert!(detail.contains("eidas1"), "{detail}");

    // Signing out ends jalon's session, then the provider's (RP-initiated logout).
    let session = client.get(app.url("/connexion")).send().await.unwrap();
    let csrf = crate::helpers::csrf_in(&session.text().await.unwrap());
    let out = client
        .post(app.url("/deconnexion"))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 303);
    let end = location(&out);
    assert!(
        end.starts_with(&format!("{}/session/end?", provider.issuer)),
        "{end}"
    );
    let hint = param(&end, "id_token_hint");
    assert_eq!(hint.split('.').count(), 3, "an ID token: {hint}");
    assert_eq!(
        param(&end, "post_logout_redirect_uri"),
        app.url("/connexion")
    );
    let after = client
        .get(app.url("/tableau-de-bord"))
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 303, "signed out of jalon");
    let confirm = client.get(&end).send().await.unwrap();
    assert!(
        confirm.status().is_success(),
        "the provider accepts the logout: {}",
        confirm.status()
    );
}

/// The sign-in page after a refusal: 403, the French `message`, no session.
async fn assert_refused(app: &TestApp, client: &reqwest::Client, callback: &str, message: &str) {
    let response = client.get(callback).send().await.unwrap();
    assert_eq!(response.status(), 403, "{callback}");
    let page = response.text().await.unwrap();
    assert!(page.contains("La connexion a échoué"), "{page}");
    assert!(page.contains(message), "{message} not in {page}");
    let dashboard = client
        .get(app.url("/tableau-de-bord"))
        .send()
        .await
        .unwrap();
    assert_eq!(dashboard.status(), 303, "no session");
}

#[tokio::test]
async fn an_unknown_person_is_refused_and_audited() {
    let setup = Setup {
        email: "inconnu@exemple.fr",
        ..Setup::default()
    };
    let (app, _provider) = start(setup).await;
    let client = app.anonymous_client();
    let callback = sign_on_until_callback(&app, &client).await;
    assert_refused(
        &app,
        &client,
        &callback,
        "Aucun compte n’est ouvert pour l’adresse inconnu@exemple.fr",
    )
    .await;
    let (actor, action, _) = last_audit(&app).await;
    assert_eq!(
        (actor.as_str(), action.as_str()),
        ("inconnu@exemple.fr", "connexion_refusee")
    );
    assert!(
        store::staff::find_user(&app.db, "inconnu@exemple.fr")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn a_domain_rule_creates_the_account_with_its_role() {
    let setup = Setup {
        email: "lou@Aract-Bretagne.fr",
        domains: "aract-bretagne.fr=regional:aract-bretagne,anact.fr=analyst",
        ..Setup::default()
    };
    let (app, _provider) = start(setup).await;
    let client = app.anonymous_client();
    let callback = sign_on_until_callback(&app, &client).await;
    let response = client.get(&callback).send().await.unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(
        location(&response),
        "/tableau-de-bord/entites/aract-bretagne"
    );
    let user = store::staff::find_user(&app.db, "lou@aract-bretagne.fr")
        .await
        .unwrap()
        .expect("account created");
    assert_eq!(
        (user.role.as_str(), user.entity.as_deref()),
        ("regional", Some("aract-bretagne"))
    );
    let actions: Vec<String> = store::audit::latest(&app.db, 5)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(actions[..2], ["connexion", "compte_cree"]);
    // No password opens the account.
    let password = app
        .sign_in(&app.anonymous_client(), "lou@aract-bretagne.fr", "!sso")
        .await;
    assert_eq!(password.status(), 200, "the form again");
}

#[tokio::test]
async fn a_wrong_state_is_refused_and_the_flow_serves_once() {
    let (app, _provider) = start(Setup::default()).await;
    add_account(&app, "camille.agent@anact.fr", "analyst").await;
    let client = app.anonymous_client();
    let callback = sign_on_until_callback(&app, &client).await;
    let forged = with_param(&callback, "state", "un-etat-fabrique-ailleurs");
    assert_refused(&app, &client, &forged, "La connexion a expiré").await;
    let (_, action, detail) = last_audit(&app).await;
    assert_eq!(action, "connexion_refusee");
    assert!(detail.contains("state"), "{detail}");
    // The flow is spent: the genuine answer comes too late.
    assert_refused(&app, &client, &callback, "La connexion a expiré").await;
    // Another browser (no flow cookie) cannot use the answer either.
    let other = app.anonymous_client();
    assert_refused(&app, &other, &callback, "La connexion a expiré").await;
}

#[tokio::test]
async fn a_replayed_code_is_refused() {
    let (app, _provider) = start(Setup::default()).await;
    add_account(&app, "camille.agent@anact.fr", "analyst").await;
    let client = app.anonymous_client();
    let callback = sign_on_until_callback(&app, &client).await;
    let first = client.get(&callback).send().await.unwrap();
    assert_eq!(first.status(), 303, "signed in once");
    // The same answer again: its flow is spent.
    let again = app.anonymous_client();
    assert_refused(&app, &again, &callback, "La connexion a expiré").await;
    // The old code with a fresh, genuine flow: the provider refuses a code used twice.
    let start = again.get(app.url("/connexion/oidc")).send().await.unwrap();
    let state = param(&location(&start), "state");
    let replay = with_param(&callback, "state", &state);
    assert_refused(&app, &again, &replay, "n’a pas pu être vérifiée").await;
    let (_, action, detail) = last_audit(&app).await;
    assert_eq!(action, "connexion_refusee");
    assert!(detail.contains("code exchange"), "{detail}");
}

#[tokio::test]
async fn a_wrong_nonce_is_refused() {
    let (app, _provider) = start(Setup::default()).await;
    add_account(&app, "camille.agent@anact.fr", "analyst").await;
    let client = app.anonymous_client();
    let start = client.get(app.url("/connexion/oidc")).send().await.unwrap();
    // An attacker's authorization request: jalon's state, another nonce.
    let forged = with_param(&location(&start), "nonce", "un-nonce-fabrique-ailleurs");
    let callback = follow_provider(&app, &client, forged).await;
    assert_refused(&app, &client, &callback, "n’a pas pu être vérifiée").await;
    let (_, _, detail) = last_audit(&app).await;
    assert!(detail.to_lowercase().contains("nonce"), "{detail}");
}

#[tokio::test]
async fn an_expired_id_token_is_refused() {
    let setup = Setup {
        id_token_ttl: 60,
        ..Setup::default()
    };
    let (app, _provider) = start(setup).await;
    add_account(&app, "camille.agent@anact.fr", "analyst").await;
    // jalon's clock at the provider's time, then five minutes later when the answer comes
    // back: within the ten minutes of the flow, past the minute of the ID token.
    let now = chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now());
    app.clock.set(now);
    let client = app.anonymous_client();
    let callback = sign_on_until_callback(&app, &client).await;
    app.clock.advance(chrono::Duration::minutes(5));
    assert_refused(&app, &client, &callback, "L’identification a expiré").await;
    let (_, _, detail) = last_audit(&app).await;
    assert!(detail.contains("Expired"), "{detail}");
}

#[tokio::test]
async fn a_missing_acr_is_refused_when_required() {
    let setup = Setup {
        login_acr: "",
        ..Setup::default()
    };
    let (app, _provider) = start(setup).await;
    add_account(&app, "camille.agent@anact.fr", "analyst").await;
    let client = app.anonymous_client();
    let callback = sign_on_until_callback(&app, &client).await;
    assert_refused(&app, &client, &callback, "niveau de garantie").await;
    let (actor, action, detail) = last_audit(&app).await;
    assert_eq!(
        (actor.as_str(), action.as_str()),
        ("oidc", "connexion_refusee")
    );
    assert!(detail.contains("acr"), "{detail}");
}

#[tokio::test]
async fn pkce_is_sent_when_the_provider_lists_it() {
    let setup = Setup {
        pkce: true,
        ..Setup::default()
    };
    let (app, _provider) = start(setup).await;
    add_account(&app, "camille.agent@anact.fr", "admin").await;
    let client = app.anonymous_client();
    let start = client
        .get(app.url("/connexion/oidc?retour=/admin"))
        .send()
        .await
        .unwrap();
    let authorize = location(&start);
    assert_eq!(param(&authorize, "code_challenge_method"), "S256");
    // This provider requires PKCE: signing in works only with the verifier.
    let callback = follow_provider(&app, &client, authorize).await;
    let response = client.get(&callback).send().await.unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/admin");
}

#[tokio::test]
async fn local_passwords_off_refuses_the_password_form() {
    let setup = Setup {
        local_passwords: false,
        ..Setup::default()
    };
    let (app, _provider) = start(setup).await;
    let hash = jalon::domain::staff::password::hash(crate::helpers::STAFF_PASSWORD).unwrap();
    store::staff::add_user(
        &app.db,
        &Email::parse("admin@anact.fr").unwrap(),
        &hash,
        &Role::Admin,
        jalon::clock::Clock::now(&app.clock),
    )
    .await
    .unwrap();
    let client = app.anonymous_client();
    let page = client
        .get(app.url("/connexion"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("name=\"password\""), "no password form");
    assert!(page.contains("S’identifier avec"));
    let response = client
        .post(app.url("/connexion"))
        .form(&[
            ("email", "admin@anact.fr"),
            ("password", crate::helpers::STAFF_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert!(response.text().await.unwrap().contains("désactivée"));
    let admin = client.get(app.url("/admin")).send().await.unwrap();
    assert_eq!(admin.status(), 303, "no session");
}

#[tokio::test]
async fn with_local_passwords_off_an_admin_makes_accounts_without_a_password() {
    let setup = Setup {
        local_passwords: false,
        ..Setup::default()
    };
    let (app, _provider) = start(setup).await;
    let admin = app.client_as("admin").await;
    let page = admin
        .get(app.url("/admin/comptes"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("mot_de_passe"), "no password field");
    assert!(page.contains("identification unique"));
    let response = admin
        .post(app.url("/admin/comptes"))
        .form(&[
            ("email", "dominique.agent@anact.fr"),
            ("role", "analyst"),
            ("entite", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    let user = store::staff::find_user(&app.db, "dominique.agent@anact.fr")
        .await
        .unwrap()
        .expect("the account is made");
    assert_eq!(
        user.password_hash,
        jalon::domain::staff::password::SINGLE_SIGN_ON_ONLY
    );
    // No password opens it: the person signs in through the provider, as a known account.
    assert!(!jalon::domain::staff::password::verify(
        "",
        &user.password_hash
    ));
}

#[tokio::test]
async fn a_provider_out_of_reach_is_503_with_retry_after_and_the_password_form_stays() {
    let (app, provider) = start(Setup::default()).await;
    drop(provider);
    let response = app
        .anonymous_client()
        .get(app.url("/connexion/oidc?retour=/admin"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["retry-after"], "60");
    let page = response.text().await.unwrap();
    assert!(page.contains("Le service d’identification ne répond pas"));
    assert!(
        page.contains("name=\"password\""),
        "the password form stays"
    );
}
