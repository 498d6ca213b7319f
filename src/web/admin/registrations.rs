//! `/admin/enregistrements`: registering an intervention, a co-production or a wave with a
//! form instead of JSON. The same checks as the API (`domain::registration`); people are
//! typed one per line (`email ; nom ; fonction`, or `organisme ; email ; nom` for relays).

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{HttpResponse, web};

use super::{csrf, html, see_other};
use crate::domain::QuestionnaireCode;
use crate::domain::registration::{
    CompanyInput, CoproductionInput, FieldError, InterventionInput, ParticipantInput, RelayInput,
    WaveInput, check_coproduction, check_intervention, check_wave,
};
use crate::store::registration::{self, Registered};
use crate::views::admin::{RegistrationForms, registrations_page};
use crate::web::{AppState, PageError, Staff, WebError, audit};

type Fields = HashMap<String, String>;

fn field(fields: &Fields, name: &str) -> Option<String> {
    fields
        .get(name)
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// The cells of each non-empty line of a textarea, split on `;`.
fn lines(raw: Option<&String>) -> Vec<Vec<Option<String>>> {
    raw.map(String::as_str)
        .unwrap_or_default()
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            line.split(';')
                .map(|cell| Some(cell.trim().to_owned()).filter(|c| !c.is_empty()))
                .collect()
        })
        .collect()
}

fn cell(cells: &[Option<String>], i: usize) -> Option<String> {
    cells.get(i).cloned().flatten()
}

fn rules(state: &AppState, code: QuestionnaireCode) -> crate::domain::schedule::SendRules {
    state
        .catalog
        .get(code)
        .map(|q| q.definition.schedule.clone())
        .unwrap_or_default()
}

pub async fn page(
    state: web::Data<AppState>,
    staff: Staff,
    query: web::Query<Fields>,
) -> HttpResponse {
    html(registrations_page(&RegistrationForms {
        csrf: csrf(&staff),
        network: &state.catalog.network,
        values: &Fields::new(),
        errors: &[],
        failed: None,
        done: query.get("fait").map(String::as_str),
    }))
}

fn refused(
    state: &AppState,
    staff: &Staff,
    fields: &Fields,
    which: &str,
    errors: &[FieldError],
) -> HttpResponse {
    HttpResponse::build(StatusCode::UNPROCESSABLE_ENTITY)
        .content_type(ContentType::html())
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(
            registrations_page(&RegistrationForms {
                csrf: csrf(staff),
                network: &state.catalog.network,
                values: fields,
                errors,
                failed: Some(which),
                done: None,
            })
            .into_string(),
        )
}

fn done(what: &str, reference: &str, registered: &Registered) -> HttpResponse {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair(
            "fait",
            &format!(
                "{what} « {reference} » : {} ; {} invitation(s) prévue(s).",
                if registered.created {
                    "enregistrée"
                } else {
                    "déjà connue"
                },
                registered.added
            ),
        )
        .finish();
    see_other(&format!("/admin/enregistrements?{query}"))
}

pub async fn intervention(
    state: web::Data<AppState>,
    staff: Staff,
    form: web::Form<Fields>,
) -> Result<HttpResponse, PageError> {
    let f = &form.0;
    let input = InterventionInput {
        reference: field(f, "reference"),
        company: Some(CompanyInput {
            name: field(f, "entreprise"),
            siret: field(f, "siret"),
            size_band: field(f, "tranche_effectif"),
            sector: field(f, "secteur"),
        }),
        kind: field(f, "type"),
        entity: field(f, "entite"),
        started_on: field(f, "debut"),
        ended_on: field(f, "fin"),
        participants: lines(f.get("participants"))
            .iter()
            .map(|c| ParticipantInput {
                email: cell(c, 0),
                name: cell(c, 1),
                role: cell(c, 2),
            })
            .collect(),
    };
    let new = match check_intervention(&input, &state.catalog.network) {
        Ok(new) => new,
        Err(errors) => return Ok(refused(&state, &staff, f, "intervention", &errors)),
    };
    let registered = registration::register_intervention(
        &state.db,
        state.seal_key.links(),
        &new,
        &state.catalog.network,
        &rules(&state, QuestionnaireCode::I3_1),
        state.clock.now(),
    )
    .await?;
    audit::record(
        &state,
        &staff,
        "intervention_enregistree",
        &new.reference,
        "formulaire",
    )
    .await?;
    Ok(done("Intervention", &new.reference, &registered))
}

pub async fn coproduction(
    state: web::Data<AppState>,
    staff: Staff,
    form: web::Form<Fields>,
) -> Result<HttpResponse, PageError> {
    let f = &form.0;
    // One relay per organisation, in the order first seen.
    let mut relays: Vec<RelayInput> = Vec::new();
    for c in lines(f.get("contacts")) {
        let organisation = cell(&c, 0);
        let contact = ParticipantInput {
            email: cell(&c, 1),
            name: cell(&c, 2),
            role: None,
        };
        match relays.iter_mut().find(|r| r.organisation == organisation) {
            Some(relay) => relay.contacts.push(contact),
            None => relays.push(RelayInput {
                organisation,
                contacts: vec![contact],
            }),
        }
    }
    let input = CoproductionInput {
        reference: field(f, "reference"),
        tool: field(f, "outil"),
        entity: field(f, "entite"),
        finalised_on: field(f, "finalise_le"),
        relays,
    };
    let new = match check_coproduction(&input, &state.catalog.network) {
        Ok(new) => new,
        Err(errors) => return Ok(refused(&state, &staff, f, "coproduction", &errors)),
    };
    let registered = registration::register_coproduction(
        &state.db,
        state.seal_key.links(),
        &new,
        &state.catalog.network,
        &rules(&state, QuestionnaireCode::I3_2),
        state.clock.now(),
    )
    .await?;
    audit::record(
        &state,
        &staff,
        "coproduction_enregistree",
        &new.reference,
        "formulaire",
    )
    .await?;
    Ok(done("Co-production", &new.reference, &registered))
}

pub async fn wave(
    state: web::Data<AppState>,
    staff: Staff,
    form: web::Form<Fields>,
) -> Result<HttpResponse, PageError> {
    let f = &form.0;
    let input = WaveInput {
        questionnaire: field(f, "questionnaire"),
        label: field(f, "libelle"),
        milestone_on: field(f, "jalon"),
        send_on: field(f, "envoi"),
    };
    let new = match check_wave(&input) {
        Ok(new) => new,
        Err(errors) => return Ok(refused(&state, &staff, f, "vague", &errors)),
    };
    let wave = registration::register_wave(
        &state.db,
        &new,
        &rules(&state, new.questionnaire),
        state.clock.now(),
    )
    .await
    .map_err(WebError::from)?;
    audit::record(
        &state,
        &staff,
        "vague_enregistree",
        &new.label,
        &new.questionnaire.to_string(),
    )
    .await?;
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair(
            "fait",
            &format!(
                "Vague « {} » ({}) : {}. Sa liste s’importe depuis la page des imports.",
                new.label,
                new.questionnaire,
                if wave.created {
                    "enregistrée"
                } else {
                    "déjà connue"
                }
            ),
        )
        .finish();
    Ok(see_other(&format!("/admin/enregistrements?{query}")))
}
