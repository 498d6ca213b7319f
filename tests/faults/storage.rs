//! The SQLite file's storage fails under answering and rating load (the disk fills up, the
//! file becomes unwritable), then comes back: meanwhile jalon answers 503 with
//! `Retry-After`, never 500 and never a 201 it did not commit; it resumes by itself; and
//! every acknowledged answer is found, before and after a restart.

use std::collections::HashSet;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jalon::domain::QuestionnaireCode;
use jalon::store;
use sea_orm::DatabaseConnection;
use serde_json::json;

use crate::kill::{assert_each_acknowledged_once, assert_tallies_agree, scalar};
use crate::load::{Load, assert_acknowledged_or_unavailable};
use crate::server::{Jalon, default_key_file, invite, link_key};
use crate::small_fs::SmallFs;

#[tokio::test]
async fn sqlite_disk_full_means_503_then_recovery_and_nothing_acknowledged_lost() {
    let fs = SmallFs::mount("48m");
    outage_under_load(fs.path(), || fs.fill(), |filler| filler.free()).await;
}

/// The database file and its write-ahead log become unwritable under the running process
/// (`chattr +i`: every write, even through a descriptor opened before, fails with EPERM,
/// which SQLite reports as an I/O error), then writable again.
#[tokio::test]
async fn sqlite_file_made_unwritable_means_503_then_recovery_and_nothing_acknowledged_lost() {
    let dir = tempfile::tempdir().unwrap();
    let files = [dir.path().join("jalon.db"), dir.path().join("jalon.db-wal")];
    let chattr = |flag: &str| {
        for file in &files {
            let status = std::process::Command::new("chattr")
                .arg(flag)
                .arg(file)
                .status()
                .expect("chattr runs");
            assert!(
                status.success(),
                "chattr {flag} failed: this fault test needs root and a filesystem with \
                 the immutable attribute (ext4, as .ci/run has)"
            );
        }
    };
    outage_under_load(dir.path(), || chattr("+i"), |()| chattr("-i")).await;
}

/// Answers and ratings under load on a SQLite file in `dir`; `break_storage` makes every
/// write fail, for 2 s, then `mend_storage` ends it. Meanwhile only 201, 303 and 503 (with
/// `Retry-After`) are answered; answering resumes by itself; every acknowledged answer and
/// rating is stored, seen by another connection, and again after a restart.
async fn outage_under_load<Broken>(
    dir: &Path,
    break_storage: impl FnOnce() -> Broken,
    mend_storage: impl FnOnce(Broken),
) {
    let url = format!("sqlite://{}", dir.join("jalon.db").display());
    let db = store::connect(&url, 1).await.unwrap();
    store::migrate(&db).await.unwrap();
    let links = link_key(&db, &default_key_file(&url)).await;
    let tokens = invite(&db, &links, QuestionnaireCode::I3_1, 4_000).await;
    db.close().await.unwrap();

    let env = [
        ("JALON_PUBLIC_RATE_PER_MINUTE", "1000000".to_owned()),
        ("JALON_PUBLIC_RATE_BURST", "1000000".to_owned()),
    ];
    let mut jalon = Jalon::start(&url, &env).await;
    let answers = Load::start(vec![jalon.address.clone()], tokens, 16, Duration::ZERO);
    let ratings = Ratings::start(jalon.url("/api/v1/public/ratings"), 4);
    answers.wait_for_acks(100, Duration::from_secs(60)).await;

    let broken = break_storage();
    answers.wait_for_status(503, Duration::from_secs(60)).await;
    ratings.wait_for_status(503, Duration::from_secs(60)).await;
    // Broken for a while: every request meets it, none may be acknowledged unstored.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let during = answers.acks();

    mend_storage(broken);
    answers
        .wait_for_acks(during + 200, Duration::from_secs(60))
        .await;
    let rated = ratings.acknowledged().len();
    ratings
        .wait_for_acks(rated + 20, Duration::from_secs(60))
        .await;
    let tally = answers.finish().await;
    let ratings = ratings.finish().await;

    assert_acknowledged_or_unavailable(&tally.statuses);
    assert_acknowledged_or_unavailable(&ratings.statuses);
    assert!(
        ratings.retry_after_missing == 0,
        "a 503 without Retry-After"
    );

    // Stored now, seen by another connection: nothing waits in an open transaction.
    let db = store::connect(&url, 1).await.unwrap();
    assert_each_acknowledged_once(&db, &links, &tally.acknowledged).await;
    assert_ratings_stored(&db, &ratings.acknowledged).await;
    db.close().await.unwrap();

    // And after a restart.
    jalon.kill();
    let _jalon = Jalon::start(&url, &env).await;
    let db = store::connect(&url, 1).await.unwrap();
    assert_each_acknowledged_once(&db, &links, &tally.acknowledged).await;
    assert_ratings_stored(&db, &ratings.acknowledged).await;
    assert_tallies_agree(&db).await;
}

async fn assert_ratings_stored(db: &DatabaseConnection, acknowledged: &HashSet<String>) {
    let stored = scalar(
        db,
        "SELECT COUNT(DISTINCT a.value) FROM response_attributes a \
         WHERE a.key = 'resource' AND a.value LIKE 'plein-%'",
    )
    .await;
    assert!(
        usize::try_from(stored).unwrap() >= acknowledged.len(),
        "{} ratings acknowledged, {stored} stored",
        acknowledged.len()
    );
    for resource in acknowledged.iter().take(200) {
        let sql = format!(
            "SELECT COUNT(*) FROM response_attributes \
             WHERE key = 'resource' AND value = '{resource}'"
        );
        assert_eq!(scalar(db, &sql).await, 1, "rating for {resource} missing");
    }
}

/// Website visitors rating resources, each rating a resource of its own.
struct Ratings {
    state: Arc<Mutex<RatingTally>>,
    stop: Arc<AtomicBool>,
    workers: Vec<tokio::task::JoinHandle<()>>,
}

#[derive(Default)]
struct RatingTally {
    acknowledged: HashSet<String>,
    statuses: std::collections::BTreeMap<u16, usize>,
    retry_after_missing: usize,
    next: usize,
}

impl Ratings {
    fn start(url: String, clients: usize) -> Self {
        let state = Arc::new(Mutex::new(RatingTally::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        let workers = (0..clients)
            .map(|_| {
                let (state, stop, client, url) =
                    (state.clone(), stop.clone(), client.clone(), url.clone());
                tokio::spawn(async move {
                    while !stop.load(Ordering::SeqCst) {
                        let resource = {
                            let mut state = state.lock().unwrap();
                            state.next += 1;
                            format!("plein-{}", state.next)
                        };
                        let body = json!({
                            "resource": resource,
                            "answers": { "satisfaction": "plutot_satisfait" },
                        });
                        let result = client.post(&url).json(&body).send().await;
                        let mut state = state.lock().unwrap();
                        let status = result.as_ref().map(|r| r.status().as_u16()).unwrap_or(0);
                        *state.statuses.entry(status).or_default() += 1;
                        match result {
                            Ok(r) if r.status() == 201 => {
                                state.acknowledged.insert(resource);
                            }
                            Ok(r)
                                if r.status() == 503
                                    && !r.headers().contains_key("retry-after") =>
                            {
                                state.retry_after_missing += 1;
                            }
                            _ => {}
                        }
                    }
                })
            })
            .collect();
        Self {
            state,
            stop,
            workers,
        }
    }

    fn acknowledged(&self) -> HashSet<String> {
        self.state.lock().unwrap().acknowledged.clone()
    }

    async fn wait_for_status(&self, status: u16, within: Duration) {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            {
                let state = self.state.lock().unwrap();
                if state.statuses.contains_key(&status) {
                    return;
                }
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "no {status} rating within {within:?}: {:?}",
                    state.statuses
                );
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    async fn wait_for_acks(&self, n: usize, within: Duration) {
        let deadline = tokio::time::Instant::now() + within;
        while self.acknowledged().len() < n {
            assert!(
                tokio::time::Instant::now() < deadline,
                "only {} ratings acknowledged within {within:?}",
                self.acknowledged().len()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    async fn finish(self) -> RatingTally {
        self.stop.store(true, Ordering::SeqCst);
        for worker in self.workers {
            worker.await.unwrap();
        }
        Arc::try_unwrap(self.state)
            .ok()
            .expect("no client left")
            .into_inner()
            .unwrap()
    }
}
