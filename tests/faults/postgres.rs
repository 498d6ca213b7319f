//! A PostgreSQL cluster of the test's own, from the Debian binaries, that the test may stop
//! and start again. Missing binaries fail the test with a clear message: it never skips.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU16, Ordering};

use jalon::store;
use sea_orm::{ConnectionTrait, Statement};

/// Ports tried in turn by the clusters of this test binary.
const FIRST_PORT: u16 = 54350;
const PORTS: u16 = 10;
static NEXT_PORT: AtomicU16 = AtomicU16::new(0);

pub struct PgCluster {
    bin: PathBuf,
    dir: tempfile::TempDir,
    pub port: u16,
}

fn binaries() -> PathBuf {
    let found = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|bin| bin.join("initdb").is_file() && bin.join("pg_ctl").is_file())
        .max();
    found.unwrap_or_else(|| {
        panic!(
            "PostgreSQL server binaries not found in /usr/lib/postgresql/*/bin: \
             apt-get install -y postgresql (.ci/run installs it)"
        )
    })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

/// Runs a PostgreSQL binary, as `postgres` when we are root (initdb refuses root).
fn run(bin: &Path, program: &str, args: &[String]) -> Result<(), String> {
    let line = std::iter::once(bin.join(program).display().to_string())
        .chain(args.iter().map(|a| format!("'{a}'")))
        .collect::<Vec<_>>()
        .join(" ");
    let output = if is_root() {
        Command::new("su").args(["postgres", "-c", &line]).output()
    } else {
        Command::new("sh").args(["-c", &line]).output()
    }
    .map_err(|e| format!("{program}: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{program} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

impl PgCluster {
    /// initdb and start, on the first free port of 54350–54359.
    pub fn start() -> Self {
        let bin = binaries();
        let dir = tempfile::tempdir().unwrap();
        if is_root() {
            let status = Command::new("chown")
                .args(["postgres"])
                .arg(dir.path())
                .status()
                .unwrap();
            assert!(status.success(), "chown postgres of the cluster's folder");
        }
        let data = dir.path().join("data").display().to_string();
        run(
            &bin,
            "initdb",
            &[
                "-D".into(),
                data,
                "-U".into(),
                "postgres".into(),
                "-E".into(),
                "UTF8".into(),
                "--auth=trust".into(),
            ],
        )
        .unwrap();
        let mut cluster = PgCluster { bin, dir, port: 0 };
        let mut last_error = String::new();
        for _ in 0..PORTS {
            cluster.port = FIRST_PORT + NEXT_PORT.fetch_add(1, Ordering::SeqCst) % PORTS;
            if std::net::TcpListener::bind(("127.0.0.1", cluster.port)).is_err() {
                continue;
            }
            match cluster.try_start() {
                Ok(()) => return cluster,
                Err(e) => last_error = e,
            }
        }
        panic!("no PostgreSQL cluster could start on 54350–54359: {last_error}");
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn try_start(&self) -> Result<(), String> {
        let options = format!(
            "-c listen_addresses=127.0.0.1 -p {} -k {} -c max_connections=200 -c fsync=on",
            self.port,
            self.dir.path().display()
        );
        run(
            &self.bin,
            "pg_ctl",
            &[
                "-D".into(),
                self.data(),
                "-l".into(),
                self.dir.path().join("pg.log").display().to_string(),
                "-w".into(),
                "-o".into(),
                options,
                "start".into(),
            ],
        )
    }

    /// Starts the cluster again after `stop`.
    pub fn resume(&self) {
        self.try_start().expect("PostgreSQL restarts");
    }

    /// `immediate`: like a crash (recovery from the WAL at the next start); `fast`: clean.
    pub fn stop(&self, mode: &str) {
        run(
            &self.bin,
            "pg_ctl",
            &[
                "-D".into(),
                self.data(),
                "-m".into(),
                mode.into(),
                "-w".into(),
                "stop".into(),
            ],
        )
        .expect("PostgreSQL stops");
    }

    /// The seal key file the `jalon` processes of this cluster share (outside the cluster's
    /// data, as on a real application server).
    pub fn seal_key_file(&self) -> String {
        self.dir.path().join("jalon.seal-key").display().to_string()
    }

    /// A new, migrated database on this cluster; its URL.
    pub async fn database(&self) -> String {
        let admin = store::connect(
            &format!("postgres://postgres@127.0.0.1:{}/postgres", self.port),
            1,
        )
        .await
        .expect("PostgreSQL reachable");
        admin
            .execute_raw(Statement::from_string(
                admin.get_database_backend(),
                "CREATE DATABASE jalon".to_owned(),
            ))
            .await
            .unwrap();
        admin.close().await.ok();
        let url = format!("postgres://postgres@127.0.0.1:{}/jalon", self.port);
        let db = store::connect(&url, 1).await.unwrap();
        store::migrate(&db).await.unwrap();
        db.close().await.ok();
        url
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let _ = run(
            &self.bin,
            "pg_ctl",
            &[
                "-D".into(),
                self.data(),
                "-m".into(),
                "immediate".into(),
                "stop".into(),
            ],
        );
    }
}
