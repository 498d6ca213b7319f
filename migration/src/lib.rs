//! Database schema of jalon. Every migration is written with sea-query builders so the same
//! code creates the same schema on SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_foundation;
mod m20261122_000002_dispatch;
mod m20261122_000003_response_attributes;
mod m20261122_000004_results;
mod m20261122_000005_widget;
mod m20261122_000006_anonymity;
mod m20261122_000007_staff;
mod m20261122_000009_company_scores;
mod m20261122_000010_invitation_counts;
mod m20261122_000011_drop_attribute_value_index;
mod m20261202_000012_tally_backlog;
mod m20261210_000013_link_token_hashes;
mod m20261210_000014_oidc;
mod m20261220_000015_questionnaire_drafts;
mod m20261220_000016_bounces;
mod m20261221_000017_questionnaire_draft_emails;
mod m20261222_000018_outbox_bodies;
mod m20261223_000019_count_changes;
mod m20261224_000020_unsent_invitations_index;
mod m20261225_000021_shared_email_bodies;
mod m20261226_000022_outbox_kind_status_index_dropped;
mod m20261227_000023_count_changes_per_statement;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_foundation::Migration),
            Box::new(m20261122_000002_dispatch::Migration),
            Box::new(m20261122_000003_response_attributes::Migration),
            Box::new(m20261122_000004_results::Migration),
            Box::new(m20261122_000005_widget::Migration),
            Box::new(m20261122_000006_anonymity::Migration),
            Box::new(m20261122_000007_staff::Migration),
            Box::new(m20261122_000009_company_scores::Migration),
            Box::new(m20261122_000010_invitation_counts::Migration),
            Box::new(m20261122_000011_drop_attribute_value_index::Migration),
            Box::new(m20261202_000012_tally_backlog::Migration),
            Box::new(m20261210_000013_link_token_hashes::Migration),
            Box::new(m20261210_000014_oidc::Migration),
            Box::new(m20261220_000015_questionnaire_drafts::Migration),
            Box::new(m20261220_000016_bounces::Migration),
            Box::new(m20261221_000017_questionnaire_draft_emails::Migration),
            Box::new(m20261222_000018_outbox_bodies::Migration),
            Box::new(m20261223_000019_count_changes::Migration),
            Box::new(m20261224_000020_unsent_invitations_index::Migration),
            Box::new(m20261225_000021_shared_email_bodies::Migration),
            Box::new(m20261226_000022_outbox_kind_status_index_dropped::Migration),
            Box::new(m20261227_000023_count_changes_per_statement::Migration),
        ]
    }
}
