//! Respondents answering the 15-question questionnaire of 3.1 through the form of their
//! personal link (POST /r/{token}, 303 once stored), 32 concurrent clients, each link
//! answered once, on SQLite and on a throwaway PostgreSQL server. Afterwards the stored
//! responses are counted: never fewer than the 303s wrk received.

use std::io::Write as _;

use jalon::clock::{Clock, SystemClock};
use jalon::demo::bulk;
use jalon::domain::QuestionnaireCode;
use sea_orm::{EntityTrait, PaginatorTrait};

use crate::server::{Server, base_env};
use crate::{Figure, Settings, median};

const CONNECTIONS: u32 = 32;
/// More links than the fastest run could use: a reused link would answer 409.
const LINKS_PER_SECOND: usize = 9_000;

pub fn run(runtime: &tokio::runtime::Runtime, settings: &Settings) -> Vec<Figure> {
    let mut figures = Vec::new();
    let work = super::work_dir("answering");
    let sqlite = format!("sqlite://{}/jalon.db", work.path().display());
    figures.extend(measure("SQLite", &sqlite, runtime, settings, work.path()));
    if !settings.postgres {
        return figures;
    }
    match crate::postgres::Postgres::start() {
        Ok(pg) => figures.extend(measure(
            "PostgreSQL",
            &pg.url,
            runtime,
            settings,
            work.path(),
        )),
        Err(why) => figures.push(Figure::new(
            "form answers, PostgreSQL",
            format!("not measured: {why}"),
        )),
    }
    figures
}

fn measure(
    database: &str,
    url: &str,
    runtime: &tokio::runtime::Runtime,
    settings: &Settings,
    dir: &std::path::Path,
) -> Vec<Figure> {
    let rounds = settings.runs + 1; // a short warm-up first
    let per_round = LINKS_PER_SECOND * settings.seconds as usize;
    let (campaign, body) = runtime.block_on(async {
        let (db, catalog) = super::prepared_database(url).await;
        let loaded = catalog.get(QuestionnaireCode::I3_1).expect("3.1 ships");
        let campaign = bulk::load(
            &db,
            loaded,
            "Banc d'essai",
            0,
            per_round * rounds,
            SystemClock.now(),
        )
        .await
        .expect("bulk load");
        db.close().await.expect("database closes");
        (
            campaign,
            bulk::sample_form_body(loaded).expect("a valid answer"),
        )
    });
    let body_file = dir.join("body.txt");
    std::fs::write(&body_file, &body).expect("body file");
    let server = Server::start(
        &base_env(url, dir),
        &dir.join(format!("serve-{database}.log")),
    );
    let script = std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scripts/bench/answer.lua"
    ));
    let mut runs = Vec::new();
    for (round, tokens) in campaign.pending_tokens.chunks(per_round).enumerate() {
        let tokens_file = dir.join(format!("tokens-{database}-{round}.txt"));
        let mut file = std::fs::File::create(&tokens_file).expect("tokens file");
        for token in tokens {
            writeln!(file, "{}", token.expose()).expect("tokens written");
        }
        drop(file);
        let env = [
            ("JALON_BENCH_TOKENS", tokens_file.display().to_string()),
            ("JALON_BENCH_BODY", body_file.display().to_string()),
            ("JALON_BENCH_THREADS", "2".to_owned()),
        ];
        let seconds = if round == 0 { 2 } else { settings.seconds };
        let run = crate::wrk::run(&server.base, &script, CONNECTIONS, seconds, &env);
        if round > 0 {
            runs.push(run);
        }
    }
    let (_, peak) = server.memory_mib();
    server.stop();
    let acknowledged: u64 = runs.iter().map(|r| r.requests - r.failures).sum();
    let stored = runtime.block_on(async {
        let db = jalon::store::connect(url, 1)
            .await
            .expect("database reachable");
        jalon::entities::response::Entity::find()
            .count(&db)
            .await
            .expect("count")
    });
    let rps = median(
        &runs
            .iter()
            .map(|r| r.requests_per_second)
            .collect::<Vec<_>>(),
    );
    let p99 = median(&runs.iter().map(|r| r.p99_ms).collect::<Vec<_>>());
    let failures: u64 = runs.iter().map(|r| r.failures).sum();
    eprintln!(
        "answering on {database}: {rps:.0} responses/s, p99 {p99:.1} ms (runs: {:?}); {stored} stored, {acknowledged} acknowledged in measured runs",
        runs.iter()
            .map(|r| r.requests_per_second.round())
            .collect::<Vec<_>>()
    );
    let sqlite = database == "SQLite";
    let figure = Figure::new(
        format!("form answers, 15 questions, {CONNECTIONS} clients, {database}"),
        format!("{rps:.0} responses/s, p99 {p99:.1} ms, {failures} failed"),
    );
    vec![
        if sqlite {
            figure.against(
                "≥ 3,000/s, p99 ≤ 25 ms",
                rps >= 3000.0 && p99 <= 25.0 && failures == 0,
            )
        } else {
            figure
        },
        Figure::new(
            format!("responses stored vs 303 received, {database}"),
            format!("{stored} ≥ {acknowledged}"),
        )
        .against("none lost", stored >= acknowledged),
        Figure::new(
            format!("resident memory, peak under the form load, {database}"),
            format!("{peak:.1} MiB"),
        )
        .against("≤ 200 MiB", peak <= 200.0),
    ]
}
