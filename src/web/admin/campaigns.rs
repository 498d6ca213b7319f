//! `/admin/campagnes`: every campaign with its counts; a campaign's page with pause, resume,
//! close, and the invitations still planned (each may be cancelled).

use actix_web::{HttpResponse, web};
use uuid::Uuid;

use super::{csrf, html, see_other};
use crate::store::bounces::{self, Correction};
use crate::store::campaign_admin::{self, Change};
use crate::store::results::campaigns;
use crate::views::admin::{CampaignRow, Delivery, campaign_page, campaigns_page};
use crate::web::{AppState, PageError, Staff, WebError, audit};

/// Planned invitations listed on a campaign's page.
const PLANNED_SHOWN: u64 = 500;

fn id_of(raw: &str) -> Result<Uuid, WebError> {
    Uuid::parse_str(raw).map_err(|_| WebError::NotFound)
}

pub async fn list(state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    let mut rows = Vec::new();
    for campaign in campaigns::all(&state.db).await? {
        let counts = campaign_admin::counts(&state.db, campaign.id).await?;
        rows.push(CampaignRow { campaign, counts });
    }
    Ok(html(campaigns_page(&rows)))
}

pub async fn show(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let id = id_of(&id)?;
    let campaign = campaigns::by_id(&state.db, id)
        .await?
        .ok_or(WebError::NotFound)?;
    let counts = campaign_admin::counts(&state.db, id).await?;
    let planned = campaign_admin::planned(&state.db, id, PLANNED_SHOWN).await?;
    let rows = bounces::undeliverable(&state.db, Some(id), PLANNED_SHOWN).await?;
    let delivery = Delivery {
        counts: bounces::delivery_counts(&state.db, id).await?,
        rows: &rows,
    };
    Ok(html(campaign_page(
        &CampaignRow { campaign, counts },
        &planned,
        &delivery,
        csrf(&staff),
    )))
}

async fn change(
    state: &AppState,
    staff: &Staff,
    id: &str,
    change: Change,
    action: &str,
) -> Result<HttpResponse, PageError> {
    let id = id_of(id)?;
    if campaigns::by_id(&state.db, id).await?.is_none() {
        return Err(WebError::NotFound.into());
    }
    if campaign_admin::change_status(&state.db, id, change).await? {
        audit::record(state, staff, action, &id.to_string(), "").await?;
    }
    Ok(see_other(&format!("/admin/campagnes/{id}")))
}

pub async fn pause(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    change(&state, &staff, &id, Change::Pause, "campagne_suspendue").await
}

pub async fn resume(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    change(&state, &staff, &id, Change::Resume, "campagne_reprise").await
}

pub async fn close(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    change(&state, &staff, &id, Change::Close, "campagne_close").await
}

pub async fn cancel_invitation(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let id = id_of(&id)?;
    let campaign = campaign_admin::cancel_planned(&state.db, id)
        .await?
        .ok_or(WebError::NotFound)?;
    audit::record(&state, &staff, "invitation_annulee", &id.to_string(), "").await?;
    Ok(see_other(&format!("/admin/campagnes/{campaign}")))
}

#[derive(Debug, serde::Deserialize)]
pub struct AddressForm {
    email: String,
}

/// Corrects the address of an undeliverable invitation: its link is revoked, a new invitation
/// goes to the new address at the next dispatch; the change is in the audit log.
pub async fn correct_address(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<String>,
    form: web::Form<AddressForm>,
) -> Result<HttpResponse, PageError> {
    let id = id_of(&id)?;
    let email = crate::domain::Email::parse(&form.email)
        .map_err(|_| WebError::BadRequest("Adresse électronique invalide.".into()))?;
    let done = bounces::correct_address(
        &state.db,
        state.seal_key.links(),
        id,
        &email,
        state.clock.now(),
    )
    .await?;
    match done {
        Correction::Replaced { campaign, new } => {
            audit::record(
                &state,
                &staff,
                "adresse_corrigee",
                &id.to_string(),
                &format!(
                    "nouvelle invitation {new} ({})",
                    crate::domain::retention::contact_reference(email.as_str())
                ),
            )
            .await?;
            Ok(see_other(&format!("/admin/campagnes/{campaign}")))
        }
        Correction::NotFound => Err(WebError::NotFound.into()),
        Correction::NotUndeliverable => Err(WebError::BadRequest(
            "Cette invitation n’est pas en échec de distribution (ou son adresse a déjà été corrigée).".into(),
        )
        .into()),
        Correction::Unchanged => Err(WebError::BadRequest(
            "La nouvelle adresse est la même que l’ancienne.".into(),
        )
        .into()),
        Correction::AlreadyInvited => Err(WebError::BadRequest(
            "Cette adresse est déjà invitée pour la même intervention.".into(),
        )
        .into()),
    }
}
