//! Server-rendered pages (maud). `layout::page` is the only place with `<head>`.

pub mod admin;
pub mod api_docs;
pub mod charts;
pub mod dashboard;
pub mod email;
pub mod form;
pub mod format;
pub mod front_door;
pub mod layout;
pub mod messages;
pub mod privacy;
pub mod sign_in;

pub const STYLESHEET: &str = include_str!("jalon.css");
