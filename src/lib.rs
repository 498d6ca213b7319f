//! jalon: the survey service behind indicators 3.1, 3.2, 4, 6 and 7 of the Anact-Aract
//! performance contract.

pub mod batches;
pub mod bounces;
pub mod catalog;
pub mod clock;
pub mod config;
pub mod demo;
pub mod dispatch;
pub mod domain;
pub mod entities;
pub mod import;
pub mod link_key;
pub mod mail;
pub mod oidc;
pub mod progress;
pub mod scheduler;
pub mod seal_key;
pub mod startup;
pub mod stats;
pub mod store;
pub mod submissions;
pub mod telemetry;
pub mod views;
pub mod web;
pub mod widget;
pub mod writer;
