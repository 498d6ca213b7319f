//! `GET /widget.js`: the script the agency's website includes once.
//!
//! Built from `src/widget/widget.js` with indicator 4's question, options and comment field
//! taken from the questionnaire in use, so the dialog always asks what `i4.toml` (or the
//! version staff published since) says: built at start, and again when a new version of i4
//! is in use. Served with a strong ETag per encoding (identity and gzip are precomputed, so the
//! bytes behind an ETag never change) and `Cache-Control: public`; `If-None-Match` gives 304.

use std::io::Write;

use actix_web::http::header::{self, ContentEncoding, HeaderMap};
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::AppState;
use crate::catalog::Catalog;
use crate::domain::questionnaire::QuestionKind;
use crate::widget::QUESTIONNAIRE;

const SOURCE: &str = include_str!("../widget/widget.js");
const PLACEHOLDER: &str = "/*CONFIG*/null";
/// Browsers revalidate after an hour; the ETag makes that a 304.
const MAX_AGE: u32 = 3600;

#[derive(Debug, Clone)]
pub struct WidgetScript {
    /// The version of the widget's questionnaire it was built from.
    version: Option<String>,
    identity: Vec<u8>,
    identity_etag: String,
    gzip: Option<(Vec<u8>, String)>,
}

impl WidgetScript {
    pub fn build(catalog: &Catalog) -> Self {
        let config = dialog_config(catalog).to_string();
        // Compacted first, so that nothing in the questionnaire's texts is ever altered.
        let script = compact(SOURCE).replacen(PLACEHOLDER, &config, 1);
        let identity = script.into_bytes();
        let hash = Sha256::digest(&identity);
        let tag: String = hash[..12].iter().map(|b| format!("{b:02x}")).collect();
        let gzip = {
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            encoder
                .write_all(&identity)
                .and_then(|()| encoder.finish())
                .ok()
                .map(|bytes| (bytes, format!("\"{tag}-gz\"")))
        };
        Self {
            version: catalog.get(QUESTIONNAIRE).map(|l| l.version.clone()),
            identity,
            identity_etag: format!("\"{tag}\""),
            gzip,
        }
    }

    pub fn len(&self) -> usize {
        self.identity.len()
    }

    pub fn is_empty(&self) -> bool {
        self.identity.is_empty()
    }
}

/// What the dialog asks: the required scored question and the free comment of the widget's
/// questionnaire. `null` (no questionnaire): the script only counts downloads.
fn dialog_config(catalog: &Catalog) -> Value {
    let Some(loaded) = catalog.get(QUESTIONNAIRE) else {
        return Value::Null;
    };
    let definition = &loaded.definition;
    let Some(question) = definition
        .scored_questions()
        .find(|q| q.required && q.condition.is_none())
    else {
        return Value::Null;
    };
    let comment = definition.questions().find_map(|q| match q.kind {
        QuestionKind::Text { max_length, .. } if q.condition.is_none() => Some(json!({
            "name": q.id,
            "text": q.text,
            "help": q.help,
            "max": max_length,
        })),
        _ => None,
    });
    json!({
        "title": definition.title,
        "thanks": definition.thanks.as_deref().unwrap_or("Merci pour votre avis !"),
        "q": {
            "name": question.id,
            "text": question.text,
            "options": question
                .kind
                .options()
                .into_iter()
                .map(|o| [o.value, o.label])
                .collect::<Vec<_>>(),
        },
        "c": comment,
    })
}

/// Drops indentation and comments (but the placeholder): the source keeps them for people,
/// the browser gets fewer bytes. Safe for this script, whose strings hold no `/*` nor `//`
/// at the start of a line.
fn compact(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut in_comment = false;
    for line in source.lines() {
        let mut rest = line.trim();
        let mut kept = String::new();
        while !rest.is_empty() {
            if in_comment {
                match rest.find("*/") {
                    Some(end) => {
                        rest = &rest[end + 2..];
                        in_comment = false;
                    }
                    None => rest = "",
                }
            } else if rest.starts_with(PLACEHOLDER) {
                kept.push_str(PLACEHOLDER);
                rest = &rest[PLACEHOLDER.len()..];
            } else if rest.starts_with("/*") {
                in_comment = true;
                rest = &rest[2..];
            } else {
                let first = rest.chars().next().map_or(1, char::len_utf8);
                let next = rest[first..].find("/*").map_or(rest.len(), |i| i + first);
                kept.push_str(&rest[..next]);
                rest = &rest[next..];
            }
        }
        let kept = kept.trim();
        if kept.is_empty() || kept.starts_with("//") {
            continue;
        }
        out.push_str(kept);
        out.push('\n');
    }
    out
}

fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';').map(str::trim);
            let coding = parts.next().unwrap_or_default();
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
        })
}

/// `If-None-Match` (weak comparison, as RFC 9110 asks for it): `*` or one of the listed tags.
fn not_modified(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || tag.trim_start_matches("W/") == etag)
}

/// The script of the questionnaire version in use: rebuilt once when a new one is published.
#[derive(Debug)]
pub struct LiveWidgetScript(std::sync::RwLock<std::sync::Arc<WidgetScript>>);

impl LiveWidgetScript {
    pub fn new(catalog: &Catalog) -> Self {
        Self(std::sync::RwLock::new(std::sync::Arc::new(
            WidgetScript::build(catalog),
        )))
    }

    pub fn current(&self, catalog: &Catalog) -> std::sync::Arc<WidgetScript> {
        let in_use = catalog.get(QUESTIONNAIRE).map(|l| l.version.clone());
        let built = self
            .0
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        if built.version == in_use {
            return built;
        }
        let rebuilt = std::sync::Arc::new(WidgetScript::build(catalog));
        *self
            .0
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = rebuilt.clone();
        rebuilt
    }
}

pub async fn script(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let script = state.widget_script.current(&state.catalog);
    let (body, etag, encoding) = match &script.gzip {
        Some((bytes, etag)) if accepts_gzip(req.headers()) => {
            (bytes.as_slice(), etag.as_str(), ContentEncoding::Gzip)
        }
        _ => (
            script.identity.as_slice(),
            script.identity_etag.as_str(),
            ContentEncoding::Identity,
        ),
    };
    let unchanged = not_modified(req.headers(), etag);
    let mut response = if unchanged {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, format!("public, max-age={MAX_AGE}")))
        .insert_header((header::VARY, "Accept-Encoding"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"));
    if unchanged {
        return response.finish();
    }
    response
        // Set even for identity, so that the compression middleware leaves these bytes alone.
        .insert_header((header::CONTENT_ENCODING, encoding))
        .content_type("text/javascript; charset=utf-8")
        .body(body.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_is_small_and_carries_the_questionnaire() {
        let catalog = Catalog::load_dir(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/questionnaires"
        )))
        .unwrap();
        let script = WidgetScript::build(&catalog);
        let text = String::from_utf8(script.identity.clone()).unwrap();
        assert!(!text.contains(PLACEHOLDER));
        assert!(text.contains("\"tres_satisfait\""), "{text}");
        assert!(text.contains("\"commentaire\""));
        assert!(script.len() < 6 * 1024, "{} bytes", script.len());
        let (gz, etag) = script.gzip.clone().unwrap();
        assert!(gz.len() < 3 * 1024, "{} bytes gzipped", gz.len());
        assert_ne!(etag, script.identity_etag);
        // Without the questionnaire, the script only counts downloads.
        let bare = WidgetScript::build(&Catalog::default());
        assert!(
            String::from_utf8(bare.identity)
                .unwrap()
                .contains("var C = null;")
        );
    }

    #[test]
    fn compaction_drops_comments_and_indentation_only() {
        let source = "/* header\n   more */\n(function () {\n  // note\n  var a = 1; /* why */ var b = \"x\";\n  var C = /*CONFIG*/null;\n  «» + 1;\n})();\n";
        assert_eq!(
            compact(source),
            "(function () {\nvar a = 1;  var b = \"x\";\nvar C = /*CONFIG*/null;\n«» + 1;\n})();\n"
        );
    }

    #[test]
    fn encodings_and_validators_are_negotiated() {
        let headers = |pairs: &[(&'static str, &'static str)]| {
            let mut map = HeaderMap::new();
            for (k, v) in pairs {
                map.append(
                    header::HeaderName::from_static(k),
                    header::HeaderValue::from_static(v),
                );
            }
            map
        };
        assert!(accepts_gzip(&headers(&[(
            "accept-encoding",
            "gzip, deflate, br"
        )])));
        assert!(accepts_gzip(&headers(&[(
            "accept-encoding",
            "br;q=1, *;q=0.5"
        )])));
        assert!(!accepts_gzip(&headers(&[("accept-encoding", "gzip;q=0")])));
        assert!(!accepts_gzip(&headers(&[("accept-encoding", "identity")])));
        assert!(!accepts_gzip(&headers(&[])));
        assert!(not_modified(
            &headers(&[("if-none-match", "\"a\", \"b\"")]),
            "\"b\""
        ));
        assert!(not_modified(
            &headers(&[("if-none-match", "W/\"b\"")]),
            "\"b\""
        ));
        assert!(not_modified(&headers(&[("if-none-match", "*")]), "\"b\""));
        assert!(!not_modified(
            &headers(&[("if-none-match", "\"a\"")]),
            "\"b\""
        ));
        assert!(!not_modified(&headers(&[]), "\"b\""));
    }
}
