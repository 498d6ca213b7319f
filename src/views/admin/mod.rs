//! Administration pages (admins only): the audit log, contacts, campaigns.

mod audit;
mod contacts;
mod home;

pub use audit::audit_page;
pub use contacts::{ContactView, contacts_page};
pub use home::home_page;
