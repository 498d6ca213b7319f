//! The OpenAPI description: published, and naming exactly the JSON routes jalon serves.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::helpers::spawn_app;

/// `(METHOD, path)` of every `/api/v1/` route declared in `src/web/mod.rs`: each
/// `.route("/api/v1/…", web::get()…)`, and each `web::resource("…")` of a `web::scope("…")`.
fn declared_routes() -> BTreeSet<(String, String)> {
    let source = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/web/mod.rs"))
        .expect("src/web/mod.rs readable");
    let compact: String = source.chars().filter(|c| !c.is_whitespace()).collect();
    let literal = |s: &str| s.split('"').nth(1).map(str::to_owned);
    let method_after = |s: &str| {
        let at = s.find("web::")?;
        let rest = &s[at + 5..];
        let name = &rest[..rest.find("()")?];
        ["get", "post", "put", "patch", "delete"]
            .contains(&name)
            .then(|| name.to_uppercase())
    };
    let mut routes = BTreeSet::new();
    for piece in compact.split(".route(").skip(1) {
        if let (Some(path), Some(method)) = (literal(piece), method_after(piece))
            && path.starts_with("/api/v1/")
            && piece.starts_with('"')
        {
            routes.insert((method, path));
        }
    }
    for scope in compact.split("web::scope(").skip(1) {
        let Some(prefix) = literal(scope) else {
            continue;
        };
        for resource in scope.split("web::resource(").skip(1) {
            let Some(sub) = literal(resource) else {
                continue;
            };
            let Some(route) = resource.split(".route(").nth(1) else {
                continue;
            };
            if let Some(method) = method_after(route) {
                routes.insert((method, format!("{prefix}{sub}")));
            }
        }
    }
    routes
}

#[tokio::test]
async fn the_openapi_description_names_every_json_route_and_only_them() {
    let app = spawn_app().await;
    let response = app.get("/api/v1/openapi.json").await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let document: Value = response.json().await.unwrap();
    assert!(document["openapi"].as_str().unwrap().starts_with("3."));

    let mut documented = BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.insert((method.to_uppercase(), path.clone()));
        }
    }
    let declared = declared_routes();
    assert!(
        declared.len() >= 15,
        "routes found in src/web/mod.rs: {declared:?}"
    );
    assert_eq!(documented, declared);
}

#[tokio::test]
async fn every_operation_documents_its_errors_as_json() {
    let app = spawn_app().await;
    let document: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap();
            assert!(
                responses.keys().any(|s| s.starts_with('2')),
                "{method} {path}: no success status"
            );
            if operation.get("requestBody").is_some() {
                for status in ["400", "413"] {
                    assert!(
                        responses.contains_key(status),
                        "{method} {path}: {status} undocumented"
                    );
                }
            }
            for (status, response) in responses.iter().filter(|(s, _)| !s.starts_with('2')) {
                let reference = response["$ref"]
                    .as_str()
                    .map(|r| r.trim_start_matches("#/components/responses/").to_owned());
                let response = match &reference {
                    Some(name) => &document["components"]["responses"][name],
                    None => response,
                };
                let schema = response["content"]["application/json"]["schema"]["$ref"]
                    .as_str()
                    .unwrap_or_default();
                assert!(
                    schema.ends_with("/Error") || schema.ends_with("/ValidationError"),
                    "{method} {path} {status}: error body is not the JSON error"
                );
            }
        }
    }
}

#[tokio::test]
async fn a_json_route_asked_with_another_method_is_405_with_its_methods() {
    let app = spawn_app().await;
    let response = app
        .client
        .delete(app.url("/api/v1/waves/0b5e9a59-8c1f-4c5e-9d57-000000000000/roster"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "POST");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "method_not_allowed");

    let unknown = app.get("/api/v1/nothing-here").await;
    assert_eq!(unknown.status(), 404);
    let body: Value = unknown.json().await.unwrap();
    assert_eq!(body["error"], "not_found");
}
