//! `cargo bench`: jalon's performance figures on this machine, as the README reports them.
//!
//! Release build, loopback only, a fresh database for each part. Each part starts the real
//! `jalon serve` binary, loads data through the library (the same rows and tallies the
//! answering pages write, in large transactions), drives it with wrk or timed requests, and
//! adds its figures to one table printed at the end, each beside its target.
//!
//!   cargo bench                                   # every part
//!   cargo bench -- dashboard widget               # some parts: dashboard, widget,
//!                                                 #   answering, dispatch
//!   JALON_BENCH_SIZES=10000,100000 cargo bench -- dashboard
//!   JALON_BENCH_RUNS=5 JALON_BENCH_SECONDS=20 cargo bench -- widget
//!   JALON_BENCH_POSTGRES=0 cargo bench -- answering   # SQLite only
//!   JALON_BENCH_SQLITE=0 cargo bench -- answering     # PostgreSQL only
//!   JALON_BENCH_CLIENTS=32 JALON_BENCH_WAYS=json cargo bench -- answering   # one figure
//!   JALON_BENCH_BINARY=/path/to/other/jalon cargo bench -- dispatch   # another build
//!   JALON_BENCH_PG_STATEMENTS=12 cargo bench -- answering   # PostgreSQL's busiest statements

mod ceiling;
mod debian;
#[path = "../../tests/api/dovecot.rs"]
#[allow(dead_code)]
mod dovecot;
mod http;
mod parts;
#[path = "../../tests/api/postfix.rs"]
#[allow(dead_code)]
mod postfix;
mod postgres;
mod served;
mod server;
#[path = "../../tests/api/smtp.rs"]
#[allow(dead_code)]
mod smtp;
mod statements;
mod wrk;

use std::fmt::Write as _;

/// One line of the final table.
pub struct Figure {
    pub what: String,
    pub value: String,
    pub target: String,
    /// `None` when the figure has no target of its own.
    pub met: Option<bool>,
}

impl Figure {
    pub fn new(what: impl Into<String>, value: impl Into<String>) -> Figure {
        Figure {
            what: what.into(),
            value: value.into(),
            target: String::new(),
            met: None,
        }
    }

    pub fn against(mut self, target: impl Into<String>, met: bool) -> Figure {
        self.target = target.into();
        self.met = Some(met);
        self
    }
}

/// How long and how often the throughput parts run.
pub struct Settings {
    pub runs: usize,
    pub seconds: u32,
    pub sizes: Vec<usize>,
    /// Whether the answering part also measures PostgreSQL (`JALON_BENCH_POSTGRES=0` skips it).
    pub postgres: bool,
    /// Whether it measures SQLite (`JALON_BENCH_SQLITE=0` skips it).
    pub sqlite: bool,
    /// The answering part's counts of clients (`JALON_BENCH_CLIENTS=32`: only those).
    pub clients: Vec<u32>,
    /// The answering part's ways (`JALON_BENCH_WAYS=json`: the JSON API only).
    pub ways: Vec<String>,
    /// How many of PostgreSQL's statements to print after the answering runs of one
    /// instance, those that took the most time (`JALON_BENCH_PG_STATEMENTS=12`; 0: none).
    pub pg_statements: usize,
}

fn env_list(name: &str, default: &str) -> Vec<String> {
    std::env::var(name)
        .unwrap_or_else(|_| default.to_owned())
        .split(',')
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

fn env_number<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

pub fn questionnaires_dir() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/questionnaires").to_owned()
}

pub fn median(values: &[f64]) -> f64 {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[(sorted.len() - 1) / 2]
}

pub fn percentile(values: &[f64], p: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn main() {
    let wanted: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let runs = |part: &str| wanted.is_empty() || wanted.iter().any(|w| w == part);
    let settings = Settings {
        runs: env_number("JALON_BENCH_RUNS", 3),
        seconds: env_number("JALON_BENCH_SECONDS", 10),
        sizes: env_list("JALON_BENCH_SIZES", "10000,100000,1000000")
            .iter()
            .filter_map(|s| s.parse().ok())
            .collect(),
        postgres: env_number("JALON_BENCH_POSTGRES", 1) != 0,
        sqlite: env_number("JALON_BENCH_SQLITE", 1) != 0,
        clients: env_list("JALON_BENCH_CLIENTS", "1,8,32")
            .iter()
            .filter_map(|s| s.parse().ok())
            .collect(),
        ways: env_list("JALON_BENCH_WAYS", "json,form"),
        pg_statements: env_number("JALON_BENCH_PG_STATEMENTS", 0),
    };
    debian::ensure_wrk();
    if runs("dispatch") {
        debian::ensure_postfix();
    }
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");

    let mut figures = Vec::new();
    if runs("widget") {
        figures.extend(parts::widget::run(&settings));
    }
    if runs("answering") {
        figures.extend(parts::answering::run(&runtime, &settings));
    }
    if runs("dispatch") {
        figures.extend(parts::dispatch::run(&runtime, &settings));
    }
    if runs("dashboard") {
        figures.extend(parts::dashboard::run(&runtime, &settings));
    }
    print!("{}", table(&figures));
    if figures.iter().any(|f| f.met == Some(false)) {
        println!("\nAt least one target is missed (marked ✗).");
    }
}

fn table(figures: &[Figure]) -> String {
    let width = |f: fn(&Figure) -> &str| {
        figures
            .iter()
            .map(|x| f(x).chars().count())
            .max()
            .unwrap_or(0)
    };
    let (w1, w2, w3) = (
        width(|f| &f.what).max(6),
        width(|f| &f.value).max(5),
        width(|f| &f.target).max(6),
    );
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\njalon benchmarks: {} cores, {}\n",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map(|s| format!("Linux {}", s.trim()))
            .unwrap_or_default()
    );
    let _ = writeln!(
        out,
        "| {:w1$} | {:w2$} | {:w3$} |    |",
        "figure", "value", "target"
    );
    let _ = writeln!(
        out,
        "|{}|{}|{}|----|",
        "-".repeat(w1 + 2),
        "-".repeat(w2 + 2),
        "-".repeat(w3 + 2)
    );
    for f in figures {
        let mark = match f.met {
            Some(true) => "✓",
            Some(false) => "✗",
            None => "",
        };
        let pad =
            |s: &str, w: usize| format!("{s}{}", " ".repeat(w.saturating_sub(s.chars().count())));
        let _ = writeln!(
            out,
            "| {} | {} | {} | {mark:2} |",
            pad(&f.what, w1),
            pad(&f.value, w2),
            pad(&f.target, w3)
        );
    }
    out
}
