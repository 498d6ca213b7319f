//! A real SMTP server accepting mail on loopback: Debian's python3-aiosmtpd writing each
//! message into a maildir, as the dispatch tests use.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Smtp {
    child: Child,
    pub port: u16,
    maildir: PathBuf,
}

impl Smtp {
    pub fn start(dir: &Path) -> Smtp {
        let maildir = dir.join("maildir");
        for sub in ["tmp", "new", "cur"] {
            std::fs::create_dir_all(maildir.join(sub)).expect("maildir");
        }
        let port = crate::server::free_port();
        let child = Command::new("/usr/bin/python3")
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3-aiosmtpd (apt-get install python3-aiosmtpd)");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "the SMTP server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Smtp {
            child,
            port,
            maildir,
        }
    }

    pub fn received(&self) -> usize {
        std::fs::read_dir(self.maildir.join("new")).map_or(0, |d| d.count())
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
