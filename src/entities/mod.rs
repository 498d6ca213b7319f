//! sea-orm entities, one per table, without behaviour.

pub mod answer;
pub mod campaign;
pub mod draft;
pub mod invitation;
pub mod questionnaire_version;
pub mod response;
