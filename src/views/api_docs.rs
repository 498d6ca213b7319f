//! `GET /api`: the OpenAPI description of the JSON API as a page for people, built from the
//! generated document (`web::openapi`): every operation with its parameters, body and answers,
//! then every schema with its fields. No script: tables and links between them.

use maud::{Markup, html};
use serde_json::Value;

use super::layout::{self, table_scroll_named};

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// One operation of the document, as the page lists it.
struct Operation<'a> {
    method: String,
    path: &'a str,
    operation: &'a Value,
    /// Parameters of the path item, then of the operation.
    parameters: Vec<&'a Value>,
}

impl Operation<'_> {
    fn anchor(&self) -> String {
        let path: String = self
            .path
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        format!("op-{}{}", self.method.to_lowercase(), path)
    }

    fn secured(&self, document: &Value) -> bool {
        let security = self
            .operation
            .get("security")
            .or_else(|| document.get("security"));
        security
            .and_then(Value::as_array)
            .is_some_and(|requirements| !requirements.is_empty())
    }
}

fn operations(document: &Value) -> Vec<Operation<'_>> {
    let mut operations = Vec::new();
    let Some(paths) = document["paths"].as_object() else {
        return operations;
    };
    for (path, item) in paths {
        let shared: Vec<&Value> = item["parameters"]
            .as_array()
            .map(|p| p.iter().collect())
            .unwrap_or_default();
        for method in METHODS {
            let Some(operation) = item.get(method) else {
                continue;
            };
            let mut parameters = shared.clone();
            if let Some(own) = operation["parameters"].as_array() {
                parameters.extend(own);
            }
            operations.push(Operation {
                method: method.to_uppercase(),
                path,
                operation,
                parameters,
            });
        }
    }
    operations
}

/// The page, from the generated document.
pub fn page_of(document: &Value) -> Markup {
    let title = "L’API JSON de jalon";
    let operations = operations(document);
    let schemas = document["components"]["schemas"].as_object();
    let version = document["openapi"].as_str().unwrap_or_default();
    layout::page(
        title,
        html! {
            h1 { (title) }
            @if let Some(description) = document["info"]["description"].as_str() {
                p.lead { (prose(description)) }
            }
            p {
                "La même description au format OpenAPI " (version) ", pour les programmes : "
                a href="/api/v1/openapi.json" { code { "/api/v1/openapi.json" } }
                "."
            }
            h2 { "Authentification" }
            @if let Some(schemes) = document["components"]["securitySchemes"].as_object() {
                @for (name, scheme) in schemes {
                    p {
                        "Les opérations marquées « jeton » demandent l’en-tête "
                        code { "Authorization: Bearer …" }
                        " (schéma " code { (name) } ")"
                        @if let Some(description) = scheme["description"].as_str() {
                            " : " (prose(description.trim_end_matches('.')))
                        }
                        "."
                    }
                }
            }
            h2 { "Opérations" }
            (table_scroll_named("Liste des opérations", html! {
                table {
                    caption { "Les " (operations.len()) " opérations" }
                    thead { tr {
                        th scope="col" { "Méthode" }
                        th scope="col" { "Chemin" }
                        th scope="col" { "Résumé" }
                        th scope="col" { "Accès" }
                    } }
                    tbody {
                        @for op in &operations {
                            tr {
                                td { (op.method) }
                                th scope="row" { a href={ "#" (op.anchor()) } { code { (op.path) } } }
                                td { (op.operation["summary"].as_str().unwrap_or_default()) }
                                td { @if op.secured(document) { "jeton" } @else { "ouvert" } }
                            }
                        }
                    }
                }
            }))
            @for op in &operations {
                (operation_section(document, op))
            }
            @if let Some(schemas) = schemas {
                h2 { "Schémas" }
                @for (name, schema) in schemas {
                    (schema_section(name, schema))
                }
            }
        },
    )
}

/// The page, from the generated `utoipa` value.
pub fn page(openapi: &utoipa::openapi::OpenApi) -> Markup {
    let document = serde_json::to_value(openapi).unwrap_or_default();
    page_of(&document)
}

fn operation_section(document: &Value, op: &Operation<'_>) -> Markup {
    let name = format!("{} {}", op.method, op.path);
    html! {
        section aria-labelledby=(op.anchor()) {
            h3 id=(op.anchor()) { code { (name) } }
            @if let Some(summary) = op.operation["summary"].as_str() {
                p { (summary) }
            }
            @if let Some(description) = op.operation["description"].as_str() {
                p { (prose(description)) }
            }
            p {
                @if op.secured(document) {
                    "Accès : jeton (" code { "Authorization: Bearer …" } ") ; sans jeton valide 401, rôle insuffisant 403."
                } @else {
                    "Accès : ouvert, sans jeton."
                }
            }
            @if !op.parameters.is_empty() {
                h4 { "Paramètres" }
                (table_scroll_named(&format!("Paramètres de {name}"), html! {
                    table {
                        thead { tr {
                            th scope="col" { "Nom" }
                            th scope="col" { "Où" }
                            th scope="col" { "Obligatoire" }
                            th scope="col" { "Type" }
                            th scope="col" { "Description" }
                        } }
                        tbody {
                            @for parameter in &op.parameters {
                                tr {
                                    th scope="row" { code { (parameter["name"].as_str().unwrap_or_default()) } }
                                    td { (location(parameter["in"].as_str().unwrap_or_default())) }
                                    td { (yes_no(parameter["required"].as_bool().unwrap_or(false))) }
                                    td { (type_label(&parameter["schema"])) }
                                    td {
                                        (prose(parameter["description"].as_str().unwrap_or_default()))
                                        @if let Some(example) = parameter["example"].as_str().or(parameter["schema"]["example"].as_str()) {
                                            " Exemple : " code { (example) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }))
            }
            @if let Some(body) = op.operation.get("requestBody") {
                h4 { "Corps de la requête" }
                ul {
                    @for (media, content) in body["content"].as_object().into_iter().flatten() {
                        li { code { (media) } " : " (type_label(&content["schema"])) }
                    }
                }
                @if let Some(description) = body["description"].as_str() {
                    p { (prose(description)) }
                }
            }
            h4 { "Réponses" }
            (table_scroll_named(&format!("Réponses de {name}"), html! {
                table {
                    thead { tr {
                        th scope="col" { "Statut" }
                        th scope="col" { "Description" }
                        th scope="col" { "Corps" }
                    } }
                    tbody {
                        @for (status, response) in op.operation["responses"].as_object().into_iter().flatten() {
                            @let response = resolve(document, response);
                            tr {
                                th scope="row" { (status) }
                                td { (prose(response["description"].as_str().unwrap_or_default())) }
                                td {
                                    @for (media, content) in response["content"].as_object().into_iter().flatten() {
                                        code { (media) } " : " (type_label(&content["schema"])) " "
                                    }
                                }
                            }
                        }
                    }
                }
            }))
        }
    }
}

/// A `$ref` to a component response, followed.
fn resolve<'a>(document: &'a Value, value: &'a Value) -> &'a Value {
    match value["$ref"].as_str() {
        Some(reference) => {
            let name = reference.rsplit('/').next().unwrap_or_default();
            let kind = if reference.contains("/responses/") {
                "responses"
            } else {
                "schemas"
            };
            &document["components"][kind][name]
        }
        None => value,
    }
}

fn schema_section(name: &str, schema: &Value) -> Markup {
    let anchor = format!("schema-{name}");
    html! {
        section aria-labelledby=(anchor) {
            h3 id=(anchor) { code { (name) } }
            @if let Some(description) = schema["description"].as_str() {
                p { (prose(description)) }
            }
            (object_fields(name, schema))
        }
    }
}

/// The fields of an object schema as a table (those of `allOf` parts too), or its type.
fn object_fields(name: &str, schema: &Value) -> Markup {
    let mut fields: Vec<(&String, &Value, bool)> = Vec::new();
    let mut parts = vec![schema];
    parts.extend(schema["allOf"].as_array().into_iter().flatten());
    let mut others = Vec::new();
    for part in &parts {
        let required: Vec<&str> = part["required"]
            .as_array()
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        match part["properties"].as_object() {
            Some(properties) => {
                for (field, value) in properties {
                    fields.push((field, value, required.contains(&field.as_str())));
                }
            }
            None if !std::ptr::eq(*part, schema) => others.push(*part),
            None => {}
        }
    }
    html! {
        @if fields.is_empty() {
            p { "Type : " (type_label(schema)) }
        } @else {
            @if !others.is_empty() {
                p { "Avec les champs de : " @for other in &others { (type_label(other)) " " } }
            }
            (table_scroll_named(&format!("Champs de {name}"), html! {
                table {
                    thead { tr {
                        th scope="col" { "Champ" }
                        th scope="col" { "Type" }
                        th scope="col" { "Obligatoire" }
                        th scope="col" { "Description" }
                    } }
                    tbody {
                        @for (field, value, required) in &fields {
                            tr {
                                th scope="row" { code { (field) } }
                                td { (type_label(value)) }
                                td { (yes_no(*required)) }
                                td { (prose(value["description"].as_str().unwrap_or_default())) }
                            }
                        }
                    }
                }
            }))
            @if schema["additionalProperties"] == Value::Bool(false) {
                p { "Aucun autre champ n’est accepté." }
            }
        }
    }
}

/// A schema's type in a few words: a link to a named schema, a list of…, an enumeration, a
/// format, « ou null ».
fn type_label(schema: &Value) -> Markup {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.rsplit('/').next().unwrap_or_default();
        return html! { a href={ "#schema-" (name) } { (name) } };
    }
    for (key, word) in [("oneOf", " ou "), ("anyOf", " ou "), ("allOf", " et ")] {
        if let Some(parts) = schema[key].as_array() {
            return html! {
                @for (i, part) in parts.iter().enumerate() {
                    @if i > 0 { (word) }
                    (type_label(part))
                }
            };
        }
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let nullable = types.contains(&"null");
    let main: Vec<&str> = types.into_iter().filter(|t| *t != "null").collect();
    html! {
        @if main.is_empty() && !nullable {
            @if schema.get("additionalProperties").is_some() || schema.get("properties").is_some() {
                "objet"
            } @else {
                "toute valeur"
            }
        }
        @for (i, t) in main.iter().enumerate() {
            @if i > 0 { " ou " }
            @match *t {
                "array" => { "liste de " (type_label(&schema["items"])) }
                "object" => {
                    "objet"
                    @if let Some(values) = schema.get("additionalProperties").filter(|v| v.is_object()) {
                        " (clé → " (type_label(values)) ")"
                    }
                }
                "string" => "texte",
                "integer" => "entier",
                "number" => "nombre",
                "boolean" => "booléen",
                other => (other),
            }
        }
        @if let Some(format) = schema["format"].as_str() {
            " (" (format) ")"
        }
        @if let Some(pattern) = schema["pattern"].as_str() {
            ", motif " code { (pattern) }
        }
        @if let Some(minimum) = schema.get("minimum") {
            ", ≥ " (minimum)
        }
        @if let Some(maximum) = schema.get("maximum") {
            ", ≤ " (maximum)
        }
        @if let Some(values) = schema["enum"].as_array() {
            " parmi "
            @for (i, value) in values.iter().enumerate() {
                @if i > 0 { ", " }
                code { (value.as_str().map_or_else(|| value.to_string(), str::to_owned)) }
            }
        }
        @if nullable {
            @if main.is_empty() { "null" } @else { " ou null" }
        }
    }
}

fn location(place: &str) -> &str {
    match place {
        "path" => "chemin",
        "query" => "requête (query)",
        "header" => "en-tête",
        "cookie" => "cookie",
        other => other,
    }
}

fn yes_no(value: bool) -> &'static str {
    if value { "oui" } else { "non" }
}

/// A description as OpenAPI writes it (CommonMark): its `code spans` as code, the rest as
/// text, everything escaped. The descriptions use nothing else of Markdown.
fn prose(markdown: &str) -> Markup {
    html! {
        @for (index, part) in markdown.split('`').enumerate() {
            @if index % 2 == 1 { code { (part) } } @else { (part) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::prose;

    #[test]
    fn code_spans_become_code_and_everything_is_escaped() {
        assert_eq!(
            prose("Un jeton (`Authorization: Bearer <jeton>`) & rien d'autre").into_string(),
            "Un jeton (<code>Authorization: Bearer &lt;jeton&gt;</code>) &amp; rien d'autre"
        );
        assert_eq!(prose("sans code").into_string(), "sans code");
    }
}
