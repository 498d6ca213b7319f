//! Fault tests: the real `jalon` binary, killed, cut off from its database or its SMTP server,
//! or doubled, under load. Each proves that what was acknowledged is kept exactly once.

mod kill;
mod killed_sessions;
mod load;
mod postgres;
mod server;
mod small_fs;
#[path = "../api/smtp.rs"]
#[allow(dead_code)]
mod smtp;
mod smtp_outage;
mod storage;
mod two_instances;
mod unreachable_database;
