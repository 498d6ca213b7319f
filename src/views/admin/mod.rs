//! Administration pages (admins only): the audit log, contacts, campaigns.

mod accounts;
mod audit;
mod campaigns;
mod contacts;
mod delivery;
mod editing;
mod home;
mod imports;
mod previews;
mod registrations;

pub use accounts::{AccountsView, accounts_page};
pub use audit::audit_page;
pub use campaigns::{CampaignRow, Delivery, campaign_page, campaigns_page};
pub use contacts::{ContactView, contacts_page};
pub use delivery::{delivery_label, undeliverable_table};
pub use editing::{EditView, PilotView, edit_page, pilot_page};
pub use home::home_page;
pub use imports::{WaveChoice, import_report_page, imports_page};
pub use previews::{EmailPreview, email_page, questionnaires_page};
pub use registrations::{RegistrationForms, registrations_page};
