//! The staff dashboard: indicators of a period, a campaign's results, printable fiches.
//! Server-rendered, French, no JavaScript; every chart has its figures in text too.

pub mod campaign;
pub mod codebook;
pub mod entity;
pub mod fiche;
pub mod home;
mod parts;
pub mod resources;

pub use campaign::{COMMENTS_ON_PAGE, COMPANIES_PER_PAGE, campaign_page};
pub use entity::{EntityRow, entity_page};
pub use fiche::fiche_page;
pub use home::{CampaignLink, home_page};
pub use resources::resources_page;
