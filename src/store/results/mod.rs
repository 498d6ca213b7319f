//! Everything the results are computed from, read as aggregates: running tallies of the
//! answers ([`tallies`], [`counts`]) and counts of invitations ([`participation`]). No query
//! here loads responses one by one, except rebuilding the tallies.

pub mod backlog;
pub mod campaigns;
pub mod comments;
pub mod company_scores;
pub mod count_changes;
pub mod counts;
pub mod participation;
pub mod raw;
pub mod tallies;
