//! Black-box tests over HTTP: the real app on a random port, a fresh database each
//! (a temporary SQLite file, or a new PostgreSQL database when JALON_TEST_DATABASE_URL is set).

mod admin;
mod anonymity;
mod answering;
mod auth;
mod bad_input;
mod bounce_mailbox;
mod bounces;
mod cli;
mod dashboard;
mod datasets;
mod dispatch;
mod dovecot;
mod exports;
mod front_door;
mod health;
mod helpers;
mod import;
mod indicators;
mod link_tokens;
mod migrations;
mod oidc;
mod open_questionnaire;
mod openapi;
mod personal_data;
mod postfix;
mod questionnaire_editing;
mod questionnaires;
mod sealing;
mod smtp;
mod sqlite_build;
mod statistics;
mod submission_batches;
mod widget;
