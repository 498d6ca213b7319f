//! Invitations: one person asked to answer one campaign, through a personal link.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::StoreError;
use crate::domain::{Email, QuestionnaireCode, Token};
use crate::entities::{campaign, invitation};

pub const STATUS_PENDING: &str = "pending";
pub const STATUS_COMPLETED: &str = "completed";

/// What a personal link leads to.
#[derive(Debug, Clone)]
pub struct Invitation {
    pub id: Uuid,
    pub campaign_id: Uuid,
    pub campaign_open: bool,
    pub questionnaire: QuestionnaireCode,
    pub completed: bool,
    pub attributes: Map<String, Value>,
}

pub async fn create(
    db: &impl ConnectionTrait,
    campaign_id: Uuid,
    email: &Email,
    attributes: &Map<String, Value>,
    now: DateTime<Utc>,
) -> Result<(Uuid, Token), StoreError> {
    let token = Token::generate();
    let id = Uuid::new_v4();
    let row = invitation::ActiveModel {
        id: Set(id),
        campaign_id: Set(campaign_id),
        token: Set(token.expose().to_owned()),
        email: Set(Some(email.as_str().to_owned())),
        attributes: Set(Value::Object(attributes.clone()).to_string()),
        status: Set(STATUS_PENDING.to_owned()),
        completed_on: Set(None),
        created_at: Set(now),
        ..Default::default()
    };
    invitation::Entity::insert(row)
        .exec_without_returning(db)
        .await?;
    Ok((id, token))
}

pub async fn find_by_token(
    db: &impl ConnectionTrait,
    token: &Token,
) -> Result<Option<Invitation>, StoreError> {
    let found = invitation::Entity::find()
        .filter(invitation::Column::Token.eq(token.expose()))
        .find_also_related(campaign::Entity)
        .one(db)
        .await?;
    let Some((row, Some(campaign))) = found else {
        return Ok(None);
    };
    let questionnaire = campaign.questionnaire_code.parse().map_err(
        |e: crate::domain::newtypes::UnknownQuestionnaireCode| StoreError::Corrupt(e.to_string()),
    )?;
    let attributes = match serde_json::from_str(&row.attributes) {
        Ok(Value::Object(map)) => map,
        _ => {
            return Err(StoreError::Corrupt(
                "attributs d'invitation illisibles".into(),
            ));
        }
    };
    Ok(Some(Invitation {
        id: row.id,
        campaign_id: row.campaign_id,
        campaign_open: campaign.status == super::campaigns::STATUS_OPEN,
        questionnaire,
        completed: row.status == STATUS_COMPLETED,
        attributes,
    }))
}
