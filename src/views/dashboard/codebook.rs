//! The codebook of a campaign's files for statisticians: every variable, the question it
//! holds, the versions that ask it, its type, measurement level, values and missing codes.
//! The same content as a staff page and as a file of its own (`codebook.html`).

use maud::{Markup, html};
use uuid::Uuid;

use crate::domain::dataset::{Dataset, Missing};
use crate::stats::Format;
use crate::stats::codebook::{kind, question, versions};
use crate::views::layout::{page, staff_page, table_scroll};

fn title(dataset: &Dataset) -> String {
    format!(
        "Dictionnaire des variables – {} « {} »",
        dataset.questionnaire, dataset.campaign
    )
}

/// The staff page, with the downloads.
pub fn codebook_page(dataset: &Dataset, campaign: Uuid) -> Markup {
    let title = title(dataset);
    staff_page(
        &title,
        html! {
            p.breadcrumb {
                a href="/tableau-de-bord" { "Indicateurs" } " › "
                a href={"/tableau-de-bord/campagnes/" (campaign)} { "Campagne « " (dataset.campaign) " »" }
                " › Dictionnaire des variables"
            }
            h1 { (title) }
            (downloads(campaign))
            (content(dataset))
        },
    )
}

/// The downloads for statisticians of a non-anonymous campaign.
pub fn downloads(campaign: Uuid) -> Markup {
    let label = |format: Format| match format {
        Format::Sav => "SPSS (.sav)",
        Format::R => "R (CSV et script .R, zip)",
        Format::Sps => "SPSS syntaxe (CSV et .sps, zip)",
        Format::Sss => "Triple-S 2.0 (XML et données, zip)",
        Format::CodebookCsv => "Dictionnaire (CSV)",
        Format::CodebookHtml => "Dictionnaire (HTML)",
    };
    html! {
        p.links {
            "Pour les statisticiens : "
            @for (i, format) in Format::ALL.into_iter().enumerate() {
                @if i > 0 { " · " }
                a href={"/exports/campagnes/" (campaign) "/" (format.file_name())} { (label(format)) }
            }
        }
    }
}

/// The codebook as a file of its own.
pub fn codebook_file(dataset: &Dataset) -> Markup {
    page(
        &title(dataset),
        html! { h1 { (title(dataset)) } (content(dataset)) },
    )
}

fn content(dataset: &Dataset) -> Markup {
    html! {
        p {
            (dataset.title) ". " (dataset.rows.len()) " réponses, "
            (dataset.variables.len()) " variables. Une variable par question, quelle que soit la \
            version du questionnaire ; un choix multiple donne une variable 0/1 par option."
        }
        section aria-labelledby="titre-manquants" {
            h2 #titre-manquants { "Codes manquants" }
            p { "Chaque raison a son code, déclaré manquant (« user-missing ») :" }
            ul {
                @for m in Missing::ALL {
                    li { (m.label()) }
                }
            }
            p { "Les codes valent −1 à −4 dans cet ordre, sauf pour un nombre dont le minimum est négatif : ils sont alors sous ce minimum (voir chaque variable)." }
        }
        section aria-labelledby="titre-versions" {
            h2 #titre-versions { "Versions du questionnaire" }
            ul {
                @for v in &dataset.versions {
                    li {
                        (v.code) " = " code { (v.id) }
                        @if v.current { " (actuelle)" }
                    }
                }
            }
        }
        section aria-labelledby="titre-variables" {
            h2 #titre-variables { "Variables" }
            (table_scroll("legende-variables", html! {
                table {
                    caption #legende-variables { "Variables, dans l’ordre des fichiers" }
                    thead {
                        tr {
                            th scope="col" { "Variable" }
                            th scope="col" { "Libellé" }
                            th scope="col" { "Question" }
                            th scope="col" { "Type" }
                            th scope="col" { "Mesure" }
                            th scope="col" { "Versions" }
                            th scope="col" { "Valeurs" }
                            th scope="col" { "Codes manquants" }
                        }
                    }
                    tbody {
                        @for v in &dataset.variables {
                            tr {
                                th scope="row" { code { (v.name) } }
                                td { (v.label) }
                                td { code { (question(v)) } }
                                td { (kind(v)) }
                                td { (v.measure.french()) }
                                td { (versions(v)) }
                                td {
                                    @if !v.values.is_empty() {
                                        ul {
                                            @for (c, l) in &v.values { li { (c) " = " (l) } }
                                        }
                                    }
                                }
                                td {
                                    @if !v.missing.is_empty() {
                                        ul {
                                            @for (c, m) in &v.missing { li { (c) " = " (m.label()) } }
                                        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::dataset::tests::sample;

    #[test]
    fn the_codebook_file_lists_every_variable() {
        let html = codebook_file(&sample()).into_string();
        insta::assert_snapshot!(html);
    }
}
