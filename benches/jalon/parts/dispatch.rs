//! Dispatch of 10,000 invitation emails to a real SMTP server on loopback: `jalon dispatch`
//! (the command the scheduler's job runs) queues them all and sends them; timed from start to
//! exit, then the messages the server wrote are counted. The ceiling is that same server fed
//! the very messages jalon sent, by a minimal client (no database, messages already built,
//! connections kept open), measured right after with several connection counts; rounds of
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

/// `settings.runs` rounds, each jalon's run then the minimal client's on the messages it
/// sent: the machine's speed drifts over minutes (and the server's file writes with it), so
/// each round's share is taken against the ceiling measured right after it.
pub fn run(runtime: &tokio::runtime::Runtime, settings: &Settings) -> Vec<Figure> {
    let mut times = Vec::new();
    let mut rates = Vec::new();
    let mut ceilings = Vec::new();
    let mut shares = Vec::new();
    let mut all_received = true;
    for round in 1..=settings.runs.max(1) {
        let (seconds, sent) = jalon_dispatch(runtime);
        let received = sent.len();
        all_received &= received == EMAILS;
        let rate = received as f64 / seconds;
        eprintln!(
            "dispatch, round {round}: {received} emails received in {seconds:.1} s ({rate:.0}/s)"
        );
        let ceiling = CEILING_CONNECTIONS
            .iter()
            .map(|&connections| {
                let rate = runtime.block_on(minimal_client(&sent, connections));
                eprintln!("dispatch ceiling, round {round}: {connections} connection(s), {rate:.0} emails/s");
                rate
            })
            .fold(0.0, f64::max);
        times.push(seconds);
        rates.push(rate);
        ceilings.push(ceiling);
        shares.push(rate / ceiling);
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
            "dispatch: 10,000 invitation emails accepted by SMTP (median of rounds)",
            format!("{EMAILS} in {seconds:.1} s"),
        )
        .against("10,000 within 30 s", all_received && seconds <= 30.0),
        Figure::new(
            "dispatch rate / minimal client's best rate, same round (queueing included)",
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
