//! `/tableau-de-bord/fiches/{code}`: one indicator on one printable page, for the board.

use chrono::{DateTime, Utc};
use maud::{Markup, html};

use super::parts::{change_sentence, indicator_name, period_sentence, target_line};
use crate::domain::questionnaire::Questionnaire;
use crate::domain::results::labels::{calculation, indicator_title, value_label};
use crate::domain::results::report::IndicatorEntry;

use crate::views::format::{integer, interval, percent, points};
use crate::views::layout::{staff_page, table_scroll_named};

pub fn fiche_page(
    entry: &IndicatorEntry,
    definition: Option<&Questionnaire>,
    now: DateTime<Utc>,
    threshold: u64,
) -> Markup {
    let r = &entry.report;
    let code = r.code;
    let title = format!(
        "Fiche {} – {}",
        indicator_name(code).to_lowercase(),
        period_sentence(entry)
    );
    let text_of = |id: &str| {
        definition
            .and_then(|d| d.question(id))
            .map_or_else(|| id.to_owned(), |q| q.text.clone())
    };
    let changes = entry.change.as_ref();
    html! {
        (staff_page(&title, html! {
            article.fiche {
                p.breadcrumb.no-print { a href="/tableau-de-bord" { "Indicateurs" } " › Fiche" }
                h1 { (indicator_name(code)) " – " (indicator_title(code)) }
                p.period { (period_sentence(entry)) }
                p.no-print.hint { "Pour imprimer ou enregistrer en PDF : commande Imprimer du navigateur (Ctrl+P)." }

                h2 { "Résultat" }
                @if entry.masked {
                    p.notice { "Moins de " (threshold) " réponses : résultat non publié, pour préserver l’anonymat." }
                }
                p.figure { span.value { (percent(r.value)) } " " span.what { (value_label(code)) } }
                p { (target_line("Objectif", r.target, r.target_met())) }
                (table_scroll_named("Chiffres clés", html! {
                    table.facts-table {
                        tbody {
                            tr { th scope="row" { "Répondants" } td { (integer(r.respondents)) } }
                            @if let Some(p) = r.participation {
                                tr { th scope="row" { "Invitations envoyées" } td { (integer(p.sent())) } }
                                tr { th scope="row" { "Adresses en échec définitif" } td { (integer(p.failed())) } }
                                tr {
                                    th scope="row" { "Taux de participation" }
                                    td {
                                        (percent(p.rate()))
                                        @if let Some(target) = r.participation_target {
                                            " – " (target_line("objectif", target, r.participation_met()))
                                        }
                                    }
                                }
                                tr { th scope="row" { "Adresses non distribuables (échecs d’envoi et retours)" } td { (integer(p.undeliverable())) } }
                                tr {
                                    th scope="row" { "Taux de participation des personnes jointes" }
                                    td { (percent(p.rate_over_reached())) " (sur " (integer(p.reached())) " personnes jointes, pour information)" }
                                }
                            }
                            tr { th scope="row" { "Intervalle de confiance à 95 %" } td { (interval(r.interval)) } }
                            @if let Some(two_level) = &r.two_level {
                                tr { th scope="row" { "Tous répondants regroupés (pour information)" } td { (percent(two_level.pooled_value)) } }
                                tr { th scope="row" { "Entreprises notées" } td { (integer(two_level.companies_counted as u64)) } }
                            }
                            @if let Some(overall) = r.overall() {
                                tr { th scope="row" { "Perception d’ensemble" } td { (percent(overall.rate())) " (n = " (integer(overall.n())) ")" } }
                            }
                            @if let Some((from, change)) = changes {
                                tr { th scope="row" { "Évolution" } td { (change_sentence(from, change)) } }
                            }
                        }
                    }
                }))

                h2 { "Mode de calcul" }
                p { (calculation(code)) }

                @if !r.mean.questions.is_empty() {
                    h2 { "Détail par question" }
                    (table_scroll_named("Détail par question", html! {
                        table {
                            thead {
                                tr {
                                    th scope="col" { "Question" }
                                    th scope="col" { "Favorables / réponses" }
                                    th scope="col" { "Taux" }
                                    th scope="col" { "IC 95 %" }
                                    @if changes.is_some() { th scope="col" { "Évolution" } }
                                }
                            }
                            tbody {
                                @for q in &r.mean.questions {
                                    tr {
                                        th scope="row" { (text_of(&q.question)) }
                                        td { (integer(q.proportion.favorable())) " / " (integer(q.proportion.total())) }
                                        td { (percent(q.rate())) }
                                        td { (interval(q.proportion.interval_95())) }
                                        @if let Some((_, change)) = changes {
                                            td {
                                                @match change.questions.iter().find(|c| c.question == q.question).and_then(|c| c.change.points.map(|p| (p, c.change.is_significant()))) {
                                                    Some((p, significant)) => {
                                                        (points(p)) @if significant { " *" }
                                                    }
                                                    None => { "–" }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }))
                    @if changes.is_some() {
                        p.hint { "* évolution au-delà de la marge d’erreur (test de comparaison de deux proportions, seuil de 5 %)." }
                    }
                }

                @if entry.trend.len() > 1 {
                    h2 { "Évolution" }
                    (table_scroll_named("Évolution", html! {
                        table {
                            thead { tr { th scope="col" { "Période" } th scope="col" { "Valeur" } th scope="col" { "Répondants" } } }
                            tbody {
                                @for t in &entry.trend {
                                    tr { th scope="row" { (t.label) } td { (percent(t.value)) } td { (integer(t.respondents)) } }
                                }
                            }
                        }
                    }))
                }
                p.generated {
                    "Calculé le " (now.with_timezone(&chrono_tz::Europe::Paris).format("%d/%m/%Y à %H:%M")) " (heure de Paris) à partir des réponses enregistrées."
                }
            }
        }))
    }
}
