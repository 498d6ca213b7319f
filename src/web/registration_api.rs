//! Registering interventions, co-productions, waves and rosters, for programs.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{ApiError, AppState, Staff, WebError};
use crate::domain::QuestionnaireCode;
use crate::domain::network::Entity;
use crate::domain::registration::{
    CoproductionInput, InterventionInput, RosterInput, WaveInput, check_coproduction,
    check_intervention, check_roster, check_wave,
};
use crate::domain::schedule::SendRules;
use crate::store;
use crate::store::registration::{self, PlannedInvitation, Registered, Wave};

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

/// What a registration did: 201 when something was created or added, 200 when nothing was new.
#[derive(Serialize, ToSchema)]
pub struct RegisteredBody {
    id: Uuid,
    reference: String,
    /// False when the reference (or label) was already known: nothing was duplicated.
    created: bool,
    /// Invitations added by this call.
    added: usize,
    /// The invitations planned by this call, with when each goes out.
    invitations: Vec<PlannedInvitation>,
}

fn registered(reference: &str, done: Registered) -> HttpResponse {
    let status = if done.created || done.added > 0 {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    HttpResponse::build(status).json(RegisteredBody {
        id: done.id,
        reference: reference.to_owned(),
        created: done.created,
        added: done.added,
        invitations: done.invitations,
    })
}

/// The network's entities.
#[derive(Serialize, ToSchema)]
pub struct Entities<'a> {
    entities: &'a [Entity],
}

/// A regional account registers for its own entity only (403 otherwise).
fn own_entity(staff: &Staff, entity: &str) -> Result<(), WebError> {
    if staff.identity.role.may_register_for(entity) {
        Ok(())
    } else {
        Err(WebError::Forbidden)
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/entities",
    operation_id = "listEntities",
    tag = "registration",
    summary = "Les entités du réseau",
    responses(
        (status = 200, description = "Les entités", body = Entities),
        (status = 401, response = super::openapi::Unauthorized),
        (status = 403, response = super::openapi::Forbidden),
    ),
    security(("bearer" = []))
)]
pub async fn entities(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(Entities {
        entities: state.catalog.network.entities(),
    })
}

#[utoipa::path(
    post,
    path = "/api/v1/interventions",
    operation_id = "registerIntervention",
    tag = "registration",
    summary = "Déclarer une intervention (indicateur 3.1)",
    request_body = InterventionInput,
    responses(
        (status = 201, description = "Créée ou complétée", body = RegisteredBody),
        (status = 200, description = "Rien de nouveau : cette référence était connue", body = RegisteredBody),
        (status = 400, response = super::openapi::BadRequest),
        (status = 401, response = super::openapi::Unauthorized),
        (status = 403, response = super::openapi::Forbidden),
        (status = 413, response = super::openapi::TooLarge),
        (status = 422, response = super::openapi::InvalidFields),
        (status = 503, response = super::openapi::Unavailable),
    ),
    security(("bearer" = []))
)]
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

#[utoipa::path(
    post,
    path = "/api/v1/coproductions",
    operation_id = "registerCoproduction",
    tag = "registration",
    summary = "Déclarer une co-production (indicateur 3.2)",
    request_body = CoproductionInput,
    responses(
        (status = 201, description = "Créée ou complétée", body = RegisteredBody),
        (status = 200, description = "Rien de nouveau : cette référence était connue", body = RegisteredBody),
        (status = 400, response = super::openapi::BadRequest),
        (status = 401, response = super::openapi::Unauthorized),
        (status = 403, response = super::openapi::Forbidden),
        (status = 413, response = super::openapi::TooLarge),
        (status = 422, response = super::openapi::InvalidFields),
        (status = 503, response = super::openapi::Unavailable),
    ),
    security(("bearer" = []))
)]
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

#[utoipa::path(
    post,
    path = "/api/v1/waves",
    operation_id = "registerWave",
    tag = "registration",
    summary = "Déclarer une vague (indicateurs 6 et 7)",
    request_body = WaveInput,
    responses(
        (status = 201, description = "Créée", body = Wave),
        (status = 200, description = "Ce libellé existait", body = Wave),
        (status = 400, response = super::openapi::BadRequest),
        (status = 401, response = super::openapi::Unauthorized),
        (status = 403, response = super::openapi::Forbidden),
        (status = 413, response = super::openapi::TooLarge),
        (status = 422, response = super::openapi::InvalidFields),
        (status = 503, response = super::openapi::Unavailable),
    ),
    security(("bearer" = []))
)]
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

#[utoipa::path(
    post,
    path = "/api/v1/waves/{id}/roster",
    operation_id = "addRoster",
    tag = "registration",
    summary = "Ajouter la liste des personnes d’une vague",
    params(("id" = Uuid, Path, description = "La vague (son id renvoyé par POST /api/v1/waves)")),
    request_body = Vec<RosterInput>,
    responses(
        (status = 201, description = "Des personnes ajoutées", body = RegisteredBody),
        (status = 200, description = "Rien de nouveau : toutes étaient déjà invitées", body = RegisteredBody),
        (status = 400, response = super::openapi::BadRequest),
        (status = 401, response = super::openapi::Unauthorized),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound),
        (status = 413, response = super::openapi::TooLarge),
        (status = 422, response = super::openapi::InvalidFields),
        (status = 503, response = super::openapi::Unavailable),
    ),
    security(("bearer" = []))
)]
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
