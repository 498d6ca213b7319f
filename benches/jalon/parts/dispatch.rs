//! Dispatch of 10,000 invitation emails to a real SMTP server on loopback: `jalon dispatch`
//! (the command the scheduler's job runs) queues them all and sends them; timed from start to
//! exit, then the messages the server took are counted. The ceiling is that same server fed
//! the very messages jalon sent, each to its own recipient from its own sender, by a minimal
//! client (no database, messages already built, connections kept open), measured right after
//! with several connection counts; runs of both alternate.
//!
//! Two servers: Postfix relaying to no one (each message written to its queue and synced
//! before its "250", as the agency's relay would), and the tests' SMTP server keeping its
//! messages in memory, which costs next to nothing: against it, the minimal client measures
//! loopback and lettre, and the share says how much of the machine jalon's own work takes.

use std::time::{Duration, Instant};

use jalon::clock::{Clock, SystemClock};
use jalon::demo::bulk;
use jalon::domain::QuestionnaireCode;
use lettre::Address;
use lettre::address::Envelope;
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::extension::ClientId;
use mailparse::MailHeaderMap;

use crate::postfix::Postfix;
use crate::server::{base_env, jalon_binary};
use crate::smtp::SmtpSink;
use crate::{Figure, Settings, median};

const EMAILS: usize = 10_000;
/// The minimal client's connection counts, tried once each to choose the ceiling's.
const CEILING_CONNECTIONS: [usize; 4] = [1, 4, 8, 16];
/// jalon's runs in a round, each followed by one of the minimal client's.
const RUNS_PER_ROUND: usize = 3;

/// The SMTP servers a round sends to; each run gets a fresh one.
#[derive(Clone, Copy)]
enum Server {
    Postfix,
    Memory,
}

impl Server {
    fn start(self) -> Running {
        match self {
            Server::Postfix => Running::Postfix(Postfix::discarding()),
            Server::Memory => Running::Memory(SmtpSink::start()),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Server::Postfix => "Postfix",
            Server::Memory => "the SMTP server in memory",
        }
    }
}

enum Running {
    Postfix(Postfix),
    Memory(SmtpSink),
}

impl Running {
    fn url(&self) -> String {
        match self {
            Running::Postfix(postfix) => postfix.smtp_url(),
            Running::Memory(sink) => sink.url(),
        }
    }

    fn port(&self) -> u16 {
        match self {
            Running::Postfix(postfix) => postfix.port,
            Running::Memory(sink) => sink.port,
        }
    }

    /// How many messages the server took: every one of them, once its queue has dealt with
    /// them (Postfix hands each to its discarding agent shortly after its "250").
    fn received(&self, expected: usize) -> usize {
        match self {
            Running::Postfix(postfix) => postfix.settled(expected, Duration::from_secs(120)),
            Running::Memory(sink) => sink.received(),
        }
    }
}

/// One round of each server per `settings.runs`: the in-memory server's first (its messages
/// are the ones the minimal client replays to both).
pub fn run(runtime: &tokio::runtime::Runtime, settings: &Settings) -> Vec<Figure> {
    let mut figures = Vec::new();
    let mut messages = Vec::new();
    for server in [Server::Memory, Server::Postfix] {
        let rounds = rounds(runtime, settings, server, &mut messages);
        figures.extend(rounds.figures(server));
    }
    figures
}

/// What the rounds against one server measured.
#[derive(Default)]
struct Rounds {
    times: Vec<f64>,
    rates: Vec<f64>,
    ceilings: Vec<f64>,
    shares: Vec<f64>,
    all_received: bool,
}

/// `settings.runs` rounds against `server`. Each round first finds the minimal client's best
/// connection count (one try of each, not counted), then runs jalon and the client at that
/// count in turn, [`RUNS_PER_ROUND`] times each. The round's share is jalon's best rate over
/// the client's best, each side the best of the same number of tries taken in the same
/// minutes. (Counting the tries that chose the connection count too gave the client twice as
/// many draws as jalon on a machine whose speed moves by 2× from one minute to the next: the
/// best of more draws is higher by chance alone.) `messages` are those the client replays,
/// taken from jalon's first run against the in-memory server.
fn rounds(
    runtime: &tokio::runtime::Runtime,
    settings: &Settings,
    server: Server,
    messages: &mut Vec<Replayed>,
) -> Rounds {
    let mut measured = Rounds {
        all_received: true,
        ..Rounds::default()
    };
    let name = server.name();
    for round in 1..=settings.runs.max(1) {
        let mut jalon_best = 0.0_f64;
        let mut client_best = 0.0_f64;
        let mut connections = None;
        for attempt in 1..=RUNS_PER_ROUND {
            let (seconds, received, sent) = jalon_dispatch(runtime, server, messages.is_empty());
            measured.all_received &= received == EMAILS;
            let rate = received as f64 / seconds;
            eprintln!(
                "dispatch ({name}), round {round}.{attempt}: {received} emails received in {seconds:.1} s ({rate:.0}/s)"
            );
            measured.times.push(seconds);
            jalon_best = jalon_best.max(rate);
            if messages.is_empty() {
                *messages = sent;
            }
            let connections = *connections
                .get_or_insert_with(|| best_connection_count(runtime, server, messages, round));
            let rate = runtime.block_on(minimal_client(server, messages, connections));
            eprintln!(
                "dispatch ceiling ({name}), round {round}.{attempt}: {connections} connection(s), {rate:.0} emails/s"
            );
            client_best = client_best.max(rate);
        }
        measured.rates.push(jalon_best);
        measured.ceilings.push(client_best);
        measured.shares.push(jalon_best / client_best);
    }
    measured
}

impl Rounds {
    fn figures(&self, server: Server) -> Vec<Figure> {
        let list = |values: &[f64], unit: &str| {
            values
                .iter()
                .map(|v| format!("{v:.0}{unit}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let share = median(&self.shares);
        let seconds = median(&self.times);
        let time = Figure::new(
            format!(
                "dispatch: 10,000 invitation emails accepted by {} (median of runs)",
                server.name()
            ),
            format!("{EMAILS} in {seconds:.1} s"),
        );
        let share_of_client = |what: &str| {
            Figure::new(
                format!(
                    "dispatch, {what}: best rate / minimal client's best rate, same round (queueing included)"
                ),
                format!(
                    "median {:.0} % (rounds: {} of {})",
                    share * 100.0,
                    list(&self.rates, "/s"),
                    list(&self.ceilings, "/s"),
                ),
            )
        };
        match server {
            Server::Postfix => vec![
                time.against("10,000 within 30 s", self.all_received && seconds <= 30.0),
                share_of_client("Postfix").against("≥ 80 %", share >= 0.8),
            ],
            // The server that keeps nothing measures jalon's own cost: no target of its own.
            Server::Memory => vec![
                time.against("every email received", self.all_received),
                share_of_client("SMTP server in memory"),
            ],
        }
    }
}

/// The minimal client's connection count that sends `messages` fastest, one try of each.
fn best_connection_count(
    runtime: &tokio::runtime::Runtime,
    server: Server,
    messages: &[Replayed],
    round: usize,
) -> usize {
    let mut best = (CEILING_CONNECTIONS[0], 0.0_f64);
    for connections in CEILING_CONNECTIONS {
        let rate = runtime.block_on(minimal_client(server, messages, connections));
        eprintln!(
            "dispatch ceiling ({}), round {round}, choosing: {connections} connection(s), {rate:.0} emails/s (not counted)",
            server.name()
        );
        if rate > best.1 {
            best = (connections, rate);
        }
    }
    best.0
}

/// `jalon dispatch` over 10,000 due invitations: its time, how many messages the server got,
/// and, if `keep` and the server keeps them, those messages.
fn jalon_dispatch(
    runtime: &tokio::runtime::Runtime,
    server: Server,
    keep: bool,
) -> (f64, usize, Vec<Replayed>) {
    let work = super::work_dir("dispatch");
    let url = format!("sqlite://{}/jalon.db", work.path().display());
    runtime.block_on(async {
        let (db, catalog, links) = super::prepared_database(&url, work.path()).await;
        let loaded = &*catalog.get(QuestionnaireCode::I3_1).expect("3.1 ships");
        bulk::load_due(
            &db,
            &links,
            loaded,
            "Banc d'essai",
            EMAILS,
            SystemClock.now(),
        )
        .await
        .expect("bulk load");
        db.close().await.expect("database closes");
    });
    let smtp = server.start();
    let started = Instant::now();
    let output = std::process::Command::new(jalon_binary())
        .arg("dispatch")
        .envs(base_env(&url, work.path()))
        .env("JALON_SMTP_URL", smtp.url())
        .output()
        .expect("jalon dispatch runs");
    let seconds = started.elapsed().as_secs_f64();
    assert!(
        output.status.success(),
        "jalon dispatch failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let received = smtp.received(EMAILS);
    let messages = match &smtp {
        Running::Memory(sink) if keep => sink
            .raw_messages()
            .iter()
            .map(|m| Replayed::of(m))
            .collect(),
        _ => Vec::new(),
    };
    (seconds, received, messages)
}

/// A message as jalon sent it: its envelope and its content, without the `Return-Path` the
/// receiving server put on top.
///
/// The envelope matters: Postfix resolves each recipient (its `trivial-rewrite` service,
/// which caches what it resolved). Until the README's rounds "with its own envelope" the
/// client sent every message to one address, which Postfix took about a fifth faster than
/// jalon's 10,000 addresses.
#[derive(Clone)]
struct Replayed {
    envelope: Envelope,
    content: Vec<u8>,
}

impl Replayed {
    fn of(stored: &[u8]) -> Self {
        let line_end = stored
            .windows(2)
            .position(|pair| pair == b"\r\n")
            .expect("a Return-Path line");
        let return_path = std::str::from_utf8(&stored[..line_end]).expect("ASCII header");
        let sender: Address = return_path
            .strip_prefix("Return-Path: <")
            .and_then(|rest| rest.strip_suffix('>'))
            .expect("Return-Path: <sender>")
            .parse()
            .expect("the envelope sender is an address");
        let content = stored[line_end + 2..].to_vec();
        let (headers, _) = mailparse::parse_headers(&content).expect("headers");
        let to = headers.get_first_header("To").expect("a To header");
        let recipient: Address = match &mailparse::addrparse_header(to).expect("To: an address")[0]
        {
            mailparse::MailAddr::Single(single) => single.addr.parse().expect("an address"),
            mailparse::MailAddr::Group(_) => panic!("jalon writes to one recipient"),
        };
        Self {
            envelope: Envelope::new(Some(sender), vec![recipient]).expect("envelope"),
            content,
        }
    }
}

/// Messages a second that a fresh server accepts from `connections` connections, each sending
/// its share of `messages` one after another.
async fn minimal_client(server: Server, messages: &[Replayed], connections: usize) -> f64 {
    let smtp = server.start();
    let started = Instant::now();
    let mut senders = tokio::task::JoinSet::new();
    for share in messages.chunks(messages.len().div_ceil(connections)) {
        let share = share.to_vec();
        let port = smtp.port();
        senders.spawn(async move {
            // As jalon's own connections: without Nagle's algorithm, which holds each
            // message's final dot until the server's delayed ACK of its body.
            let stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .expect("SMTP server reachable");
            stream.set_nodelay(true).expect("TCP_NODELAY");
            let mut connection =
                AsyncSmtpConnection::connect_with_transport(Box::new(stream), &ClientId::default())
                    .await
                    .expect("SMTP server greets");
            for message in &share {
                connection
                    .send(&message.envelope, &message.content)
                    .await
                    .expect("message accepted");
            }
            connection.quit().await.ok();
        });
    }
    while senders.join_next().await.is_some() {}
    let rate = messages.len() as f64 / started.elapsed().as_secs_f64();
    assert_eq!(
        smtp.received(messages.len()),
        messages.len(),
        "every message taken"
    );
    rate
}
