//! The load generator: wrk (Debian's package, installed by `debian::ensure_wrk`), driven by the
//! Lua scripts of `scripts/bench/`.

use std::path::Path;
use std::process::Command;

#[derive(Debug, Clone, Copy)]
pub struct Run {
    pub requests_per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub requests: u64,
    /// Answers other than 2xx and 3xx, and socket errors.
    pub failures: u64,
    /// The 201 and 303 answers, when the script counts them (`ACKNOWLEDGED n`).
    pub acknowledged: Option<u64>,
}

/// One wrk run of `seconds` with `connections` over 2 threads (1 for a single connection),
/// `script` deciding the requests.
pub fn run(
    base: &str,
    script: &Path,
    connections: u32,
    seconds: u32,
    env: &[(&str, String)],
) -> Run {
    let threads = connections.clamp(1, 2);
    let output = Command::new("wrk")
        .args(["-t", &threads.to_string(), "-c", &connections.to_string()])
        .args([
            "-d",
            &format!("{seconds}s"),
            "--latency",
            "--timeout",
            "10s",
            "-s",
        ])
        .arg(script)
        .arg(base)
        .envs(env.iter().map(|(k, v)| (*k, v)))
        .env("JALON_BENCH_THREADS", threads.to_string())
        .output()
        .expect("wrk runs");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "wrk failed: {text}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    parse(&text).unwrap_or_else(|| panic!("unexpected wrk output:\n{text}"))
}

fn parse(text: &str) -> Option<Run> {
    let mut run = Run {
        requests_per_second: f64::NAN,
        p50_ms: f64::NAN,
        p99_ms: f64::NAN,
        requests: 0,
        failures: 0,
        acknowledged: None,
    };
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["Requests/sec:", rps, ..] => run.requests_per_second = rps.parse().ok()?,
            ["50%", latency, ..] => run.p50_ms = milliseconds(latency)?,
            ["99%", latency, ..] => run.p99_ms = milliseconds(latency)?,
            [n, "requests", "in", ..] => run.requests = n.parse().ok()?,
            ["ACKNOWLEDGED", n] => run.acknowledged = Some(n.parse().ok()?),
            ["Non-2xx", "or", "3xx", "responses:", n] => run.failures += n.parse::<u64>().ok()?,
            ["Socket", "errors:", rest @ ..] => {
                // connect 0, read 0, write 0, timeout 0
                run.failures += rest
                    .iter()
                    .filter_map(|w| w.trim_end_matches(',').parse::<u64>().ok())
                    .sum::<u64>();
            }
            _ => {}
        }
    }
    run.requests_per_second.is_finite().then_some(run)
}

/// wrk prints `850.00us`, `3.21ms` or `1.02s`.
fn milliseconds(text: &str) -> Option<f64> {
    if let Some(us) = text.strip_suffix("us") {
        return us.parse::<f64>().ok().map(|v| v / 1000.0);
    }
    if let Some(ms) = text.strip_suffix("ms") {
        return ms.parse().ok();
    }
    if let Some(m) = text.strip_suffix('m') {
        return m.parse::<f64>().ok().map(|v| v * 60_000.0);
    }
    text.strip_suffix('s')?
        .parse::<f64>()
        .ok()
        .map(|v| v * 1000.0)
}
