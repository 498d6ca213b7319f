//! Who may call which route: the one table the guard (`super::guard`) reads. A route is public
//! by its prefix, or listed here with what it requires; a route in neither place is refused
//! to all but admins, so a route added without thought is closed, not open.

use actix_web::http::Method;

use crate::domain::staff::Permission;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Public,
    Staff(Permission),
}

/// Routes anyone may call (the front door, respondents, the website's widget, probes,
/// signing in). `/` is exact, never a prefix: it would open every route.
/// The API's description (`/api/v1/openapi.json`, and `/api` for people) describes routes and
/// holds no data.
const PUBLIC_EXACT: &[&str] = &[
    "/",
    "/healthz",
    "/widget.js",
    "/connexion",
    "/connexion/oidc",
    "/connexion/oidc/retour",
    "/favicon.ico",
    "/api",
    "/api/v1/openapi.json",
    // The definition in use only: the draft and its pilot, under the same path, are staff's.
    "/api/v1/questionnaires/{code}",
];
const PUBLIC_PREFIXES: &[&str] = &[
    "/r/",
    "/o/",
    "/desinscription/",
    "/confidentialite/",
    "/static/",
    "/api/v1/public/",
    "/api/v1/responses/",
    "/pilote/",
];

/// Every staff route, with what it requires.
pub const STAFF_ROUTES: &[(&str, &str, Permission)] = {
    use Permission::*;
    &[
        ("POST", "/deconnexion", Staff),
        ("GET", "/api/v1/entities", Staff),
        ("POST", "/api/v1/interventions", Register),
        ("POST", "/api/v1/coproductions", Register),
        ("POST", "/api/v1/waves", RegisterWaves),
        ("POST", "/api/v1/waves/{id}/roster", RegisterWaves),
        ("GET", "/api/v1/indicators", ReadResults),
        ("GET", "/api/v1/campaigns/{id}/results", ReadResults),
        ("GET", "/api/v1/campaigns/{id}/comments", ReadResults),
        ("GET", "/api/v1/widget/resources", ReadResults),
        ("GET", "/api/v1/widget/comments", ReadResults),
        ("POST", "/api/v1/comments/{response_id}/hide", Admin),
        ("GET", "/tableau-de-bord", ReadResults),
        ("GET", "/tableau-de-bord/ressources", ReadResults),
        (
            "POST",
            "/tableau-de-bord/commentaires/{response_id}/masquer",
            Admin,
        ),
        ("GET", "/tableau-de-bord/campagnes/{id}", ReadResults),
        ("GET", "/tableau-de-bord/entites/{code}", ReadEntityResults),
        ("GET", "/tableau-de-bord/fiches/{code}", ReadResults),
        ("GET", "/exports/campagnes/{id}/reponses.csv", ReadResults),
        ("GET", "/exports/campagnes/{id}/codebook", ReadResults),
        ("GET", "/exports/campagnes/{id}/{file}", ReadResults),
        ("GET", "/exports/indicateurs.xlsx", ReadResults),
        ("GET", "/exports/ressources.csv", ReadResults),
        ("GET", "/admin", Admin),
        ("GET", "/admin/journal", Admin),
        ("GET", "/admin/comptes", Admin),
        ("POST", "/admin/comptes", Admin),
        ("POST", "/admin/comptes/{id}/suppression", Admin),
        ("POST", "/admin/jetons/{id}/revocation", Admin),
        (
            "GET",
            "/api/v1/questionnaires/{code}/draft",
            EditQuestionnaires,
        ),
        (
            "PUT",
            "/api/v1/questionnaires/{code}/draft",
            EditQuestionnaires,
        ),
        (
            "GET",
            "/api/v1/questionnaires/{code}/draft/emails",
            EditQuestionnaires,
        ),
        (
            "PUT",
            "/api/v1/questionnaires/{code}/draft/emails",
            EditQuestionnaires,
        ),
        (
            "POST",
            "/api/v1/questionnaires/{code}/draft/pilot-links",
            EditQuestionnaires,
        ),
        (
            "GET",
            "/api/v1/questionnaires/{code}/draft/pilot-results",
            EditQuestionnaires,
        ),
        (
            "DELETE",
            "/api/v1/questionnaires/{code}/draft/pilot-results",
            EditQuestionnaires,
        ),
        (
            "POST",
            "/api/v1/questionnaires/{code}/publish",
            EditQuestionnaires,
        ),
        ("GET", "/admin/questionnaires", EditQuestionnaires),
        (
            "GET",
            "/admin/questionnaires/{code}/apercu",
            EditQuestionnaires,
        ),
        (
            "POST",
            "/admin/questionnaires/{code}/apercu",
            EditQuestionnaires,
        ),
        (
            "GET",
            "/admin/questionnaires/{code}/edition",
            EditQuestionnaires,
        ),
        (
            "POST",
            "/admin/questionnaires/{code}/edition",
            EditQuestionnaires,
        ),
        (
            "GET",
            "/admin/questionnaires/{code}/edition/apercu",
            EditQuestionnaires,
        ),
        (
            "POST",
            "/admin/questionnaires/{code}/edition/apercu",
            EditQuestionnaires,
        ),
        (
            "GET",
            "/admin/questionnaires/{code}/edition/email",
            EditQuestionnaires,
        ),
        (
            "POST",
            "/admin/questionnaires/{code}/publication",
            EditQuestionnaires,
        ),
        (
            "GET",
            "/admin/questionnaires/{code}/pilote",
            EditQuestionnaires,
        ),
        (
            "POST",
            "/admin/questionnaires/{code}/pilote/liens",
            EditQuestionnaires,
        ),
        (
            "POST",
            "/admin/questionnaires/{code}/pilote/effacement",
            EditQuestionnaires,
        ),
        ("GET", "/admin/questionnaires/{code}/email", Admin),
        ("GET", "/admin/questionnaires/{code}/email.html", Admin),
        ("POST", "/admin/questionnaires/{code}/email/essai", Admin),
        ("GET", "/admin/enregistrements", Admin),
        ("POST", "/admin/enregistrements/intervention", Admin),
        ("POST", "/admin/enregistrements/coproduction", Admin),
        ("POST", "/admin/enregistrements/vague", Admin),
        ("GET", "/admin/imports", Admin),
        ("POST", "/admin/imports", Admin),
        ("GET", "/admin/campagnes", Admin),
        ("GET", "/admin/campagnes/{id}", Admin),
        ("POST", "/admin/campagnes/{id}/suspension", Admin),
        ("POST", "/admin/campagnes/{id}/reprise", Admin),
        ("POST", "/admin/campagnes/{id}/cloture", Admin),
        ("POST", "/admin/invitations/{id}/annulation", Admin),
        ("POST", "/admin/invitations/{id}/adresse", Admin),
        ("GET", "/admin/contacts", Admin),
        ("GET", "/admin/contacts/export", Admin),
        ("POST", "/admin/contacts/desinscription", Admin),
        ("POST", "/admin/contacts/effacement", Admin),
    ]
};

/// What calling `method` on the route `pattern` requires.
pub fn of(method: &Method, pattern: &str) -> Access {
    if PUBLIC_EXACT.contains(&pattern) || PUBLIC_PREFIXES.iter().any(|p| pattern.starts_with(p)) {
        return Access::Public;
    }
    let method = if method == Method::HEAD {
        "GET"
    } else {
        method.as_str()
    };
    STAFF_ROUTES
        .iter()
        .find(|(m, p, _)| *m == method && *p == pattern)
        .map_or(Access::Staff(Permission::Admin), |(_, _, permission)| {
            Access::Staff(*permission)
        })
}

/// Whether a request path is public before any routing: paths under a public prefix can
/// only match public routes (their first segments are those of the prefix). The guard uses
/// it to let the busiest routes (the widget's, respondents') through without matching.
pub fn is_public_path(path: &str) -> bool {
    PUBLIC_PREFIXES.iter().any(|p| path.starts_with(p))
}

/// Programs get JSON (401 without credentials); people get pages (303 to the sign-in page).
pub fn is_api(pattern: &str) -> bool {
    pattern.starts_with("/api/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_routes_are_public_and_unknown_ones_admin_only() {
        assert_eq!(of(&Method::GET, "/r/{token}"), Access::Public);
        assert_eq!(of(&Method::POST, "/api/v1/public/ratings"), Access::Public);
        assert_eq!(of(&Method::GET, "/healthz"), Access::Public);
        assert_eq!(of(&Method::GET, "/"), Access::Public);
        assert_eq!(
            of(&Method::GET, "/healthzz"),
            Access::Staff(Permission::Admin)
        );
        assert_eq!(
            of(&Method::HEAD, "/tableau-de-bord"),
            Access::Staff(Permission::ReadResults)
        );
        assert_eq!(
            of(&Method::DELETE, "/tableau-de-bord"),
            Access::Staff(Permission::Admin)
        );
        assert_eq!(
            of(&Method::GET, "/admin/nouveau"),
            Access::Staff(Permission::Admin)
        );
        assert!(is_public_path("/api/v1/public/downloads"));
        assert!(!is_public_path("/api/v1/publicity"));
    }

    /// Every `.route("…", web::…())` of `web/mod.rs` is public or in the table: a route added
    /// without a line here would still be refused to all but admins, but would go untested.
    #[test]
    fn every_registered_route_is_public_or_listed() {
        let source = include_str!("mod.rs");
        let mut found = 0;
        for piece in source.split(".route(").skip(1) {
            // `.route(web::post()…)` of a resource has its path elsewhere (public scope).
            if !piece.trim_start().starts_with('"') {
                continue;
            }
            let Some(path) = piece.split('"').nth(1) else {
                continue;
            };
            let method = ["get", "post", "put", "patch", "delete"]
                .into_iter()
                .find(|m| piece.contains(&format!("web::{m}()")))
                .map(|m| m.to_ascii_uppercase());
            let Some(method) = method else { continue };
            found += 1;
            let parsed = Method::from_bytes(method.as_bytes()).unwrap_or(Method::GET);
            let public = matches!(of(&parsed, path), Access::Public);
            let listed = STAFF_ROUTES
                .iter()
                .any(|(m, p, _)| *m == method && *p == path);
            assert!(
                public || listed,
                "{method} {path} is neither public nor listed"
            );
        }
        assert!(found > 30, "only {found} routes read");
    }
}
