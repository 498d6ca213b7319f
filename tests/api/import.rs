//! `jalon import`: CSV exports with every kind of error, all-or-nothing, idempotent.

use jalon::import::{ImportKind, run};

use crate::helpers::{TestApp, spawn_app};

const HEADER: &str = "Référence;Entreprise;SIRET;Tranche effectif;Secteur;Type;Entité;Début;Fin;Email;Nom;Fonction\n";

async fn import(
    app: &TestApp,
    kind: ImportKind,
    csv: &[u8],
    skip_invalid: bool,
) -> jalon::import::ImportReport {
    run(
        &app.db,
        app.seal_key.links(),
        &app.catalog,
        kind,
        csv,
        skip_invalid,
        app.now(),
        &jalon::progress::Silent,
    )
    .await
    .unwrap()
}

fn lines(report: &jalon::import::ImportReport) -> Vec<(usize, String)> {
    report
        .rejected
        .iter()
        .map(|r| (r.line, r.reason.clone()))
        .collect()
}

#[tokio::test]
async fn every_bad_row_is_reported_by_line_and_nothing_is_imported() {
    let app = spawn_app().await;
    let csv = format!(
        "{HEADER}\
BRE-1;Boulangerie Exemple;;1-9;;accompagnement_individuel;aract-bretagne;2025-01-06;2025-03-31;a@example.org;Ana;Gérante\n\
BRE-1;Boulangerie Exemple;;1-9;;accompagnement_individuel;aract-bretagne;2025-01-06;2025-03-31;pas-une-adresse;Bo;\n\
BRE-2;Garage Exemple;;10-49;;accompagnement_collectif;aract-atlantide;2025-01-06;2025-03-31;c@example.org;;\n\
BRE-3;Ferme Exemple;;10-49;;formation_intra;aract-bretagne;31/02/2025;2025-03-31;d@example.org;;\n\
BRE-1;Boulangerie Exemple;;10-49;;accompagnement_individuel;aract-bretagne;2025-01-06;2025-03-31;e@example.org;;\n\
BRE-4;Atelier Exemple;;50-249;;formation_intra;aract-bretagne;2025-01-06;2025-03-31;f@example.org;Fa;\n\
BRE-5;Scierie Exemple;;énorme;;stage;aract-bretagne;2025-01-06;2025-03-31;g@example.org;;\n"
    );
    let report = import(&app, ImportKind::Interventions, csv.as_bytes(), false).await;
    assert!(report.aborted);
    let found = lines(&report);
    let at = |line: usize, fragment: &str| {
        assert!(
            found
                .iter()
                .any(|(l, r)| *l == line && r.contains(fragment)),
            "line {line} « {fragment} » not in {found:?}"
        );
    };
    at(
        3,
        "email : adresse électronique invalide « pas-une-adresse »",
    );
    at(4, "entity : entité inconnue « aract-atlantide »");
    at(5, "started_on : date invalide « 31/02/2025 »");
    at(6, "tranche_effectif : « 10-49 » diffère de la ligne 2");
    at(8, "size_band : tranche d'effectif inconnue « énorme »");
    at(8, "kind : type d'intervention inconnu « stage »");
    assert_eq!(app.count("interventions").await, 0);
    assert_eq!(app.count("invitations").await, 0);
    assert!(report.render().contains("rien n'a été importé"));

    // With --skip-invalid the valid intervention (BRE-4) goes in, and only it.
    let report = import(&app, ImportKind::Interventions, csv.as_bytes(), true).await;
    assert!(!report.aborted);
    assert_eq!(
        (report.accepted, report.created, report.invitations_added),
        (1, 1, 1)
    );
    assert_eq!(app.count("interventions").await, 1);
}

#[tokio::test]
async fn importing_the_same_file_twice_creates_nothing_new() {
    let app = spawn_app().await;
    let csv = format!(
        "{HEADER}\
BRE-10;Boulangerie Exemple;73282932000074;1-9;Commerce;accompagnement_individuel;aract-bretagne;2025-01-06;2025-03-31;a@example.org;Ana;Gérante\n\
BRE-10;Boulangerie Exemple;73282932000074;1-9;Commerce;accompagnement_individuel;aract-bretagne;2025-01-06;2025-03-31;b@example.org;Bo;Salariée\n\
BRE-11;Garage Exemple;;10-49;;accompagnement_collectif;aract-normandie;06/01/2025;31/03/2025;c@example.org;;\n"
    );
    let first = import(&app, ImportKind::Interventions, csv.as_bytes(), false).await;
    assert!(first.rejected.is_empty(), "{:?}", first.rejected);
    assert_eq!(
        (first.accepted, first.created, first.invitations_added),
        (2, 2, 3)
    );
    let second = import(&app, ImportKind::Interventions, csv.as_bytes(), false).await;
    assert_eq!(
        (second.accepted, second.created, second.invitations_added),
        (2, 0, 0)
    );
    assert_eq!(app.count("interventions").await, 2);
    assert_eq!(app.count("invitations").await, 3);
}

#[tokio::test]
async fn windows_1252_comma_files_and_missing_columns() {
    let app = spawn_app().await;
    let mut csv = b"reference,outil,entite,finalise_le,organisme,email,nom\nCOP-1,Guide t".to_vec();
    csv.push(0xE9); // é, Windows-1252
    csv.extend_from_slice(
        b"l\xE9travail,anact,2025-06-30,Service de sant\xE9 au travail,x@example.org,Xa\n",
    );
    let report = import(&app, ImportKind::Coproductions, &csv, false).await;
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    assert_eq!(report.invitations_added, 1);

    let missing = run(
        &app.db,
        app.seal_key.links(),
        &app.catalog,
        ImportKind::Coproductions,
        b"reference;email\nCOP-2;y@example.org\n",
        false,
        app.now(),
        &jalon::progress::Silent,
    )
    .await
    .unwrap_err();
    assert!(
        missing.to_string().contains(
            "ligne 1 : colonne(s) obligatoire(s) absente(s) : outil, entite, finalise_le, organisme"
        ),
        "{missing}"
    );
    let ragged = run(
        &app.db,
        app.seal_key.links(),
        &app.catalog,
        ImportKind::Coproductions,
        b"reference;outil;entite;finalise_le;organisme;email\nCOP-2;Guide\n",
        false,
        app.now(),
        &jalon::progress::Silent,
    )
    .await
    .unwrap_err();
    assert_eq!(ragged.to_string(), "ligne 2 : 2 colonnes au lieu de 6");
}

#[tokio::test]
async fn rosters_are_checked_row_by_row() {
    let app = spawn_app().await;
    let wave: serde_json::Value = app
        .post_json(
            "/api/v1/waves",
            &serde_json::json!({ "questionnaire": "i6", "label": "2025", "send_on": "2025-09-15" }),
        )
        .await
        .json()
        .await
        .unwrap();
    let id: uuid::Uuid = wave["id"].as_str().unwrap().parse().unwrap();
    let csv = "email;region;college\na@example.org;Bretagne;employeurs\nb@example.org;Bretagne;patronat\na@example.org;Normandie;salaries\nc@example.org;Normandie;salaries\n";
    let report = import(&app, ImportKind::Roster(id), csv.as_bytes(), false).await;
    assert_eq!(
        lines(&report),
        [
            (
                3,
                "college : collège inconnu « patronat » (employeurs ou salaries)".to_owned()
            ),
            (
                4,
                "email : « a@example.org » figure déjà ligne 2".to_owned()
            ),
        ]
    );
    assert_eq!(app.count("invitations").await, 0);
    let report = import(&app, ImportKind::Roster(id), csv.as_bytes(), true).await;
    assert_eq!(report.invitations_added, 2);
}
