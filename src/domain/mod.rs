//! Pure logic: no I/O, no actix, no sea-orm. Everything here is unit-tested.

pub mod answers;
pub mod newtypes;
pub mod questionnaire;

pub use newtypes::{Email, QuestionnaireCode, Token};
