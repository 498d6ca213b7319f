//! A throwaway Dovecot (Debian's `dovecot-imapd`, installed by `scripts/test`) serving one
//! Maildir over plain IMAP on a random loopback port, with its own configuration in a
//! temporary folder: the machine's own mail set-up is never touched. If it cannot start, the
//! test fails: a mailbox test that skipped itself would prove nothing.

use std::io::Read;
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const DOVECOT: &str = "/usr/sbin/dovecot";
pub const USER: &str = "retours";
pub const PASSWORD: &str = "mot-de-passe-de-test";

pub struct Dovecot {
    pub port: u16,
    /// The IMAPS port, with [`Dovecot::start_with_tls`].
    pub tls_port: Option<u16>,
    dir: tempfile::TempDir,
    child: Child,
    /// The system user mail is stored as (Dovecot refuses root for mail access).
    owner: (u32, u32),
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The uid and gid of a system user, by `id` (no libc binding needed for a test).
pub fn ids_of(user: &str) -> (u32, u32) {
    let id = |flag: &str| -> u32 {
        let output = Command::new("id").args([flag, user]).output().unwrap();
        assert!(
            output.status.success(),
            "user {user} missing: is dovecot-imapd installed? (scripts/test installs it)"
        );
        String::from_utf8_lossy(&output.stdout)
            .trim()
            .parse()
            .unwrap()
    };
    (id("-u"), id("-g"))
}

/// A throwaway authority (`ca.pem`) and the server's certificate for 127.0.0.1 signed by it
/// (`cert.pem`, `key.pem`), by the openssl command.
fn certify(dir: &Path) {
    let openssl = |args: &[&str]| {
        let output = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("openssl cannot be run");
        assert!(output.status.success(), "openssl {args:?}: {output:?}");
    };
    let key = ["-newkey", "rsa:2048", "-nodes"];
    openssl(
        &[
            &["req", "-x509"],
            &key[..],
            &["-days", "1", "-subj", "/CN=Jalon test CA"],
            &["-keyout", "ca.key", "-out", "ca.pem"],
        ]
        .concat(),
    );
    openssl(
        &[
            &["req"],
            &key[..],
            &[
                "-subj",
                "/CN=127.0.0.1",
                "-keyout",
                "key.pem",
                "-out",
                "cert.csr",
            ],
        ]
        .concat(),
    );
    std::fs::write(
        dir.join("cert.ext"),
        "subjectAltName = IP:127.0.0.1\nbasicConstraints = CA:FALSE\nextendedKeyUsage = serverAuth\n",
    )
    .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        "cert.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "1",
        "-extfile",
        "cert.ext",
        "-out",
        "cert.pem",
    ]);
}

fn ids_of_current() -> u32 {
    let output = Command::new("id").arg("-u").output().unwrap();
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .unwrap()
}

impl Dovecot {
    pub fn start() -> Self {
        Self::start_inner(false, free_port(), "")
    }

    /// Every personal folder under the inbox (`INBOX.traité`), as Courier and Cyrus keep
    /// them: a folder at the top is refused.
    pub fn start_with_folders_under_inbox() -> Self {
        Self::start_inner(
            false,
            free_port(),
            "namespace inbox {\n  inbox = yes\n  prefix = INBOX.\n  separator = .\n}\n",
        )
    }

    /// Telling clients only of `capabilities` once logged in (an older server: without
    /// MOVE, or without UIDPLUS either).
    pub fn start_with_capabilities(capabilities: &str) -> Self {
        Self::start_inner(
            false,
            free_port(),
            &format!("imap_capability = {capabilities}\n"),
        )
    }

    /// On a port chosen beforehand (a client told of it before the server was there).
    pub fn start_on(port: u16) -> Self {
        Self::start_inner(false, port, "")
    }

    /// Also TLS: STARTTLS on the IMAP port and IMAPS on another, with a certificate for
    /// 127.0.0.1 signed by a throwaway authority ([`Dovecot::ca_file`]) no one else trusts.
    pub fn start_with_tls() -> Self {
        Self::start_inner(true, free_port(), "")
    }

    /// `extra`: more lines of configuration.
    fn start_inner(tls: bool, port: u16, extra: &str) -> Self {
        assert!(
            Path::new(DOVECOT).exists(),
            "{DOVECOT} missing: apt-get install dovecot-imapd (scripts/test does it)"
        );
        assert!(
            ids_of_current() == 0,
            "the mailbox tests start Dovecot as root (as scripts/test runs them)"
        );
        let dir = tempfile::tempdir().unwrap();
        // Dovecot's unprivileged processes read the password file and the Maildir.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let root = dir.path();
        for sub in ["run", "state", "mail/cur", "mail/new", "mail/tmp"] {
            std::fs::create_dir_all(root.join(sub)).unwrap();
        }
        std::fs::write(root.join("passwd"), format!("{USER}:{{PLAIN}}{PASSWORD}\n")).unwrap();
        let tls_port = tls.then(free_port);
        let owner = ids_of("dovecot");
        let ssl = match tls_port {
            Some(_) => {
                certify(root);
                format!(
                    "ssl = yes\nssl_cert = <{0}/cert.pem\nssl_key = <{0}/key.pem",
                    root.display()
                )
            }
            None => "ssl = no".to_owned(),
        };
        let root = root.display();
        let config = format!(
            "protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
instance_name = jalon-test-{port}
{ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = dovecot
default_login_user = dovenull
first_valid_uid = 1
log_path = {root}/dovecot.log
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail
}}
mail_location = maildir:{root}/mail
{extra}service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps}
  }}
}}
",
            uid = owner.0,
            gid = owner.1,
            imaps = tls_port.unwrap_or(0),
        );
        let config_path = dir.path().join("dovecot.conf");
        std::fs::write(&config_path, config).unwrap();
        let child = Command::new(DOVECOT)
            .arg("-F")
            .arg("-c")
            .arg(&config_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("dovecot cannot be started");
        let mut server = Dovecot {
            port,
            tls_port,
            dir,
            child,
            owner,
        };
        server.chown_mail();
        server.wait_until_listening();
        server
    }

    fn wait_until_listening(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                let mut stderr = String::new();
                if let Some(mut pipe) = self.child.stderr.take() {
                    pipe.read_to_string(&mut stderr).ok();
                }
                panic!(
                    "dovecot exited ({status}): {stderr}\n{}",
                    self.log().unwrap_or_default()
                );
            }
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "dovecot not listening on 127.0.0.1:{} after 15 s\n{}",
            self.port,
            self.log().unwrap_or_default()
        );
    }

    /// The PEM file of the authority that signed the server's certificate.
    pub fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    pub fn log(&self) -> Option<String> {
        std::fs::read_to_string(self.dir.path().join("dovecot.log")).ok()
    }

    /// `JALON_BOUNCE_IMAP_URL` for this server, reading `INBOX`.
    pub fn url(&self) -> String {
        format!("imap://{USER}:{PASSWORD}@127.0.0.1:{}/INBOX", self.port)
    }

    /// The folder holding the Maildir (`mail/`), for a delivery agent writing into it.
    pub fn base(&self) -> &Path {
        self.dir.path()
    }

    /// The uid and gid the Maildir belongs to.
    pub fn owner(&self) -> (u32, u32) {
        self.owner
    }

    fn mail(&self) -> PathBuf {
        self.dir.path().join("mail")
    }

    fn chown_mail(&self) {
        let mut paths = vec![self.mail()];
        while let Some(path) = paths.pop() {
            std::os::unix::fs::chown(&path, Some(self.owner.0), Some(self.owner.1)).unwrap();
            if path.is_dir() {
                for entry in std::fs::read_dir(&path).unwrap() {
                    paths.push(entry.unwrap().path());
                }
            }
        }
    }

    /// Delivers a message into INBOX as a local delivery agent would: written in `tmp`, then
    /// renamed into `new`.
    pub fn deliver(&self, name: &str, raw: &[u8]) {
        let tmp = self.mail().join("tmp").join(name);
        std::fs::write(&tmp, raw).unwrap();
        std::os::unix::fs::chown(&tmp, Some(self.owner.0), Some(self.owner.1)).unwrap();
        std::fs::rename(&tmp, self.mail().join("new").join(name)).unwrap();
    }

    /// The messages of a folder (`INBOX`, or a folder's name as stored: `trait&AOk-`).
    pub fn messages(&self, folder: &str) -> Vec<String> {
        let base = if folder == "INBOX" {
            self.mail()
        } else {
            self.mail().join(format!(".{folder}"))
        };
        let mut messages = Vec::new();
        for sub in ["cur", "new"] {
            let Ok(entries) = std::fs::read_dir(base.join(sub)) else {
                continue;
            };
            for entry in entries {
                let bytes = std::fs::read(entry.unwrap().path()).unwrap();
                messages.push(String::from_utf8_lossy(&bytes).into_owned());
            }
        }
        messages
    }

    /// Every message of every folder: what "nothing deleted" counts.
    pub fn message_count(&self) -> usize {
        let mut folders = vec!["INBOX".to_owned()];
        for entry in std::fs::read_dir(self.mail()).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            if let Some(folder) = name.strip_prefix('.') {
                folders.push(folder.to_owned());
            }
        }
        folders.iter().map(|f| self.messages(f).len()).sum()
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        // SIGTERM to the master, by its own pid: it stops its login and mail processes.
        Command::new("kill")
            .arg(self.child.id().to_string())
            .status()
            .ok();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.child.kill().ok();
        self.child.wait().ok();
    }
}
