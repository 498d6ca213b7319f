//! A jalon server process started from the release binary, on loopback.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Server {
    child: Child,
    pub base: String,
    /// From spawning the process to the first healthy `/healthz`.
    pub ready_after: Duration,
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// The settings every benchmark run shares: no scheduler, quiet logs, limits out of the way
/// (a load generator is one address sending thousands of requests a second).
pub fn base_env(database_url: &str, work: &Path) -> Vec<(String, String)> {
    [
        ("JALON_DATABASE_URL", database_url.to_owned()),
        ("JALON_QUESTIONNAIRES_DIR", crate::questionnaires_dir()),
        (
            "JALON_OUTBOX_DIR",
            work.join("outbox").display().to_string(),
        ),
        (
            "JALON_SEAL_KEY_FILE",
            work.join("jalon.seal-key").display().to_string(),
        ),
        ("JALON_SCHEDULER", "off".to_owned()),
        (
            "JALON_LOG",
            std::env::var("JALON_BENCH_LOG").unwrap_or_else(|_| "warn".to_owned()),
        ),
        ("JALON_TRUSTED_PROXIES", "127.0.0.1".to_owned()),
        ("JALON_PUBLIC_RATE_PER_MINUTE", "1000000000".to_owned()),
        ("JALON_PUBLIC_RATE_BURST", "1000000".to_owned()),
        ("JALON_SECRET", "benchmark-secret-0123456789".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// The `jalon` binary under test: this build's, or `JALON_BENCH_BINARY` (another build of
/// jalon, to compare two versions alternately in one session).
pub fn jalon_binary() -> std::path::PathBuf {
    std::env::var_os("JALON_BENCH_BINARY")
        .map_or_else(|| env!("CARGO_BIN_EXE_jalon").into(), Into::into)
}

impl Server {
    pub fn start(env: &[(String, String)], log: &Path) -> Server {
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let log = std::fs::File::create(log).expect("server log file");
        let started = Instant::now();
        let child = Command::new(jalon_binary())
            .arg("serve")
            .envs(env.iter().map(|(k, v)| (k, v)))
            .env("JALON_BIND", format!("127.0.0.1:{port}"))
            .env("JALON_BASE_URL", &base)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("jalon starts");
        let mut server = Server {
            child,
            base,
            ready_after: Duration::ZERO,
        };
        let deadline = started + Duration::from_secs(600);
        while Instant::now() < deadline {
            if crate::http::get_status(&format!("{}/healthz", server.base)) == Some(200) {
                server.ready_after = started.elapsed();
                return server;
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("jalon exited before serving ({status}); see its log");
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        panic!("jalon did not become healthy within 10 minutes");
    }

    /// Resident memory now and its peak, in MiB (`VmRSS`, `VmHWM` of /proc).
    pub fn memory_mib(&self) -> (f64, f64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
                .map_or(f64::NAN, |kb| kb / 1024.0)
        };
        (field("VmRSS:"), field("VmHWM:"))
    }

    /// SIGTERM, then waits: the server flushes what it holds in memory on the way out.
    pub fn stop(mut self) {
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}
