//! A throwaway PostgreSQL cluster on loopback, from Debian's binaries (as `.ci/run` starts
//! one), for the PostgreSQL figures.

use std::path::PathBuf;
use std::process::Command;

pub struct Postgres {
    bin: PathBuf,
    dir: tempfile::TempDir,
    pub url: String,
}

fn bin_dir() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").exists())
        .collect();
    dirs.sort();
    dirs.pop()
}

fn as_postgres(command: &str) -> bool {
    Command::new("su")
        .args(["postgres", "-c", command])
        .status()
        .is_ok_and(|s| s.success())
}

impl Postgres {
    /// `Err` says why there is no server (no binaries, not root…): the table prints it.
    /// `options`: more server settings (`-c name=value`…).
    pub fn start(options: &str) -> Result<Postgres, String> {
        let bin = bin_dir()
            .ok_or("PostgreSQL's binaries are not installed (apt-get install postgresql)")?;
        let dir = tempfile::Builder::new()
            .prefix("jalon-bench-pg")
            .tempdir_in("/tmp")
            .map_err(|e| e.to_string())?;
        let path = dir.path().display().to_string();
        let chowned = Command::new("chown")
            .args(["-R", "postgres", &path])
            .status()
            .is_ok_and(|s| s.success());
        if !chowned {
            return Err("cannot hand a folder to the postgres user (run as root)".into());
        }
        let port = crate::server::free_port();
        let initdb = format!(
            "{}/initdb -D {path}/data -U postgres -E UTF8 --auth=trust >/dev/null",
            bin.display()
        );
        let start = format!(
            "{}/pg_ctl -D {path}/data -l {path}/pg.log -w -o '-c listen_addresses=127.0.0.1 -p {port} -k {path} -c max_connections=200 {options}' start >/dev/null",
            bin.display()
        );
        if !as_postgres(&initdb) || !as_postgres(&start) {
            return Err("initdb or pg_ctl failed".into());
        }
        Ok(Postgres {
            bin,
            url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
            dir,
        })
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        as_postgres(&format!(
            "{}/pg_ctl -D {}/data -m fast stop >/dev/null",
            self.bin.display(),
            self.dir.path().display()
        ));
    }
}
