//! The OpenAPI 3 description of the JSON API, generated from the handlers' own types:
//! `#[utoipa::path]` on each `/api/v1/` handler names its parameters, body and answers, whose
//! schemas are derived (`ToSchema`) from the structs the handlers serialize or parse.
//!
//! Served as JSON at `GET /api/v1/openapi.json` and as a page for people at `GET /api`; both
//! are public (they describe the API, they hold no data). `tests/api/openapi.rs` compares the
//! operations with the routes of `web::routes`, and `scripts/schemathesis` checks every
//! answer jalon gives against the document.

use std::sync::LazyLock;

use actix_web::HttpResponse;
use actix_web::http::header;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, HeaderBuilder, ObjectBuilder, RefOr, Type};
use utoipa::{Modify, OpenApi, PartialSchema, ToResponse, ToSchema};

use super::error::{ErrorBody, RefusedBody, ValidationErrorBody};

/// The API's description, before it is built into a document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "jalon",
        version = "1",
        description = "L’API JSON de jalon : enregistrer les interventions, co-productions et vagues, répondre aux questionnaires, lire les indicateurs. Chaque erreur est un objet `{\"error\": code, \"message\": texte}` (avec `errors[]` pour une 422) ; une requête refusée n’enregistre rien. Les routes du personnel demandent un jeton (`Authorization: Bearer jalon_…`, créé par `jalon api-token create`) : sans jeton valide 401, rôle insuffisant 403 ; les routes des répondants et du site (`/api/v1/public/`, `/api/v1/responses/`, `GET /api/v1/questionnaires/{code}`) et cette description sont ouvertes."
    ),
    paths(
        document,
        super::questionnaires_api::show,
        super::questionnaire_editing_api::show_draft,
        super::questionnaire_editing_api::save_draft,
        super::questionnaire_editing_api::show_draft_emails,
        super::questionnaire_editing_api::save_draft_emails,
        super::questionnaire_editing_api::create_pilot_links,
        super::questionnaire_editing_api::pilot_results,
        super::questionnaire_editing_api::purge_pilot,
        super::questionnaire_editing_api::publish,
        super::answers_api::submit,
        super::registration_api::entities,
        super::registration_api::register_intervention,
        super::registration_api::register_coproduction,
        super::registration_api::register_wave,
        super::registration_api::add_roster,
        super::indicators_api::index,
        super::results_api::show,
        super::comments_api::list,
        super::widget_results::resources,
        super::widget_results::comments,
        super::widget_results::hide,
        super::widget_api::count_download,
        super::widget_api::rate_resource,
    ),
    components(
        schemas(ErrorBody, ValidationErrorBody, RefusedBody),
        responses(
            BadRequest,
            NotFound,
            Conflict,
            Gone,
            TooLarge,
            RateLimited,
            Unavailable,
            InvalidAnswers,
            InvalidFields,
            InvalidDefinition,
            Unauthorized,
            Forbidden,
        )
    ),
    modifiers(&BearerScheme),
    tags(
        (name = "respondents", description = "Répondre aux questionnaires (ouvert)"),
        (name = "registration", description = "Enregistrer interventions, co-productions et vagues (jeton)"),
        (name = "questionnaires", description = "Modifier, tester et publier les questionnaires (jeton admin)"),
        (name = "results", description = "Lire les indicateurs et les résultats (jeton)"),
        (name = "widget", description = "Le widget de l’indicateur 4 sur le site (ouvert)"),
        (name = "description", description = "Cette description"),
    )
)]
struct ApiDoc;

/// The name of the bearer security scheme.
pub const BEARER: &str = "bearer";

struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "Jeton d’API créé par `jalon api-token create` (rôle admin, analyst ou regional).",
                    ))
                    .build(),
            ),
        );
    }
}

/// The description, built once.
pub static OPENAPI: LazyLock<utoipa::openapi::OpenApi> = LazyLock::new(ApiDoc::openapi);

/// The description as JSON, built once.
static JSON: LazyLock<String> = LazyLock::new(|| {
    OPENAPI
        .to_json()
        .expect("the OpenAPI description serializes")
});

/// The OpenAPI document itself (its own schema is OpenAPI's).
struct Document;

impl PartialSchema for Document {
    fn schema() -> RefOr<utoipa::openapi::schema::Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .required("openapi")
            .required("paths")
            .into()
    }
}

impl ToSchema for Document {
    fn name() -> std::borrow::Cow<'static, str> {
        "OpenApiDocument".into()
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    operation_id = "openapi",
    tag = "description",
    summary = "Cette description (OpenAPI 3)",
    description = "Générée à partir des types des gestionnaires ; lisible aussi en page : `GET /api`.",
    responses((status = 200, description = "Le document", body = Document))
)]
pub async fn document() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .content_type("application/json")
        .body(JSON.as_str())
}

/// `GET /api`: the description as a page for people.
pub async fn page() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .content_type("text/html; charset=utf-8")
        .body(PAGE.as_str())
}

static PAGE: LazyLock<String> =
    LazyLock::new(|| crate::views::api_docs::page(&OPENAPI).into_string());

/// `(pattern, "GET, POST")` of every documented path.
static PATHS: LazyLock<Vec<(String, String)>> = LazyLock::new(|| {
    OPENAPI
        .paths
        .paths
        .iter()
        .map(|(path, item)| {
            let methods: Vec<String> = methods_of(item)
                .into_iter()
                .map(|(method, _)| method.to_owned())
                .collect();
            (path.clone(), methods.join(", "))
        })
        .collect()
});

/// The operations of a path item, with their upper-case method, in the usual order.
pub fn methods_of(
    item: &utoipa::openapi::path::PathItem,
) -> Vec<(&'static str, &utoipa::openapi::path::Operation)> {
    [
        ("GET", &item.get),
        ("PUT", &item.put),
        ("POST", &item.post),
        ("DELETE", &item.delete),
        ("OPTIONS", &item.options),
        ("HEAD", &item.head),
        ("PATCH", &item.patch),
        ("TRACE", &item.trace),
    ]
    .into_iter()
    .filter_map(|(method, operation)| operation.as_ref().map(|op| (method, op)))
    .collect()
}

/// The methods of a documented route pattern (`/api/v1/waves/{id}/roster`), as an `Allow`
/// header value.
pub fn allowed_methods(pattern: &str) -> Option<&'static str> {
    PATHS
        .iter()
        .find(|(path, _)| path == pattern)
        .map(|(_, methods)| methods.as_str())
}

/// A JSON error answer: the body is [`ErrorBody`] (or [`ValidationErrorBody`] for a 422).
fn error_response(description: &str, validation: bool) -> ResponseBuilder {
    let schema = if validation {
        ValidationErrorBody::name()
    } else {
        ErrorBody::name()
    };
    ResponseBuilder::new().description(description).content(
        "application/json",
        ContentBuilder::new()
            .schema(Some(utoipa::openapi::Ref::from_schema_name(schema)))
            .build(),
    )
}

/// A header carrying a whole number of seconds or a text.
fn header(integer: bool, description: &str) -> utoipa::openapi::header::Header {
    let kind = if integer { Type::Integer } else { Type::String };
    HeaderBuilder::new()
        .schema(Some(ObjectBuilder::new().schema_type(kind).build()))
        .description(Some(description))
        .build()
}

/// The reusable error answers, each a `components/responses` entry named after its type.
macro_rules! error_responses {
    ($($name:ident: $description:literal, $validation:literal, $header:expr;)+) => {
        $(
            #[doc = $description]
            pub struct $name;

            impl<'r> ToResponse<'r> for $name {
                fn response() -> (&'r str, RefOr<Response>) {
                    let mut response = error_response($description, $validation);
                    let extra: Option<(&str, bool, &str)> = $header;
                    if let Some((name, integer, description)) = extra {
                        response = response.header(name, header(integer, description));
                    }
                    (stringify!($name), RefOr::T(response.build()))
                }
            }
        )+
    };
}

error_responses! {
    BadRequest: "Requête mal formée (JSON invalide, mauvais Content-Type, paramètre invalide)", false, None;
    NotFound: "Inconnu (lien, questionnaire, campagne, vague, réponse)", false, None;
    Conflict: "Une réponse est déjà enregistrée pour ce lien", false, None;
    Gone: "Questionnaire ou campagne clos", false, None;
    TooLarge: "Corps trop grand", false, None;
    RateLimited: "Trop de requêtes de cette adresse (ou pot de miel rempli) ; rien n’est enregistré", false,
        Some(("Retry-After", true, "Secondes à attendre"));
    Unavailable: "Base de données injoignable ou service saturé ; rien n’est enregistré, réessayer", false,
        Some(("Retry-After", true, "Secondes à attendre"));
    InvalidAnswers: "Réponses invalides, chacune avec sa question ; rien n’est enregistré", true, None;
    InvalidFields: "Champs invalides, chacun avec son nom ; rien n’est enregistré", true, None;
    InvalidDefinition: "Définition invalide, chaque erreur avec sa ligne et sa colonne ; rien n’est enregistré", true, None;
    Unauthorized: "Jeton absent, inconnu ou révoqué", false,
        Some(("WWW-Authenticate", false, "Bearer"));
    Forbidden: "Le rôle du jeton ne permet pas cette action (ou une autre entité que la sienne)", false, None;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowed_methods_come_from_the_document() {
        assert_eq!(allowed_methods("/api/v1/waves/{id}/roster"), Some("POST"));
        assert_eq!(allowed_methods("/api/v1/indicators"), Some("GET"));
        assert_eq!(allowed_methods("/admin"), None);
    }

    #[test]
    fn the_schemas_of_the_errors_are_named_as_referenced() {
        assert_eq!(ErrorBody::name(), "Error");
        assert_eq!(ValidationErrorBody::name(), "ValidationError");
        let _ = <ErrorBody as PartialSchema>::schema();
    }
}
