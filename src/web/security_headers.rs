//! Headers on every answer: a Content-Security-Policy that allows no inline script or style
//! and no framing (except indicator 4's open page, for the website's origins), no MIME
//! sniffing, no referrer (paths carry personal tokens), HSTS behind HTTPS.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web;

use super::AppState;

/// Everything but framing: pages load their one stylesheet from jalon and nothing else.
const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'";

/// The page the website may frame (indicator 4 without script).
fn frameable(path: &str) -> bool {
    path == "/o/i4" || path.starts_with("/o/i4/")
}

pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let framing = if frameable(req.path()) {
        state
            .as_ref()
            .map_or("frame-ancestors 'self'".to_owned(), |s| {
                s.widget.frame_ancestors.clone()
            })
    } else {
        "frame-ancestors 'none'".to_owned()
    };
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    // A handler may set a stricter-purpose policy of its own (the email preview's HTML part,
    // which needs inline styles and allows nothing else): it is kept.
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY)
        && let Ok(policy) = HeaderValue::from_str(&format!("{POLICY}; {framing}"))
    {
        headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if !framing.ends_with("'none'") {
        headers.remove(header::X_FRAME_OPTIONS);
    } else {
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    if state.is_some_and(|s| s.auth.secure_cookies) {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    headers.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    Ok(res)
}
