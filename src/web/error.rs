//! The web layer's one error type, and its two renderings: a French page for people, a JSON
//! object for programs. Every failure of a request ends here, mapped to its status once.

use actix_web::http::StatusCode;
use actix_web::http::header::ContentType;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::answers::AnswerError;
use crate::domain::questionnaire::DefinitionError;
use crate::domain::registration::FieldError;
use crate::store::StoreError;
use crate::store::responses::SubmitError;
use crate::views::{messages, sign_in};

/// The stable code of a JSON error, for programs to branch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    NotFound,
    UnknownToken,
    BadRequest,
    Validation,
    AlreadyCompleted,
    Closed,
    PayloadTooLarge,
    UnsupportedMediaType,
    MethodNotAllowed,
    RateLimited,
    Unavailable,
    Internal,
    Unauthorized,
    Forbidden,
    Csrf,
    PublicationRefused,
}

/// Every JSON error: a stable code and an explanation in French. Nothing was recorded.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Error)]
pub struct ErrorBody {
    pub error: ErrorCode,
    /// The explanation, in French.
    pub message: String,
}

impl ErrorBody {
    pub fn new(error: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            error,
            message: message.into(),
        }
    }
}

/// A 422: the error `validation`, with every problem found, each with its question or field.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ValidationError)]
pub struct ValidationErrorBody {
    #[schema(inline)]
    pub error: ValidationCode,
    pub message: String,
    #[schema(min_items = 1)]
    pub errors: Vec<Problem>,
}

/// The code of a 422.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ValidationCode {
    Validation,
}

/// One problem of a 422: an answer (with its question), a field (with its path, such as
/// `participants[2].email`), or a line of a questionnaire's definition.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum Problem {
    Answer(AnswerError),
    Field(FieldError),
    Definition(DefinitionProblem),
}

/// A problem of a definition (TOML), where it is: 1-based line and column (in characters).
#[derive(Debug, Serialize, ToSchema)]
pub struct DefinitionProblem {
    #[schema(minimum = 1)]
    pub line: usize,
    #[schema(minimum = 1)]
    pub column: usize,
    pub message: String,
}

/// A 409 of a publication: the changes refused, each with what to do instead.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PublicationRefused)]
pub struct RefusedBody {
    #[schema(inline)]
    pub error: RefusedCode,
    pub message: String,
    #[schema(min_items = 1)]
    pub reasons: Vec<String>,
}

/// The code of a refused publication.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RefusedCode {
    PublicationRefused,
}

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// An unknown or malformed personal link.
    #[error("lien inconnu")]
    UnknownLink,
    #[error("ressource introuvable")]
    NotFound,
    #[error("requête invalide : {0}")]
    BadRequest(String),
    #[error("réponses invalides")]
    Validation(Vec<AnswerError>),
    #[error("données invalides")]
    InvalidFields(Vec<FieldError>),
    #[error("définition invalide")]
    InvalidDefinition(Vec<DefinitionError>),
    /// Publishing would reinterpret stored answers: each reason says what to do instead.
    #[error("publication refusée")]
    PublicationRefused(Vec<String>),
    #[error("réponse déjà enregistrée")]
    AlreadyCompleted,
    #[error("questionnaire clos")]
    Closed,
    #[error("questionnaire « {0} » absent du catalogue")]
    MissingQuestionnaire(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Too many requests from one visitor, or a request that looks automated: nothing stored.
    #[error("trop de requêtes")]
    RateLimited { retry_after: u64 },
    /// The service cannot take the request now (queue full, shutting down): nothing stored.
    #[error("service momentanément saturé")]
    Busy,
    /// No session or bearer token, or one that is unknown or expired.
    #[error("authentification requise")]
    Unauthorized,
    /// Signed in, but the role may not do this.
    #[error("accès refusé")]
    Forbidden,
    /// A state-changing form sent with a session but without its CSRF token.
    #[error("jeton CSRF absent ou invalide")]
    CsrfRejected,
}

impl From<crate::widget::RatingError> for WebError {
    fn from(err: crate::widget::RatingError) -> Self {
        match err {
            crate::widget::RatingError::Closed => WebError::Closed,
            crate::widget::RatingError::Busy => WebError::Busy,
            crate::widget::RatingError::Store(e) => WebError::Store(e),
        }
    }
}

impl From<SubmitError> for WebError {
    fn from(err: SubmitError) -> Self {
        match err {
            SubmitError::AlreadyCompleted => WebError::AlreadyCompleted,
            SubmitError::Store(e) => WebError::Store(e),
        }
    }
}

impl WebError {
    fn status(&self) -> StatusCode {
        match self {
            WebError::UnknownLink | WebError::NotFound => StatusCode::NOT_FOUND,
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::Validation(_)
            | WebError::InvalidFields(_)
            | WebError::InvalidDefinition(_) => StatusCode::UNPROCESSABLE_ENTITY,
            WebError::AlreadyCompleted | WebError::PublicationRefused(_) => StatusCode::CONFLICT,
            WebError::Closed => StatusCode::GONE,
            WebError::Store(StoreError::Unavailable(_)) => StatusCode::SERVICE_UNAVAILABLE,
            WebError::MissingQuestionnaire(_) | WebError::Store(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
            WebError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            WebError::Busy => StatusCode::SERVICE_UNAVAILABLE,
            WebError::Unauthorized => StatusCode::UNAUTHORIZED,
            WebError::Forbidden | WebError::CsrfRejected => StatusCode::FORBIDDEN,
        }
    }

    /// Seconds a client should wait before trying again, for the statuses that have one.
    fn retry_after(&self) -> Option<u64> {
        match self {
            WebError::RateLimited { retry_after } => Some(*retry_after),
            WebError::Busy | WebError::Store(StoreError::Unavailable(_)) => Some(5),
            _ => None,
        }
    }

    fn log(&self) {
        match self {
            WebError::Store(StoreError::Unavailable(e)) => {
                tracing::warn!(error = %e, "database unavailable")
            }
            WebError::Store(e) => tracing::error!(error = ?e, "database error"),
            WebError::MissingQuestionnaire(code) => {
                tracing::error!(%code, "questionnaire missing from catalog")
            }
            _ => {}
        }
    }
}

/// Errors of HTML pages.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct PageError(#[from] pub WebError);

/// Errors of the JSON API.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct ApiError(#[from] pub WebError);

macro_rules! from_into_web_error {
    ($target:ty, $($source:ty),+) => {
        $(impl From<$source> for $target {
            fn from(err: $source) -> Self {
                Self(WebError::from(err))
            }
        })+
    };
}
from_into_web_error!(PageError, StoreError, SubmitError);
from_into_web_error!(ApiError, StoreError, SubmitError);

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        self.0.status()
    }

    fn error_response(&self) -> HttpResponse {
        self.0.log();
        let body = match &self.0 {
            WebError::UnknownLink => messages::link_not_found(),
            WebError::NotFound => messages::page_not_found(),
            WebError::BadRequest(detail) => messages::bad_request(detail),
            WebError::Validation(_)
            | WebError::InvalidFields(_)
            | WebError::InvalidDefinition(_) => {
                messages::bad_request("Les données envoyées sont invalides.")
            }
            WebError::PublicationRefused(reasons) => messages::bad_request(&reasons.join(" ")),
            WebError::AlreadyCompleted => messages::already_answered(),
            WebError::Closed => messages::closed(),
            WebError::Store(StoreError::Unavailable(_)) => messages::unavailable(),
            WebError::MissingQuestionnaire(_) | WebError::Store(_) => messages::internal_error(),
            WebError::RateLimited { .. } => messages::too_many_requests(),
            WebError::Busy => messages::unavailable(),
            WebError::Unauthorized => sign_in::sign_in_required(),
            WebError::Forbidden => sign_in::forbidden(),
            WebError::CsrfRejected => sign_in::csrf_rejected(),
        };
        let mut response = HttpResponse::build(self.status_code());
        if let Some(seconds) = self.0.retry_after() {
            response.insert_header(("Retry-After", seconds.to_string()));
        }
        response
            .content_type(ContentType::html())
            .body(body.into_string())
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.0.status()
    }

    fn error_response(&self) -> HttpResponse {
        self.0.log();
        let (code, message) = match &self.0 {
            WebError::UnknownLink => (
                ErrorCode::UnknownToken,
                "Lien personnel inconnu.".to_owned(),
            ),
            WebError::NotFound => (ErrorCode::NotFound, "Ressource introuvable.".to_owned()),
            WebError::BadRequest(detail) => (ErrorCode::BadRequest, detail.clone()),
            WebError::Validation(_) | WebError::InvalidFields(_) => (
                ErrorCode::Validation,
                "Certaines données sont invalides ; rien n'a été enregistré.".to_owned(),
            ),
            WebError::InvalidDefinition(_) => (
                ErrorCode::Validation,
                "La définition contient des erreurs ; rien n'a été enregistré.".to_owned(),
            ),
            WebError::PublicationRefused(_) => (
                ErrorCode::PublicationRefused,
                "Publication refusée : elle changerait le sens de réponses déjà enregistrées ; rien n'a été publié.".to_owned(),
            ),
            WebError::AlreadyCompleted => (
                ErrorCode::AlreadyCompleted,
                "Une réponse est déjà enregistrée pour ce lien.".to_owned(),
            ),
            WebError::Closed => (ErrorCode::Closed, "Ce questionnaire est clos.".to_owned()),
            WebError::Store(StoreError::Unavailable(_)) => (
                ErrorCode::Unavailable,
                "Service momentanément indisponible ; réessayez plus tard.".to_owned(),
            ),
            WebError::MissingQuestionnaire(_) | WebError::Store(_) => (
                ErrorCode::Internal,
                "Erreur inattendue ; rien n'a été enregistré.".to_owned(),
            ),
            WebError::RateLimited { .. } => (
                ErrorCode::RateLimited,
                "Trop de requêtes ; réessayez dans quelques instants. Rien n'a été enregistré."
                    .to_owned(),
            ),
            WebError::Busy => (
                ErrorCode::Unavailable,
                "Service momentanément indisponible ; réessayez plus tard.".to_owned(),
            ),
            WebError::Unauthorized => (
                ErrorCode::Unauthorized,
                "Authentification requise : jeton (Authorization: Bearer …) ou session.".to_owned(),
            ),
            WebError::Forbidden => (
                ErrorCode::Forbidden,
                "Votre rôle ne permet pas cette action.".to_owned(),
            ),
            WebError::CsrfRejected => (
                ErrorCode::Csrf,
                "Jeton CSRF absent ou invalide ; rien n'a été fait.".to_owned(),
            ),
        };
        let problems: Option<Vec<Problem>> = match &self.0 {
            WebError::Validation(errors) => {
                Some(errors.iter().cloned().map(Problem::Answer).collect())
            }
            WebError::InvalidFields(errors) => {
                Some(errors.iter().cloned().map(Problem::Field).collect())
            }
            WebError::InvalidDefinition(errors) => Some(
                errors
                    .iter()
                    .map(|e| {
                        Problem::Definition(DefinitionProblem {
                            line: e.line.max(1),
                            column: e.column.max(1),
                            message: e.message.clone(),
                        })
                    })
                    .collect(),
            ),
            _ => None,
        };
        if let WebError::PublicationRefused(reasons) = &self.0 {
            return HttpResponse::build(self.status_code()).json(RefusedBody {
                error: RefusedCode::PublicationRefused,
                message,
                reasons: reasons.clone(),
            });
        }
        let mut response = HttpResponse::build(self.status_code());
        if let Some(seconds) = self.0.retry_after() {
            response.insert_header(("Retry-After", seconds.to_string()));
        }
        if matches!(self.0, WebError::Unauthorized) {
            response.insert_header(("WWW-Authenticate", "Bearer"));
        }
        match problems {
            Some(errors) => response.json(ValidationErrorBody {
                error: ValidationCode::Validation,
                message,
                errors,
            }),
            None => response.json(ErrorBody::new(code, message)),
        }
    }
}
