//! Respondents answering the 15-question questionnaire of 3.1 through their personal link,
//! each link once: a program through the JSON API (POST /api/v1/responses/{token}, 201) and a
//! browser without JavaScript through the form (GET then POST /r/{token}, 303), at 1, 8 and
//! 32 clients, on SQLite and on a throwaway PostgreSQL server.
//!
//! Every figure is set beside the storage's own speed measured in the same run
//! (`crate::ceiling`): the same rows written by a minimal writer, one response a transaction
//! and batched; the JSON API's also beside that writer served over HTTP (`crate::served`),
//! what the framework and a queue leave of it. Then: five consecutive runs of the JSON API at
//! 32 clients (no slowing down), two instances on one PostgreSQL (no waiting on each other),
//! and after all runs the stored responses against the acknowledgements, and the tallies
//! against a recomputation from the stored answers.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use jalon::clock::{Clock, SystemClock};
use jalon::demo::bulk;
use jalon::domain::QuestionnaireCode;
use jalon::domain::results::{GroupCount, ValueCount};
use jalon::progress::Terminal;
use jalon::store::results::counts::{Dimensions, Scope, group_counts, value_counts};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use uuid::Uuid;

use crate::ceiling::{self, Sample, Shape};
use crate::served::Served;
use crate::server::{Server, base_env};
use crate::wrk::Run;
use crate::{Figure, Settings, median};

const CONSECUTIVE: usize = 5;
/// Seconds of the served ceiling's unmeasured first run.
const SERVED_WARM_UP: u32 = 2;
/// Links a run may use, per second: above the fastest rate seen, so that no link is reused.
const LINKS_PER_SECOND: usize = 7_000;
/// The same for the ceiling, which has no HTTP to go through (a shape that runs out of links
/// ends early; its rate holds).
const CEILING_LINKS_PER_SECOND: usize = 15_000;
const CEILING_SHAPES: [Shape; 5] = [
    Shape {
        writers: 1,
        per_transaction: 1,
    },
    Shape {
        writers: 32,
        per_transaction: 1,
    },
    Shape {
        writers: 1,
        per_transaction: 16,
    },
    // As large as 32 clients can make a batch: how close jalon comes to the storage at the
    // batch size its clients allow, beside the best ceiling its target is held to.
    Shape {
        writers: 1,
        per_transaction: 32,
    },
    Shape {
        writers: 1,
        per_transaction: 64,
    },
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Way {
    Json,
    Form,
}

impl Way {
    fn label(self) -> &'static str {
        match self {
            Way::Json => "JSON API",
            Way::Form => "form (GET + POST)",
        }
    }

    fn mode(self) -> &'static str {
        match self {
            Way::Json => "json",
            Way::Form => "form",
        }
    }

    /// Requests per response.
    fn requests(self) -> f64 {
        match self {
            Way::Json => 1.0,
            Way::Form => 2.0,
        }
    }
}

pub fn run(runtime: &tokio::runtime::Runtime, settings: &Settings) -> Vec<Figure> {
    let mut figures = Vec::new();
    let work = super::work_dir("answering");
    let sqlite = format!("sqlite://{}/jalon.db", work.path().display());
    if settings.sqlite {
        figures.extend(measure("SQLite", &sqlite, runtime, settings, work.path()));
    }
    if !settings.postgres {
        return figures;
    }
    let options = if settings.pg_statements > 0 {
        crate::statements::PRELOAD
    } else {
        ""
    };
    match crate::postgres::Postgres::start(options) {
        Ok(pg) => figures.extend(measure(
            "PostgreSQL",
            &pg.url,
            runtime,
            settings,
            work.path(),
        )),
        Err(why) => figures.push(Figure::new(
            "answering, PostgreSQL",
            format!("not measured: {why}"),
        )),
    }
    figures
}

/// The links of the answering runs, handed out run by run.
struct Links {
    tokens: Vec<String>,
    used: usize,
    dir: PathBuf,
    files: usize,
    /// The files' names begin with it.
    prefix: &'static str,
}

impl Links {
    /// A file of the next `seconds`' worth of links.
    fn file(&mut self, seconds: u32) -> PathBuf {
        let count = LINKS_PER_SECOND * seconds as usize;
        let end = (self.used + count).min(self.tokens.len());
        let path = self.dir.join(format!("{}-{}.txt", self.prefix, self.files));
        self.files += 1;
        let mut file = std::fs::File::create(&path).expect("tokens file");
        for token in &self.tokens[self.used..end] {
            writeln!(file, "{token}").expect("tokens written");
        }
        self.used = end;
        path
    }
}

fn measure(
    database: &str,
    url: &str,
    runtime: &tokio::runtime::Runtime,
    settings: &Settings,
    dir: &Path,
) -> Vec<Figure> {
    let seconds = settings.seconds;
    let postgres = database == "PostgreSQL";
    let ceiling_seconds = seconds.div_ceil(2).max(2);
    // Runs: a warm-up, each way at each count of clients, the JSON API at 32 four more
    // times, and on PostgreSQL the two instances.
    let ways: Vec<Way> = [Way::Json, Way::Form]
        .into_iter()
        .filter(|way| settings.ways.iter().any(|w| w == way.mode()))
        .collect();
    let runs = 1 + ways.len() * settings.clients.len() + (CONSECUTIVE - 1) + usize::from(postgres);
    let links = LINKS_PER_SECOND * seconds as usize * runs;
    let served_link_count = if ways.contains(&Way::Json) {
        LINKS_PER_SECOND
            * (seconds as usize * settings.runs * settings.clients.len() + SERVED_WARM_UP as usize)
    } else {
        0
    };
    let ceiling_links = CEILING_LINKS_PER_SECOND * ceiling_seconds as usize * CEILING_SHAPES.len()
        + served_link_count;

    let (tokens, campaign_id, ceiling_ids, sample, form, json) = runtime.block_on(async {
        let (db, catalog, keys) = super::prepared_database(url, dir).await;
        let loaded = &*catalog.get(QuestionnaireCode::I3_1).expect("3.1 ships");
        let now = SystemClock.now();
        let loading = Terminal::new("liens du banc d'essai");
        let campaign = bulk::load(&db, &keys, loaded, "Banc d'essai", 0, links, now, &loading)
            .await
            .expect("bulk load");
        let loading = Terminal::new("liens du plafond");
        let plafond = bulk::load(
            &db,
            &keys,
            loaded,
            "Plafond",
            0,
            ceiling_links,
            now,
            &loading,
        )
        .await
        .expect("bulk load");
        let ceiling_ids = pending_invitations(&db, plafond.id).await;
        let (answers, attributes) = bulk::sample_response(loaded).expect("a valid answer");
        let sample = Sample::new(plafond.id, &loaded.version, &answers, &attributes);
        db.close().await.expect("database closes");
        let tokens: Vec<String> = campaign
            .pending_tokens
            .iter()
            .map(|t| t.expose().to_owned())
            .collect();
        (
            tokens,
            campaign.id,
            ceiling_ids,
            sample,
            bulk::sample_form_body(loaded).expect("a valid answer"),
            bulk::sample_json_body(loaded).expect("a valid answer"),
        )
    });

    // The ceiling first, jalon not running: the machine is the storage's alone.
    let ceiling_ids = Arc::new(ceiling_ids);
    let sample = Arc::new(sample);
    let next = Arc::new(AtomicUsize::new(0));
    let mut ceilings = Vec::new();
    for shape in CEILING_SHAPES {
        let rate = runtime.block_on(ceiling::measure(
            url,
            sample.clone(),
            ceiling_ids.clone(),
            next.clone(),
            shape,
            Duration::from_secs(u64::from(ceiling_seconds)),
        ));
        eprintln!("ceiling on {database}, {shape:?}: {rate:.0} responses/s");
        ceilings.push((shape, rate));
    }

    let form_file = dir.join("form.txt");
    std::fs::write(&form_file, &form).expect("body file");
    let json_file = dir.join("json.txt");
    std::fs::write(&json_file, &json).expect("body file");
    let script = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scripts/bench/answer.lua"
    ));

    // Then the same writer behind HTTP, still without jalon: what the framework and a queue
    // leave of the ceiling.
    let mut served_links = Links {
        tokens: ceiling_ids[next.load(Ordering::SeqCst).min(ceiling_ids.len())..]
            .iter()
            .map(Uuid::to_string)
            .collect(),
        used: 0,
        dir: dir.to_owned(),
        files: 0,
        prefix: "served",
    };
    // Only the JSON API's lines are set beside it.
    let served = if !ways.contains(&Way::Json) {
        Vec::new()
    } else {
        let backend = if postgres {
            DbBackend::Postgres
        } else {
            DbBackend::Sqlite
        };
        let writers = jalon::writer::answer_writers(backend) as u32;
        let server = Served::start(runtime, url, sample.clone(), writers);
        let mut run = |clients: u32, seconds: u32| {
            let env = [
                (
                    "JALON_BENCH_TOKENS",
                    served_links.file(seconds).display().to_string(),
                ),
                ("JALON_BENCH_BODY", json_file.display().to_string()),
                ("JALON_BENCH_MODE", Way::Json.mode().to_owned()),
            ];
            crate::wrk::run(&server.base, &script, clients, seconds, &env)
        };
        run(32, SERVED_WARM_UP);
        let mut served = Vec::new();
        for &clients in &settings.clients {
            let runs: Vec<Run> = (0..settings.runs).map(|_| run(clients, seconds)).collect();
            let line = Measured::of(clients, &runs, Way::Json);
            eprintln!(
                "served ceiling on {database}, {clients} clients: {:.0} responses/s, p99 {:.1} ms, runs {:?}",
                line.rate,
                line.p99,
                runs.iter()
                    .map(|r| r.requests_per_second.round() as i64)
                    .collect::<Vec<_>>()
            );
            served.push(line);
        }
        served
    };

    let mut links = Links {
        tokens,
        used: 0,
        dir: dir.to_owned(),
        files: 0,
        prefix: "tokens",
    };
    let answer = |server: &Server, links: &mut Links, way: Way, clients: u32, seconds: u32| {
        let body = match way {
            Way::Json => &json_file,
            Way::Form => &form_file,
        };
        let env = [
            (
                "JALON_BENCH_TOKENS",
                links.file(seconds).display().to_string(),
            ),
            ("JALON_BENCH_BODY", body.display().to_string()),
            ("JALON_BENCH_MODE", way.mode().to_owned()),
        ];
        crate::wrk::run(&server.base, &script, clients, seconds, &env)
    };

    let server = Server::start(
        &base_env(url, dir),
        &dir.join(format!("serve-{database}.log")),
    );
    let mut acknowledged = 0;
    answer(&server, &mut links, Way::Json, 32, 2); // warm-up, not measured
    let profiled = postgres && settings.pg_statements > 0;
    if profiled {
        runtime.block_on(crate::statements::reset(url));
    }
    let mut figures = ceiling_figures(database, &ceilings);
    figures.extend(
        served
            .iter()
            .map(|line| served_figure(line, database, &ceilings)),
    );
    let mut consecutive = Vec::new();
    for &way in &ways {
        for &clients in &settings.clients {
            let repeats = if way == Way::Json && clients == 32 {
                CONSECUTIVE
            } else {
                1
            };
            let mut measured = Vec::new();
            for _ in 0..repeats {
                let run = answer(&server, &mut links, way, clients, seconds);
                acknowledged += run.acknowledged.unwrap_or(0);
                measured.push(run);
            }
            let rates: Vec<f64> = measured.iter().map(|r| rate(r, way)).collect();
            let line = Measured::of(clients, &measured, way);
            eprintln!(
                "{} on {database}, {clients} clients: {:.0} responses/s, p99 {:.1} ms, runs {:?}",
                way.label(),
                line.rate,
                line.p99,
                rates.iter().map(|r| r.round() as i64).collect::<Vec<_>>()
            );
            figures.push(throughput(database, way, &line, &ceilings, &served));
            if repeats > 1 {
                consecutive = rates;
            }
        }
    }
    if let (Some(first), Some(last)) = (consecutive.first(), consecutive.last()) {
        figures.push(
            Figure::new(
                format!("{CONSECUTIVE} consecutive runs, JSON API, 32 clients, {database}"),
                format!(
                    "last {:.0}/s = {:.0} % of first {first:.0}/s",
                    last,
                    100.0 * last / first
                ),
            )
            .against("≥ 90 %", last / first >= 0.9),
        );
    }
    let one_instance = median(&consecutive);
    if profiled {
        eprintln!("statements on {database} that took the most time in the runs above:");
        for line in runtime.block_on(crate::statements::top(url, settings.pg_statements)) {
            eprintln!("{line}");
        }
    }
    let (_, peak) = server.memory_mib();

    if postgres {
        let second = Server::start(
            &base_env(url, dir),
            &dir.join(format!("serve-{database}-2.log")),
        );
        let (together, waits, runs) = two_instances(
            runtime,
            url,
            [&server, &second],
            [links.file(seconds), links.file(seconds)],
            &json_file,
            &script,
            seconds,
        );
        acknowledged += runs
            .iter()
            .map(|r| r.acknowledged.unwrap_or(0))
            .sum::<u64>();
        second.stop();
        figures.push(
            Figure::new(
                format!("two instances together, JSON API, 16 + 16 clients, {database}"),
                format!(
                    "{together:.0}/s = {:.0} % of one instance ({one_instance:.0}/s); \
                     sessions waiting on a lock: at most {}{}",
                    100.0 * together / one_instance,
                    waits.most,
                    waits.described(),
                ),
            )
            .against(
                "≥ 95 %, no lock waits",
                together >= 0.95 * one_instance && waits.most == 0,
            ),
        );
    }
    server.stop();

    let (stored, agree) = runtime.block_on(check(url, campaign_id));
    figures.push(
        Figure::new(
            format!("responses stored vs acknowledged (201, 303), {database}"),
            format!("{stored} ≥ {acknowledged}"),
        )
        .against("none lost", stored >= acknowledged),
    );
    figures.push(
        Figure::new(
            format!("tallies after the runs vs recomputed from the answers, {database}"),
            if agree { "equal" } else { "DIFFERENT" },
        )
        .against("equal", agree),
    );
    figures.push(
        Figure::new(
            format!("resident memory, peak while answering, {database}"),
            format!("{peak:.1} MiB"),
        )
        .against("≤ 200 MiB", peak <= 200.0),
    );
    figures
}

/// Responses a second of a run.
fn rate(run: &Run, way: Way) -> f64 {
    run.requests_per_second / way.requests()
}

fn ceiling_figures(database: &str, ceilings: &[(Shape, f64)]) -> Vec<Figure> {
    ceilings
        .iter()
        .map(|(shape, rate)| {
            let how = match (shape.writers, shape.per_transaction) {
                (1, 1) => "one response a transaction, 1 writer".to_owned(),
                (w, 1) => format!("one response a transaction, {w} writers"),
                (_, n) => format!("transactions of {n}, 1 writer"),
            };
            Figure::new(
                format!("ceiling, {how}, {database}"),
                format!("{rate:.0} responses/s"),
            )
        })
        .collect()
}

/// What runs of one server at one count of clients gave: the median rate (responses a
/// second) and p99, and the failures of all of them.
struct Measured {
    clients: u32,
    rate: f64,
    p99: f64,
    failures: u64,
}

impl Measured {
    fn of(clients: u32, runs: &[Run], way: Way) -> Measured {
        Measured {
            clients,
            rate: median(&runs.iter().map(|r| rate(r, way)).collect::<Vec<_>>()),
            p99: median(&runs.iter().map(|r| r.p99_ms).collect::<Vec<_>>()),
            failures: runs.iter().map(|r| r.failures).sum(),
        }
    }
}

/// One line of the ceiling served over HTTP (`crate::served`), as a share of the ceilings.
fn served_figure(served: &Measured, database: &str, ceilings: &[(Shape, f64)]) -> Figure {
    let (single, best) = shares(ceilings);
    Figure::new(
        format!(
            "served ceiling (actix-web, a queue, minimal writers as many as jalon's), JSON API, {} clients, {database}",
            served.clients
        ),
        format!(
            "{:.0}/s = {:.0} % of one-a-transaction, {:.0} % of best ceiling; p99 {:.1} ms; {} failed",
            served.rate,
            100.0 * served.rate / single,
            100.0 * served.rate / best,
            served.p99,
            served.failures
        ),
    )
}

/// The ceiling of one response a transaction (1 writer), and the best ceiling.
fn shares(ceilings: &[(Shape, f64)]) -> (f64, f64) {
    let single = ceilings[0].1;
    let best = ceilings.iter().map(|(_, r)| *r).fold(0.0, f64::max);
    (single, best)
}

/// One line of jalon's answering: its rate as a share of the ceiling it is held to (1 client:
/// one response a transaction; 32: the best ceiling), and of the ceiling in transactions as
/// large as its clients are many, where measured; then the absolute targets of the JSON API
/// at 32 clients on this kind of machine.
fn throughput(
    database: &str,
    way: Way,
    measured: &Measured,
    ceilings: &[(Shape, f64)],
    served: &[Measured],
) -> Figure {
    let &Measured {
        clients,
        rate,
        p99,
        failures,
    } = measured;
    let (single, best) = shares(ceilings);
    let as_large = ceilings
        .iter()
        .find(|(shape, _)| {
            shape.writers == 1 && clients > 1 && shape.per_transaction == clients as usize
        })
        .map(|(_, ceiling)| {
            format!(
                ", {:.0} % of transactions of {clients}",
                100.0 * rate / ceiling
            )
        })
        .unwrap_or_default();
    let of_served = served
        .iter()
        .find(|line| way == Way::Json && line.clients == clients)
        .map(|line| format!(", {:.0} % of served ceiling", 100.0 * rate / line.rate))
        .unwrap_or_default();
    let figure = Figure::new(
        format!("{}, {clients} clients, {database}", way.label()),
        format!(
            "{rate:.0}/s = {:.0} % of one-a-transaction, {:.0} % of best ceiling{as_large}{of_served}; p99 {p99:.1} ms; {failures} failed",
            100.0 * rate / single,
            100.0 * rate / best
        ),
    );
    match clients {
        1 => figure.against(
            "≥ 60 % of one-a-transaction",
            rate >= 0.6 * single && failures == 0,
        ),
        32 => {
            let mut target = "≥ 80 % of best ceiling".to_owned();
            let mut met = rate >= 0.8 * best && failures == 0;
            if way == Way::Json {
                let floor = if database == "SQLite" {
                    3_700.0
                } else {
                    2_500.0
                };
                target = format!("{target}, ≥ {floor:.0}/s, p99 ≤ 25 ms");
                met = met && rate >= floor && p99 <= 25.0;
            }
            figure.against(target, met)
        }
        _ => figure,
    }
}

/// Both instances answering at once, 16 clients each; meanwhile, the sessions waiting on a
/// lock are sampled every 50 ms, with what they wait for. Their summed rate, the waits seen,
/// the runs.
fn two_instances(
    runtime: &tokio::runtime::Runtime,
    url: &str,
    servers: [&Server; 2],
    tokens: [PathBuf; 2],
    body: &Path,
    script: &Path,
    seconds: u32,
) -> (f64, LockWaits, Vec<Run>) {
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (stop, url) = (stop.clone(), url.to_owned());
        runtime.spawn(async move {
            let db = jalon::store::connect(&url, 1).await.expect("database");
            let mut waits = LockWaits::default();
            while !stop.load(Ordering::SeqCst) {
                waits.sample(&db).await;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            db.close().await.ok();
            waits
        })
    };
    let runs: Vec<Run> = std::thread::scope(|scope| {
        let handles: Vec<_> = servers
            .iter()
            .zip(&tokens)
            .map(|(server, tokens)| {
                scope.spawn(move || {
                    let env = [
                        ("JALON_BENCH_TOKENS", tokens.display().to_string()),
                        ("JALON_BENCH_BODY", body.display().to_string()),
                        ("JALON_BENCH_MODE", "json".to_owned()),
                    ];
                    crate::wrk::run(&server.base, script, 16, seconds, &env)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("wrk thread"))
            .collect()
    });
    stop.store(true, Ordering::SeqCst);
    let waits = runtime.block_on(sampler).expect("sampler");
    let together = runs.iter().map(|r| r.requests_per_second).sum();
    eprintln!("two instances: {runs:?}");
    (together, waits, runs)
}

/// The stored responses of the campaign, and whether its tallies (as the dashboard reads
/// them) equal those recomputed from the stored answers.
async fn check(url: &str, campaign_id: Uuid) -> (u64, bool) {
    let db = jalon::store::connect(url, 2)
        .await
        .expect("database reachable");
    let stored = db
        .query_one_raw(ceiling::statement(
            db.get_database_backend(),
            "SELECT COUNT(*) FROM responses WHERE campaign_id = ?",
            vec![campaign_id.into()],
        ))
        .await
        .expect("count")
        .and_then(|row| row.try_get_by_index::<i64>(0).ok())
        .unwrap_or(0);
    let before = counted(&db, campaign_id).await;
    jalon::store::results::tallies::rebuild(&db)
        .await
        .expect("rebuild");
    let after = counted(&db, campaign_id).await;
    db.close().await.ok();
    (u64::try_from(stored).unwrap_or(0), before == after)
}

async fn counted(db: &DatabaseConnection, campaign_id: Uuid) -> (Vec<ValueCount>, Vec<GroupCount>) {
    let scope = Scope::Campaign(campaign_id);
    let mut values = value_counts(db, scope).await.expect("value counts");
    values.sort_by(|a, b| {
        (&a.version, &a.question, &a.value).cmp(&(&b.version, &b.question, &b.value))
    });
    let mut groups = group_counts(db, scope, Dimensions::All)
        .await
        .expect("group counts");
    groups.sort_by_key(|g| format!("{g:?}"));
    (values, groups)
}

async fn pending_invitations(db: &DatabaseConnection, campaign_id: Uuid) -> Vec<Uuid> {
    let rows = db
        .query_all_raw(ceiling::statement(
            db.get_database_backend(),
            "SELECT id FROM invitations WHERE campaign_id = ? AND status = 'pending' ORDER BY id",
            vec![campaign_id.into()],
        ))
        .await
        .expect("invitations");
    rows.iter()
        .map(|row| row.try_get_by_index::<Uuid>(0).expect("an id"))
        .collect()
}

/// The sessions seen waiting on a lock while two instances answer: the most at one time,
/// and each kind of wait (the lock's type, its table, the statement waiting), so that a
/// figure above zero says which rows the instances share.
#[derive(Debug, Default)]
struct LockWaits {
    most: i64,
    kinds: std::collections::BTreeMap<String, u32>,
}

impl LockWaits {
    async fn sample(&mut self, db: &DatabaseConnection) {
        let rows = db
            .query_all_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT l.locktype || COALESCE(' on ' || c.relname, '') || ': ' \
                 || left(regexp_replace(a.query, '\\s+', ' ', 'g'), 60) \
                 FROM pg_stat_activity a \
                 JOIN pg_locks l ON l.pid = a.pid AND NOT l.granted \
                 LEFT JOIN pg_class c ON c.oid = l.relation \
                 WHERE a.wait_event_type = 'Lock'",
            ))
            .await
            .expect("lock waits");
        self.most = self.most.max(rows.len() as i64);
        for row in rows {
            let kind: String = row.try_get_by_index(0).unwrap_or_default();
            *self.kinds.entry(kind).or_default() += 1;
        }
    }

    /// ` (n× kind; …)`, or nothing when no session waited.
    fn described(&self) -> String {
        if self.kinds.is_empty() {
            return String::new();
        }
        let kinds: Vec<String> = self
            .kinds
            .iter()
            .map(|(kind, seen)| format!("{seen}× {kind}"))
            .collect();
        format!(" ({})", kinds.join("; "))
    }
}
