use chrono_tz::Europe::Paris;
use maud::{Markup, html};

use crate::entities::campaign;
use crate::store::bounces::{DeliveryCounts, Undeliverable};
use crate::store::campaign_admin::{Counts, Planned};
use crate::views::layout::{staff_page, table_scroll_named};

pub struct CampaignRow {
    pub campaign: campaign::Model,
    pub counts: Counts,
}

fn status_label(status: &str) -> &str {
    match status {
        "open" => "en cours",
        "paused" => "envois suspendus",
        "closed" => "close",
        other => other,
    }
}

pub fn campaigns_page(rows: &[CampaignRow]) -> Markup {
    staff_page(
        "Campagnes",
        html! {
            p.breadcrumb { a href="/admin" { "Administration" } }
            h1 { "Campagnes" }
            @if rows.is_empty() {
                p { "Aucune campagne." }
            } @else {
                (table_scroll_named("Campagnes", html! {
                    table {
                        thead {
                            tr {
                                th scope="col" { "Questionnaire" }
                                th scope="col" { "Campagne" }
                                th scope="col" { "État" }
                                th scope="col" { "Prévues" }
                                th scope="col" { "Envoyées" }
                                th scope="col" { "Répondues" }
                            }
                        }
                        tbody {
                            @for row in rows {
                                tr {
                                    td { (row.campaign.questionnaire_code) }
                                    td { a href={"/admin/campagnes/" (row.campaign.id)} { (row.campaign.label) } }
                                    td { (status_label(&row.campaign.status)) }
                                    td { (row.counts.planned) }
                                    td { (row.counts.sent) }
                                    td { (row.counts.completed) }
                                }
                            }
                        }
                    }
                }))
            }
        },
    )
}

fn action(id: &str, path: &str, label: &str, csrf: &str, primary: bool) -> Markup {
    html! {
        form method="post" action={"/admin/campagnes/" (id) "/" (path)} {
            input type="hidden" name="_csrf" value=(csrf);
            @if primary {
                button.button.primary type="submit" { (label) }
            } @else {
                button.button.secondary type="submit" { (label) }
            }
        }
    }
}

/// What came back of a campaign's emails: counts and the list.
pub struct Delivery<'a> {
    pub counts: DeliveryCounts,
    pub rows: &'a [Undeliverable],
}

pub fn campaign_page(
    row: &CampaignRow,
    planned: &[Planned],
    delivery: &Delivery<'_>,
    csrf: &str,
) -> Markup {
    let c = &row.campaign;
    let id = c.id.to_string();
    staff_page(
        &format!("Campagne {} {}", c.questionnaire_code, c.label),
        html! {
            p.breadcrumb { a href="/admin/campagnes" { "Campagnes" } }
            h1 { "Campagne " (c.questionnaire_code) " – " (c.label) }
            dl.facts {
                div { dt { "État" } dd { (status_label(&c.status)) } }
                div { dt { "Invitations prévues (pas encore envoyées)" } dd { (row.counts.planned) } }
                div { dt { "Invitations envoyées" } dd { (row.counts.sent) } }
                div { dt { "Réponses" } dd { (row.counts.completed) } }
                div { dt { "Invitations closes ou annulées" } dd { (row.counts.closed) } }
                div { dt { "Adresses non distribuables" } dd { (delivery.counts.bounced) } }
                div { dt { "Distributions retardées" } dd { (delivery.counts.deferred) } }
                div { dt { "Signalements comme indésirable" } dd { (delivery.counts.complained) } }
            }
            p { a href={"/tableau-de-bord/campagnes/" (id)} { "Résultats de la campagne" } }
            div.form-actions {
                @match c.status.as_str() {
                    "open" => {
                        (action(&id, "suspension", "Suspendre les envois", csrf, false))
                        (action(&id, "cloture", "Clore la campagne", csrf, true))
                    }
                    "paused" => {
                        (action(&id, "reprise", "Reprendre les envois", csrf, false))
                        (action(&id, "cloture", "Clore la campagne", csrf, true))
                    }
                    _ => {}
                }
                p.hint {
                    "Suspendre : plus aucune invitation ni relance n’est envoyée, les liens restent ouverts. "
                    "Clore : plus rien n’est envoyé et les liens n’acceptent plus de réponse (définitif)."
                }
            }
            h2 { "Adresses en échec de distribution" }
            (super::undeliverable_table(delivery.rows, csrf, false))
            h2 { "Invitations prévues" }
            @if planned.is_empty() {
                p { "Aucune invitation en attente d’envoi." }
            } @else {
                (table_scroll_named("Invitations prévues", html! {
                    table {
                        thead {
                            tr {
                                th scope="col" { "Personne" }
                                th scope="col" { "Envoi prévu (heure de Paris)" }
                                th scope="col" { "Action" }
                            }
                        }
                        tbody {
                            @for p in planned {
                                tr {
                                    td { (p.name.as_deref().unwrap_or("")) " " (p.email.as_deref().unwrap_or("(effacée)")) }
                                    td {
                                        @if let Some(at) = p.scheduled_for {
                                            (at.with_timezone(&Paris).format("%d/%m/%Y %H:%M"))
                                        } @else { "—" }
                                    }
                                    td {
                                        form method="post" action={"/admin/invitations/" (p.id) "/annulation"} {
                                            input type="hidden" name="_csrf" value=(csrf);
                                            button.button.secondary type="submit" aria-label={"Annuler l’invitation de " (p.email.as_deref().unwrap_or(""))} { "Annuler" }
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
