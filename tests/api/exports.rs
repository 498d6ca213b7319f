//! Exports: CSV of responses (BOM, `;` or `,`), aggregated only for anonymous
//! questionnaires, and the XLSX workbook read back with calamine. Snapshots have their
//! volatile parts (ids, version hashes) redacted.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use jalon::domain::QuestionnaireCode;
use jalon::store;
use serde_json::json;

use crate::datasets;
use crate::helpers::{TestApp, encode, spawn_app};

const BOM: &str = "\u{feff}";

async fn download(app: &TestApp, path: &str) -> (String, Vec<u8>) {
    let response = app.get(path).await;
    assert_eq!(response.status(), 200, "{path}");
    assert_eq!(response.headers()["cache-control"], "no-store");
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.starts_with("attachment; filename="),
        "{disposition}"
    );
    (disposition, response.bytes().await.unwrap().to_vec())
}

async fn campaign_id(app: &TestApp, code: QuestionnaireCode, label: &str) -> uuid::Uuid {
    store::campaigns::find(&app.db, code, label)
        .await
        .unwrap()
        .unwrap()
        .id
}

/// Replaces UUIDs and version hashes, and sorts the data rows (stored in id order, which is
/// random), so the snapshot is stable.
fn redacted(csv: &str) -> String {
    let text = redact_ids(csv);
    let mut lines: Vec<&str> = text.lines().collect();
    if lines.len() > 1 {
        lines[1..].sort_unstable();
    }
    lines.join("\n")
}

/// Every UUID becomes `[id]`, every cell of exactly 12 hex digits (a version) `[version]`.
fn redact_ids(text: &str) -> String {
    let bytes = text.as_bytes();
    let hex = |b: u8| b.is_ascii_hexdigit();
    let boundary = |i: Option<usize>| {
        i.is_none_or(|i| matches!(bytes.get(i), None | Some(b';' | b',' | b'\n' | b'\r')))
    };
    let is_uuid = |i: usize| {
        bytes.len() >= i + 36
            && (0..36).all(|k| match k {
                8 | 13 | 18 | 23 => bytes[i + k] == b'-',
                _ => hex(bytes[i + k]),
            })
    };
    let is_version = |i: usize| {
        bytes.len() >= i + 12
            && (0..12).all(|k| hex(bytes[i + k]))
            && boundary(i.checked_sub(1))
            && boundary(Some(i + 12))
    };
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        if is_uuid(i) {
            out.push_str("[id]");
            i += 36;
        } else if is_version(i) {
            out.push_str("[version]");
            i += 12;
        } else {
            let c = text[i..].chars().next().unwrap_or_default();
            out.push(c);
            i += c.len_utf8().max(1);
        }
    }
    out
}

#[tokio::test]
async fn the_csv_of_responses_opens_in_french_excel() {
    let app = spawn_app().await;
    datasets::indicator_3_1(&app).await;
    let id = campaign_id(&app, QuestionnaireCode::I3_1, "2026").await;
    let (disposition, bytes) =
        download(&app, &format!("/exports/campagnes/{id}/reponses.csv")).await;
    assert!(disposition.contains("reponses-i3-1-2026.csv"));
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.starts_with(BOM), "UTF-8 byte-order mark for Excel");
    let text = text.trim_start_matches(BOM);
    let header = text.lines().next().unwrap();
    assert!(header.starts_with("réponse;date;version;Entreprise;Entité du réseau;Région;"));
    assert_eq!(
        text.lines().count(),
        1 + 5,
        "a header and the 5 responses of 2026"
    );
    assert!(!text.contains("@example.org"), "no email");
    insta::assert_snapshot!("responses_csv_i3_1", redacted(text));

    let (_, comma) = download(&app, &format!("/exports/campagnes/{id}/reponses.csv?sep=,")).await;
    let comma = String::from_utf8(comma).unwrap();
    assert!(comma.starts_with(BOM));
    assert!(
        comma
            .trim_start_matches(BOM)
            .starts_with("réponse,date,version,")
    );
}

#[tokio::test]
async fn an_anonymous_campaign_exports_counts_never_rows() {
    let app = spawn_app().await;
    datasets::indicator_6(&app).await;
    let id = campaign_id(&app, QuestionnaireCode::I6, "2026").await;
    let (disposition, bytes) =
        download(&app, &format!("/exports/campagnes/{id}/reponses.csv")).await;
    assert!(disposition.contains("repartitions-i6-2026.csv"));
    let text = String::from_utf8(bytes).unwrap();
    let text = text.trim_start_matches(BOM);
    assert!(
        !text.contains("Bretagne") && !text.contains("salaries"),
        "no attribute"
    );
    assert_eq!(redact_ids(text), text, "no identifier of any kind");
    assert!(text.contains("perception_globale;"));
    insta::assert_snapshot!("aggregated_csv_i6", text);

    // Below the threshold: the header only.
    datasets::indicator_7_below_threshold(&app).await;
    let id = campaign_id(&app, QuestionnaireCode::I7, "2026").await;
    let (_, bytes) = download(&app, &format!("/exports/campagnes/{id}/reponses.csv")).await;
    let text = String::from_utf8(bytes).unwrap();
    assert_eq!(text.trim_start_matches(BOM).lines().count(), 1);
}

fn cell(range: &calamine::Range<Data>, row: usize, col: usize) -> Data {
    range.get((row, col)).cloned().unwrap_or(Data::Empty)
}

#[tokio::test]
async fn the_workbook_has_a_sheet_per_indicator_and_the_raw_responses() {
    let app = spawn_app().await;
    datasets::indicator_3_1(&app).await;
    datasets::indicator_6(&app).await;
    let (disposition, bytes) = download(&app, "/exports/indicateurs.xlsx?annee=2026").await;
    assert!(disposition.contains("indicateurs-2026.xlsx"));
    let mut workbook: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    assert_eq!(
        workbook.sheet_names(),
        [
            "Synthèse",
            "Indicateur 3.1",
            "Indicateur 3.2",
            "Indicateur 4",
            "Indicateur 6",
            "Indicateur 7",
            "Réponses",
            "Indicateur 4 par ressource"
        ]
    );
    let summary = workbook.worksheet_range("Synthèse").unwrap();
    assert_eq!(cell(&summary, 1, 0), Data::String("i3.1".into()));
    let Data::Float(value) = cell(&summary, 1, 3) else {
        panic!("3.1 value")
    };
    assert!((value - 9.0 / 26.0).abs() < 1e-12);
    let Data::Float(value) = cell(&summary, 4, 3) else {
        panic!("6 value")
    };
    assert!((value - 721.0 / 840.0).abs() < 1e-12);
    assert_eq!(cell(&summary, 4, 6), Data::Float(15.0));

    let i31 = workbook.worksheet_range("Indicateur 3.1").unwrap();
    assert_eq!(cell(&i31, 5, 0), Data::String("outils_compris".into()));
    assert_eq!(cell(&i31, 5, 2), Data::Float(2.0));
    assert_eq!(cell(&i31, 5, 3), Data::Float(3.0));

    let raw = workbook.worksheet_range("Réponses").unwrap();
    let rows: Vec<String> = raw
        .rows()
        .skip(1)
        .map(|r| r.first().map(|c| c.to_string()).unwrap_or_default())
        .filter(|s| !s.is_empty())
        .collect();
    assert_eq!(
        rows.iter().filter(|c| *c == "i3.1").count(),
        5,
        "the 2026 responses of 3.1, by year of sending"
    );
    assert!(
        !rows.iter().any(|c| c == "i6"),
        "no row of an anonymous questionnaire"
    );
    let everything: String = raw.rows().flatten().map(|c| c.to_string()).collect();
    assert!(!everything.contains("@example.org"));
}

/// The issue's payload: a live link once a spreadsheet evaluates it.
const HYPERLINK: &str = r#"=HYPERLINK("http://evil.example.com","cliquez")"#;

/// Comments a website visitor types on the open questionnaire (i4), each starting as a
/// formula but the last.
const VISITOR_COMMENTS: [&str; 5] = [
    HYPERLINK,
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "+33 6 12 34 56 78",
    "-2+3+cmd|' /C calc'!A0",
    "Très utile, merci.",
];

/// A company name with a leading tab: answers are trimmed when stored, attributes that come
/// with an invitation are not.
const TAB_COMPANY: &str = "\t=1+1";

/// The visitor comments on i4, and an i3.1 response from a `TAB_COMPANY` invitation whose
/// comment is `HYPERLINK`.
async fn formulas_typed_by_people(app: &TestApp) {
    for comment in VISITOR_COMMENTS {
        let body = encode(&[
            ("satisfaction".to_owned(), "tres_satisfait".to_owned()),
            ("commentaire".to_owned(), comment.to_owned()),
        ]);
        assert_eq!(
            app.post_form("/o/i4", body).await.status(),
            303,
            "{comment}"
        );
    }
    let code = QuestionnaireCode::I3_1;
    datasets::respond(
        app,
        code,
        "2026",
        json!({ "company": TAB_COMPANY, "entity": "aract-bretagne", "region": "Bretagne" }),
        datasets::at("2026-02-02T08:00:00Z"),
        datasets::answers(
            app,
            code,
            "tout_a_fait_d_accord",
            &[("commentaire", json!(HYPERLINK))],
        ),
    )
    .await;
}

/// The cells of the column titled `title`, as a spreadsheet program's CSV reader sees them.
fn csv_column(bytes: &[u8], separator: u8, title: &str) -> Vec<String> {
    let body = bytes
        .strip_prefix(BOM.as_bytes())
        .expect("a byte-order mark");
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(separator)
        .from_reader(body);
    let index = reader
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == title)
        .unwrap_or_else(|| panic!("no column {title}"));
    reader
        .records()
        .map(|record| record.unwrap()[index].to_owned())
        .collect()
}

#[tokio::test]
async fn formulas_people_typed_come_out_of_the_csv_exports_as_text() {
    let app = spawn_app().await;
    formulas_typed_by_people(&app).await;

    let i4 = campaign_id(&app, QuestionnaireCode::I4, "2026").await;
    for (query, separator) in [("", b';'), ("?sep=,", b',')] {
        let (_, bytes) = download(
            &app,
            &format!("/exports/campagnes/{i4}/reponses.csv{query}"),
        )
        .await;
        let mut comments = csv_column(&bytes, separator, "commentaire");
        comments.sort();
        let mut expected = vec![
            r#"'=HYPERLINK("http://evil.example.com","cliquez")"#,
            "'@SUM(1+1)*cmd|' /C calc'!A0",
            "'+33 6 12 34 56 78",
            "'-2+3+cmd|' /C calc'!A0",
            "Très utile, merci.",
        ];
        expected.sort();
        assert_eq!(comments, expected, "{query}");
        // Cells jalon writes itself are as they were.
        assert!(
            csv_column(&bytes, separator, "date")
                .iter()
                .all(|d| d == "2026-03-16")
        );
    }

    let i31 = campaign_id(&app, QuestionnaireCode::I3_1, "2026").await;
    let (_, bytes) = download(&app, &format!("/exports/campagnes/{i31}/reponses.csv")).await;
    assert_eq!(csv_column(&bytes, b';', "Entreprise"), ["'\t=1+1"]);
    assert_eq!(
        csv_column(&bytes, b';', "commentaire"),
        [format!("'{HYPERLINK}")]
    );
}

#[tokio::test]
async fn formulas_people_typed_are_string_cells_in_the_workbook() {
    let app = spawn_app().await;
    formulas_typed_by_people(&app).await;
    let (_, bytes) = download(&app, "/exports/indicateurs.xlsx?annee=2026").await;
    let mut workbook: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    let raw = workbook.worksheet_range("Réponses").unwrap();
    let column = |title: &str| {
        let header: Vec<String> = raw
            .rows()
            .next()
            .unwrap()
            .iter()
            .map(|c| c.to_string())
            .collect();
        header
            .iter()
            .position(|h| h == title)
            .unwrap_or_else(|| panic!("no column {title}: {header:?}"))
    };
    let cells_of = |code: &str, title: &str| -> Vec<Data> {
        let col = column(title);
        raw.rows()
            .skip(1)
            .filter(|r| r.first() == Some(&Data::String(code.to_owned())))
            .map(|r| r.get(col).cloned().unwrap_or(Data::Empty))
            .collect()
    };
    // A string cell is never evaluated: the text is kept as typed, no quote added.
    let mut comments = cells_of("i4", "i4 · commentaire");
    comments.sort_by_key(|c| c.to_string());
    let mut expected: Vec<Data> = VISITOR_COMMENTS
        .iter()
        .map(|c| Data::String((*c).to_owned()))
        .collect();
    expected.sort_by_key(|c| c.to_string());
    assert_eq!(comments, expected);
    assert_eq!(
        cells_of("i3.1", "i3.1 · Entreprise"),
        [Data::String(TAB_COMPANY.to_owned())]
    );
    assert_eq!(
        cells_of("i3.1", "i3.1 · commentaire"),
        [Data::String(HYPERLINK.to_owned())]
    );
    for sheet in workbook.sheet_names() {
        let formulas = workbook.worksheet_formula(&sheet).unwrap();
        assert!(
            formulas.used_cells().all(|(_, _, f)| f.is_empty()),
            "no formula in {sheet}"
        );
    }
}

#[tokio::test]
async fn export_parameters_are_checked() {
    let app = spawn_app().await;
    datasets::indicator_3_2(&app).await;
    let id = campaign_id(&app, QuestionnaireCode::I3_2, "2026").await;
    for (path, status) in [
        (format!("/exports/campagnes/{id}/reponses.csv?sep=x"), 400),
        ("/exports/campagnes/pas-un-id/reponses.csv".to_owned(), 404),
        (
            "/exports/campagnes/00000000-0000-0000-0000-000000000000/reponses.csv".to_owned(),
            404,
        ),
        ("/exports/indicateurs.xlsx?annee=abc".to_owned(), 400),
        ("/exports/indicateurs.xlsx?vague=inconnue".to_owned(), 404),
    ] {
        let response = app.get(&path).await;
        assert_eq!(response.status(), status, "{path}");
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains(r#"<html lang="fr">"#)
        );
    }
}
