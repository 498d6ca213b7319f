//! Dispatch of 10,000 invitation emails to a real SMTP server on loopback: `jalon dispatch`
//! (the command the scheduler's job runs) queues them all and sends them; timed from start to
//! exit, then the messages the server wrote are counted. The ceiling is that same server fed
//! the very messages jalon sent, by a minimal client (no database, messages already built,
//! connections kept open), measured right after with several connection counts; runs of
//! both alternate.

use std::time::Instant;

use jalon::clock::{Clock, SystemClock};
use jalon::demo::bulk;
use jalon::domain::QuestionnaireCode;
use lettre::address::Envelope;
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::extension::ClientId;

use crate::server::{base_env, jalon_binary};
use crate::smtp::SmtpSink;
use crate::{Figure, Settings, median};

const EMAILS: usize = 10_000;
/// The minimal client's connection counts, tried once each to choose the ceiling's.
const CEILING_CONNECTIONS: [usize; 4] = [1, 4, 8, 16];
/// jalon's runs in a round, each followed by one of the minimal client's.
const RUNS_PER_ROUND: usize = 3;

/// `settings.runs` rounds. Each round first finds the minimal client's best connection count
/// (one try of each, not counted), then runs jalon and the client at that count in turn,
/// [`RUNS_PER_ROUND`] times each. The round's share is jalon's best rate over the client's
/// best, each side the best of the same number of tries taken in the same minutes. (Counting
/// the tries that chose the connection count too gave the client twice as many draws as
/// jalon on a machine whose speed moves by 2× from one minute to the next: the best of more
/// draws is higher by chance alone.)
pub fn run(runtime: &tokio::runtime::Runtime, settings: &Settings) -> Vec<Figure> {
    let mut times = Vec::new();
    let mut rates = Vec::new();
    let mut ceilings = Vec::new();
    let mut shares = Vec::new();
    let mut all_received = true;
    for round in 1..=settings.runs.max(1) {
        let mut jalon_best = 0.0_f64;
        let mut client_best = 0.0_f64;
        let mut connections = None;
        for attempt in 1..=RUNS_PER_ROUND {
            let (seconds, sent) = jalon_dispatch(runtime);
            let received = sent.len();
            all_received &= received == EMAILS;
            let rate = received as f64 / seconds;
            eprintln!(
                "dispatch, round {round}.{attempt}: {received} emails received in {seconds:.1} s ({rate:.0}/s)"
            );
            times.push(seconds);
            jalon_best = jalon_best.max(rate);
            let connections =
                *connections.get_or_insert_with(|| best_connection_count(runtime, &sent, round));
            let rate = runtime.block_on(minimal_client(&sent, connections));
            eprintln!(
                "dispatch ceiling, round {round}.{attempt}: {connections} connection(s), {rate:.0} emails/s"
            );
            client_best = client_best.max(rate);
        }
        let ceiling = client_best;
        rates.push(jalon_best);
        ceilings.push(ceiling);
        shares.push(jalon_best / ceiling);
    }
    let list = |values: &[f64], unit: &str| {
        values
            .iter()
            .map(|v| format!("{v:.0}{unit}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let share = median(&shares);
    let seconds = median(&times);
    vec![
        Figure::new(
            "dispatch: 10,000 invitation emails accepted by SMTP (median of runs)",
            format!("{EMAILS} in {seconds:.1} s"),
        )
        .against("10,000 within 30 s", all_received && seconds <= 30.0),
        Figure::new(
            "dispatch: best rate / minimal client's best rate, same round (queueing included)",
            format!(
                "median {:.0} % (rounds: {} of {})",
                share * 100.0,
                list(&rates, "/s"),
                list(&ceilings, "/s"),
            ),
        )
        .against("≥ 80 %", share >= 0.8),
    ]
}

/// The minimal client's connection count that sends `messages` fastest, one try of each.
fn best_connection_count(
    runtime: &tokio::runtime::Runtime,
    messages: &[Vec<u8>],
    round: usize,
) -> usize {
    let mut best = (CEILING_CONNECTIONS[0], 0.0_f64);
    for connections in CEILING_CONNECTIONS {
        let rate = runtime.block_on(minimal_client(messages, connections));
        eprintln!(
            "dispatch ceiling, round {round}, choosing: {connections} connection(s), {rate:.0} emails/s (not counted)"
        );
        if rate > best.1 {
            best = (connections, rate);
        }
    }
    best.0
}

/// `jalon dispatch` over 10,000 due invitations: its time and the messages the server got.
fn jalon_dispatch(runtime: &tokio::runtime::Runtime) -> (f64, Vec<Vec<u8>>) {
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
    let smtp = SmtpSink::start();
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
    (seconds, smtp.raw_messages())
}

/// Messages a second that a fresh server accepts from `connections` connections, each sending
/// its share of `messages` one after another.
async fn minimal_client(messages: &[Vec<u8>], connections: usize) -> f64 {
    let smtp = SmtpSink::start();
    let envelope = Envelope::new(
        Some("enquetes@anact.fr".parse().expect("address")),
        vec!["contact@example.org".parse().expect("address")],
    )
    .expect("envelope");
    let started = Instant::now();
    let mut senders = tokio::task::JoinSet::new();
    for share in messages.chunks(messages.len().div_ceil(connections)) {
        let share = share.to_vec();
        let envelope = envelope.clone();
        let port = smtp.port;
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
                    .send(&envelope, message)
                    .await
                    .expect("message accepted");
            }
            connection.quit().await.ok();
        });
    }
    while senders.join_next().await.is_some() {}
    let rate = messages.len() as f64 / started.elapsed().as_secs_f64();
    assert_eq!(smtp.received(), messages.len(), "every message stored");
    rate
}
