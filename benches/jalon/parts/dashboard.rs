//! The dashboard at 10,000, 100,000 and 1,000,000 responses of 15 answers in one campaign of
//! indicator 3.1 (four participants a company): the home page and the campaign's page, each
//! timed over 25 requests after 5 unmeasured ones. Also the start of `jalon serve` on the
//! largest database, until its first healthy answer.

use jalon::clock::{Clock, SystemClock};
use jalon::demo::bulk;
use jalon::domain::QuestionnaireCode;
use jalon::progress::Terminal;

use crate::server::{Server, base_env};
use crate::{Figure, Settings, median, percentile};

const WARMUP: usize = 5;
const SAMPLES: usize = 25;
const HOME_TARGET_MS: f64 = 100.0;

struct Timing {
    size: usize,
    home: Vec<f64>,
    campaign: Vec<f64>,
}

pub fn run(runtime: &tokio::runtime::Runtime, settings: &Settings) -> Vec<Figure> {
    let mut figures = Vec::new();
    let mut timings = Vec::new();
    let mut startup = None;
    for &size in &settings.sizes {
        let work = super::work_dir("dashboard");
        let url = format!("sqlite://{}/jalon.db", work.path().display());
        let loading = std::time::Instant::now();
        let (campaign, token) = runtime.block_on(async {
            let (db, catalog, links) = super::prepared_database(&url, work.path()).await;
            let loaded = &*catalog.get(QuestionnaireCode::I3_1).expect("3.1 ships");
            let campaign = bulk::load(
                &db,
                &links,
                loaded,
                "Banc d'essai",
                size,
                0,
                SystemClock.now(),
                &Terminal::new("réponses du banc d'essai"),
            )
            .await
            .expect("bulk load");
            // The dashboard is behind the sign-in: an analyst's bearer token.
            let token = jalon::store::staff::create_api_token(
                &db,
                "bench",
                &jalon::domain::staff::Role::Analyst,
                SystemClock.now(),
            )
            .await
            .expect("token created");
            db.close().await.expect("database closes");
            (campaign, token)
        });
        eprintln!(
            "dashboard: {} responses loaded in {:.0} s",
            campaign.responses,
            loading.elapsed().as_secs_f64()
        );
        let server = Server::start(&base_env(&url, work.path()), &work.path().join("serve.log"));
        startup = Some((size, server.ready_after));
        let home = crate::http::time_gets(
            &format!("{}/tableau-de-bord", server.base),
            &token,
            WARMUP,
            SAMPLES,
        );
        let page = crate::http::time_gets(
            &format!("{}/tableau-de-bord/campagnes/{}", server.base, campaign.id),
            &token,
            WARMUP,
            SAMPLES,
        );
        eprintln!(
            "dashboard at {size}: home median {:.1} ms, campaign median {:.1} ms",
            median(&home),
            median(&page)
        );
        server.stop();
        timings.push(Timing {
            size,
            home,
            campaign: page,
        });
    }
    for t in &timings {
        for (page, samples) in [("home", &t.home), ("campaign page", &t.campaign)] {
            let (mid, p95) = (median(samples), percentile(samples, 95.0));
            let figure = Figure::new(
                format!("dashboard {page}, {} responses", thousands(t.size)),
                format!("median {mid:.1} ms, p95 {p95:.1} ms"),
            );
            figures.push(if t.size == 100_000 {
                figure.against("< 100 ms", p95 < HOME_TARGET_MS)
            } else {
                figure
            });
        }
    }
    let smallest = timings.iter().find(|t| t.size == 10_000);
    let largest = timings.iter().find(|t| t.size == 1_000_000);
    if let (Some(small), Some(large)) = (smallest, largest) {
        for (page, a, b) in [
            ("home", &small.home, &large.home),
            ("campaign page", &small.campaign, &large.campaign),
        ] {
            let ratio = median(b) / median(a);
            figures.push(
                Figure::new(
                    format!("dashboard {page}: 1,000,000 vs 10,000"),
                    format!("{ratio:.2}×"),
                )
                .against("≤ 2×", ratio <= 2.0),
            );
        }
    }
    if let Some((size, ready)) = startup {
        let ms = ready.as_secs_f64() * 1000.0;
        figures.push(
            Figure::new(
                format!(
                    "ready to serve, existing database of {} responses",
                    thousands(size)
                ),
                format!("{ms:.0} ms"),
            )
            .against("≤ 1 s", ms <= 1000.0),
        );
    }
    figures
}

pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
