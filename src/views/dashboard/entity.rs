//! One entity's share of each campaign's results (see `web::entity_results`).

use maud::{Markup, html};

use super::parts::indicator_name;
use crate::domain::QuestionnaireCode;
use crate::domain::network::Entity;
use crate::domain::results::BreakdownGroup;
use crate::domain::results::labels::value_label;
use crate::domain::results::report::CampaignInfo;
use crate::views::format::{integer, percent};
use crate::views::layout::{staff_page, table_scroll_named};

/// A campaign, and the group of the entity's respondents in its breakdown.
pub struct EntityRow {
    pub campaign: CampaignInfo,
    pub code: QuestionnaireCode,
    /// The group's value: the entity's code, or its region for 6.
    pub group: String,
    /// The whole campaign is below the anonymity threshold.
    pub masked: bool,
    /// `None` when the entity has no respondent in the campaign.
    pub cell: Option<BreakdownGroup>,
}

pub fn entity_page(entity: &Entity, rows: &[EntityRow]) -> Markup {
    let title = format!("Résultats : {}", entity.name);
    staff_page(
        &title,
        html! {
            h1 { (title) }
            p.lead {
                "Pour chaque campagne, les répondants de l’entité (de sa région pour \
                 l’indicateur 6) : leur nombre et la moyenne de leurs taux de réponses \
                 favorables, question par question. Les groupes trop petits pour préserver \
                 l’anonymat des questionnaires anonymes sont masqués."
            }
            @if rows.is_empty() {
                p { "Aucune campagne pour le moment." }
            } @else {
                (table_scroll_named("Résultats par campagne", html! {
                    table {
                        caption { "Résultats de " (entity.name) " par campagne" }
                        thead {
                            tr {
                                th scope="col" { "Campagne" }
                                th scope="col" { "Indicateur" }
                                th scope="col" { "Groupe" }
                                th scope="col" { "Répondants" }
                                th scope="col" { "Valeur" }
                                th scope="col" { "Perception d’ensemble" }
                            }
                        }
                        tbody {
                            @for row in rows {
                                tr {
                                    th scope="row" { (row.campaign.label) }
                                    td { (indicator_name(row.code)) " – " (value_label(row.code)) }
                                    td { (row.group) }
                                    @match (&row.cell, row.masked) {
                                        (_, true) => { td colspan="3" { "masqué (moins de répondants que le seuil d’anonymat)" } }
                                        (None, false) => { td colspan="3" { "aucun répondant" } }
                                        (Some(cell), false) if cell.hidden => { td colspan="3" { "masqué (groupe trop petit)" } }
                                        (Some(cell), false) => {
                                            td { (cell.respondents.map_or_else(|| "–".to_owned(), integer)) }
                                            td { (percent(cell.value)) }
                                            td { (percent(cell.overall.and_then(|o| o.rate()))) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }))
            }
        },
    )
}
