//! Indicator 4's download widget: its script, the two public endpoints (CORS, limits,
//! honeypot, replacement of a same-day rating), the no-script form, results and hidden
//! comments, and that no address ever reaches the database.

use std::num::NonZeroU32;
use std::time::Duration;

use jalon::config::WidgetSettings;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app_with};

const SITE: &str = "https://www.anact.example";

fn settings() -> WidgetSettings {
    WidgetSettings {
        origins: vec![SITE.to_owned()],
        flush_interval: Duration::from_millis(20),
        ..WidgetSettings::default()
    }
}

fn with_limits(per_minute: u32, burst: u32) -> WidgetSettings {
    WidgetSettings {
        rate_per_minute: NonZeroU32::new(per_minute).unwrap(),
        burst: NonZeroU32::new(burst).unwrap(),
        ..settings()
    }
}

fn behind_proxy() -> WidgetSettings {
    WidgetSettings {
        trusted_proxies: "127.0.0.1, 10.0.0.0/8".parse().unwrap(),
        ..settings()
    }
}

fn rating(resource: &str, satisfaction: &str) -> Value {
    json!({ "resource": resource, "answers": { "satisfaction": satisfaction } })
}

impl TestApp {
    async fn download(&self, body: &Value) -> reqwest::Response {
        self.post_json("/api/v1/public/downloads", body).await
    }

    async fn rate(&self, body: &Value) -> reqwest::Response {
        self.post_json("/api/v1/public/ratings", body).await
    }

    async fn rate_from(&self, forwarded_for: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url("/api/v1/public/ratings"))
            .header("X-Forwarded-For", forwarded_for)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    async fn results(&self) -> Value {
        let response = self.get("/api/v1/widget/resources?year=2026").await;
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    /// Waits for the writer's next flushes until the downloads of the year reach `expected`.
    async fn downloads_reach(&self, expected: u64) -> Value {
        for _ in 0..200 {
            let results = self.results().await;
            if results["results"]["total"]["participation"]["downloads"] == json!(expected) {
                return results;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!(
            "downloads never reached {expected}: {}",
            self.results().await
        );
    }

    async fn scalar(&self, sql: &str) -> i64 {
        let row = self
            .db
            .query_one_raw(Statement::from_string(
                self.db.get_database_backend(),
                sql.to_owned(),
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get_by_index::<i64>(0).unwrap()
    }

    async fn strings(&self, sql: &str) -> Vec<String> {
        self.db
            .query_all_raw(Statement::from_string(
                self.db.get_database_backend(),
                sql.to_owned(),
            ))
            .await
            .unwrap()
            .into_iter()
            .map(|row| row.try_get_by_index::<String>(0).unwrap())
            .collect()
    }
}

fn resource<'a>(results: &'a Value, id: &str) -> &'a Value {
    results["results"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["resource"] == id)
        .unwrap_or_else(|| panic!("{id} missing from {results}"))
}

#[tokio::test]
async fn the_script_is_cached_with_a_strong_etag_per_encoding() {
    let app = spawn_app_with(settings()).await;
    let first = app.get("/widget.js").await;
    assert_eq!(first.status(), 200);
    let headers = first.headers().clone();
    assert_eq!(headers["content-type"], "text/javascript; charset=utf-8");
    assert_eq!(headers["cache-control"], "public, max-age=3600");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    let etag = headers["etag"].to_str().unwrap().to_owned();
    assert!(
        etag.starts_with('"') && etag.ends_with('"'),
        "strong: {etag}"
    );
    let script = first.text().await.unwrap();
    assert!(script.contains("data-anact-resource"));
    assert!(
        script.contains("Très satisfait·e"),
        "labels come from i4.toml"
    );
    assert!(script.len() < 6 * 1024, "{} bytes", script.len());

    let again = app
        .client
        .get(app.url("/widget.js"))
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()["etag"], etag.as_str());
    assert!(again.bytes().await.unwrap().is_empty());

    // The gzip variant has its own bytes, so its own tag.
    let gzip = app
        .client
        .get(app.url("/widget.js"))
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(gzip.status(), 200);
    assert_eq!(gzip.headers()["content-encoding"], "gzip");
    assert_eq!(gzip.headers()["vary"], "Accept-Encoding");
    let gzip_etag = gzip.headers()["etag"].to_str().unwrap().to_owned();
    assert_ne!(gzip_etag, etag);
    assert!(gzip.bytes().await.unwrap().len() < script.len());
    let stale = app
        .client
        .get(app.url("/widget.js"))
        .header("If-None-Match", "\"autre\"")
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 200);
}

#[tokio::test]
async fn downloads_are_accepted_then_added_up_per_resource_and_day() {
    let app = spawn_app_with(settings()).await;
    for _ in 0..3 {
        let response = app
            .download(
                &json!({"resource": "guide-tms", "title": "  Guide\nTMS  ", "theme": "Santé"}),
            )
            .await;
        assert_eq!(response.status(), 202);
    }
    assert_eq!(
        app.download(&json!({"resource": "fiche-rps"}))
            .await
            .status(),
        202
    );
    let results = app.downloads_reach(4).await;
    let guide = resource(&results, "guide-tms");
    assert_eq!(guide["participation"]["downloads"], 3);
    assert_eq!(guide["title"], "Guide TMS");
    assert_eq!(guide["theme"], "Santé");
    assert_eq!(guide["satisfaction"]["rate"], Value::Null);
    // Aggregated: one row per resource and day, never one per visitor.
    assert_eq!(app.count("downloads").await, 2);
    assert_eq!(app.count("resources").await, 2);
    assert_eq!(
        app.scalar("SELECT count FROM downloads WHERE resource_id = 'guide-tms'")
            .await,
        3
    );
    // A later title replaces the earlier one; a missing one keeps it.
    app.download(&json!({"resource": "guide-tms"})).await;
    app.download(&json!({"resource": "fiche-rps", "title": "Fiche RPS"}))
        .await;
    let results = app.downloads_reach(6).await;
    assert_eq!(resource(&results, "guide-tms")["title"], "Guide TMS");
    assert_eq!(resource(&results, "fiche-rps")["title"], "Fiche RPS");
}

#[tokio::test]
async fn a_rating_is_committed_before_201_and_bad_ones_get_422_per_question() {
    let app = spawn_app_with(settings()).await;
    let response = app
        .rate(&json!({
            "resource": "guide-tms",
            "answers": {"satisfaction": "plutot_satisfait", "trouve": "oui", "profil": "salarie",
                        "commentaire": "Très utile."}
        }))
        .await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "recorded");
    // 201 means committed: the rows are there the moment the answer arrives.
    assert_eq!(app.stored().await, (1, 4, 0));
    assert_eq!(
        app.strings("SELECT value FROM response_attributes WHERE key = 'resource'")
            .await,
        ["guide-tms"]
    );
    assert_eq!(
        app.strings("SELECT value FROM response_attributes WHERE key = 'profile'")
            .await,
        ["salarie"]
    );

    let cases = [
        (
            json!({"resource": "guide-tms", "answers": {}}),
            422,
            "satisfaction",
        ),
        (rating("guide-tms", "ravi"), 422, "satisfaction"),
        (
            json!({"resource": "guide-tms", "answers": {"satisfaction": "tres_satisfait", "inconnue": "x"}}),
            422,
            "inconnue",
        ),
        (
            json!({"resource": "guide-tms", "answers": {"satisfaction": "tres_satisfait", "commentaire": "x".repeat(1001)}}),
            422,
            "commentaire",
        ),
        (
            json!({"resource": "guide-tms", "answers": {"satisfaction": {"a": 1}}}),
            422,
            "satisfaction",
        ),
    ];
    for (body, status, question) in cases {
        let response = app.rate(&body).await;
        assert_eq!(response.status(), status, "{body}");
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"], "validation", "{error}");
        assert!(
            error["errors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["question"] == question),
            "{error}"
        );
    }
    for bad_resource in ["", "a b", "../etc", &"x".repeat(65)] {
        let response = app.rate(&rating(bad_resource, "tres_satisfait")).await;
        assert_eq!(response.status(), 422, "{bad_resource}");
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["errors"][0]["field"], "resource");
    }
    for (body, content_type) in [
        ("{", "application/json"),
        ("[]", "application/json"),
        (r#"{"resource": "a"}"#, "application/json"),
        (
            r#"{"resource": "a", "answers": {}, "x": 1}"#,
            "application/json",
        ),
        (r#"{"resource": 12, "answers": {}}"#, "text/plain"),
        ("resource=a", "application/x-www-form-urlencoded"),
    ] {
        let response = app
            .client
            .post(app.url("/api/v1/public/ratings"))
            .header("Content-Type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{body}");
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"], "bad_request");
    }
    let invalid_utf8 = app
        .client
        .post(app.url("/api/v1/public/ratings"))
        .header("Content-Type", "text/plain")
        .body(b"{\"resource\": \"\xff\", \"answers\": {}}".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(invalid_utf8.status(), 400);
    let too_large = app
        .client
        .post(app.url("/api/v1/public/ratings"))
        .header("Content-Type", "application/json")
        .body(format!(
            r#"{{"resource": "a", "answers": {{"commentaire": "{}"}}}}"#,
            "x".repeat(20_000)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(too_large.status(), 413);
    // A beacon-style text/plain body is JSON too.
    let beacon = app
        .client
        .post(app.url("/api/v1/public/ratings"))
        .header("Content-Type", "text/plain;charset=UTF-8")
        .body(rating("fiche-rps", "tres_satisfait").to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(beacon.status(), 201);
    assert_eq!(app.stored().await, (2, 5, 0), "nothing else was stored");
}

#[tokio::test]
async fn a_second_rating_the_same_day_replaces_the_first() {
    let app = spawn_app_with(settings()).await;
    let first = app
        .rate(&json!({
            "resource": "guide-tms",
            "answers": {"satisfaction": "tres_satisfait", "commentaire": "Premier avis"}
        }))
        .await;
    assert_eq!(first.status(), 201);
    let second = app
        .rate(&rating("guide-tms", "pas_du_tout_satisfait"))
        .await;
    assert_eq!(second.status(), 201);
    assert_eq!(app.stored().await, (1, 1, 0), "replaced, answers included");
    assert_eq!(
        app.strings("SELECT value FROM answers").await,
        ["pas_du_tout_satisfait"]
    );
    // Sent together, they still leave one rating.
    let burst = futures_join(&app, 8).await;
    assert!(burst.iter().all(|s| *s == 201), "{burst:?}");
    assert_eq!(app.count("responses").await, 1);
    assert_eq!(app.count("rating_visitors").await, 1);
    // Another resource is another rating.
    assert_eq!(
        app.rate(&rating("fiche-rps", "plutot_satisfait"))
            .await
            .status(),
        201
    );
    assert_eq!(app.count("responses").await, 2);
    let results = app.results().await;
    assert_eq!(resource(&results, "guide-tms")["satisfaction"]["total"], 1);

    // The next day the visitor rates afresh, and yesterday's keys are purged.
    app.clock.advance(chrono::Duration::days(1));
    assert_eq!(
        app.rate(&rating("guide-tms", "plutot_satisfait"))
            .await
            .status(),
        201
    );
    assert_eq!(app.count("responses").await, 3);
    for _ in 0..200 {
        if app.count("rating_visitors").await == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(
        app.count("rating_visitors").await,
        1,
        "yesterday's keys purged"
    );
    assert_eq!(app.count("responses").await, 3, "ratings themselves stay");
}

async fn futures_join(app: &TestApp, n: usize) -> Vec<u16> {
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..n {
        let client = app.client.clone();
        let url = app.url("/api/v1/public/ratings");
        let value = if i % 2 == 0 {
            "plutot_satisfait"
        } else {
            "plutot_pas_satisfait"
        };
        tasks.spawn(async move {
            client
                .post(url)
                .json(&rating("guide-tms", value))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        });
    }
    tasks.join_all().await
}

#[tokio::test]
async fn cors_answers_only_the_website_origins() {
    let app = spawn_app_with(settings()).await;
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/api/v1/public/ratings"))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .header("Access-Control-Request-Headers", "content-type")
            .send()
    };
    let allowed = preflight(SITE).await.unwrap();
    assert!(allowed.status().is_success(), "{}", allowed.status());
    assert_eq!(allowed.headers()["access-control-allow-origin"], SITE);
    let methods = allowed.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(methods.contains("POST"), "{methods}");
    let refused = preflight("https://evil.example").await.unwrap();
    assert!(refused.status().is_client_error(), "{}", refused.status());
    assert!(
        !refused
            .headers()
            .contains_key("access-control-allow-origin")
    );

    let post = |origin: &'static str, path: &'static str, body: Value| {
        app.client
            .post(app.url(path))
            .header("Origin", origin)
            .header("Content-Type", "text/plain;charset=UTF-8")
            .body(body.to_string())
            .send()
    };
    let ok = post(
        SITE,
        "/api/v1/public/downloads",
        json!({"resource": "guide-tms"}),
    )
    .await
    .unwrap();
    assert_eq!(ok.status(), 202);
    assert_eq!(ok.headers()["access-control-allow-origin"], SITE);
    let rated = post(
        SITE,
        "/api/v1/public/ratings",
        rating("guide-tms", "tres_satisfait"),
    )
    .await
    .unwrap();
    assert_eq!(rated.status(), 201);
    assert_eq!(rated.headers()["access-control-allow-origin"], SITE);

    // Another origin: refused before anything runs, nothing counted or stored.
    for (path, body) in [
        ("/api/v1/public/downloads", json!({"resource": "piege"})),
        ("/api/v1/public/ratings", rating("piege", "tres_satisfait")),
    ] {
        let evil = post("https://evil.example", path, body).await.unwrap();
        assert!(evil.status().is_client_error(), "{path}: {}", evil.status());
        assert!(!evil.headers().contains_key("access-control-allow-origin"));
    }
    let results = app.downloads_reach(1).await;
    assert_eq!(results["results"]["resources"].as_array().unwrap().len(), 1);
    assert_eq!(app.count("responses").await, 1);

    // No CORS anywhere else.
    let elsewhere = app
        .client
        .get(app.url("/api/v1/questionnaires/i4"))
        .header("Origin", SITE)
        .send()
        .await
        .unwrap();
    assert!(
        !elsewhere
            .headers()
            .contains_key("access-control-allow-origin")
    );
}

#[tokio::test]
async fn without_script_the_open_form_rates_a_resource_and_only_the_website_frames_it() {
    let app = spawn_app_with(settings()).await;
    let page = app.get("/o/i4?resource=guide-tms").await;
    assert_eq!(page.status(), 200);
    let policy = page.headers()["content-security-policy"].to_str().unwrap();
    assert!(
        policy.ends_with(&format!("; frame-ancestors 'self' {SITE}")),
        "{policy}"
    );
    let html = page.text().await.unwrap();
    assert!(
        html.contains(r#"<input type="hidden" name="_resource" value="guide-tms">"#),
        "{html}"
    );
    // Error pages of the open form carry the policy too; other pages may not be framed.
    let invalid = app
        .post_form("/o/i4", "_resource=guide-tms&commentaire=Bien")
        .await;
    assert_eq!(invalid.status(), 422);
    assert!(invalid.headers().contains_key("content-security-policy"));
    assert!(
        invalid
            .text()
            .await
            .unwrap()
            .contains(r#"name="_resource" value="guide-tms""#),
        "the resource survives a correction"
    );
    let elsewhere = app.get("/r/inconnu").await;
    let policy = elsewhere.headers()["content-security-policy"]
        .to_str()
        .unwrap();
    assert!(policy.ends_with("; frame-ancestors 'none'"), "{policy}");
    // An id that is not one is simply left out.
    let odd = app
        .get("/o/i4?resource=%3Cscript%3E")
        .await
        .text()
        .await
        .unwrap();
    assert!(!odd.contains("_resource\" value"), "{odd}");

    for value in ["tres_satisfait", "plutot_pas_satisfait"] {
        let response = app
            .post_form(
                "/o/i4",
                format!("_resource=guide-tms&satisfaction={value}&_website="),
            )
            .await;
        assert_eq!(response.status(), 303);
        assert_eq!(response.headers()["location"], "/o/i4/merci");
    }
    assert_eq!(app.count("responses").await, 1, "same visitor, same day");
    let results = app.results().await;
    let guide = resource(&results, "guide-tms");
    assert_eq!(guide["satisfaction"]["total"], 1);
    assert_eq!(guide["satisfaction"]["favorable"], 0);
    // Without a resource the open form works as before.
    let plain = app.post_form("/o/i4", "satisfaction=tres_satisfait").await;
    assert_eq!(plain.status(), 303);
    assert_eq!(app.count("responses").await, 2);
    let bad = app
        .post_form("/o/i4", "_resource=a%20b&satisfaction=tres_satisfait")
        .await;
    assert_eq!(bad.status(), 400);
    assert_eq!(app.count("responses").await, 2);
}

#[tokio::test]
async fn abuse_is_answered_429_and_never_stored() {
    let app = spawn_app_with(with_limits(1, 3)).await;
    for _ in 0..3 {
        assert_eq!(
            app.download(&json!({"resource": "guide-tms"}))
                .await
                .status(),
            202
        );
    }
    let limited = app.download(&json!({"resource": "guide-tms"})).await;
    assert_eq!(limited.status(), 429);
    let wait: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    let body: Value = limited.json().await.unwrap();
    assert_eq!(body["error"], "rate_limited");

    // Ratings have their own budget; the honeypot costs one and stores nothing.
    let trap = app
        .rate(&json!({
            "resource": "guide-tms",
            "answers": {"satisfaction": "tres_satisfait"},
            "website": "http://spam.example"
        }))
        .await;
    assert_eq!(trap.status(), 429);
    let trap: Value = trap.json().await.unwrap();
    assert_eq!(trap["error"], "rate_limited", "robots learn nothing");
    assert_eq!(app.count("responses").await, 0);
    assert_eq!(
        app.rate(&rating("guide-tms", "tres_satisfait"))
            .await
            .status(),
        201
    );
    // The open form shares the ratings budget: one left, spent by a filled honeypot.
    let form_trap = app
        .post_form(
            "/o/i4",
            "_resource=guide-tms&satisfaction=tres_satisfait&_website=spam",
        )
        .await;
    assert_eq!(form_trap.status(), 429);
    assert!(
        form_trap
            .text()
            .await
            .unwrap()
            .contains("rien n’a été enregistré")
    );
    assert_eq!(
        app.rate(&rating("guide-tms", "tres_satisfait"))
            .await
            .status(),
        429
    );
    assert_eq!(app.count("responses").await, 1);
    let results = app.downloads_reach(3).await;
    assert_eq!(
        resource(&results, "guide-tms")["participation"]["downloads"],
        3
    );

    // A honeypot download is not counted either.
    let app = spawn_app_with(settings()).await;
    let trap = app
        .download(&json!({"resource": "piege", "website": "x"}))
        .await;
    assert_eq!(trap.status(), 429);
    app.download(&json!({"resource": "vrai"})).await;
    let results = app.downloads_reach(1).await;
    assert_eq!(results["results"]["resources"].as_array().unwrap().len(), 1);
    assert_eq!(app.count("resources").await, 1);
    let too_large = app
        .client
        .post(app.url("/api/v1/public/downloads"))
        .json(&json!({"resource": "a", "title": "x".repeat(3000)}))
        .send()
        .await
        .unwrap();
    assert_eq!(too_large.status(), 413);
}

#[tokio::test]
async fn forwarded_for_is_believed_only_from_trusted_proxies() {
    // Behind a trusted proxy, two addresses are two visitors…
    let app = spawn_app_with(behind_proxy()).await;
    for address in ["198.51.100.1", "198.51.100.2"] {
        let response = app
            .rate_from(address, &rating("guide-tms", "tres_satisfait"))
            .await;
        assert_eq!(response.status(), 201);
    }
    // …and the right-most untrusted hop is the visitor, whatever the left says.
    let response = app
        .rate_from(
            "203.0.113.250, 198.51.100.2, 10.1.2.3",
            &rating("guide-tms", "plutot_satisfait"),
        )
        .await;
    assert_eq!(response.status(), 201);
    assert_eq!(app.count("responses").await, 2);

    // Without trust, the header is ignored: one peer, one visitor.
    let app = spawn_app_with(settings()).await;
    for address in ["198.51.100.1", "198.51.100.2"] {
        let response = app
            .rate_from(address, &rating("guide-tms", "tres_satisfait"))
            .await;
        assert_eq!(response.status(), 201);
    }
    assert_eq!(app.count("responses").await, 1);

    // Rate limits follow the visitor behind the proxy, not the proxy.
    let app = spawn_app_with(WidgetSettings {
        rate_per_minute: NonZeroU32::new(1).unwrap(),
        burst: NonZeroU32::new(2).unwrap(),
        ..behind_proxy()
    })
    .await;
    let statuses = async |address: &str| {
        let mut statuses = Vec::new();
        for _ in 0..3 {
            statuses.push(
                app.rate_from(address, &rating("guide-tms", "tres_satisfait"))
                    .await
                    .status()
                    .as_u16(),
            );
        }
        statuses
    };
    assert_eq!(statuses("198.51.100.1").await, [201, 201, 429]);
    assert_eq!(statuses("198.51.100.2").await, [201, 201, 429]);
    // Not believed from an untrusted peer: a forged header does not buy a fresh budget.
    let app = spawn_app_with(WidgetSettings {
        rate_per_minute: NonZeroU32::new(1).unwrap(),
        burst: NonZeroU32::new(2).unwrap(),
        ..settings()
    })
    .await;
    let mut seen = Vec::new();
    for address in ["198.51.100.1", "198.51.100.2", "198.51.100.3"] {
        seen.push(
            app.rate_from(address, &rating("guide-tms", "tres_satisfait"))
                .await
                .status()
                .as_u16(),
        );
    }
    assert_eq!(seen, [201, 201, 429]);
}

#[tokio::test]
async fn no_address_reaches_the_database() {
    let app = spawn_app_with(behind_proxy()).await;
    let visitor = "203.0.113.77";
    for i in 0..3 {
        let download = app
            .client
            .post(app.url("/api/v1/public/downloads"))
            .header("X-Forwarded-For", visitor)
            .json(&json!({"resource": format!("guide-{i}"), "title": "Guide"}))
            .send()
            .await
            .unwrap();
        assert_eq!(download.status(), 202);
        let rated = app
            .rate_from(
                visitor,
                &json!({"resource": format!("guide-{i}"),
                        "answers": {"satisfaction": "tres_satisfait", "commentaire": "Bien"}}),
            )
            .await;
        assert_eq!(rated.status(), 201);
    }
    let form = app
        .client
        .post(app.url("/o/i4"))
        .header("X-Forwarded-For", visitor)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("_resource=guide-0&satisfaction=plutot_satisfait")
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 303);
    app.downloads_reach(3).await;

    let backend = app.db.get_database_backend();
    let columns_sql = match backend {
        DbBackend::Postgres => {
            "SELECT table_name || '.' || column_name FROM information_schema.columns \
             WHERE table_schema = 'public' ORDER BY 1"
        }
        _ => {
            "SELECT m.name || '.' || p.name FROM sqlite_master m, pragma_table_info(m.name) p \
             WHERE m.type = 'table' ORDER BY 1"
        }
    };
    let columns = app.strings(columns_sql).await;
    assert!(columns.iter().any(|c| c == "rating_visitors.visitor_key"));
    let mut scanned = 0;
    for column in &columns {
        let (table, column) = column.split_once('.').unwrap();
        for needle in [visitor, "127.0.0.1", "203.0.113"] {
            let hits = app
                .scalar(&format!(
                    "SELECT COUNT(*) FROM \"{table}\" WHERE CAST(\"{column}\" AS TEXT) LIKE '%{needle}%'"
                ))
                .await;
            assert_eq!(hits, 0, "{needle} found in {table}.{column}");
        }
        scanned += 1;
    }
    assert!(scanned > 30, "{scanned} columns scanned");
    // What is kept instead: 32 hex digits per visitor, resource and day.
    for key in app.strings("SELECT visitor_key FROM rating_visitors").await {
        assert_eq!(key.len(), 32);
        assert!(key.bytes().all(|b| b.is_ascii_hexdigit()));
    }
    assert_eq!(app.count("rating_visitors").await, 3);
}

#[tokio::test]
async fn results_per_resource_and_theme_and_staff_hide_comments() {
    let app = spawn_app_with(behind_proxy()).await;
    let downloads = [
        ("guide-tms", "TMS", 4),
        ("fiche-tms", "TMS", 2),
        ("rps", "RPS", 2),
    ];
    for (id, theme, n) in downloads {
        for _ in 0..n {
            app.download(&json!({"resource": id, "theme": theme})).await;
        }
    }
    let ratings = [
        (
            "198.51.100.1",
            "guide-tms",
            "tres_satisfait",
            Some("Très clair"),
        ),
        (
            "198.51.100.2",
            "guide-tms",
            "pas_du_tout_satisfait",
            Some("Insulte !"),
        ),
        ("198.51.100.3", "fiche-tms", "plutot_satisfait", None),
        ("198.51.100.4", "rps", "plutot_pas_satisfait", None),
    ];
    for (address, id, value, comment) in ratings {
        let mut answers = json!({ "satisfaction": value });
        if let Some(comment) = comment {
            answers["commentaire"] = json!(comment);
        }
        let response = app
            .rate_from(address, &json!({"resource": id, "answers": answers}))
            .await;
        assert_eq!(response.status(), 201);
    }
    let results = app.downloads_reach(8).await;
    assert_eq!(results["question"], "satisfaction");
    let guide = resource(&results, "guide-tms");
    assert_eq!(guide["satisfaction"]["favorable"], 1);
    assert_eq!(guide["satisfaction"]["total"], 2);
    assert_eq!(guide["satisfaction"]["rate"], 0.5);
    assert_eq!(guide["participation"]["rate"], 0.5);
    let tms = results["results"]["themes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["theme"] == "TMS")
        .unwrap();
    assert_eq!(tms["resources"], 2);
    assert_eq!(tms["satisfaction"]["favorable"], 2);
    assert_eq!(tms["satisfaction"]["total"], 3);
    assert_eq!(tms["participation"]["downloads"], 6);
    assert_eq!(results["results"]["total"]["satisfaction"]["total"], 4);
    assert_eq!(results["results"]["total"]["satisfaction"]["favorable"], 2);
    assert_eq!(results["results"]["total"]["participation"]["rate"], 0.5);
    // Another year has nothing.
    let empty: Value = app
        .get("/api/v1/widget/resources?year=2025")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(empty["results"]["total"]["satisfaction"]["total"], 0);
    assert_eq!(
        app.get("/api/v1/widget/resources?year=99999")
            .await
            .status(),
        400
    );

    let listed: Value = app
        .get("/api/v1/widget/comments?year=2026")
        .await
        .json()
        .await
        .unwrap();
    let comments = listed["comments"].as_array().unwrap();
    assert_eq!(comments.len(), 2);
    let abusive = comments.iter().find(|c| c["text"] == "Insulte !").unwrap();
    assert_eq!(abusive["resource"], "guide-tms");
    assert_eq!(abusive["day"], "2026-03-16");
    let id = abusive["response_id"].as_str().unwrap();
    let hidden = app
        .post_json(&format!("/api/v1/comments/{id}/hide"), &json!({}))
        .await;
    assert_eq!(hidden.status(), 200);
    let again = app
        .post_json(&format!("/api/v1/comments/{id}/hide"), &json!({}))
        .await;
    assert_eq!(again.status(), 200, "hiding twice changes nothing");
    let listed: Value = app
        .get("/api/v1/widget/comments")
        .await
        .json()
        .await
        .unwrap();
    let texts: Vec<&str> = listed["comments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["Très clair"]);
    // The rating itself still counts.
    assert_eq!(
        resource(&app.results().await, "guide-tms")["satisfaction"]["total"],
        2
    );
    for unknown in ["00000000-0000-0000-0000-000000000000", "pas-un-id"] {
        let response = app
            .post_json(&format!("/api/v1/comments/{unknown}/hide"), &json!({}))
            .await;
        assert_eq!(response.status(), 404, "{unknown}");
    }
}

#[tokio::test]
async fn a_closed_year_takes_no_rating() {
    let app = spawn_app_with(settings()).await;
    assert_eq!(
        app.rate(&rating("guide-tms", "tres_satisfait"))
            .await
            .status(),
        201
    );
    app.db
        .execute_raw(Statement::from_string(
            app.db.get_database_backend(),
            "UPDATE campaigns SET status = 'closed' WHERE questionnaire_code = 'i4'".to_owned(),
        ))
        .await
        .unwrap();
    let response = app.rate(&rating("fiche-rps", "tres_satisfait")).await;
    assert_eq!(response.status(), 410);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "closed");
    assert_eq!(app.count("responses").await, 1);
}

#[tokio::test]
async fn stopping_writes_what_was_accepted() {
    use jalon::domain::widget::ResourceId;
    use jalon::widget::Widget;

    let app = spawn_app_with(settings()).await;
    // A widget of its own whose flush would come only in a minute: stopping must not wait.
    let (widget, ratings) = Widget::new(
        WidgetSettings {
            flush_interval: Duration::from_secs(60),
            ..settings()
        },
        std::sync::Arc::new(app.clock.clone()),
    );
    let (_submissions, answers) =
        jalon::submissions::Submissions::new(app.db.get_database_backend());
    let writer = jalon::writer::spawn(
        app.db.clone(),
        app.seal_key.clone(),
        jalon::writer::Queues {
            answers,
            ratings,
            widget: widget.clone(),
        },
    );
    // The first tick of the writer is immediate; let it pass.
    tokio::time::sleep(Duration::from_millis(50)).await;
    for _ in 0..5 {
        widget
            .count_download(ResourceId::parse("guide-tms").unwrap(), None, None)
            .unwrap();
    }
    assert_eq!(app.count("downloads").await, 0, "not written yet");
    writer.shutdown().await;
    assert_eq!(
        app.scalar("SELECT count FROM downloads WHERE resource_id = 'guide-tms'")
            .await,
        5
    );
    // After shutdown the widget refuses ratings instead of losing them.
    let i4 = app
        .catalog
        .get(jalon::domain::QuestionnaireCode::I4)
        .unwrap();
    let answers = jalon::domain::answers::validate(
        &i4.definition,
        &{
            let mut raw = jalon::domain::answers::RawAnswers::new();
            raw.push("satisfaction", "tres_satisfait");
            raw
        },
        jalon::domain::answers::UnknownKeys::Reject,
    )
    .unwrap();
    let refused = widget
        .submit_rating(
            &ResourceId::parse("guide-tms").unwrap(),
            "198.51.100.1".parse().unwrap(),
            &i4.version,
            answers,
            Vec::new(),
        )
        .await;
    assert!(
        matches!(refused, Err(jalon::widget::RatingError::Busy)),
        "{refused:?}"
    );
    assert_eq!(app.count("responses").await, 0);
}

#[tokio::test]
async fn widget_ratings_count_in_indicator_4_and_a_replaced_rating_only_once() {
    let app = spawn_app_with(settings()).await;
    let i4 = |body: Value| {
        body["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["code"] == "i4")
            .cloned()
            .unwrap()
    };
    assert_eq!(
        app.rate(&rating("guide-tms", "tres_satisfait"))
            .await
            .status(),
        201
    );
    assert_eq!(
        app.rate(&rating("fiche-rps", "plutot_pas_satisfait"))
            .await
            .status(),
        201
    );
    let body: Value = app
        .get("/api/v1/indicators?year=2026")
        .await
        .json()
        .await
        .unwrap();
    let first = i4(body);
    assert_eq!(first["respondents"], 2, "{first}");
    assert_eq!(first["value"], 0.5, "{first}");

    // The same visitor changes their mind about the guide the same day: still two ratings.
    assert_eq!(
        app.rate(&rating("guide-tms", "pas_du_tout_satisfait"))
            .await
            .status(),
        201
    );
    let body: Value = app
        .get("/api/v1/indicators?year=2026")
        .await
        .json()
        .await
        .unwrap();
    let second = i4(body);
    assert_eq!(second["respondents"], 2, "{second}");
    assert_eq!(second["value"], 0.0, "{second}");

    // Replaced again at once, before or after the folder counts the rating it replaces:
    // either way it counts once, and the tallies equal a recount of the stored answers.
    for value in ["plutot_satisfait", "tres_satisfait"] {
        assert_eq!(app.rate(&rating("fiche-rps", value)).await.status(), 201);
    }
    let indicators = || async {
        let body: Value = app
            .get("/api/v1/indicators?year=2026")
            .await
            .json()
            .await
            .unwrap();
        i4(body)
    };
    let third = indicators().await;
    assert_eq!(third["respondents"], 2, "{third}");
    assert_eq!(third["value"], 0.5, "{third}");
    jalon::store::results::tallies::rebuild(&app.db)
        .await
        .unwrap();
    assert_eq!(indicators().await, third);
}

/// Staff read indicator 4 per theme and resource on the dashboard, hide an abusive comment
/// with the page's button, and export the same figures (CSV and the workbook's sheet).
#[tokio::test]
async fn the_dashboard_shows_resources_and_hides_comments_and_the_exports_agree() {
    let app = spawn_app_with(behind_proxy()).await;
    for (id, title, theme, n) in [
        ("guide-tms", "Guide : prévenir les TMS", "TMS", 4),
        ("rps", "Fiche RPS", "RPS", 1),
    ] {
        for _ in 0..n {
            let body = json!({"resource": id, "title": title, "theme": theme});
            assert_eq!(app.download(&body).await.status(), 202);
        }
    }
    for (address, id, value, comment) in [
        ("198.51.100.1", "guide-tms", "tres_satisfait", "Très clair"),
        (
            "198.51.100.2",
            "guide-tms",
            "pas_du_tout_satisfait",
            "Insulte <b>!</b>",
        ),
        ("198.51.100.3", "rps", "plutot_satisfait", ""),
    ] {
        let mut answers = json!({ "satisfaction": value });
        if !comment.is_empty() {
            answers["commentaire"] = json!(comment);
        }
        let response = app
            .rate_from(address, &json!({"resource": id, "answers": answers}))
            .await;
        assert_eq!(response.status(), 201);
    }
    app.downloads_reach(5).await;

    let page = app.get("/tableau-de-bord/ressources?annee=2026").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Guide : prévenir les TMS"));
    assert!(html.contains(
        "<caption id=\"legende-themes\">Satisfaction et participation par thème, 2026</caption>"
    ));
    // guide-tms: 1 satisfied of 2 ratings, 2 ratings of 4 downloads; the year: 2 of 3.
    assert!(html.contains("50,0\u{202f}%"), "{html}");
    assert!(html.contains("66,7\u{202f}%"));
    assert!(
        html.contains("Insulte &lt;b&gt;!&lt;/b&gt;"),
        "escaped, never markup"
    );
    let listed: Value = app
        .get("/api/v1/widget/comments?year=2026")
        .await
        .json()
        .await
        .unwrap();
    let abusive = listed["comments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["text"] == "Insulte <b>!</b>")
        .unwrap()["response_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(html.contains(&format!("/tableau-de-bord/commentaires/{abusive}/masquer")));

    let hidden = app
        .post_form(
            &format!("/tableau-de-bord/commentaires/{abusive}/masquer"),
            "annee=2026",
        )
        .await;
    assert_eq!(hidden.status(), 303);
    assert_eq!(
        hidden.headers()["location"],
        "/tableau-de-bord/ressources?annee=2026#titre-commentaires"
    );
    let html = app
        .get("/tableau-de-bord/ressources?annee=2026")
        .await
        .text()
        .await
        .unwrap();
    assert!(!html.contains("Insulte"));
    assert!(html.contains("Très clair"));
    assert!(html.contains("66,7\u{202f}%"), "the rating still counts");
    let unknown = app
        .post_form(
            "/tableau-de-bord/commentaires/00000000-0000-0000-0000-000000000000/masquer",
            "annee=2026",
        )
        .await;
    assert_eq!(unknown.status(), 404);
    for bad in [
        "/tableau-de-bord/ressources?annee=deux",
        "/tableau-de-bord/ressources?annee=1900",
    ] {
        let response = app.get(bad).await;
        assert_eq!(response.status(), 400, "{bad}");
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains(r#"<html lang="fr">"#)
        );
    }

    let csv = app.get("/exports/ressources.csv?annee=2026").await;
    assert_eq!(csv.status(), 200);
    let bytes = csv.bytes().await.unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "a BOM for Excel");
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "ressource;titre;thème;satisfaction;intervalle bas;intervalle haut;avis satisfaits;avis;téléchargements;participation"
    );
    let guide = lines.iter().find(|l| l.starts_with("guide-tms;")).unwrap();
    assert!(
        guide.starts_with("guide-tms;Guide : prévenir les TMS;TMS;0,5000;"),
        "{guide}"
    );
    assert!(guide.ends_with(";1;2;4;0,5000"), "{guide}");
    let comma = app
        .get("/exports/ressources.csv?annee=2026&sep=,")
        .await
        .text()
        .await
        .unwrap();
    assert!(comma.contains("guide-tms,Guide : prévenir les TMS,TMS,0.5000,"));
    assert_eq!(app.get("/exports/ressources.csv?sep=x").await.status(), 400);

    let workbook = app
        .get("/exports/indicateurs.xlsx?annee=2026")
        .await
        .bytes()
        .await
        .unwrap();
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(workbook.to_vec())).unwrap();
    use calamine::Reader;
    let sheet = book.worksheet_range("Indicateur 4 par ressource").unwrap();
    let rows: Vec<Vec<String>> = sheet
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(rows[0][0], "ressource");
    let guide = rows.iter().find(|r| r[0] == "guide-tms").unwrap();
    assert_eq!(guide[3], "0.5");
    assert_eq!(&guide[6..9], ["1", "2", "4"]);
}

#[tokio::test]
async fn a_title_the_website_sends_is_text_in_the_resource_exports() {
    let app = spawn_app_with(settings()).await;
    let title = r#"=HYPERLINK("http://evil.example.com","cliquez")"#;
    for _ in 0..2 {
        let body = json!({"resource": "guide-tms", "title": title, "theme": "-1+1"});
        assert_eq!(app.download(&body).await.status(), 202);
    }
    assert_eq!(
        app.rate(&rating("guide-tms", "tres_satisfait"))
            .await
            .status(),
        201
    );
    app.downloads_reach(2).await;

    let csv = app.get("/exports/ressources.csv?annee=2026").await;
    assert_eq!(csv.status(), 200);
    let bytes = csv.bytes().await.unwrap();
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(&bytes[3..]);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1);
    let row: Vec<&str> = rows[0].iter().collect();
    assert_eq!(
        row[..3],
        ["guide-tms", &format!("'{title}"), "'-1+1"],
        "text from the website starts with a quote"
    );
    assert_eq!(row[3], "1,0000");
    assert_eq!(row[6..], ["1", "1", "2", "0,5000"], "figures stay numbers");

    let workbook = app
        .get("/exports/indicateurs.xlsx?annee=2026")
        .await
        .bytes()
        .await
        .unwrap();
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(workbook.to_vec())).unwrap();
    use calamine::Reader;
    let sheet = book.worksheet_range("Indicateur 4 par ressource").unwrap();
    assert_eq!(
        sheet.get((1, 1)),
        Some(&calamine::Data::String(title.to_owned())),
        "a string cell, kept as sent"
    );
    let formulas = book
        .worksheet_formula("Indicateur 4 par ressource")
        .unwrap();
    assert!(formulas.used_cells().all(|(_, _, f)| f.is_empty()));
}

/// After an edit of the questionnaire's satisfied values, each resource reads its ratings
/// with the version they answered, as indicator 4's headline does: they keep adding up.
#[tokio::test]
async fn after_an_edit_of_the_satisfied_values_resources_still_add_up_to_the_headline() {
    use jalon::domain::QuestionnaireCode;
    use jalon::domain::answers::{RawAnswers, UnknownKeys, validate};
    use jalon::store::widget::{NewRating, record_ratings};

    let app = spawn_app_with(settings()).await;
    // An earlier version counted only "très satisfait".
    let source =
        std::fs::read_to_string(crate::helpers::questionnaires_dir().join("i4.toml")).unwrap();
    let strict = source.replace(
        r#"favorable = ["tres_satisfait", "plutot_satisfait"]"#,
        r#"favorable = ["tres_satisfait"]"#,
    );
    assert_ne!(strict, source);
    let dir = crate::helpers::questionnaires_folder(&[("i4.toml", &strict)]);
    let catalog = jalon::catalog::Catalog::load_dir(dir.path()).unwrap();
    let earlier = catalog.get(QuestionnaireCode::I4).unwrap();
    let now = jalon::clock::Clock::now(&app.clock);
    jalon::store::versions::record_all(&app.db, &catalog, now)
        .await
        .unwrap();

    // Two ratings of the guide under the earlier version: 1 satisfied of 2.
    let earlier_rating = |key: &str, value: &str| {
        let mut raw = RawAnswers::new();
        raw.push("satisfaction", value);
        NewRating {
            visitor_key: key.to_owned(),
            submitted_at: now,
            version: earlier.version.clone(),
            answers: validate(&earlier.definition, &raw, UnknownKeys::Reject).unwrap(),
            attributes: vec![("resource".to_owned(), "guide-tms".to_owned())],
        }
    };
    record_ratings(
        &app.db,
        QuestionnaireCode::I4,
        &[
            earlier_rating("avant-1", "tres_satisfait"),
            earlier_rating("avant-2", "plutot_satisfait"),
        ],
    )
    .await
    .unwrap();
    // Two under the current version, through the widget.
    for (resource, value) in [
        ("guide-tms", "plutot_satisfait"),
        ("fiche-rps", "pas_du_tout_satisfait"),
    ] {
        assert_eq!(app.rate(&rating(resource, value)).await.status(), 201);
    }

    // The guide: 1 of 2 then 1 of 1 → 2 / 3 (read with the current list it would be 3 / 3);
    // the sheet 0 / 1; the year 2 / 4.
    let results = app.results().await;
    let satisfaction = |r: &Value| {
        (
            r["satisfaction"]["favorable"].as_u64().unwrap(),
            r["satisfaction"]["total"].as_u64().unwrap(),
        )
    };
    assert_eq!(satisfaction(resource(&results, "guide-tms")), (2, 3));
    assert_eq!(satisfaction(resource(&results, "fiche-rps")), (0, 1));
    assert_eq!(satisfaction(&results["results"]["total"]), (2, 4));

    let body: Value = app
        .get("/api/v1/indicators?year=2026")
        .await
        .json()
        .await
        .unwrap();
    let headline = body["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == "i4")
        .cloned()
        .unwrap();
    assert_eq!(headline["respondents"], 4, "{headline}");
    assert_eq!(headline["value"], 0.5, "{headline}");
    assert_eq!(
        results["results"]["total"]["satisfaction"]["rate"],
        headline["value"]
    );
}
