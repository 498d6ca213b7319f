//! The staff dashboard: pages render in French, with the hand-worked figures, accessible
//! charts, and never a stale or cached number.

use jalon::domain::QuestionnaireCode;
use jalon::store;

use crate::datasets;
use crate::helpers::{TestApp, spawn_app};

/// "34,6 %" as the pages write it (narrow no-break space before the sign).
fn pct(text: &str) -> String {
    format!("{text}\u{202F}%")
}

async fn page(app: &TestApp, path: &str) -> String {
    let response = app.get(path).await;
    assert_eq!(response.status(), 200, "{path}");
    assert_eq!(response.headers()["cache-control"], "no-store", "{path}");
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"),
        "{path}"
    );
    let html = response.text().await.unwrap();
    assert!(html.contains(r#"<html lang="fr">"#), "{path}");
    assert!(!html.contains("<script"), "{path}: no JavaScript needed");
    // Every chart is an image with a name, and its figures in text.
    for chunk in html.split("role=\"img\"").skip(1) {
        let tag_end = chunk.find('>').unwrap();
        assert!(chunk[..tag_end].contains("aria-"), "{path}: unnamed chart");
    }
    html
}

async fn campaign_id(app: &TestApp, code: QuestionnaireCode, label: &str) -> uuid::Uuid {
    store::campaigns::find(&app.db, code, label)
        .await
        .unwrap()
        .unwrap()
        .id
}

#[tokio::test]
async fn the_home_page_shows_each_indicator_against_its_target() {
    let app = spawn_app().await;
    datasets::indicator_3_1(&app).await;
    datasets::indicator_6(&app).await;
    let html = page(&app, "/tableau-de-bord?annee=2026").await;
    assert!(html.contains("<h1>Indicateurs 2026</h1>"));
    for code in ["3.1", "3.2", "4", "6", "7"] {
        assert!(html.contains(&format!("Indicateur {code} – ")), "{code}");
    }
    // 3.1: 9/26, pooled 20/39, 2 companies of 3, participation 5/7.
    assert!(html.contains(&pct("34,6")));
    assert!(html.contains(&pct("51,3")));
    assert!(html.contains("2 sur 3 ayant répondu"));
    assert!(html.contains(&pct("71,4")));
    assert!(html.contains("non atteint"));
    // 6: 721/840, overall 6/8, participation 15/20 against 50 %.
    assert!(html.contains(&pct("85,8")));
    assert!(html.contains(&pct("75,0")));
    assert!(html.contains("Vague « 2026 »"));
    // 3.1 has a 2025 point: a trend chart and a change.
    assert!(html.contains("Évolution de l’indicateur 3.1"));
    assert!(html.contains("depuis 2025"));
    assert!(html.contains(r#"href="/tableau-de-bord/fiches/i3.1?annee=2026""#));
}

#[tokio::test]
async fn a_campaign_page_shows_participation_answers_and_suppressed_breakdowns() {
    let app = spawn_app().await;
    datasets::indicator_6(&app).await;
    let id = campaign_id(&app, QuestionnaireCode::I6, "2026").await;
    let html = page(&app, &format!("/tableau-de-bord/campagnes/{id}")).await;
    assert!(html.contains("Campagne « 2026 »"));
    assert!(html.contains("Participation dans le temps"));
    assert!(html.contains("Données du graphique"));
    assert!(html.contains("Le rôle et les missions de l’IPR sont clairement définis."));
    assert!(html.contains("Très positive"));
    // Region: Corse (2) lost its region at release, and Bretagne with it; Normandie (7)
    // is shown.
    assert!(html.contains("<caption>Région</caption>"));
    assert!(html.contains("Normandie"));
    let section = |id: &str| {
        let start = html.split_once(&format!("id=\"{id}\"")).unwrap().1;
        start.split("</section>").next().unwrap().to_owned()
    };
    let tris = section("titre-tris");
    assert!(tris.contains("Normandie"));
    assert!(!tris.contains("Corse") && !tris.contains("Bretagne"));
    // Participation per region: Corse (2 of 2 answered) is hidden, and enough with it that
    // it cannot be deduced.
    let participation = section("titre-participation-groupes");
    assert!(
        participation.contains("Corse") && participation.contains("masqué"),
        "{participation}"
    );
    let corse = participation.split_once("Corse").unwrap().1;
    let corse = corse.split("</tr>").next().unwrap();
    assert!(corse.contains("<td>2</td>"), "invited: public");
    assert!(corse.contains("masqué"), "answered: hidden");
    assert!(html.contains("Questionnaire anonyme"));
    // Aggregates only: no export of rows for an anonymous questionnaire.
    assert!(html.contains("Répartitions (CSV, point-virgule)"));
}

#[tokio::test]
async fn the_3_1_campaign_page_lists_companies_with_their_scores() {
    let app = spawn_app().await;
    datasets::indicator_3_1(&app).await;
    let id = campaign_id(&app, QuestionnaireCode::I3_1, "2026").await;
    let html = page(&app, &format!("/tableau-de-bord/campagnes/{id}")).await;
    assert!(
        html.contains("<caption>Scores des entreprises, par référence : 1 à 3 sur 3</caption>")
    );
    assert!(
        !html.contains("Entreprises suivantes"),
        "one page is enough"
    );
    assert!(html.contains(&pct("69,2")), "A: 9/13");
    assert!(html.contains(&pct("0,0")), "B: 0");
    assert!(html.contains("sans réponse valide"), "C");
    assert!(html.contains("Adresses en échec définitif"));
}

#[tokio::test]
async fn a_fiche_is_printable_with_the_method_and_each_question() {
    let app = spawn_app().await;
    datasets::indicator_3_1(&app).await;
    let html = page(&app, "/tableau-de-bord/fiches/i3.1?annee=2026").await;
    assert!(html.contains("Mode de calcul"));
    assert!(html.contains("Consolidation à deux échelles"));
    assert!(html.contains(&pct("34,6")));
    assert!(html.contains("Détail par question"));
    assert!(html.contains("Les outils et méthodes présentés pendant l’intervention"));
    assert!(html.contains("Calculé le 16/03/2026 à 10:30 (heure de Paris)"));
    let css = app.get("/static/jalon.css").await.text().await.unwrap();
    assert!(css.contains("@media print"));
}

#[tokio::test]
async fn figures_change_with_the_next_response() {
    let app = spawn_app().await;
    let post = |rating: &'static str| {
        let app = &app;
        async move {
            let response = app
                .post_form("/o/i4", format!("satisfaction={rating}"))
                .await;
            assert_eq!(response.status(), 303);
        }
    };
    post("tres_satisfait").await;
    assert!(page(&app, "/tableau-de-bord").await.contains(&pct("100,0")));
    post("pas_du_tout_satisfait").await;
    assert!(page(&app, "/tableau-de-bord").await.contains(&pct("50,0")));
}

#[tokio::test]
async fn bad_parameters_get_a_french_page_never_a_500() {
    let app = spawn_app().await;
    for (path, status) in [
        ("/tableau-de-bord?annee=abc", 400),
        ("/tableau-de-bord?annee=2026&vague=2026", 400),
        ("/tableau-de-bord?vague=inconnue", 404),
        ("/tableau-de-bord/campagnes/pas-un-uuid", 404),
        (
            "/tableau-de-bord/campagnes/00000000-0000-0000-0000-000000000000",
            404,
        ),
        ("/tableau-de-bord/fiches/i9", 404),
        ("/tableau-de-bord/fiches/i4?annee=99", 400),
    ] {
        check(&app, path, status).await;
    }
    let id = store::campaigns::find_or_create(
        &app.db,
        QuestionnaireCode::I3_1,
        "2026",
        jalon::clock::Clock::now(&app.clock),
    )
    .await
    .unwrap()
    .id;
    for offset in ["abc", "-1", "99999999999999999999999"] {
        let path = format!("/tableau-de-bord/campagnes/{id}?entreprises={offset}");
        check(&app, &path, 400).await;
    }
}

async fn check(app: &TestApp, path: &str, status: u16) {
    {
        let response = app.get(path).await;
        assert_eq!(response.status(), status, "{path}");
        let html = response.text().await.unwrap();
        assert!(html.contains(r#"<html lang="fr">"#), "{path}");
    }
}

/// 3.1 at scale: the dashboard reads the value from the running sums of the company scores
/// and lists the companies a page at a time; the sums agree with the exact two-level mean of
/// the results API (every company's counts), before and after a rebuild of the tallies.
#[tokio::test]
async fn many_companies_are_paged_and_the_running_sums_agree_with_the_exact_mean() {
    let app = spawn_app().await;
    let loaded = app.catalog.get(QuestionnaireCode::I3_1).unwrap();
    let campaign = jalon::demo::bulk::load(
        &app.db,
        app.seal_key.links(),
        &loaded,
        "Banc",
        1_000,
        0,
        jalon::clock::Clock::now(&app.clock),
        &jalon::progress::Silent,
    )
    .await
    .unwrap();
    assert!(campaign.responses > 900, "most draws are valid answers");

    let exact = |body: serde_json::Value| {
        let scores: Vec<f64> = body["companies"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|c| c["score"].as_f64())
            .collect();
        (body["indicator"]["value"].as_f64().unwrap(), scores)
    };
    let results: serde_json::Value = app
        .get(&format!("/api/v1/campaigns/{}/results", campaign.id))
        .await
        .json()
        .await
        .unwrap();
    let (exact_value, scores) = exact(results);
    assert_eq!(scores.len(), 250, "four participants a company");
    let mean = scores.iter().sum::<f64>() / scores.len() as f64;
    assert!((exact_value - mean).abs() < 1e-12);

    let (value, companies) = indicator_3_1_from_sums(&app).await;
    assert!(
        (value - exact_value).abs() < 1e-9,
        "{value} vs {exact_value}"
    );
    assert_eq!(companies, 250);

    jalon::store::results::tallies::rebuild(&app.db)
        .await
        .unwrap();
    let (rebuilt, companies) = indicator_3_1_from_sums(&app).await;
    assert!(
        (rebuilt - exact_value).abs() < 1e-9,
        "{rebuilt} vs {exact_value}"
    );
    assert_eq!(companies, 250);

    let first = page(&app, &format!("/tableau-de-bord/campagnes/{}", campaign.id)).await;
    assert!(first.contains("1 à 100 sur 250"));
    // About 300 comments: the page shows a sample, the API all of them.
    let on_page = [
        "Démarche utile",
        "Les outils sont clairs",
        "Merci pour l’accompagnement",
        "Il faudrait un suivi",
    ]
    .iter()
    .map(|t| first.matches(t).count())
    .sum::<usize>();
    assert!(
        (1..=60).contains(&on_page),
        "{on_page} comments on the page"
    );
    let all: serde_json::Value = app
        .get(&format!("/api/v1/campaigns/{}/comments", campaign.id))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        all["comments"].as_array().unwrap().len() > 150,
        "the API lists them all"
    );
    assert!(first.contains("BENCH-0000000") && !first.contains("BENCH-0000100"));
    assert!(first.contains("?entreprises=100#titre-entreprises\">Entreprises suivantes"));
    assert!(!first.contains("Entreprises précédentes"));
    let last = page(
        &app,
        &format!("/tableau-de-bord/campagnes/{}?entreprises=200", campaign.id),
    )
    .await;
    assert!(last.contains("201 à 250 sur 250"));
    assert!(last.contains("BENCH-0000249") && !last.contains("BENCH-0000199"));
    assert!(last.contains("?entreprises=100#titre-entreprises\">Entreprises précédentes"));
    assert!(!last.contains("Entreprises suivantes"));
    app.assert_invitation_counts_agree().await;
}

/// 3.1's value and companies for 2026 as `/api/v1/indicators` reads them (the running sums).
async fn indicator_3_1_from_sums(app: &TestApp) -> (f64, u64) {
    let body: serde_json::Value = app
        .get("/api/v1/indicators?year=2026")
        .await
        .json()
        .await
        .unwrap();
    let i31 = body["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == "i3.1")
        .cloned()
        .unwrap();
    (
        i31["value"].as_f64().unwrap(),
        i31["companies_with_respondents"].as_u64().unwrap(),
    )
}
