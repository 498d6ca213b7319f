//! A throwaway Postfix (Debian's `postfix`, installed by `scripts/test`) with its own
//! configuration and queue in a temporary folder (`postfix -c`): the machine's own mail
//! set-up is never touched. The bounce tests' instance accepts mail on a random loopback port
//! for the local domain `postfix.test`, where no one exists, so that it bounces every message
//! with a real RFC 3464 report; reports to `retours+…@jalon.test` are delivered into a
//! [`Dovecot`]'s Maildir. The dispatch benchmark's instance relays to no one: it queues each
//! message, then discards it.

use std::net::TcpStream;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::dovecot::{Dovecot, free_port, ids_of};

/// Where the messages that bounce are sent: no one exists there.
pub const UNKNOWN_DOMAIN: &str = "postfix.test";
/// The domain of `JALON_BOUNCE_ADDRESS`, delivered into the Dovecot's Maildir.
pub const BOUNCE_DOMAIN: &str = "jalon.test";

pub struct Postfix {
    pub port: u16,
    dir: tempfile::TempDir,
}

/// Debian's `master.cf` with its `smtp` listener on `port` of loopback and no chroot (the
/// temporary queue has no copy of the system files a chroot needs).
fn master_cf(port: u16) -> String {
    let debian = std::fs::read_to_string("/etc/postfix/master.cf")
        .or_else(|_| std::fs::read_to_string("/etc/postfix/master.cf.proto"))
        .expect("/etc/postfix/master.cf missing: apt-get install postfix (scripts/test does it)");
    let mut out = String::new();
    for line in debian.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let service = !line.starts_with(['#', ' ', '\t'])
            && fields.len() >= 8
            && ["inet", "unix", "unix-dgram", "fifo", "pass"].contains(&fields[1]);
        if !service {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        let mut fields: Vec<String> = fields.iter().map(|f| (*f).to_owned()).collect();
        fields[4] = "n".to_owned();
        if fields[0] == "smtp" && fields[1] == "inet" {
            fields[0] = format!("127.0.0.1:{port}");
        }
        out.push_str(&fields.join(" "));
        out.push('\n');
    }
    out
}

impl Postfix {
    /// A Postfix that bounces everything sent to [`UNKNOWN_DOMAIN`] and delivers the reports
    /// to `retours@`[`BOUNCE_DOMAIN`] into `mailbox`'s Maildir.
    pub fn start(mailbox: &Dovecot) -> Self {
        let (uid, gid) = mailbox.owner();
        let base = mailbox.base().display();
        Self::launch(&format!(
            "myhostname = mx.{UNKNOWN_DOMAIN}
mydomain = {UNKNOWN_DOMAIN}
myorigin = $myhostname
mydestination = {UNKNOWN_DOMAIN}
# Accept anyone at the door, so that the local delivery agent bounces them afterwards with
# a delivery report (not a refusal during the SMTP dialogue).
local_recipient_maps =
recipient_delimiter = +
virtual_mailbox_domains = {BOUNCE_DOMAIN}
virtual_mailbox_base = {base}
virtual_mailbox_maps = inline:{{ retours@{BOUNCE_DOMAIN}=mail/ }}
virtual_uid_maps = static:{uid}
virtual_gid_maps = static:{gid}
"
        ))
    }

    /// A relay as the agency's would be, minus the last hop: it accepts mail from loopback
    /// for anyone, each message written to its queue and synced before the SMTP answer, then
    /// discards it instead of relaying it (the dispatch benchmark's real mail server).
    pub fn discarding() -> Self {
        Self::launch(
            "myhostname = relais.test
mydestination =
default_transport = discard:banc-d-essai
",
        )
    }

    /// Starts an instance on a free port of loopback, with Debian's `master.cf` and the
    /// settings every instance shares followed by `delivery`'s.
    fn launch(delivery: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for sub in ["etc", "queue", "data"] {
            std::fs::create_dir_all(root.join(sub)).unwrap();
        }
        let (postfix_uid, postfix_gid) = ids_of("postfix");
        std::os::unix::fs::chown(root.join("data"), Some(postfix_uid), Some(postfix_gid)).unwrap();
        let port = free_port();
        let root_shown = root.display();
        let main_cf = format!(
            "compatibility_level = 3.6
queue_directory = {root_shown}/queue
data_directory = {root_shown}/data
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
maillog_file = {root_shown}/maillog
maillog_file_prefixes = {root_shown}
biff = no
{delivery}"
        );
        std::fs::write(root.join("etc/main.cf"), main_cf).unwrap();
        std::fs::write(root.join("etc/master.cf"), master_cf(port)).unwrap();
        let server = Postfix { port, dir };
        let started = server.postfix("start");
        assert!(
            started.status.success(),
            "postfix did not start: {started:?}\n{}",
            server.log()
        );
        let deadline = Instant::now() + Duration::from_secs(15);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "postfix not listening on 127.0.0.1:{port}\n{}",
                server.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    /// How many messages the delivery agents have dealt with for good (delivered, discarded
    /// or bounced), by the log: as soon as `expected` have been, or when `wait` has passed.
    pub fn settled(&self, expected: usize, wait: Duration) -> usize {
        let deadline = Instant::now() + wait;
        loop {
            let done = self
                .log()
                .lines()
                .filter(|line| {
                    line.contains(" status=sent (") || line.contains(" status=bounced (")
                })
                .count();
            if done >= expected || Instant::now() >= deadline {
                return done;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// `postfix -c DIR ACTION`. Postfix writes its errors to stderr only on a terminal, so a
    /// failure is read in its log file.
    fn postfix(&self, action: &str) -> Output {
        Command::new("postfix")
            .arg("-c")
            .arg(self.dir.path().join("etc"))
            .arg(action)
            .output()
            .expect("postfix cannot be run: apt-get install postfix (scripts/test does it)")
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("maillog")).unwrap_or_default()
    }

    pub fn smtp_url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }
}

impl Drop for Postfix {
    fn drop(&mut self) {
        // This instance only: `postfix -c` stops the master whose pid is in its own queue.
        self.postfix("stop");
    }
}
