//! `/tableau-de-bord/entites/{code}`: one entity's share of the results, what a regional
//! account may read: for each campaign, the group of its respondents in the campaign's
//! breakdown (its entity; its region for 6), with the same suppression as everywhere.

use actix_web::http::header::{self, ContentType};
use actix_web::{HttpResponse, web};

use super::guard::Staff;
use super::report::{self, CompanyDetail};
use super::{AppState, PageError, WebError};
use crate::domain::QuestionnaireCode;
use crate::store::results::campaigns;
use crate::views::dashboard::{EntityRow, entity_page};

/// The breakdown dimension and group that hold `entity`'s respondents in `code`'s results.
fn group_of(
    code: QuestionnaireCode,
    entity: &crate::domain::network::Entity,
) -> Option<(&'static str, String)> {
    match code {
        QuestionnaireCode::I3_1 | QuestionnaireCode::I3_2 | QuestionnaireCode::I7 => {
            Some(("entity", entity.code.clone()))
        }
        // The social partners' survey is by region (and college).
        QuestionnaireCode::I6 => Some(("region", entity.region.clone())),
        // Website visitors belong to no entity.
        QuestionnaireCode::I4 => None,
    }
}

pub async fn page(
    state: web::Data<AppState>,
    staff: Staff,
    code: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let entity = state
        .catalog
        .network
        .get(&code)
        .cloned()
        .ok_or(WebError::NotFound)?;
    if !staff.identity.role.may_read_entity(&entity.code) {
        return Err(WebError::Forbidden.into());
    }
    let mut rows = Vec::new();
    let mut all = campaigns::all(&state.db).await?;
    all.sort_by_key(|c| std::cmp::Reverse(c.created_at));
    for campaign in all {
        let Ok(code) = campaign.questionnaire_code.parse::<QuestionnaireCode>() else {
            continue;
        };
        let Some((dimension, group)) = group_of(code, &entity) else {
            continue;
        };
        let detail = CompanyDetail::Page {
            offset: 0,
            limit: 0,
        };
        let results = report::campaign_results(&state, campaign.id, detail).await?;
        let found = results
            .breakdowns
            .iter()
            .find(|b| b.breakdown.dimension == dimension)
            .and_then(|b| b.breakdown.groups.iter().find(|g| g.group == group));
        rows.push(EntityRow {
            campaign: results.campaign.clone(),
            code,
            group: group.clone(),
            masked: results.masked,
            cell: found.cloned(),
        });
    }
    Ok(HttpResponse::Ok()
        .content_type(ContentType::html())
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(entity_page(&entity, &rows).into_string()))
}
