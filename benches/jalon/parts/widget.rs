//! Indicator 4's two public endpoints under wrk (the Lua scripts of `scripts/bench/`): many
//! visitors behind the website's proxy, 64 connections, the median of several runs. Also the
//! server's resident memory idle and at its peak.

use std::path::PathBuf;

use crate::server::{Server, base_env};
use crate::{Figure, Settings, median};

const TARGET_RPS: f64 = 10_000.0;

fn script(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/bench")).join(name)
}

pub fn run(settings: &Settings) -> Vec<Figure> {
    let work = super::work_dir("widget");
    let url = format!("sqlite://{}/jalon.db", work.path().display());
    let server = Server::start(&base_env(&url, work.path()), &work.path().join("serve.log"));
    std::thread::sleep(std::time::Duration::from_millis(500));
    let (idle, _) = server.memory_mib();
    let mut figures = vec![
        Figure::new(
            "resident memory, idle (empty database)",
            format!("{idle:.1} MiB"),
        )
        .against("≤ 50 MiB", idle <= 50.0),
    ];
    for (endpoint, path) in [
        ("downloads.lua", "POST /api/v1/public/downloads"),
        ("ratings.lua", "POST /api/v1/public/ratings"),
    ] {
        let script = script(endpoint);
        crate::wrk::run(&server.base, &script, 64, 2, &[]);
        let runs: Vec<crate::wrk::Run> = (0..settings.runs)
            .map(|_| crate::wrk::run(&server.base, &script, 64, settings.seconds, &[]))
            .collect();
        let rps = median(
            &runs
                .iter()
                .map(|r| r.requests_per_second)
                .collect::<Vec<_>>(),
        );
        let p99 = median(&runs.iter().map(|r| r.p99_ms).collect::<Vec<_>>());
        let failures: u64 = runs.iter().map(|r| r.failures).sum();
        eprintln!(
            "widget {path}: {rps:.0} req/s (runs: {:?})",
            runs.iter()
                .map(|r| r.requests_per_second.round())
                .collect::<Vec<_>>()
        );
        figures.push(
            Figure::new(
                format!("{path} (64 connections)"),
                format!("{rps:.0} req/s, p99 {p99:.1} ms, {failures} failed"),
            )
            .against("≥ 10,000 req/s", rps >= TARGET_RPS && failures == 0),
        );
    }
    let (_, peak) = server.memory_mib();
    figures.push(
        Figure::new(
            "resident memory, peak under the widget load",
            format!("{peak:.1} MiB"),
        )
        .against("≤ 200 MiB", peak <= 200.0),
    );
    server.stop();
    figures
}
