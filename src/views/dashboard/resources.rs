//! `/tableau-de-bord/ressources`: indicator 4 for a year, per theme and per resource of the
//! website, and the comments to read, each with a button to hide an abusive one.

use maud::{Markup, html};

use crate::domain::widget::{Rates, WidgetResults};
use crate::store::widget::Comment;
use crate::views::format::{day, integer, interval, percent};
use crate::views::layout::{staff_page, table_scroll};

fn rates_cells(rates: &Rates) -> Markup {
    let satisfaction = rates.satisfaction;
    html! {
        td { (percent(satisfaction.rate())) }
        td { (interval(satisfaction.interval_95())) }
        td { (integer(satisfaction.total())) }
        td { (integer(rates.participation.downloads)) }
        td { (percent(rates.participation.rate())) }
    }
}

fn rates_head(first: &str) -> Markup {
    html! {
        thead {
            tr {
                th scope="col" { (first) }
                th scope="col" { "Satisfaction" }
                th scope="col" { "Intervalle à 95 %" }
                th scope="col" { "Avis" }
                th scope="col" { "Téléchargements" }
                th scope="col" { "Participation (avis / téléchargements)" }
            }
        }
    }
}

fn themes_table(results: &WidgetResults) -> Markup {
    html! {
        table {
            caption #legende-themes { "Satisfaction et participation par thème, " (results.year) }
            (rates_head("Thème"))
            tbody {
                @for theme in &results.themes {
                    tr {
                        th scope="row" {
                            (theme.theme.as_deref().unwrap_or("Sans thème"))
                            " (" (theme.resources) " ressources)"
                        }
                        (rates_cells(&theme.rates))
                    }
                }
            }
        }
    }
}

fn resources_table(results: &WidgetResults) -> Markup {
    html! {
        table {
            caption #legende-ressources { "Satisfaction et participation par ressource, " (results.year) }
            (rates_head("Ressource"))
            tbody {
                @for r in &results.resources {
                    tr {
                        th scope="row" {
                            @match (&r.title, &r.resource) {
                                (Some(title), Some(id)) => { (title) " " span.hint { "(" (id) ")" } }
                                (None, Some(id)) => { (id) }
                                _ => { "Formulaire sans ressource" }
                            }
                        }
                        (rates_cells(&r.rates))
                    }
                }
            }
        }
    }
}

/// `moderation`: the CSRF token of the hide forms, for those who may hide a comment (None:
/// no form).
pub fn resources_page(
    results: &WidgetResults,
    comments: &[Comment],
    moderation: Option<&str>,
) -> Markup {
    let year = results.year;
    let title = format!("Indicateur 4 : ressources téléchargées en {year}");
    let total = &results.total;
    staff_page(
        &title,
        html! {
            p.breadcrumb { a href={"/tableau-de-bord?annee=" (year)} { "Indicateurs" } " › " (title) }
            h1 { (title) }
            p.lead {
                "Satisfaction : avis « très » ou « plutôt satisfait » sur l’ensemble des avis. \
                 Participation : avis sur téléchargements comptés."
            }
            p.links {
                a href={"/tableau-de-bord/ressources?annee=" (year - 1)} { "Année " (year - 1) }
                " · "
                a href={"/tableau-de-bord/ressources?annee=" (year + 1)} { "Année " (year + 1) }
                " · "
                a href={"/exports/ressources.csv?annee=" (year)} { "Ressources (CSV, point-virgule)" }
                " · "
                a href={"/exports/ressources.csv?annee=" (year) "&sep=,"} { "Ressources (CSV, virgule)" }
            }
            dl.figures {
                div { dt { "Satisfaction" } dd { (percent(total.satisfaction.rate())) } }
                div { dt { "Intervalle à 95 %" } dd { (interval(total.satisfaction.interval_95())) } }
                div { dt { "Avis" } dd { (integer(total.satisfaction.total())) } }
                div { dt { "Téléchargements" } dd { (integer(total.participation.downloads)) } }
                div { dt { "Participation" } dd { (percent(total.participation.rate())) } }
            }

            section aria-labelledby="titre-themes" {
                h2 #titre-themes { "Par thème" }
                @if results.themes.is_empty() {
                    p { "Aucun téléchargement ni avis cette année." }
                } @else {
                    (table_scroll("legende-themes", themes_table(results)))
                }
            }

            section aria-labelledby="titre-ressources" {
                h2 #titre-ressources { "Par ressource" }
                @if results.resources.is_empty() {
                    p { "Aucun téléchargement ni avis cette année." }
                } @else {
                    (table_scroll("legende-ressources", resources_table(results)))
                }
            }

            section aria-labelledby="titre-commentaires" {
                h2 #titre-commentaires { "Commentaires" }
                p.hint {
                    "Les plus récents d’abord. Masquer un commentaire injurieux le retire de \
                     toutes les listes et exports ; l’avis reste compté."
                }
                @if comments.is_empty() {
                    p { "Aucun commentaire à lire." }
                } @else {
                    ul.comments {
                        @for c in comments {
                            li {
                                blockquote { p { (c.text) } }
                                p.hint {
                                    (day(c.day))
                                    @if let Some(resource) = &c.resource { " · " (resource) }
                                }
                                @if let Some(csrf) = moderation {
                                    form method="post" action={"/tableau-de-bord/commentaires/" (c.response_id) "/masquer"} {
                                        input type="hidden" name="_csrf" value=(csrf);
                                        input type="hidden" name="annee" value=(year);
                                        button type="submit" { "Masquer ce commentaire" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
}
