//! A personal link about to receive a response, shared by the form and the JSON API.

use super::{AppState, WebError};
use crate::catalog::LoadedQuestionnaire;
use crate::domain::Token;
use crate::domain::answers::ValidAnswers;
use crate::domain::attributes::response_attributes;
use crate::store::invitations::{self, Invitation};
use crate::store::responses::Origin;
use crate::submissions::Submission;

pub struct AnswerableLink {
    pub token: Token,
    pub invitation: Invitation,
    /// The version in use when the link was opened: the answers are checked against it.
    pub questionnaire: std::sync::Arc<LoadedQuestionnaire>,
}

/// Finds the link and checks it can still be answered: known, not answered, not closed.
pub async fn answerable(state: &AppState, raw_token: &str) -> Result<AnswerableLink, WebError> {
    let token = Token::parse(raw_token).ok_or(WebError::UnknownLink)?;
    let invitation = invitations::find_by_token(&state.db, state.seal_key.links(), &token)
        .await?
        .ok_or(WebError::UnknownLink)?;
    if invitation.completed {
        return Err(WebError::AlreadyCompleted);
    }
    if invitation.is_closed_at(state.clock.now()) {
        return Err(WebError::Closed);
    }
    let questionnaire = state
        .catalog
        .get(invitation.questionnaire)
        .ok_or_else(|| WebError::MissingQuestionnaire(invitation.questionnaire.to_string()))?;
    Ok(AnswerableLink {
        token,
        invitation,
        questionnaire,
    })
}

impl AnswerableLink {
    /// Stores the checked answers with the attributes the questionnaire allows to keep,
    /// through the submission writer: returns once they are committed.
    pub async fn store(&self, state: &AppState, answers: ValidAnswers) -> Result<(), WebError> {
        let definition = &self.questionnaire.definition;
        let attributes = response_attributes(definition, &self.invitation.attributes, &answers);
        state
            .submissions
            .submit(Submission {
                campaign_id: self.invitation.campaign_id,
                version: self.questionnaire.version.clone(),
                definition: definition.clone(),
                origin: Origin::Invitation {
                    id: self.invitation.id,
                    anonymous: definition.anonymous,
                },
                answers,
                attributes,
                submitted_at: state.clock.now(),
            })
            .await?;
        Ok(())
    }
}
