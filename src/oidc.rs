//! Single sign-on: an OpenID Connect client (authorization code flow) for ProConnect and any
//! standard provider, built on the `openidconnect` crate: discovery, the authorization URL
//! (`state`, `nonce`, PKCE when the provider advertises it, the `acr` asked for), the code
//! exchange, the ID token's checks (signature, issuer, audience, expiry, nonce, `acr`), the
//! userinfo (signed or not) and the provider's logout URL. What is kept between the two legs
//! of a sign-in (`state`, `nonce`, the PKCE verifier) is the web layer's business.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use openidconnect::core::{
    CoreAuthDisplay, CoreAuthenticationFlow, CoreClaimName, CoreClaimType, CoreClient,
    CoreClientAuthMethod, CoreGrantType, CoreJsonWebKey, CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm, CoreResponseMode, CoreResponseType, CoreSubjectIdentifierType,
    CoreUserInfoClaims,
};
use openidconnect::{
    AdditionalProviderMetadata, AuthType, AuthenticationContextClass, AuthorizationCode,
    ClaimsVerificationError, ClientId, ClientSecret, CsrfToken, IssuerUrl, LogoutProviderMetadata,
    Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, ProviderMetadata, RedirectUrl,
    Scope, TokenResponse,
};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use crate::clock::Clock;
use crate::config::OidcSettings;

/// How long a discovery document (and its keys) is trusted before it is fetched again.
const METADATA_TTL_MINUTES: i64 = 15;

/// The discovery fields `openidconnect` does not read itself: the PKCE methods (PKCE is sent
/// only to a provider that lists them: ProConnect refuses parameters it does not know).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct PkceMetadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_challenge_methods_supported: Option<Vec<String>>,
}

impl AdditionalProviderMetadata for PkceMetadata {}

/// A provider's discovery document, with its end-session endpoint and PKCE methods.
pub type Metadata = ProviderMetadata<
    LogoutProviderMetadata<PkceMetadata>,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

/// Why a sign-in through the provider failed. The message is for the log; people see
/// `SignOnError::explanation`.
#[derive(Debug, thiserror::Error)]
pub enum SignOnError {
    #[error("provider unreachable or its discovery document invalid: {0}")]
    Discovery(String),
    #[error("the provider refused: {0}")]
    ProviderRefused(String),
    #[error("code exchange failed: {0}")]
    Exchange(String),
    #[error("no ID token in the token response")]
    NoIdToken,
    #[error("ID token refused: {0}")]
    IdToken(ClaimsVerificationError),
    #[error("userinfo refused: {0}")]
    UserInfo(String),
    #[error("no email given by the provider")]
    NoEmail,
    #[error("the provider says the email is not verified")]
    UnverifiedEmail,
}

impl SignOnError {
    /// The French explanation shown on the sign-in page.
    pub fn explanation(&self) -> &'static str {
        match self {
            SignOnError::Discovery(_) => {
                "Le service d’identification ne répond pas : réessayez dans quelques minutes ou connectez-vous autrement."
            }
            SignOnError::ProviderRefused(_) => {
                "Le service d’identification n’a pas autorisé la connexion."
            }
            SignOnError::IdToken(ClaimsVerificationError::InvalidAuthContext(_)) => {
                "Votre identification n’a pas le niveau de garantie exigé par jalon : identifiez-vous avec un moyen plus sûr."
            }
            SignOnError::IdToken(ClaimsVerificationError::Expired(_)) => {
                "L’identification a expiré : recommencez."
            }
            SignOnError::NoEmail | SignOnError::UnverifiedEmail => {
                "Le service d’identification n’a pas transmis d’adresse électronique vérifiée : la connexion est impossible."
            }
            SignOnError::Exchange(_)
            | SignOnError::NoIdToken
            | SignOnError::IdToken(_)
            | SignOnError::UserInfo(_) => {
                "La réponse du service d’identification n’a pas pu être vérifiée : recommencez la connexion."
            }
        }
    }

    /// A few words for the audit log.
    pub fn reason(&self) -> String {
        let text = self.to_string();
        text.chars().take(200).collect()
    }
}

/// Where to send the browser, and what the callback must find again.
#[derive(Debug, Clone)]
pub struct Authorization {
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: Option<String>,
}

/// Who the provider says signed in.
#[derive(Debug, Clone)]
pub struct SignedOn {
    /// Lower case.
    pub email: String,
    pub subject: String,
    /// The raw ID token, kept with the session for the logout's `id_token_hint`.
    pub id_token: String,
    pub acr: Option<String>,
}

/// The client of one provider, its discovery document cached.
pub struct OidcClient {
    settings: OidcSettings,
    http: reqwest::Client,
    clock: Arc<dyn Clock>,
    metadata: Mutex<Option<(Metadata, DateTime<Utc>)>>,
}

impl OidcClient {
    pub fn new(settings: OidcSettings, clock: Arc<dyn Clock>) -> Self {
        // No redirects: a provider's endpoint that redirects elsewhere is not followed (SSRF).
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(15))
            .build()
            .unwrap_or_default();
        Self {
            settings,
            http,
            clock,
            metadata: Mutex::new(None),
        }
    }

    pub fn settings(&self) -> &OidcSettings {
        &self.settings
    }

    /// The discovery document, fetched again when older than a few minutes (keys rotate).
    async fn metadata(&self) -> Result<Metadata, SignOnError> {
        let now = self.clock.now();
        let mut cached = self.metadata.lock().await;
        if let Some((metadata, fetched)) = cached.as_ref()
            && now - *fetched < Duration::minutes(METADATA_TTL_MINUTES)
            && *fetched <= now
        {
            return Ok(metadata.clone());
        }
        let issuer = IssuerUrl::new(self.settings.issuer.clone())
            .map_err(|e| SignOnError::Discovery(e.to_string()))?;
        let metadata = Metadata::discover_async(issuer, &self.http)
            .await
            .map_err(|e| SignOnError::Discovery(error_chain(&e)))?;
        *cached = Some((metadata.clone(), now));
        Ok(metadata)
    }

    fn client(&self, metadata: &Metadata) -> Result<ConfiguredClient, SignOnError> {
        let redirect = RedirectUrl::new(self.settings.redirect_url.clone())
            .map_err(|e| SignOnError::Discovery(e.to_string()))?;
        // The secret in the body when the provider does not take it in a header (ProConnect:
        // `client_secret_post`).
        let auth_type = match metadata.token_endpoint_auth_methods_supported() {
            Some(methods)
                if !methods.contains(&CoreClientAuthMethod::ClientSecretBasic)
                    && methods.contains(&CoreClientAuthMethod::ClientSecretPost) =>
            {
                AuthType::RequestBody
            }
            _ => AuthType::BasicAuth,
        };
        Ok(CoreClient::from_provider_metadata(
            metadata.clone(),
            ClientId::new(self.settings.client_id.clone()),
            Some(ClientSecret::new(
                self.settings.client_secret.expose().to_owned(),
            )),
        )
        .set_redirect_uri(redirect)
        .set_auth_type(auth_type))
    }

    /// The provider's authorization URL for a new sign-in.
    pub async fn authorize(&self) -> Result<Authorization, SignOnError> {
        let metadata = self.metadata().await?;
        let client = self.client(&metadata)?;
        let mut request = client.authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        );
        for scope in self.settings.scopes.iter().filter(|s| *s != "openid") {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let pkce = metadata
            .additional_metadata()
            .additional_metadata
            .code_challenge_methods_supported
            .as_ref()
            .is_some_and(|methods| methods.iter().any(|m| m == "S256"));
        let mut pkce_verifier = None;
        if pkce {
            let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
            request = request.set_pkce_challenge(challenge);
            pkce_verifier = Some(verifier.secret().clone());
        }
        if !self.settings.acr.is_empty() {
            if metadata.claims_parameter_supported() == Some(true) {
                // ProConnect's way: the `acr` claim asked for as essential.
                let claims = serde_json::json!({
                    "id_token": { "acr": { "essential": true, "values": self.settings.acr } }
                });
                request = request.add_extra_param("claims", claims.to_string());
            } else {
                for acr in &self.settings.acr {
                    request = request
                        .add_auth_context_value(AuthenticationContextClass::new(acr.clone()));
                }
            }
        }
        let (url, state, nonce) = request.url();
        Ok(Authorization {
            url: url.to_string(),
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier,
        })
    }

    /// Exchanges the callback's code, checks the ID token against `nonce` (and the required
    /// `acr`), reads the userinfo; who signed in.
    pub async fn finish(
        &self,
        code: &str,
        nonce: &str,
        pkce_verifier: Option<&str>,
    ) -> Result<SignedOn, SignOnError> {
        let metadata = self.metadata().await?;
        let client = self.client(&metadata)?;
        let mut exchange = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| SignOnError::Exchange(e.to_string()))?;
        if let Some(verifier) = pkce_verifier {
            exchange = exchange.set_pkce_verifier(PkceCodeVerifier::new(verifier.to_owned()));
        }
        let tokens = exchange
            .request_async(&self.http)
            .await
            .map_err(|e| SignOnError::Exchange(error_chain(&e)))?;
        let id_token = tokens.id_token().ok_or(SignOnError::NoIdToken)?;
        let clock = self.clock.clone();
        let required = self.settings.acr.clone();
        let verifier = client
            .id_token_verifier()
            .set_time_fn(move || clock.now())
            .set_auth_context_verifier_fn(move |acr: Option<&AuthenticationContextClass>| {
                if required.is_empty() {
                    return Ok(());
                }
                match acr {
                    Some(acr) if required.iter().any(|r| r == acr.as_str()) => Ok(()),
                    Some(acr) => Err(format!("acr {} is not one of {required:?}", acr.as_str())),
                    None => Err(format!("no acr, one of {required:?} required")),
                }
            });
        let claims = id_token
            .claims(&verifier, &Nonce::new(nonce.to_owned()))
            .map_err(SignOnError::IdToken)?;
        let subject = claims.subject().clone();
        let mut email = claims.email().map(|e| e.as_str().to_owned());
        let mut verified = claims.email_verified();
        if client.user_info_url().is_some() {
            let info: CoreUserInfoClaims = client
                .user_info(tokens.access_token().clone(), Some(subject.clone()))
                .map_err(|e| SignOnError::UserInfo(e.to_string()))?
                .request_async(&self.http)
                .await
                .map_err(|e| SignOnError::UserInfo(error_chain(&e)))?;
            if let Some(found) = info.email() {
                email = Some(found.as_str().to_owned());
                verified = info.email_verified().or(verified);
            }
        }
        let email = email
            .map(|e| e.trim().to_lowercase())
            .filter(|e| e.contains('@'))
            .ok_or(SignOnError::NoEmail)?;
        // ProConnect sends no `email_verified`: its identity providers vouch for the address.
        // A provider that says the address is unverified is believed.
        if verified == Some(false) {
            return Err(SignOnError::UnverifiedEmail);
        }
        Ok(SignedOn {
            email,
            subject: subject.as_str().to_owned(),
            id_token: id_token.to_string(),
            acr: claims.auth_context_ref().map(|acr| acr.as_str().to_owned()),
        })
    }

    /// The provider's logout URL for a session opened with `id_token`, if it has one.
    pub async fn logout_url(&self, id_token: &str) -> Option<String> {
        let metadata = self.metadata().await.ok()?;
        let endpoint = metadata
            .additional_metadata()
            .end_session_endpoint
            .clone()?;
        let mut url = endpoint.url().clone();
        url.query_pairs_mut()
            .append_pair("id_token_hint", id_token)
            .append_pair("state", CsrfToken::new_random().secret())
            .append_pair(
                "post_logout_redirect_uri",
                &self.settings.post_logout_redirect_url,
            );
        Some(url.to_string())
    }
}

type ConfiguredClient = CoreClient<
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

/// An error and its sources, on one line.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
