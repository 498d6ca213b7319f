//! Anonymous questionnaires (6, 7), played by an administrator who holds the whole database:
//! after a wave of real responses, nothing ties a response to a person — no shared key, no
//! order, no time, no transaction id, no rare attribute combination. Also the release rule
//! (nothing shows before enough colleagues have answered), that nothing acknowledged is
//! lost, and what respondents are told.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use jalon::domain::QuestionnaireCode;
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
use serde_json::{Value, json};

use crate::datasets::{answers, at};
use crate::helpers::{TestApp, encode, spawn_app, valid_form_answers};

const K: usize = 5;

/// Every table of the schema, and which side it is on. A new table must be placed here, so
/// that this test reads it.
/// (`invitation_counts` and `opened_counts` are kept by triggers on `invitations`, through
/// their `…_changes` on PostgreSQL.)
const PERSON_SIDE: [&str; 9] = [
    "invitations",
    "outbox",
    "email_bodies",
    // Bounces processed: the invitation they were about.
    "bounce_messages",
    "drafts",
    "invitation_counts",
    "opened_counts",
    "invitation_count_changes",
    "opened_count_changes",
];
const RESPONSE_SIDE: [&str; 11] = [
    "responses",
    "tally_backlog",
    "answers",
    "response_attributes",
    "answer_tallies",
    "group_tallies",
    "company_scores",
    "score_totals",
    "hidden_comments",
    "anonymous_pending",
    "rating_visitors",
];
const NEITHER: [&str; 17] = [
    "seaql_migrations",
    "questionnaire_versions",
    // Questionnaires edited by staff, and their pilots: test panels' answers, reached by
    // links no invitation or person is tied to, and counted nowhere.
    "questionnaire_drafts",
    "questionnaire_publications",
    "pilot_links",
    "pilot_responses",
    "campaigns",
    "interventions",
    "coproductions",
    "resources",
    "downloads",
    // Staff access: accounts, tokens, sessions, failed sign-ins, single sign-ons under way,
    // and the audit log of staff actions (contacts named by a hash of their address, never a
    // response's author).
    "staff_users",
    "api_tokens",
    "staff_sessions",
    "login_throttles",
    "oidc_flows",
    "audit_log",
];

type Row = BTreeMap<String, Option<String>>;

async fn query(app: &TestApp, sql: &str) -> Vec<sea_orm::QueryResult> {
    app.db
        .query_all_raw(Statement::from_string(
            app.db.get_database_backend(),
            sql.to_owned(),
        ))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

fn is_postgres(app: &TestApp) -> bool {
    app.db.get_database_backend() == DatabaseBackend::Postgres
}

async fn tables(app: &TestApp) -> Vec<String> {
    let sql = if is_postgres(app) {
        "SELECT table_name AS name FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
    } else {
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    };
    let mut names: Vec<String> = query(app, sql)
        .await
        .iter()
        .map(|r| r.try_get::<String>("", "name").unwrap())
        .collect();
    names.sort();
    names
}

async fn columns(app: &TestApp, table: &str) -> Vec<String> {
    let sql = if is_postgres(app) {
        format!(
            "SELECT column_name AS name FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name = '{table}'"
        )
    } else {
        format!("SELECT name FROM pragma_table_info('{table}')")
    };
    query(app, &sql)
        .await
        .iter()
        .map(|r| r.try_get::<String>("", "name").unwrap())
        .collect()
}

/// Every row of `table`, every value as text (blobs in hex on SQLite), in physical order
/// (SQLite's rowid when the table has one, PostgreSQL's ctid), with the `@order` and, on
/// PostgreSQL, `@xmin` and `@xmax` pseudo-columns.
async fn dump(app: &TestApp, table: &str) -> Vec<Row> {
    let cols = columns(app, table).await;
    let pg = is_postgres(app);
    let mut select: Vec<String> = cols
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if pg {
                format!("\"{c}\"::text AS c{i}")
            } else {
                format!(
                    "CASE WHEN typeof(\"{c}\") = 'blob' THEN hex(\"{c}\") \
                     ELSE CAST(\"{c}\" AS TEXT) END AS c{i}"
                )
            }
        })
        .collect();
    let has_rowid = pg || query(
        app,
        &format!(
            "SELECT sql FROM sqlite_master WHERE name = '{table}' AND sql LIKE '%WITHOUT ROWID%'"
        ),
    )
    .await
    .is_empty();
    let order = if pg {
        select.push("xmin::text AS xmin, xmax::text AS xmax".to_owned());
        " ORDER BY ctid"
    } else if has_rowid {
        select.push("rowid AS physical".to_owned());
        " ORDER BY rowid"
    } else {
        ""
    };
    let sql = format!("SELECT {} FROM \"{table}\"{order}", select.join(", "));
    query(app, &sql)
        .await
        .iter()
        .map(|r| {
            let mut row: Row = cols
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    (
                        c.clone(),
                        r.try_get::<Option<String>>("", &format!("c{i}")).unwrap(),
                    )
                })
                .collect();
            if pg {
                row.insert("@xmin".into(), r.try_get("", "xmin").unwrap());
                row.insert("@xmax".into(), r.try_get("", "xmax").unwrap());
            }
            row
        })
        .collect()
}

fn value<'a>(row: &'a Row, column: &str) -> &'a str {
    row.get(column)
        .and_then(|v| v.as_deref())
        .unwrap_or_default()
}

/// Kendall's tau between the order of `ranks` and ascending order: 1 when sorted, −1 when
/// reversed, near 0 for a random order.
fn kendall(ranks: &[usize]) -> f64 {
    let n = ranks.len();
    let (mut concordant, mut discordant) = (0i64, 0i64);
    for i in 0..n {
        for j in i + 1..n {
            match ranks[i].cmp(&ranks[j]) {
                std::cmp::Ordering::Less => concordant += 1,
                std::cmp::Ordering::Greater => discordant += 1,
                std::cmp::Ordering::Equal => {}
            }
        }
    }
    let pairs = (n * (n - 1) / 2) as f64;
    (concordant - discordant) as f64 / pairs
}

fn marker(i: usize) -> String {
    format!("Remarque numéro {i:03}")
}

fn index_of(text: &str) -> Option<usize> {
    text.strip_prefix("Remarque numéro ")?.parse().ok()
}

struct Member {
    region: &'static str,
    college: &'static str,
    answers: bool,
}

/// The wave's roster: 30 members, 26 of whom answer. Before coarsening, Corse has 2
/// employers and 1 salaried member who answer: rare combinations.
fn roster() -> Vec<Member> {
    let mut members = Vec::new();
    let mut add = |region, college, invited: usize, answering: usize| {
        for i in 0..invited {
            members.push(Member {
                region,
                college,
                answers: i < answering,
            });
        }
    };
    add("Bretagne", "salaries", 8, 7);
    add("Bretagne", "employeurs", 6, 5);
    add("Normandie", "salaries", 7, 6);
    add("Corse", "employeurs", 2, 2);
    add("Corse", "salaries", 1, 1);
    add("Occitanie", "salaries", 6, 5);
    members
}

fn file_dispatcher(app: &TestApp, dir: &std::path::Path) -> jalon::dispatch::Dispatcher {
    app.dispatcher(Arc::new(jalon::mail::FileMailer::new(dir).unwrap()))
}

/// Creates the i6 wave "2026" through the API, imports the roster, sends it; returns the
/// wave id and the tokens in roster order.
async fn send_wave(
    app: &TestApp,
    members: &[Member],
    dispatcher: &jalon::dispatch::Dispatcher,
) -> (String, Vec<String>) {
    let wave: Value = app
        .post_json(
            "/api/v1/waves",
            &json!({ "questionnaire": "i6", "label": "2026", "send_on": "2026-03-17" }),
        )
        .await
        .json()
        .await
        .unwrap();
    let id = wave["id"].as_str().unwrap().to_owned();
    let people: Vec<Value> = members
        .iter()
        .enumerate()
        .map(|(i, m)| {
            json!({
                "email": format!("membre.{i}@example.org"),
                "name": format!("Membre {i}"),
                "region": m.region,
                "college": m.college,
            })
        })
        .collect();
    let roster = app
        .post_json(&format!("/api/v1/waves/{id}/roster"), &Value::Array(people))
        .await;
    assert!(
        roster.status().is_success(),
        "{}",
        roster.text().await.unwrap()
    );
    app.clock.set(at("2026-03-17T08:30:00Z"));
    let summary = dispatcher.run(app.now()).await.unwrap();
    assert_eq!(summary.invitations_queued, members.len() as u64);
    // Only a keyed hash of each token is stored: the tokens are derived from the ids.
    let mut tokens = Vec::new();
    for i in 0..members.len() {
        use jalon::entities::invitation;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        let row = invitation::Entity::find()
            .filter(invitation::Column::Email.eq(format!("membre.{i}@example.org")))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        tokens.push(app.seal_key.links().token(row.id).expose().to_owned());
    }
    (id, tokens)
}

/// Answers as person `i`, through the form or the JSON API (alternately), with a comment
/// that lets this test (not the application) know whose response is whose.
async fn answer(app: &TestApp, token: &str, i: usize) {
    if i.is_multiple_of(2) {
        let mut pairs = valid_form_answers(app, QuestionnaireCode::I6);
        pairs.push(("commentaire".to_owned(), marker(i)));
        let response = app.post_form(&format!("/r/{token}"), encode(&pairs)).await;
        assert_eq!(response.status(), 303, "{i}");
    } else {
        let body = answers(
            app,
            QuestionnaireCode::I6,
            "plutot_d_accord",
            &[("commentaire", json!(marker(i)))],
        );
        let response = app
            .post_json(
                &format!("/api/v1/responses/{token}"),
                &json!({ "answers": body }),
            )
            .await;
        assert_eq!(response.status(), 201, "{i}");
    }
}

async fn results(app: &TestApp, wave_id: &str) -> Value {
    let response = app
        .get(&format!("/api/v1/campaigns/{wave_id}/results"))
        .await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

#[tokio::test]
async fn an_administrator_with_the_whole_database_cannot_tell_who_answered_what() {
    let app = spawn_app().await;
    let outbox = tempfile::tempdir().unwrap();
    let dispatcher = file_dispatcher(&app, outbox.path());
    let members = roster();
    let (wave_id, tokens) = send_wave(&app, &members, &dispatcher).await;

    // Answers over three weeks, some alone on their day, with dispatch running in between
    // (it releases sealed answers by five or more).
    let mut order: Vec<usize> = Vec::new();
    let mut sealed_seen = 0;
    let mut when: DateTime<Utc> = at("2026-03-17T09:10:00Z");
    for (i, m) in members.iter().enumerate() {
        if !m.answers {
            continue;
        }
        when += Duration::hours(if order.len() % 7 == 6 { 30 } else { 5 });
        app.clock.set(when);
        answer(&app, &tokens[i], i).await;
        order.push(i);
        if order.len().is_multiple_of(3) {
            sealed_seen += assert_sealed_unreadable(&app, &members).await;
            dispatcher.run(app.now()).await.unwrap();
        }
    }
    assert!(sealed_seen >= K, "sealed rows read: {sealed_seen}");

    // After the closing date, dispatch closes the rest and releases what is left.
    app.clock.set(at("2026-04-20T10:00:00Z"));
    dispatcher.run(app.now()).await.unwrap();
    let release_day = "2026-04-20";
    let respondents = order.len();
    assert_eq!(respondents, 26);

    // Staff see every response counted, and participation per group where it tells nobody's
    // answer: Corse's 3 members all answered, which must not show (nor be deduced from the
    // total and Occitanie, hidden with it).
    let body = results(&app, &wave_id).await;
    assert_eq!(body["respondents"], respondents);
    let by_group = |key: &str| {
        body["participation_by_group"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["key"] == key)
            .unwrap()["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| {
                (
                    g["value"].as_str().unwrap().to_owned(),
                    g["completed"].clone(),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        by_group("region"),
        [
            ("Bretagne".to_owned(), json!(12)),
            ("Corse".to_owned(), Value::Null),
            ("Normandie".to_owned(), json!(6)),
            ("Occitanie".to_owned(), Value::Null),
        ]
    );
    assert_eq!(
        by_group("college"),
        [
            ("employeurs".to_owned(), json!(7)),
            ("salaries".to_owned(), json!(19)),
        ]
    );

    // ---- The administrator's view: every table, every column. ----
    let mut all = tables(&app).await;
    all.retain(|t| t != "_sqlx_migrations");
    let mut known: Vec<String> = PERSON_SIDE
        .iter()
        .chain(&RESPONSE_SIDE)
        .chain(&NEITHER)
        .map(|s| (*s).to_owned())
        .collect();
    known.sort();
    assert_eq!(all, known, "a new table: place it in this test");
    let mut db: HashMap<&str, Vec<Row>> = HashMap::new();
    for table in PERSON_SIDE.iter().chain(&RESPONSE_SIDE) {
        db.insert(table, dump(&app, table).await);
    }
    assert!(db["anonymous_pending"].is_empty(), "everything released");
    assert_eq!(db["responses"].len(), respondents);

    // 1. Keys: no value that singles out an invitation (id, token, email, name, instants…)
    //    appears anywhere on the response side.
    let mut occurrences: HashMap<&str, usize> = HashMap::new();
    for row in db["invitations"]
        .iter()
        .chain(&db["outbox"])
        .chain(&db["email_bodies"])
    {
        for (column, v) in row {
            if column.starts_with('@') {
                continue;
            }
            if let Some(v) = v.as_deref().filter(|v| v.len() >= 6) {
                *occurrences.entry(v).or_default() += 1;
            }
        }
    }
    let personal: HashSet<&str> = occurrences
        .iter()
        .filter(|(_, n)| **n == 1)
        .map(|(v, _)| *v)
        .collect();
    assert!(
        personal.len() > 4 * members.len(),
        "ids, tokens, emails, names…"
    );
    for table in RESPONSE_SIDE {
        for row in &db[table] {
            for (column, v) in row {
                if column.starts_with('@') {
                    continue;
                }
                if let Some(v) = v.as_deref() {
                    assert!(
                        !personal.contains(v),
                        "{table}.{column} = {v} is an invitation's"
                    );
                }
            }
        }
    }
    for row in &db["responses"] {
        assert_eq!(row["invitation_id"], None);
    }

    // 2. Time: on the response side, no day but the common release day, and no instant;
    //    on the invitation side, "completed" without a day.
    let looks_like_time = |v: &str| {
        v.len() >= 10
            && v.as_bytes()[4] == b'-'
            && v.as_bytes()[7] == b'-'
            && v[..4].chars().all(|c| c.is_ascii_digit())
    };
    for table in RESPONSE_SIDE {
        for row in &db[table] {
            for (column, v) in row {
                if let Some(v) = v.as_deref().filter(|v| looks_like_time(v)) {
                    assert_eq!(v, release_day, "{table}.{column}");
                }
            }
        }
    }
    for row in &db["responses"] {
        assert_eq!(row["submitted_at"], None);
        assert_eq!(value(row, "submitted_on"), release_day);
    }
    let completed: Vec<&Row> = db["invitations"]
        .iter()
        .filter(|r| value(r, "status") == "completed")
        .collect();
    assert_eq!(completed.len(), respondents);
    assert!(completed.iter().all(|r| r["completed_on"].is_none()));

    // 3. Order: ids and physical order (rowid, ctid) of the responses and their comments say
    //    nothing of who answered first.
    let response_of_comment: HashMap<&str, usize> = db["answers"]
        .iter()
        .filter(|r| value(r, "question_id") == "commentaire")
        .map(|r| {
            (
                value(r, "response_id"),
                index_of(value(r, "value")).unwrap(),
            )
        })
        .collect();
    assert_eq!(response_of_comment.len(), respondents);
    let submission_rank: HashMap<usize, usize> = order
        .iter()
        .enumerate()
        .map(|(rank, i)| (*i, rank))
        .collect();
    let rank_of = |response_id: &str| submission_rank[&response_of_comment[response_id]];
    let physical: Vec<usize> = db["responses"]
        .iter()
        .map(|r| rank_of(value(r, "id")))
        .collect();
    let mut by_id: Vec<&Row> = db["responses"].iter().collect();
    by_id.sort_by_key(|r| value(r, "id").to_owned());
    let by_id: Vec<usize> = by_id.iter().map(|r| rank_of(value(r, "id"))).collect();
    let comments_physical: Vec<usize> = db["answers"]
        .iter()
        .filter(|r| value(r, "question_id") == "commentaire")
        .map(|r| rank_of(value(r, "response_id")))
        .collect();
    // The measure itself: 1 for submission order, −1 for its reverse.
    assert_eq!(kendall(&[0, 1, 2, 3, 4]), 1.0);
    assert_eq!(kendall(&[4, 3, 2, 1, 0]), -1.0);
    for (what, ranks) in [
        ("physical order of responses", &physical),
        ("order of response ids", &by_id),
        ("physical order of answers", &comments_physical),
    ] {
        let tau = kendall(ranks);
        assert!(
            tau.abs() < 0.6,
            "{what} follows submission order: tau = {tau}"
        );
    }
    // Random (v4) ids, not time-ordered ones.
    for row in &db["responses"] {
        let id: uuid::Uuid = value(row, "id")
            .parse()
            .unwrap_or_else(|_| uuid::Uuid::from_slice(&hex_bytes(value(row, "id"))).unwrap());
        assert_eq!(id.get_version_num(), 4);
    }

    // 4. Transaction ids (PostgreSQL): no response-side row was written by a transaction
    //    that wrote an invitation.
    if is_postgres(&app) {
        let person_xids: HashSet<&str> = PERSON_SIDE
            .iter()
            .flat_map(|t| db[t].iter())
            .flat_map(|r| [value(r, "@xmin"), value(r, "@xmax")])
            .filter(|x| *x != "0")
            .collect();
        for table in RESPONSE_SIDE {
            for row in &db[table] {
                for x in [value(row, "@xmin"), value(row, "@xmax")] {
                    assert!(
                        x == "0" || !person_xids.contains(x),
                        "{table} shares transaction {x} with an invitation"
                    );
                }
            }
        }
        // And all the responses come from one transaction: the last release.
        let xmins: HashSet<&str> = db["responses"].iter().map(|r| value(r, "@xmin")).collect();
        assert_eq!(xmins.len(), 1);
    }

    // 5. Rare combinations: every stored set of attributes is shared by at least k responses.
    let mut attributes: HashMap<&str, Vec<(String, String)>> = db["responses"]
        .iter()
        .map(|r| (value(r, "id"), Vec::new()))
        .collect();
    for row in &db["response_attributes"] {
        attributes
            .get_mut(value(row, "response_id"))
            .expect("attributes of a stored response")
            .push((value(row, "key").to_owned(), value(row, "value").to_owned()));
    }
    let mut combinations: HashMap<Vec<(String, String)>, usize> = HashMap::new();
    for (_, mut set) in attributes {
        set.sort();
        *combinations.entry(set).or_default() += 1;
    }
    for (set, n) in &combinations {
        assert!(*n >= K, "{set:?} has {n} responses");
    }
    // Corse's 3 lost their region (and Occitanie's 5 with the salaried one, Bretagne's 5
    // employers with the 2): nothing says "Corse" any more.
    assert!(!combinations.keys().flatten().any(|(_, v)| v == "Corse"));
    assert!(
        combinations.len() >= 3,
        "the breakdowns still mean something: {combinations:?}"
    );
}

/// Reads every sealed (not yet released) response as the administrator would, and fails if
/// one says, in clear, anything of what was answered: an answer value, a comment, an
/// attribute value, even a question id. Returns the number of sealed rows read.
async fn assert_sealed_unreadable(app: &TestApp, members: &[Member]) -> usize {
    let mut clear: Vec<String> = (0..members.len()).map(marker).collect();
    clear.push("Remarque".to_owned());
    clear.push("plutot_d_accord".to_owned());
    for m in members {
        clear.push(m.region.to_owned());
        clear.push(m.college.to_owned());
    }
    for (question, value) in valid_form_answers(app, QuestionnaireCode::I6) {
        clear.push(question);
        clear.push(value);
    }
    // Shorter strings could turn up by chance in random bytes written as text.
    clear.retain(|v| v.len() >= 6);
    assert!(clear.len() > 40, "{clear:?}");
    let rows = dump(app, "anonymous_pending").await;
    for row in &rows {
        for (column, v) in row {
            let Some(v) = v.as_deref() else { continue };
            for c in &clear {
                assert!(
                    !v.contains(c.as_str()),
                    "anonymous_pending.{column} shows {c} in clear: {v}"
                );
            }
        }
        assert!(!value(row, "payload").starts_with('{'), "a clear payload");
    }
    rows.len()
}

fn hex_bytes(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .filter_map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

#[tokio::test]
async fn answers_stay_sealed_until_k_colleagues_have_answered() {
    let app = spawn_app().await;
    let outbox = tempfile::tempdir().unwrap();
    let dispatcher = file_dispatcher(&app, outbox.path());
    let members: Vec<Member> = (0..8)
        .map(|_| Member {
            region: "Bretagne",
            college: "salaries",
            answers: true,
        })
        .collect();
    let (wave_id, tokens) = send_wave(&app, &members, &dispatcher).await;
    app.clock.set(at("2026-03-18T10:00:00Z"));

    // k − 1 answers: acknowledged, but nothing is visible, however often dispatch runs.
    for (i, token) in tokens.iter().take(K - 1).enumerate() {
        answer(&app, token, i).await;
        dispatcher.run(app.now()).await.unwrap();
    }
    let body = results(&app, &wave_id).await;
    assert_eq!(body["respondents"], 0);
    assert_eq!(
        body["participation"]["completed"],
        K - 1,
        "participation is followed"
    );
    assert_eq!(app.count("responses").await, 0);
    assert_eq!(app.count("answer_tallies").await, 0);
    assert_eq!(app.count("anonymous_pending").await, (K - 1) as i64);

    // The k-th: the next dispatch releases all k together.
    answer(&app, &tokens[K - 1], K - 1).await;
    assert_eq!(results(&app, &wave_id).await["respondents"], 0);
    let summary = dispatcher.run(app.now()).await.unwrap();
    assert_eq!(summary.released, K as u64);
    assert_eq!(results(&app, &wave_id).await["respondents"], K);
    assert_eq!(app.count("anonymous_pending").await, 0);

    // One more: sealed again…
    answer(&app, &tokens[K], K).await;
    dispatcher.run(app.now()).await.unwrap();
    assert_eq!(results(&app, &wave_id).await["respondents"], K);

    // …until the wave closes: the last ones are released rather than left out.
    app.clock.set(at("2026-04-20T10:00:00Z"));
    let summary = dispatcher.run(app.now()).await.unwrap();
    assert_eq!(summary.released, 1);
    assert_eq!(results(&app, &wave_id).await["respondents"], K + 1);
    // A second run has nothing more to do.
    assert_eq!(dispatcher.run(app.now()).await.unwrap().released, 0);
}

#[tokio::test]
async fn nothing_acknowledged_is_lost_even_while_releases_run() {
    let app = spawn_app().await;
    let outbox = tempfile::tempdir().unwrap();
    let dispatcher = file_dispatcher(&app, outbox.path());
    let members: Vec<Member> = (0..24usize)
        .map(|i| Member {
            region: if i.is_multiple_of(2) {
                "Bretagne"
            } else {
                "Normandie"
            },
            college: "salaries",
            answers: true,
        })
        .collect();
    let (wave_id, tokens) = send_wave(&app, &members, &dispatcher).await;
    app.clock.set(at("2026-03-18T10:00:00Z"));

    // Answers arrive while releases run.
    let mut acknowledged = 0;
    for chunk in tokens.chunks(6) {
        let mut answering = tokio::task::JoinSet::new();
        for token in chunk {
            let client = app.client.clone();
            let url = app.url(&format!("/r/{token}"));
            let body = encode(&valid_form_answers(&app, QuestionnaireCode::I6));
            answering.spawn(async move {
                client
                    .post(url)
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .body(body)
                    .send()
                    .await
                    .expect("request sent")
                    .status()
                    .as_u16()
            });
        }
        app.release_anonymous().await;
        let statuses = answering.join_all().await;
        acknowledged += statuses.iter().filter(|s| **s == 303).count();
    }
    assert_eq!(acknowledged, tokens.len());
    // Everybody answered: the wave is over, the rest is released.
    app.release_anonymous().await;
    assert_eq!(app.count("anonymous_pending").await, 0);
    assert_eq!(app.count("responses").await, acknowledged as i64);
    assert_eq!(results(&app, &wave_id).await["respondents"], acknowledged);
}

#[tokio::test]
async fn respondents_are_told_how_their_anonymity_is_kept() {
    let app = spawn_app().await;
    let token = app.invite(QuestionnaireCode::I7).await;
    let form = app.get(&format!("/r/{token}")).await.text().await.unwrap();
    assert!(form.contains("href=\"/confidentialite/i7\""));
    assert!(form.contains("Questionnaire anonyme"), "{form}");
    assert!(form.contains("au moins 5"));

    let privacy = app.get("/confidentialite/i7").await;
    assert_eq!(privacy.status(), 200);
    let privacy = privacy.text().await.unwrap();
    for told in [
        "Ce qui est conservé",
        "Ce qui n’est pas conservé",
        "Qui voit quoi",
        "Combien de temps",
        "au moins 5",
    ] {
        assert!(privacy.contains(told), "{told}");
    }

    let response = app
        .post_form(
            &format!("/r/{token}"),
            encode(&valid_form_answers(&app, QuestionnaireCode::I7)),
        )
        .await;
    assert_eq!(response.status(), 303);
    let thanks = app
        .get(&format!("/r/{token}/merci"))
        .await
        .text()
        .await
        .unwrap();
    assert!(thanks.contains("au moins 5"), "{thanks}");
}

async fn answer_with_comment(app: &TestApp, code: QuestionnaireCode, token: &str, i: usize) {
    let mut pairs = valid_form_answers(app, code);
    pairs.push(("commentaire".to_owned(), marker(i)));
    let response = app.post_form(&format!("/r/{token}"), encode(&pairs)).await;
    assert_eq!(response.status(), 303);
}

async fn comments(app: &TestApp, code: QuestionnaireCode) -> Value {
    let campaign = jalon::store::campaigns::find(&app.db, code, "test")
        .await
        .unwrap()
        .unwrap();
    let response = app
        .get(&format!("/api/v1/campaigns/{}/comments", campaign.id))
        .await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

#[tokio::test]
async fn comments_are_read_without_their_authors_and_only_from_k_responses() {
    let app = spawn_app().await;
    // i6: three members, all answered: released, but too few to read their comments.
    for i in 0..3 {
        let token = app.invite(QuestionnaireCode::I6).await;
        answer_with_comment(&app, QuestionnaireCode::I6, &token, i).await;
    }
    // i7: ten agents.
    for i in 0..10 {
        let token = app.invite(QuestionnaireCode::I7).await;
        answer_with_comment(&app, QuestionnaireCode::I7, &token, i).await;
    }
    assert_eq!(app.release_anonymous().await, 13);

    let few = comments(&app, QuestionnaireCode::I6).await;
    assert_eq!(few["withheld"], true);
    assert_eq!(few["comments"], json!([]));

    let many = comments(&app, QuestionnaireCode::I7).await;
    assert_eq!(many["withheld"], false);
    let listed = many["comments"].as_array().unwrap();
    assert_eq!(listed.len(), 10);
    for c in listed {
        let keys: Vec<&String> = c.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["question", "text"], "nothing but the text");
    }
    let ranks: Vec<usize> = listed
        .iter()
        .map(|c| index_of(c["text"].as_str().unwrap()).unwrap())
        .collect();
    assert_ne!(ranks, (0..10).collect::<Vec<_>>(), "not in the order given");
    let mut sorted = ranks.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (0..10).collect::<Vec<_>>(), "every comment, once");

    // The dashboard says the same.
    for (code, shown) in [
        (QuestionnaireCode::I6, false),
        (QuestionnaireCode::I7, true),
    ] {
        let campaign = jalon::store::campaigns::find(&app.db, code, "test")
            .await
            .unwrap()
            .unwrap();
        let html = app
            .get(&format!("/tableau-de-bord/campagnes/{}", campaign.id))
            .await
            .text()
            .await
            .unwrap();
        assert!(html.contains("<h2 id=\"titre-commentaires\">Commentaires</h2>"));
        assert_eq!(html.contains(&marker(0)), shown, "{code}");
        assert_eq!(
            html.contains("les commentaires ne sont pas affichés"),
            !shown
        );
    }
}

/// Agents of wave `label`: per entity, how many answer favourably and unfavourably.
async fn i7_wave(app: &TestApp, label: &str, sent: &str, entities: &[(&str, usize, usize)]) {
    let code = QuestionnaireCode::I7;
    for (entity, favourable, unfavourable) in entities {
        for i in 0..favourable + unfavourable {
            let value = if i < *favourable {
                "plutot_d_accord"
            } else {
                "pas_du_tout_d_accord"
            };
            let a = answers(app, code, value, &[]);
            crate::datasets::respond(app, code, label, json!({ "entity": entity }), at(sent), a)
                .await;
        }
    }
}

#[tokio::test]
async fn two_waves_compared_per_entity_only_where_both_are_published() {
    let app = spawn_app().await;
    i7_wave(
        &app,
        "2024",
        "2024-02-02T08:00:00Z",
        &[
            ("anact", 4, 6),
            ("aract-bretagne", 3, 3),
            ("aract-corse", 1, 1),
        ],
    )
    .await;
    i7_wave(
        &app,
        "2026",
        "2026-02-02T08:00:00Z",
        &[
            ("anact", 8, 2),
            ("aract-bretagne", 4, 2),
            ("aract-corse", 3, 3),
        ],
    )
    .await;
    assert_eq!(app.release_anonymous().await, 18 + 22);

    let campaign = jalon::store::campaigns::find(&app.db, QuestionnaireCode::I7, "2026")
        .await
        .unwrap()
        .unwrap();
    let body = results(&app, &campaign.id.to_string()).await;
    assert_eq!(body["compared_with"], "2024");
    let entity = body["breakdowns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["key"] == "entity")
        .unwrap();
    let change_of = |code: &str| {
        entity["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["value"] == code)
            .unwrap_or_else(|| panic!("{code} in {entity}"))["change"]
            .clone()
    };
    // The Anact: 4/10 → 8/10 on every question, +40 points, z = 1.83: not significant.
    let anact = change_of("anact");
    assert!(
        (anact["points"].as_f64().unwrap() - 40.0).abs() < 1e-9,
        "{anact}"
    );
    assert_eq!(anact["significant"], false);
    // In 2024 Corse (2) could not keep its entity, nor Bretagne (the smallest other) with
    // it: their 2026 results are shown, but no change, which would give 2024 back.
    assert_eq!(change_of("aract-bretagne"), Value::Null);
    assert_eq!(change_of("aract-corse"), Value::Null);

    let html = app
        .get(&format!("/tableau-de-bord/campagnes/{}", campaign.id))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("depuis la vague « 2024 »"));
    assert!(html.contains("+40,0\u{202F}points"), "{html}");
}

#[tokio::test]
async fn contacts_are_erased_when_the_notice_says_so() {
    let app = spawn_app().await;
    let outbox = tempfile::tempdir().unwrap();
    let dispatcher = file_dispatcher(&app, outbox.path());
    let members: Vec<Member> = (0..6)
        .map(|_| Member {
            region: "Bretagne",
            college: "salaries",
            answers: true,
        })
        .collect();
    let (wave_id, tokens) = send_wave(&app, &members, &dispatcher).await;
    app.clock.set(at("2026-03-18T10:00:00Z"));
    for (i, token) in tokens.iter().take(5).enumerate() {
        answer(&app, token, i).await;
    }
    let count = |sql: &'static str| {
        let db = app.db.clone();
        async move {
            db.query_one_raw(Statement::from_string(
                db.get_database_backend(),
                sql.to_owned(),
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get::<i64>("", "n")
            .unwrap()
        }
    };
    let emails =
        "SELECT COUNT(*) AS n FROM invitations WHERE email IS NOT NULL OR name IS NOT NULL";
    let mails = "SELECT COUNT(*) AS n FROM outbox LEFT JOIN email_bodies ON email_bodies.id = body_id \
                 WHERE recipient <> '' OR body_text <> '' OR body_html <> ''";

    // Closed on 16 April 2026 (sent 17 March, +30 days): kept for 24 months.
    app.clock.set(at("2028-04-10T10:00:00Z"));
    assert_eq!(dispatcher.run(app.now()).await.unwrap().erased, 0);
    assert_eq!(count(emails).await, 6);
    assert!(count(mails).await > 0);

    app.clock.set(at("2028-04-20T10:00:00Z"));
    assert_eq!(dispatcher.run(app.now()).await.unwrap().erased, 6);
    assert_eq!(count(emails).await, 0);
    assert_eq!(count(mails).await, 0);
    // The answers stay.
    assert_eq!(results(&app, &wave_id).await["respondents"], 5);
    assert_eq!(dispatcher.run(app.now()).await.unwrap().erased, 0);

    let notice = app.get("/confidentialite/i6").await.text().await.unwrap();
    assert!(notice.contains("au plus tard 24 mois après la clôture"));
}

#[tokio::test]
async fn responses_stored_before_releases_existed_are_rewritten_by_the_next_dispatch() {
    use jalon::domain::answers::{RawAnswers, UnknownKeys, validate};
    use jalon::store::responses::Origin;
    use jalon::store::submissions::{NewResponse, submit};
    let app = spawn_app().await;
    let loaded = app.catalog.get(QuestionnaireCode::I7).unwrap();
    let mut raw = RawAnswers::new();
    for (k, v) in valid_form_answers(&app, QuestionnaireCode::I7) {
        raw.push(k.as_str(), v.as_str());
    }
    let valid = validate(&loaded.definition, &raw, UnknownKeys::Reject).unwrap();
    // As the previous version stored them: the day, the instant, even the invitation.
    for _ in 0..4 {
        app.invite(QuestionnaireCode::I7).await;
    }
    let campaign = jalon::store::campaigns::find(&app.db, QuestionnaireCode::I7, "test")
        .await
        .unwrap()
        .unwrap();
    let ids: Vec<uuid::Uuid> = query(&app, "SELECT id FROM invitations")
        .await
        .iter()
        .map(|r| r.try_get::<uuid::Uuid>("", "id").unwrap())
        .collect();
    for (i, id) in ids.iter().take(3).enumerate() {
        app.clock
            .set(at("2026-03-16T09:30:00Z") + Duration::days(i as i64));
        submit(
            &app.db,
            NewResponse {
                campaign_id: campaign.id,
                version: &loaded.version,
                definition: &loaded.definition,
                origin: Origin::Invitation {
                    id: *id,
                    anonymous: false,
                },
                answers: &valid,
                attributes: &[],
                seal_key: &app.seal_key,
            },
            app.now(),
        )
        .await
        .unwrap();
    }
    let leaky = "SELECT COUNT(*) AS n FROM responses \
                 WHERE invitation_id IS NOT NULL OR submitted_at IS NOT NULL";
    let count = |rows: Vec<sea_orm::QueryResult>| rows[0].try_get::<i64>("", "n").unwrap();
    assert_eq!(count(query(&app, leaky).await), 3);

    // Three responses only, one invitation still open: no release is due, yet they are
    // rewritten, and the invitations forget their day.
    app.clock.set(at("2026-03-25T09:30:00Z"));
    assert_eq!(app.release_anonymous().await, 0);
    assert_eq!(count(query(&app, leaky).await), 0);
    assert_eq!(
        count(
            query(
                &app,
                "SELECT COUNT(DISTINCT submitted_on) AS n FROM responses"
            )
            .await
        ),
        1
    );
    assert_eq!(
        count(
            query(
                &app,
                "SELECT COUNT(*) AS n FROM invitations WHERE completed_on IS NOT NULL"
            )
            .await
        ),
        0
    );
    assert_eq!(app.count("responses").await, 3);
}
