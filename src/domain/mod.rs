//! Pure logic: no I/O, no actix, no sea-orm. Everything here is unit-tested.

pub mod anonymity;
pub mod answers;
pub mod attributes;
pub mod bounce;
pub mod dataset;
pub mod email_template;
pub mod indicators;
pub mod network;
pub mod newtypes;
pub mod pilot;
pub mod questionnaire;
pub mod registration;
pub mod results;
pub mod retention;
pub mod schedule;
pub mod spreadsheet_cell;
pub mod staff;
pub mod visitor;
pub mod widget;

pub use newtypes::{Email, QuestionnaireCode, Token};
