//! `/tableau-de-bord`: the five indicators of a year or a wave, each against its target,
//! with its trend.

use maud::{Markup, Render, html};
use uuid::Uuid;

use super::parts::{change_sentence, indicator_name, period_sentence, target_line};
use crate::domain::QuestionnaireCode;
use crate::domain::results::labels::{indicator_title, value_label};
use crate::domain::results::report::{IndicatorEntry, Overview, PeriodRef};
use crate::views::charts::TrendChart;
use crate::views::format::{integer, interval, percent};
use crate::views::layout::{staff_page, table_scroll};

/// A campaign in the list at the bottom of the page.
pub struct CampaignLink {
    pub id: Uuid,
    pub code: QuestionnaireCode,
    pub label: String,
    pub status: String,
}

pub fn home_page(overview: &Overview, campaigns: &[CampaignLink], threshold: u64) -> Markup {
    let heading = match &overview.wave {
        Some(wave) => format!("Indicateurs – vague « {wave} » ({})", overview.year),
        None => format!("Indicateurs {}", overview.year),
    };
    staff_page(
        &heading,
        html! {
            h1 { (heading) }
            p.lead {
                "Calculés à chaque affichage à partir des réponses enregistrées, selon les fiches \
                 de documentation des indicateurs du contrat d’objectifs et de performance."
            }
            (PeriodForms { overview })
            p.links {
                a href={"/exports/indicateurs.xlsx?" (period_query(overview))} {
                    "Classeur XLSX de la période (une feuille par indicateur et les réponses)"
                }
            }
            div.indicators {
                @for entry in &overview.entries {
                    (IndicatorCard { entry, threshold, query: period_query(overview), year: overview.year })
                }
            }
            section #campagnes aria-labelledby="titre-campagnes" {
                h2 #titre-campagnes { "Campagnes" }
                @if campaigns.is_empty() {
                    p { "Aucune campagne pour l’instant." }
                } @else {
                    (table_scroll("titre-campagnes", campaigns_table(campaigns)))
                }
            }
        },
    )
}

fn campaigns_table(campaigns: &[CampaignLink]) -> Markup {
    html! {
        table {
            thead {
                tr {
                    th scope="col" { "Questionnaire" }
                    th scope="col" { "Campagne" }
                    th scope="col" { "État" }
                    th scope="col" { "Exports" }
                }
            }
            tbody {
                @for c in campaigns {
                    tr {
                        td { (indicator_name(c.code)) }
                        th scope="row" {
                            a href={"/tableau-de-bord/campagnes/" (c.id)} { (c.label) }
                        }
                        td { (if c.status == "open" { "ouverte" } else { "close" }) }
                        td {
                            a href={"/exports/campagnes/" (c.id) "/reponses.csv"} {
                                "CSV" span.visually-hidden { " – " (c.label) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The query string that selects the same period on another page.
fn period_query(overview: &Overview) -> String {
    match &overview.wave {
        Some(wave) => format!(
            "vague={}",
            percent_encoding::utf8_percent_encode(wave, percent_encoding::NON_ALPHANUMERIC)
        ),
        None => format!("annee={}", overview.year),
    }
}

struct PeriodForms<'a> {
    overview: &'a Overview,
}

impl Render for PeriodForms<'_> {
    fn render(&self) -> Markup {
        let o = self.overview;
        // The wave shown for 6 and 7, preselected even when the period was chosen by year.
        let shown_wave = o.wave.clone().or_else(|| {
            o.entries.iter().find_map(|e| match &e.period {
                PeriodRef::Wave { label, .. } => Some(label.clone()),
                _ => None,
            })
        });
        html! {
            div.period-forms {
                form method="get" action="/tableau-de-bord" {
                    label for="annee" { "Année" }
                    select #annee name="annee" {
                        @for year in o.years.iter().rev() {
                            option value=(year) selected[o.wave.is_none() && *year == o.year] { (year) }
                        }
                    }
                    button.button.secondary type="submit" { "Afficher l’année" }
                }
                @if !o.waves.is_empty() {
                    form method="get" action="/tableau-de-bord" {
                        label for="vague" { "Vague (indicateurs 6 et 7)" }
                        select #vague name="vague" {
                            @for wave in &o.waves {
                                option value=(wave) selected[shown_wave.as_deref() == Some(wave.as_str())] { (wave) }
                            }
                        }
                        button.button.secondary type="submit" { "Afficher la vague" }
                    }
                }
            }
        }
    }
}

struct IndicatorCard<'a> {
    entry: &'a IndicatorEntry,
    threshold: u64,
    query: String,
    year: i32,
}

impl Render for IndicatorCard<'_> {
    fn render(&self) -> Markup {
        let entry = self.entry;
        let r = &entry.report;
        let code = r.code;
        let id = format!("indicateur-{}", code.as_str().replace('.', "-"));
        let trend: Vec<(String, Option<f64>, bool)> = entry
            .trend
            .iter()
            .map(|t| (t.label.clone(), t.value, t.selected))
            .collect();
        let trend_title = format!("Évolution de l’{}", indicator_name(code).to_lowercase());
        html! {
            section.indicator aria-labelledby={(id) "-titre"} {
                h2 id={(id) "-titre"} {
                    (indicator_name(code)) " – " (indicator_title(code))
                }
                p.period { (period_sentence(entry)) }
                @if entry.masked {
                    p.notice {
                        "Moins de " (self.threshold) " réponses : les résultats ne sont pas affichés, \
                         pour préserver l’anonymat des répondants."
                    }
                }
                p.figure {
                    span.value { (percent(r.value)) }
                    " "
                    span.what { (value_label(code)) }
                }
                p { (target_line("Objectif", r.target, r.target_met())) }
                dl.facts {
                    div { dt { "Répondants" } dd { (integer(r.respondents)) } }
                    @if let Some(p) = r.participation {
                        div { dt { "Invitations envoyées" } dd { (integer(p.sent())) } }
                        @if p.failed() > 0 {
                            div { dt { "Adresses en échec définitif" } dd { (integer(p.failed())) } }
                        }
                        div {
                            dt { "Taux de participation" }
                            dd {
                                (percent(p.rate()))
                                @if let Some(target) = r.participation_target {
                                    " " (target_line("objectif", target, r.participation_met()))
                                }
                            }
                        }
                        @if p.undeliverable() > p.failed() {
                            div {
                                dt { "Taux de participation des personnes jointes" }
                                dd {
                                    (percent(p.rate_over_reached())) " (hors " (integer(p.undeliverable())) " adresse(s) non distribuable(s))"
                                }
                            }
                        }
                    } @else if let Some(d) = r.downloads {
                        div {
                            dt { "Participation (avis / téléchargements)" }
                            dd { (percent(d.rate())) " (" (integer(d.ratings)) " avis, " (integer(d.downloads)) " téléchargements)" }
                        }
                    }
                    div { dt { "Intervalle de confiance à 95 %" } dd { (interval(r.interval)) } }
                    @if let Some(two_level) = &r.two_level {
                        div {
                            dt { "Tous répondants regroupés" }
                            dd { (percent(two_level.pooled_value)) " (pour information)" }
                        }
                        div {
                            dt { "Entreprises prises en compte" }
                            dd {
                                (integer(two_level.companies_counted as u64)) " sur "
                                (integer(two_level.companies_with_respondents as u64)) " ayant répondu"
                            }
                        }
                    }
                    @if let Some(overall) = r.overall() {
                        div {
                            dt { "Perception d’ensemble" }
                            dd { (percent(overall.rate())) " (n = " (integer(overall.n())) ")" }
                        }
                    }
                    @if let Some((from, change)) = &entry.change {
                        div { dt { "Évolution" } dd { (change_sentence(from, change)) } }
                    }
                }
                @if !trend.is_empty() {
                    (TrendChart { id: &format!("{id}-tendance"), title: &trend_title, points: &trend, target: r.target.threshold() })
                }
                p.links {
                    a href={"/tableau-de-bord/fiches/" (code.as_str()) "?" (self.query)} {
                        "Fiche " (indicator_name(code).to_lowercase())
                    }
                    @if code == QuestionnaireCode::I4 {
                        " · "
                        a href={"/tableau-de-bord/ressources?annee=" (self.year)} { "Par ressource et par thème, commentaires" }
                    }
                    @if let PeriodRef::Wave { campaign_id, label } = &entry.period {
                        " · "
                        a href={"/tableau-de-bord/campagnes/" (campaign_id)} { "Campagne « " (label) " »" }
                    }
                }
            }
        }
    }
}
