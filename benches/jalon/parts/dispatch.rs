//! Dispatch of 10,000 invitation emails to a real SMTP server on loopback: `jalon dispatch`
//! (the command the scheduler's job runs) queues them all and sends them; timed from start to
//! exit, then the messages the server wrote are counted.

use std::time::Instant;

use jalon::clock::{Clock, SystemClock};
use jalon::demo::bulk;
use jalon::domain::QuestionnaireCode;

use crate::Figure;
use crate::server::base_env;

const EMAILS: usize = 10_000;

pub fn run(runtime: &tokio::runtime::Runtime) -> Vec<Figure> {
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
    let smtp = crate::smtp::SmtpSink::start();
    let started = Instant::now();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_jalon"))
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
    let received = smtp.received();
    eprintln!("dispatch: {received} emails received in {seconds:.1} s");
    vec![
        Figure::new(
            "dispatch: 10,000 invitation emails accepted by SMTP",
            format!("{received} in {seconds:.1} s"),
        )
        .against("10,000 within 30 s", received == EMAILS && seconds <= 30.0),
    ]
}
