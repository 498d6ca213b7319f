//! A real SMTP server for tests, inside the test process: the SMTP state machine of the
//! `mailin` crate on a loopback port, storing each message as a file. Nothing to install.
//! `stop` closes the port and cuts every open connection at once, as a killed server would;
//! `resume` opens the same port again. Addresses at `refused.example.org` are refused (550).

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use mailin::{Action, Handler, Response, SessionBuilder};

pub struct SmtpSink {
    pub port: u16,
    dir: tempfile::TempDir,
    opened: Arc<AtomicU64>,
    running: Option<Running>,
    session: Session,
}

/// What each session of a server shares with it.
#[derive(Clone)]
struct Session {
    /// Whether EHLO lists PIPELINING (RFC 2920), as Postfix's does.
    pipelining: bool,
    /// MAIL FROM commands that arrived with what followed them (grouped by the client).
    grouped: Arc<AtomicU64>,
}

/// The accepting thread and the connections it opened, to cut them all.
struct Running {
    /// False once stopped. A command is answered under its read lock, so that a message is
    /// either stored and acknowledged before the stop, or not stored at all: as with a killed
    /// server, never stored yet unacknowledged.
    open: Arc<RwLock<bool>>,
    connections: Arc<Mutex<Vec<TcpStream>>>,
    accepting: JoinHandle<()>,
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
    /// The envelope sender (`MAIL FROM`), as a receiving server writes it: `Return-Path`.
    pub return_path: String,
    /// jalon's own header naming the email for bounces.
    pub jalon_tag: Option<String>,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Keeps each message in `dir/new`, written whole under another name first, so that a
/// reader never sees half a message.
struct Mailbox {
    dir: PathBuf,
    sequence: Arc<AtomicU64>,
    message: Vec<u8>,
}

impl Handler for Mailbox {
    /// Addresses at `refused.example.org` do not exist here: 550 at RCPT, as a real server
    /// answers for an unknown user.
    fn rcpt(&mut self, to: &str) -> Response {
        if to.ends_with("@refused.example.org") || to.ends_with("@refused.example.org>") {
            mailin::response::NO_MAILBOX
        } else {
            mailin::response::OK
        }
    }

    fn data_start(&mut self, _domain: &str, from: &str, _is8bit: bool, _to: &[String]) -> Response {
        self.message.clear();
        // As a receiving server does: the envelope sender on top.
        self.message
            .extend_from_slice(format!("Return-Path: <{from}>\r\n").as_bytes());
        mailin::response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.message.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let n = self.sequence.fetch_add(1, Ordering::SeqCst);
        let partial = self.dir.join("tmp").join(format!("{n}.eml"));
        let stored = std::fs::write(&partial, &self.message).and_then(|()| {
            std::fs::rename(&partial, self.dir.join("new").join(format!("{n}.eml")))
        });
        match stored {
            Ok(()) => mailin::response::OK,
            Err(_) => mailin::response::INTERNAL_ERROR,
        }
    }
}

/// One SMTP session, line by line, until the client quits or the connection is cut.
fn converse(
    stream: TcpStream,
    mailbox: Mailbox,
    open: &RwLock<bool>,
    shared: &Session,
) -> std::io::Result<()> {
    let peer = stream.peer_addr()?.ip();
    let mut session = SessionBuilder::new("smtp-sink.test").build(peer, mailbox);
    // Each reply leaves in one write, as a real server's does: written piece by piece on a
    // bare socket, the pieces after the first wait for the client's delayed ACK (Nagle), and
    // every command would take tens of milliseconds. So do the answers to grouped commands.
    let mut writer = BufWriter::new(stream.try_clone()?);
    session.greeting().write_to(&mut writer)?;
    writer.flush()?;
    let mut reader = BufReader::new(stream);
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        let still_open = open.read().unwrap();
        if !*still_open {
            return Ok(());
        }
        if line
            .get(..10)
            .is_some_and(|verb| verb.eq_ignore_ascii_case(b"MAIL FROM:"))
            && !reader.buffer().is_empty()
        {
            shared.grouped.fetch_add(1, Ordering::SeqCst);
        }
        let response = session.process(&line);
        match response.action {
            Action::Reply if shared.pipelining && is_ehlo(&line) && response.code == 250 => {
                offer_pipelining(&response, &mut writer)?;
            }
            Action::Reply => response.write_to(&mut writer)?,
            Action::Close => {
                response.write_to(&mut writer)?;
                return writer.flush();
            }
            Action::NoReply | Action::UpgradeTls => {}
        }
        // Grouped commands (PIPELINING) get their answers together, once none is left to
        // read, as a real server sends them: one small write per answer, the later ones held
        // by Nagle until the client's delayed ACK, cost 40 ms a message.
        if reader.buffer().is_empty() {
            writer.flush()?;
        }
    }
}

fn is_ehlo(line: &[u8]) -> bool {
    line.get(..4)
        .is_some_and(|verb| verb.eq_ignore_ascii_case(b"EHLO"))
}

/// mailin's EHLO answer (a greeting line, then its extensions) with PIPELINING among them:
/// it reads and answers grouped commands one line at a time, as RFC 2920 allows.
fn offer_pipelining(ehlo: &Response, writer: &mut impl Write) -> std::io::Result<()> {
    let mut answer = Vec::new();
    ehlo.write_to(&mut answer)?;
    let greeting = answer
        .windows(2)
        .position(|pair| pair == b"\r\n")
        .map_or(answer.len(), |end| end + 2);
    answer.splice(greeting..greeting, b"250-PIPELINING\r\n".iter().copied());
    writer.write_all(&answer)
}

impl SmtpSink {
    /// A server that offers PIPELINING.
    pub fn start() -> Self {
        Self::started(true)
    }

    /// A server whose EHLO does not offer PIPELINING: a client sends one command at a time.
    pub fn start_without_pipelining() -> Self {
        Self::started(false)
    }

    fn started(pipelining: bool) -> Self {
        // In memory where the machine has it: a mail server's spool is not the disk of the
        // jalon under test. On one filesystem, every fsync of jalon's database waited for the
        // journal to commit the thousands of files the server had just created.
        let shm = Path::new("/dev/shm");
        let dir = if shm.is_dir() {
            tempfile::tempdir_in(shm)
        } else {
            tempfile::tempdir()
        }
        .unwrap();
        for sub in ["tmp", "new"] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        }
        let mut sink = SmtpSink {
            port: free_port(),
            dir,
            opened: Arc::new(AtomicU64::new(0)),
            running: None,
            session: Session {
                pipelining,
                grouped: Arc::new(AtomicU64::new(0)),
            },
        };
        sink.resume();
        sink
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Starts (again) on the same port and folder.
    pub fn resume(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        let listener = loop {
            match TcpListener::bind(("127.0.0.1", self.port)) {
                Ok(listener) => break listener,
                Err(e) => {
                    assert!(Instant::now() < deadline, "SMTP port {}: {e}", self.port);
                    std::thread::sleep(Duration::from_millis(50));
                }
            }
        };
        listener.set_nonblocking(true).unwrap();
        let open = Arc::new(RwLock::new(true));
        let connections = Arc::new(Mutex::new(Vec::new()));
        let sequence = Arc::new(AtomicU64::new(self.files().len() as u64));
        let dir = self.dir.path().to_owned();
        let accepting = {
            let open = open.clone();
            let connections = connections.clone();
            let opened = self.opened.clone();
            let session = self.session.clone();
            std::thread::spawn(move || {
                accept(
                    &listener,
                    &dir,
                    &sequence,
                    &open,
                    &connections,
                    &opened,
                    &session,
                );
            })
        };
        self.running = Some(Running {
            open,
            connections,
            accepting,
        });
    }

    /// Closes the port and cuts every open connection.
    pub fn stop(&mut self) {
        if let Some(running) = self.running.take() {
            *running.open.write().unwrap() = false;
            let _ = running.accepting.join();
            for connection in running.connections.lock().unwrap().drain(..) {
                let _ = connection.shutdown(Shutdown::Both);
            }
        }
    }

    fn files(&self) -> Vec<PathBuf> {
        let Ok(entries) = std::fs::read_dir(self.dir.path().join("new")) else {
            return Vec::new();
        };
        entries.filter_map(|e| e.ok().map(|e| e.path())).collect()
    }

    /// How many messages came with their MAIL FROM, RCPT TO and DATA in one write.
    pub fn grouped(&self) -> usize {
        self.session.grouped.load(Ordering::SeqCst) as usize
    }

    /// How many SMTP connections were opened since the start.
    pub fn connections_opened(&self) -> usize {
        self.opened.load(Ordering::SeqCst) as usize
    }

    /// How many messages were delivered, without reading them.
    pub fn received(&self) -> usize {
        self.files().len()
    }

    /// Every delivered message as the server stored it (headers and body).
    pub fn raw_messages(&self) -> Vec<Vec<u8>> {
        self.files()
            .iter()
            .map(|p| std::fs::read(p).unwrap())
            .collect()
    }

    pub fn messages(&self) -> Vec<Delivered> {
        let mut messages: Vec<Delivered> = self.raw_messages().iter().map(|m| parse(m)).collect();
        messages.sort_by(|a, b| (&a.to, &a.subject).cmp(&(&b.to, &b.subject)));
        messages
    }
}

fn accept(
    listener: &TcpListener,
    dir: &Path,
    sequence: &Arc<AtomicU64>,
    open: &Arc<RwLock<bool>>,
    connections: &Mutex<Vec<TcpStream>>,
    opened: &AtomicU64,
    session: &Session,
) {
    while *open.read().unwrap() {
        match listener.accept() {
            Ok((stream, _)) => {
                opened.fetch_add(1, Ordering::SeqCst);
                let _ = stream.set_nonblocking(false);
                if let Ok(copy) = stream.try_clone() {
                    connections.lock().unwrap().push(copy);
                }
                let mailbox = Mailbox {
                    dir: dir.to_owned(),
                    sequence: sequence.clone(),
                    message: Vec::new(),
                };
                let open = open.clone();
                let session = session.clone();
                std::thread::spawn(move || converse(stream, mailbox, &open, &session));
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(5)),
        }
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
        return_path: header("Return-Path").unwrap_or_default(),
        jalon_tag: header("X-Jalon-Envoi"),
    }
}
