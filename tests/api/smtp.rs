//! A real SMTP server for tests: Debian's aiosmtpd, storing each message as a file.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct SmtpSink {
    pub port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

/// A delivered message, decoded.
#[derive(Debug, Clone)]
pub struct Delivered {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub list_unsubscribe: Option<String>,
    pub list_unsubscribe_post: Option<String>,
    pub message_id: String,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl SmtpSink {
    pub fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        // The Mailbox handler writes a maildir: it needs these three folders.
        for sub in ["tmp", "new", "cur"] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        }
        let mut sink = SmtpSink {
            port: free_port(),
            dir,
            child: None,
        };
        sink.resume();
        sink
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Starts (again) on the same port and folder.
    pub fn resume(&mut self) {
        let child = Command::new("/usr/bin/python3")
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{}", self.port))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(self.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3-aiosmtpd is installed (.ci/run installs it)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "SMTP server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn files(&self) -> Vec<PathBuf> {
        let Ok(entries) = std::fs::read_dir(self.dir.path().join("new")) else {
            return Vec::new();
        };
        entries.filter_map(|e| e.ok().map(|e| e.path())).collect()
    }

    pub fn messages(&self) -> Vec<Delivered> {
        let mut messages: Vec<Delivered> = self
            .files()
            .iter()
            .map(|p| parse(&std::fs::read(p).unwrap()))
            .collect();
        messages.sort_by(|a, b| (&a.to, &a.subject).cmp(&(&b.to, &b.subject)));
        messages
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop();
    }
}

fn parse(raw: &[u8]) -> Delivered {
    use mailparse::MailHeaderMap;
    let mail = mailparse::parse_mail(raw).unwrap();
    let header = |name: &str| mail.headers.get_first_value(name);
    let mut text = String::new();
    let mut html = String::new();
    for part in &mail.subparts {
        match part.ctype.mimetype.as_str() {
            "text/plain" => text = part.get_body().unwrap(),
            "text/html" => html = part.get_body().unwrap(),
            _ => {}
        }
    }
    Delivered {
        to: header("To").unwrap_or_default(),
        subject: header("Subject").unwrap_or_default(),
        text,
        html,
        list_unsubscribe: header("List-Unsubscribe"),
        list_unsubscribe_post: header("List-Unsubscribe-Post"),
        message_id: header("Message-ID").unwrap_or_default(),
    }
}
