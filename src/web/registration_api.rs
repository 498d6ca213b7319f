//! Registering interventions, co-productions, waves and rosters, for programs.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde_json::json;
use uuid::Uuid;

use super::{ApiError, AppState, Staff, WebError};
use crate::domain::QuestionnaireCode;
use crate::domain::registration::{
    CoproductionInput, InterventionInput, RosterInput, WaveInput, check_coproduction,
    check_intervention, check_roster, check_wave,
};
use crate::domain::schedule::SendRules;
use crate::store;
use crate::store::registration::{self, Registered};

fn rules(state: &AppState, code: QuestionnaireCode) -> SendRules {
    state
        .catalog
        .get(code)
        .map(|q| q.definition.schedule.clone())
        .unwrap_or_default()
}

/// Records who registered what in the audit log.
async fn audit(
    state: &AppState,
    staff: &Staff,
    action: &str,
    target: &str,
    done: &Registered,
) -> Result<(), ApiError> {
    let detail = format!(
        "créé : {}, personnes ajoutées : {}",
        done.created, done.added
    );
    store::audit::record(
        &state.db,
        &staff.identity.actor,
        action,
        target,
        &detail,
        state.clock.now(),
    )
    .await?;
    Ok(())
}

fn registered(reference: &str, done: Registered) -> HttpResponse {
    let status = if done.created || done.added > 0 {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    HttpResponse::build(status).json(json!({
        "id": done.id,
        "reference": reference,
        "created": done.created,
        "added": done.added,
        "invitations": done.invitations,
    }))
}

/// A regional account registers for its own entity only (403 otherwise).
fn own_entity(staff: &Staff, entity: &str) -> Result<(), WebError> {
    if staff.identity.role.may_register_for(entity) {
        Ok(())
    } else {
        Err(WebError::Forbidden)
    }
}

pub async fn entities(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "entities": state.catalog.network.entities() }))
}

pub async fn register_intervention(
    state: web::Data<AppState>,
    staff: Staff,
    body: web::Json<InterventionInput>,
) -> Result<HttpResponse, ApiError> {
    let new = check_intervention(&body, &state.catalog.network).map_err(WebError::InvalidFields)?;
    own_entity(&staff, &new.entity)?;
    let done = registration::register_intervention(
        &state.db,
        state.seal_key.links(),
        &new,
        &state.catalog.network,
        &rules(&state, QuestionnaireCode::I3_1),
        state.clock.now(),
    )
    .await?;
    audit(
        &state,
        &staff,
        "intervention_enregistree",
        &new.reference,
        &done,
    )
    .await?;
    Ok(registered(&new.reference, done))
}

pub async fn register_coproduction(
    state: web::Data<AppState>,
    staff: Staff,
    body: web::Json<CoproductionInput>,
) -> Result<HttpResponse, ApiError> {
    let new = check_coproduction(&body, &state.catalog.network).map_err(WebError::InvalidFields)?;
    own_entity(&staff, &new.entity)?;
    let done = registration::register_coproduction(
        &state.db,
        state.seal_key.links(),
        &new,
        &state.catalog.network,
        &rules(&state, QuestionnaireCode::I3_2),
        state.clock.now(),
    )
    .await?;
    audit(
        &state,
        &staff,
        "coproduction_enregistree",
        &new.reference,
        &done,
    )
    .await?;
    Ok(registered(&new.reference, done))
}

pub async fn register_wave(
    state: web::Data<AppState>,
    staff: Staff,
    body: web::Json<WaveInput>,
) -> Result<HttpResponse, ApiError> {
    let new = check_wave(&body).map_err(WebError::InvalidFields)?;
    let wave = registration::register_wave(
        &state.db,
        &new,
        &rules(&state, new.questionnaire),
        state.clock.now(),
    )
    .await?;
    store::audit::record(
        &state.db,
        &staff.identity.actor,
        "vague_enregistree",
        &new.label,
        &format!("{}", new.questionnaire),
        state.clock.now(),
    )
    .await?;
    let status = if wave.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(HttpResponse::build(status).json(wave))
}

pub async fn add_roster(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<String>,
    body: web::Json<Vec<RosterInput>>,
) -> Result<HttpResponse, ApiError> {
    let id: Uuid = id.parse().map_err(|_| WebError::NotFound)?;
    let (code, wave) = registration::find_wave(&state.db, id, |code| rules(&state, code))
        .await?
        .ok_or(WebError::NotFound)?;
    let members =
        check_roster(code, &body, &state.catalog.network).map_err(WebError::InvalidFields)?;
    let done = registration::add_roster(
        &state.db,
        state.seal_key.links(),
        code,
        &wave,
        &members,
        state.clock.now(),
    )
    .await?;
    audit(&state, &staff, "liste_enregistree", &wave.label, &done).await?;
    Ok(registered(&wave.label, done))
}
