//! sea-orm entities, one per table, without behaviour.

pub mod anonymous_pending;
pub mod answer;
pub mod answer_tally;
pub mod bounce_message;
pub mod campaign;
pub mod company_score;
pub mod coproduction;
pub mod draft;
pub mod email_body;
pub mod group_tally;
pub mod intervention;
pub mod invitation;
pub mod invitation_count;
pub mod opened_count;
pub mod outbox;
pub mod questionnaire_version;

// Questionnaires edited by staff: drafts, publications, pilots.
pub mod pilot_link;
pub mod pilot_response;
pub mod questionnaire_draft;
pub mod questionnaire_publication;

pub mod response;
pub mod response_attribute;
pub mod score_total;
pub mod tally_backlog;

// Indicator 4's download widget.
pub mod download;
pub mod hidden_comment;
pub mod rating_visitor;
pub mod resource;

// Staff access and the audit log.
pub mod api_token;
pub mod audit_entry;
pub mod login_throttle;
pub mod oidc_flow;
pub mod staff_session;
pub mod staff_user;
