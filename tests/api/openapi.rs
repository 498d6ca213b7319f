//! The OpenAPI description: published, and naming exactly the JSON routes jalon serves.

use std::collections::BTreeSet;

use serde_json::{Value, json};

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

/// The document, fetched without credentials (it is public), checked to be OpenAPI 3.
async fn public_document(app: &crate::helpers::TestApp) -> Value {
    let response = app
        .anonymous_client()
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let text = response.text().await.unwrap();
    let spec = oas3::from_json(&text).expect("a valid OpenAPI 3 document");
    assert!(spec.openapi.starts_with("3."), "version {}", spec.openapi);
    assert!(spec.operations().count() >= 15);
    serde_json::from_str(&text).unwrap()
}

const METHODS: [&str; 5] = ["get", "put", "post", "delete", "patch"];

/// `(METHOD, path, operation)` of every documented operation.
fn operations(document: &Value) -> Vec<(String, String, &Value)> {
    let mut operations = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            if METHODS.contains(&method.as_str()) {
                operations.push((method.to_uppercase(), path.clone(), operation));
            }
        }
    }
    operations
}

#[tokio::test]
async fn the_openapi_description_names_every_json_route_and_only_them() {
    let app = spawn_app().await;
    let document = public_document(&app).await;
    let documented: BTreeSet<(String, String)> = operations(&document)
        .into_iter()
        .map(|(method, path, _)| (method, path))
        .collect();
    let declared = declared_routes();
    assert!(
        declared.len() >= 15,
        "routes found in src/web/mod.rs: {declared:?}"
    );
    assert_eq!(documented, declared);
}

/// Every operation of a staff route (`STAFF_ROUTES`) declares the bearer token and its 401
/// and 403; every other operation is open and declares none.
#[tokio::test]
async fn every_operation_that_needs_a_token_declares_it() {
    let app = spawn_app().await;
    let document = public_document(&app).await;
    assert_eq!(
        document["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    for (method, path, operation) in operations(&document) {
        let staff = jalon::web::STAFF_ROUTES
            .iter()
            .any(|(m, p, _)| *m == method && *p == path);
        let security = operation["security"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let responses = operation["responses"].as_object().unwrap();
        if staff {
            assert_eq!(
                security,
                vec![json!({ "bearer": [] })],
                "{method} {path}: no bearer security"
            );
            for status in ["401", "403"] {
                assert!(
                    responses.contains_key(status),
                    "{method} {path}: {status} undocumented"
                );
            }
        } else {
            assert!(security.is_empty(), "{method} {path} is open: no security");
            assert!(
                !responses.contains_key("401"),
                "{method} {path} is open: no 401"
            );
        }
    }
}

#[tokio::test]
async fn every_operation_documents_its_errors_as_json() {
    let app = spawn_app().await;
    let document = public_document(&app).await;
    for (method, path, operation) in operations(&document) {
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
            let expected = if status == "422" {
                "#/components/schemas/ValidationError"
            } else if status == "409" && path.ends_with("/publish") {
                // The JSON error with the reasons of the refusal.
                "#/components/schemas/PublicationRefused"
            } else {
                "#/components/schemas/Error"
            };
            assert_eq!(
                schema, expected,
                "{method} {path} {status}: error body is not the JSON error"
            );
        }
    }
    // The error codes are an enumeration: a program can branch on them.
    let codes = document["components"]["schemas"]["ErrorCode"]["enum"]
        .as_array()
        .unwrap();
    for code in [
        "not_found",
        "validation",
        "unauthorized",
        "method_not_allowed",
    ] {
        assert!(codes.contains(&json!(code)), "{code} missing");
    }
}

/// The operations, one a line: method, path, operation id, access, statuses. A change of
/// the API shows here first.
#[tokio::test]
async fn the_list_of_operations_is_as_recorded() {
    let app = spawn_app().await;
    let document = public_document(&app).await;
    let lines: Vec<String> = operations(&document)
        .into_iter()
        .map(|(method, path, operation)| {
            let access = if operation.get("security").is_some() {
                "bearer"
            } else {
                "open"
            };
            let statuses: Vec<&String> =
                operation["responses"].as_object().unwrap().keys().collect();
            let body = operation["requestBody"]["content"]
                .as_object()
                .map(|content| {
                    let media: Vec<&String> = content.keys().collect();
                    let schema = content.values().next().unwrap()["schema"].to_string();
                    format!(" body={schema} {media:?}")
                })
                .unwrap_or_default();
            format!(
                "{method} {path} {} {access} {statuses:?}{body}",
                operation["operationId"].as_str().unwrap()
            )
        })
        .collect();
    insta::assert_snapshot!("openapi_operations", lines.join("\n"));
    let schemas: Vec<&String> = document["components"]["schemas"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    insta::assert_debug_snapshot!("openapi_schemas", schemas);
}

/// `GET /api`: the page for people, public, lists every operation with its summary and
/// every schema, without a script.
#[tokio::test]
async fn the_page_for_people_lists_every_operation() {
    let app = spawn_app().await;
    let document = public_document(&app).await;
    let response = app
        .anonymous_client()
        .get(app.url("/api"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = response.text().await.unwrap();
    assert!(html.contains("<html lang=\"fr\""));
    assert!(!html.contains("<script"));
    assert!(html.contains("<h1>"));
    for (method, path, operation) in operations(&document) {
        assert!(
            html.contains(&format!("<code>{method} {path}</code>")),
            "{method} {path} missing"
        );
        let summary = operation["summary"]
            .as_str()
            .unwrap()
            .replace('\'', "&#39;");
        assert!(html.contains(&summary), "{method} {path}: summary missing");
        for parameter in operation["parameters"].as_array().into_iter().flatten() {
            let name = parameter["name"].as_str().unwrap();
            assert!(
                html.contains(&format!("<code>{name}</code>")),
                "{method} {path}: parameter {name} missing"
            );
        }
    }
    for schema in document["components"]["schemas"]
        .as_object()
        .unwrap()
        .keys()
    {
        assert!(
            html.contains(&format!("id=\"schema-{schema}\"")),
            "schema {schema} missing"
        );
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
