use chrono_tz::Europe::Paris;
use maud::{Markup, html};

use crate::entities::audit_entry;
use crate::views::layout::{staff_page, table_scroll_named};

/// The latest staff actions, newest first.
pub fn audit_page(entries: &[audit_entry::Model]) -> Markup {
    staff_page(
        "Journal des actions",
        html! {
            h1 { "Journal des actions" }
            p.lead { "Qui a enregistré, modifié, exporté ou effacé quoi, et quand (heure de Paris). Les plus récentes d’abord." }
            @if entries.is_empty() {
                p { "Aucune action enregistrée." }
            } @else {
                (table_scroll_named("Journal des actions", html! {
                    table {
                        caption { (entries.len()) " dernières actions" }
                        thead {
                            tr {
                                th scope="col" { "Date" }
                                th scope="col" { "Qui" }
                                th scope="col" { "Action" }
                                th scope="col" { "Objet" }
                                th scope="col" { "Détail" }
                            }
                        }
                        tbody {
                            @for entry in entries {
                                tr {
                                    td { (entry.at.with_timezone(&Paris).format("%d/%m/%Y %H:%M:%S")) }
                                    td { (entry.actor) }
                                    td { (entry.action) }
                                    td { (entry.target) }
                                    td { (entry.detail) }
                                }
                            }
                        }
                    }
                }))
            }
        },
    )
}
