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
/// The minimal client's connection counts; the best is the ceiling.
const CEILING_CONNECTIONS: [usize; 4] = [1, 4, 8, 16];
/// jalon's runs in a round, each followed by the minimal client's.
const RUNS_PER_ROUND: usize = 3;

/// `settings.runs` rounds. In each, jalon's run and the minimal client's (on the messages
/// jalon sent) alternate [`RUNS_PER_ROUND`] times: after jalon's first run the client tries
/// each connection count, after the next ones only the count that did best. The round's share
/// is jalon's best rate over the client's best at that count, each side the best of as many
/// tries taken in the same minutes. (One run of jalon against the best of the client's four
/// counts, as before, set one draw against the best of four on a machine whose speed moved by
/// 2× from one minute to the next.)
pub fn run(runtime: &tokio::runtime::Runtime, settings: &Settings) -> Vec<Figure> {
    let mut times = Vec::new();
    let mut rates = Vec::new();
    let mut ceilings = Vec::new();
    let mut shares = Vec::new();
    let mut all_received = true;
    for round in 1..=settings.runs.max(1) {
        let mut jalon_best = 0.0_f64;
        // The connection count that did best, and the client's best rate with it.
        let mut client_best: Option<(usize, f64)> = None;
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
            let counts = match client_best {
                None => CEILING_CONNECTIONS.to_vec(),
                Some((connections, _)) => vec![connections],
            };
            for connections in counts {
                let rate = runtime.block_on(minimal_client(&sent, connections));
                eprintln!(
                    "dispatch ceiling, round {round}.{attempt}: {connections} connection(s), {rate:.0} emails/s"
                );
                if client_best.is_none_or(|(_, best)| rate > best) {
                    client_best = Some((connections, rate));
                }
            }
        }
        let ceiling = client_best.map_or(f64::NAN, |(_, rate)| rate);
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
