//! Exports for statisticians, read by the tools themselves: PSPP reads the `.sav` and runs
//! the `.sps`, R (haven) reads the `.sav` and runs the `.R` script, and what they see (cases,
//! variable labels, value labels, missing codes) is what jalon stored. The Triple-S
//! metadata is well-formed XML whose positions cut the data lines exactly. A missing tool
//! fails the test and names its Debian package.

use std::collections::HashMap;
use std::io::Read as _;
use std::path::Path;
use std::process::Command;

use jalon::domain::QuestionnaireCode;
use jalon::domain::questionnaire::QuestionKind;
use jalon::store;
use jalon::store::results::raw::{RawScope, responses_page};
use serde_json::json;

use crate::datasets;
use crate::helpers::{TestApp, spawn_app};

/// A comment longer than a 255-byte SPSS segment, with what could break a script.
fn long_comment() -> String {
    let mut text = String::from("=HYPERLINK(\"http://evil.example.com\",\"cliquez\") ');\n");
    text.push_str("\"); system(\"id\") # \\ END DATA. <b>&amp;</b> ");
    while text.len() < 700 {
        text.push_str("Très utile, l’équipe a repris la démarche. ");
    }
    text.push_str("Fin.");
    text
}

/// Fails, naming the Debian package, when `program` is not installed.
fn tool(program: &str, package: &str) {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "{program} is missing: install the Debian package {package} \
         (apt-get install -y --no-install-recommends {package}, or run scripts/test as root)"
    );
}

fn run(dir: &Path, program: &str, args: &[&str]) -> String {
    let output = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        output.status.success(),
        "{program} {args:?} failed:\n{stdout}\n{stderr}"
    );
    stdout + &stderr
}

async fn download(app: &TestApp, path: &str) -> Vec<u8> {
    let response = app.get(path).await;
    assert_eq!(response.status(), 200, "{path}");
    assert_eq!(response.headers()["cache-control"], "no-store");
    response.bytes().await.unwrap().to_vec()
}

fn unzip(bytes: &[u8], dir: &Path) -> Vec<String> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut names = Vec::new();
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).unwrap();
        let mut content = Vec::new();
        file.read_to_end(&mut content).unwrap();
        let name = file.name().unwrap().into_owned();
        std::fs::write(dir.join(&name), content).unwrap();
        names.push(name);
    }
    names
}

/// Indicator 3.1's worked data, plus a respondent who used no tool (a multiple choice) and
/// typed a long, hostile comment.
async fn campaign(app: &TestApp) -> uuid::Uuid {
    datasets::indicator_3_1(app).await;
    let code = QuestionnaireCode::I3_1;
    datasets::respond(
        app,
        code,
        "2026",
        json!({ "company": "C", "entity": "aract-bretagne", "region": "Bretagne" }),
        datasets::at("2026-02-02T08:00:00Z"),
        datasets::answers(
            app,
            code,
            "plutot_d_accord",
            &[
                ("outils_utilises", json!("non")),
                ("freins_utilisation", json!(["manque_de_temps", "autre"])),
                ("commentaire", json!(long_comment())),
            ],
        ),
    )
    .await;
    store::campaigns::find(&app.db, code, "2026")
        .await
        .unwrap()
        .unwrap()
        .id
}

/// What jalon stored: the number of responses, and per question the stored values.
async fn stored(app: &TestApp, id: uuid::Uuid) -> (usize, HashMap<String, Vec<String>>) {
    let responses = responses_page(&app.db, RawScope::Campaign(id), None, 10_000)
        .await
        .unwrap();
    let mut values: HashMap<String, Vec<String>> = HashMap::new();
    for r in &responses {
        for (q, vs) in &r.answers {
            values
                .entry(q.clone())
                .or_default()
                .extend(vs.iter().cloned());
        }
    }
    (responses.len(), values)
}

/// haven's view of a `.sav`, one line per variable: name, label, value labels, user-missing
/// codes, count of each missing code; then the number of cases.
const HAVEN_DUMP: &str = r#"
library(haven)
d <- read_sav("reponses.sav", user_na = TRUE)
for (n in names(d)) {
  x <- d[[n]]
  labels <- attr(x, "labels")
  codes <- if (is.null(labels)) "" else paste(unname(labels), names(labels), sep = "=", collapse = "|")
  na <- attr(x, "na_values")
  counts <- if (is.null(na)) "" else paste(sapply(na, function(v) sum(unclass(x) == v, na.rm = TRUE)), collapse = ",")
  label <- attr(x, "label")
  cat(n, if (is.null(label)) "" else gsub("\t|\n", " ", label), codes, paste(na, collapse = ","), counts, sep = "\t")
  cat("\n")
}
cat("cases", nrow(d), sep = "\t")
cat("\n")
cat("comment", nchar(d$commentaire[nchar(d$commentaire) > 600], type = "bytes"), sep = "\t")
cat("\n")
"#;

#[tokio::test]
async fn pspp_and_r_read_the_sav_with_every_label_and_missing_code() {
    tool("pspp-convert", "pspp");
    tool("Rscript", "r-base-core");
    let app = spawn_app().await;
    let id = campaign(&app).await;
    let (count, values) = stored(&app, id).await;
    let definition = app
        .catalog
        .get(QuestionnaireCode::I3_1)
        .unwrap()
        .definition
        .clone();
    let dir = tempfile::tempdir().unwrap();
    let sav = download(&app, &format!("/exports/campagnes/{id}/reponses.sav")).await;
    std::fs::write(dir.path().join("reponses.sav"), &sav).unwrap();

    // PSPP: every case, and the dictionary with its labels and missing values.
    run(dir.path(), "pspp-convert", &["reponses.sav", "cases.csv"]);
    let cases = std::fs::read_to_string(dir.path().join("cases.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(cases.as_bytes());
    assert_eq!(reader.records().count(), count);
    std::fs::write(
        dir.path().join("dictionary.sps"),
        "GET FILE='reponses.sav'.\nDISPLAY DICTIONARY.\nMRSETS /DISPLAY NAME=ALL.\n",
    )
    .unwrap();
    run(
        dir.path(),
        "pspp",
        &["dictionary.sps", "-O", "format=csv", "-o", "dictionary.csv"],
    );
    let dictionary = std::fs::read_to_string(dir.path().join("dictionary.csv")).unwrap();
    for q in definition.questions() {
        assert!(dictionary.contains(&q.text), "PSPP: label of {}", q.id);
        for o in q.kind.options() {
            assert!(dictionary.contains(&o.label), "PSPP: {} {}", q.id, o.label);
        }
    }
    for label in [
        "Non concerné·e",
        "Sans réponse",
        "Non posée (condition non remplie)",
    ] {
        assert!(dictionary.contains(label), "PSPP: {label}");
    }
    assert!(
        dictionary.contains("$freins_utilisation"),
        "PSPP: the multiple response set"
    );
    assert!(dictionary.contains("Ordinal"), "PSPP: measurement levels");

    // haven: labels and missing codes, and how often each missing code occurs.
    tool("Rscript", "r-cran-haven");
    std::fs::write(dir.path().join("dump.R"), HAVEN_DUMP).unwrap();
    let dump = run(dir.path(), "Rscript", &["dump.R"]);
    let lines: HashMap<&str, Vec<&str>> = dump
        .lines()
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('\t').collect();
            Some((*cells.first()?, cells))
        })
        .collect();
    assert_eq!(lines["cases"][1], count.to_string());
    assert_eq!(
        lines["comment"][1],
        long_comment().len().to_string(),
        "the long comment whole"
    );
    for q in definition.questions() {
        let name = match q.kind {
            QuestionKind::MultipleChoice { .. } => {
                format!("{}_{}", q.id, q.kind.options()[0].value)
            }
            _ => q.id.clone(),
        };
        let line = lines
            .get(name.as_str())
            .unwrap_or_else(|| panic!("haven: no variable {name}"));
        assert!(
            line[1].starts_with(&q.text),
            "haven: label of {name}: {}",
            line[1]
        );
        if let QuestionKind::Likert(scale) = &q.kind {
            let codes = line[2];
            for o in &scale.options {
                assert!(codes.contains(&o.label), "haven: {name} {}", o.label);
            }
            // "Non concerné·e" is -1, user-missing, and as often as it was stored.
            assert!(codes.contains("-1=Non concerné·e"), "{codes}");
            let missing: Vec<&str> = line[3].split(',').collect();
            assert!(missing.contains(&"-1"), "{name}: {}", line[3]);
            let stored_na = values.get(&q.id).map_or(0, |v| {
                v.iter()
                    .filter(|v| scale.not_applicable.contains(v))
                    .count()
            });
            let position = missing.iter().position(|m| *m == "-1").unwrap();
            let counts: Vec<&str> = line[4].split(',').collect();
            assert_eq!(
                counts[position],
                stored_na.to_string(),
                "{name}: non concerné"
            );
        }
    }
    // The multiple choice: ticked as often as stored; not shown to those who used a tool.
    let freins = &lines["freins_utilisation_manque_de_temps"];
    assert!(
        freins[3].split(',').any(|c| c == "-2"),
        "not shown is a missing code"
    );

    // The export is in the audit journal.
    let journal = jalon::entities::audit_entry::Entity::find()
        .all(&app.db)
        .await
        .unwrap();
    assert!(
        journal
            .iter()
            .any(|e| e.action == "export_sav" && e.target == id.to_string())
    );
}

use sea_orm::EntityTrait as _;

#[tokio::test]
async fn the_sps_and_r_scripts_run_and_set_every_label() {
    tool("pspp", "pspp");
    tool("Rscript", "r-base-core");
    let app = spawn_app().await;
    let id = campaign(&app).await;
    let (count, values) = stored(&app, id).await;
    let not_applicable = values["outils_compris"]
        .iter()
        .filter(|v| *v == "non_concerne")
        .count();

    let dir = tempfile::tempdir().unwrap();
    let zip = download(&app, &format!("/exports/campagnes/{id}/reponses-sps.zip")).await;
    let names = unzip(&zip, dir.path());
    assert!(
        names.contains(&"reponses.sps".to_owned()) && names.contains(&"reponses.csv".to_owned())
    );
    std::fs::write(
        dir.path().join("check.sps"),
        "INCLUDE FILE='reponses.sps'.\nDISPLAY DICTIONARY.\nLIST VARIABLES=outils_compris.\n",
    )
    .unwrap();
    run(
        dir.path(),
        "pspp",
        &["check.sps", "-O", "format=csv", "-o", "out.csv"],
    );
    let out = std::fs::read_to_string(dir.path().join("out.csv")).unwrap();
    assert!(
        !out.contains("error:") && !out.contains("warning:"),
        "{out}"
    );
    assert!(out.contains("Tout à fait d’accord") && out.contains("Non concerné·e"));
    assert!(out.contains("Ordinal"));
    let listed = out.split("Data List").nth(1).map_or(0, |list| {
        list.lines().filter(|l| !l.trim().is_empty()).count()
    });
    assert_eq!(
        listed,
        count + 1,
        "the case list: a header, then every case\n{out}"
    );

    let dir = tempfile::tempdir().unwrap();
    let zip = download(&app, &format!("/exports/campagnes/{id}/reponses-r.zip")).await;
    unzip(&zip, dir.path());
    std::fs::write(
        dir.path().join("check.R"),
        r#"source("reponses.R")
cat(nrow(reponses), "\n")
cat(paste(levels(reponses$outils_compris), collapse = "|"), "\n")
cat(is.ordered(reponses$outils_compris), "\n")
cat(attr(reponses$outils_compris, "label"), "\n")
cat(sum(reponses$outils_compris == "Non concerné·e"), "\n")
cat(nlevels(sans_manquantes(reponses$outils_compris)), "\n")
cat(nchar(reponses$commentaire[!is.na(reponses$commentaire) & nchar(reponses$commentaire) > 600]), "\n")
"#,
    )
    .unwrap();
    let out = run(dir.path(), "Rscript", &["check.R"]);
    let lines: Vec<&str> = out.lines().map(str::trim).collect();
    assert_eq!(lines[0], count.to_string());
    assert_eq!(
        lines[1],
        "Tout à fait d’accord|Plutôt d’accord|Plutôt pas d’accord|Pas du tout d’accord|Non concerné·e|Sans réponse"
    );
    assert_eq!(lines[2], "TRUE");
    assert!(lines[3].starts_with("Les outils et méthodes présentés"));
    assert_eq!(
        lines[4],
        not_applicable.to_string(),
        "« non concerné » as stored"
    );
    assert_eq!(
        lines[5], "4",
        "without the missing codes, the four points of the scale"
    );
    // The comment, whole, with the quote that keeps spreadsheets from running it.
    assert_eq!(lines[6], (long_comment().chars().count() + 1).to_string());
}

#[tokio::test]
async fn triple_s_positions_cut_the_data_exactly() {
    tool("python3", "python3");
    let app = spawn_app().await;
    let id = campaign(&app).await;
    let (count, _) = stored(&app, id).await;
    let dir = tempfile::tempdir().unwrap();
    let zip = download(&app, &format!("/exports/campagnes/{id}/reponses-sss.zip")).await;
    unzip(&zip, dir.path());
    // Python's XML parser: well-formed, and each variable's type, name, positions, codes.
    let script = r#"
import xml.etree.ElementTree as ET
root = ET.parse("reponses.sss").getroot()
assert root.tag == "sss" and root.get("version") == "2.0"
for v in root.iter("variable"):
    p = v.find("position")
    codes = ",".join(x.get("code") for x in v.iter("value"))
    print(v.get("type"), v.findtext("name"), p.get("start"), p.get("finish"), codes, sep="\t")
"#;
    std::fs::write(dir.path().join("check.py"), script).unwrap();
    let out = run(dir.path(), "python3", &["check.py"]);
    let data = std::fs::read_to_string(dir.path().join("reponses.dat")).unwrap();
    let lines: Vec<Vec<char>> = data
        .split_terminator("\r\n")
        .map(|l| l.chars().collect())
        .collect();
    assert_eq!(lines.len(), count);
    let mut expected_start = 1;
    let mut seen = 0;
    for variable in out.lines() {
        let cells: Vec<&str> = variable.split('\t').collect();
        let (kind, name) = (cells[0], cells[1]);
        let start: usize = cells[2].parse().unwrap();
        let finish: usize = cells[3].parse().unwrap();
        assert_eq!(
            start, expected_start,
            "{name} follows the previous variable"
        );
        expected_start = finish + 1;
        for line in &lines {
            let field: String = line[start - 1..finish].iter().collect();
            match kind {
                "single" if !field.trim().is_empty() => assert!(
                    cells[4].split(',').any(|c| c == field.trim()),
                    "{name}: {field:?} is a listed code"
                ),
                "multiple" if !field.trim().is_empty() => {
                    assert!(
                        field.chars().all(|c| c == '0' || c == '1'),
                        "{name}: {field:?}"
                    )
                }
                "date" => assert!(field.starts_with("2026"), "{name}: {field:?}"),
                _ => {}
            }
        }
        seen += 1;
    }
    assert!(seen > 20);
    for line in &lines {
        assert_eq!(
            line.len(),
            expected_start - 1,
            "every line ends at the last position"
        );
    }
}

#[tokio::test]
async fn the_codebook_lists_every_variable_and_anonymous_campaigns_have_no_row_files() {
    let app = spawn_app().await;
    let id = campaign(&app).await;
    let page = app.get(&format!("/exports/campagnes/{id}/codebook")).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    for needle in [
        "Dictionnaire des variables",
        "outils_compris",
        "freins_utilisation_manque_de_temps",
        "-1 = Non concerné·e",
        "reponses.sav",
        "reponses-sss.zip",
    ] {
        assert!(html.contains(needle), "{needle}");
    }
    let campaign_page = app.get(&format!("/tableau-de-bord/campagnes/{id}")).await;
    let campaign_html = campaign_page.text().await.unwrap();
    assert!(campaign_html.contains(&format!("/exports/campagnes/{id}/codebook")));
    assert!(campaign_html.contains(&format!("/exports/campagnes/{id}/reponses.sav")));
    let csv = download(&app, &format!("/exports/campagnes/{id}/codebook.csv")).await;
    let text = String::from_utf8(csv).unwrap();
    assert!(text.starts_with(
        "\u{feff}variable;libellé;question;type;mesure;versions;valeurs;codes manquants"
    ));
    // The whole codebook of 3.1, reviewed: a change of a variable, a label or a code shows here.
    insta::assert_snapshot!("codebook_csv_i3_1", text);

    datasets::indicator_6(&app).await;
    let anonymous = store::campaigns::find(&app.db, QuestionnaireCode::I6, "2026")
        .await
        .unwrap()
        .unwrap()
        .id;
    for file in [
        "reponses.sav",
        "reponses-r.zip",
        "reponses-sps.zip",
        "reponses-sss.zip",
        "codebook.csv",
        "codebook",
    ] {
        let response = app
            .get(&format!("/exports/campagnes/{anonymous}/{file}"))
            .await;
        assert_eq!(response.status(), 303, "{file}");
        assert_eq!(
            response.headers()["location"],
            format!("/exports/campagnes/{anonymous}/reponses.csv").as_str()
        );
    }
    let page = app
        .get(&format!("/tableau-de-bord/campagnes/{anonymous}"))
        .await;
    assert!(!page.text().await.unwrap().contains("reponses.sav"));
    assert_eq!(
        app.get(&format!("/exports/campagnes/{id}/reponses.pdf"))
            .await
            .status(),
        404
    );
}
