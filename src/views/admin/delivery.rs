//! The invitations whose emails came back (bounces, complaints), with the reason in plain
//! French and, for an undeliverable one, a form to correct its address. Everything shown of a
//! bounce (its address, the server's reason) was written by someone else: maud escapes it.

use chrono_tz::Europe::Paris;
use maud::{Markup, html};

use crate::domain::bounce::{Status, plain_french};
use crate::store::bounces::{BOUNCED, COMPLAINED, DEFERRED, Undeliverable};
use crate::views::layout::table_scroll_named;

/// The state in French.
pub fn delivery_label(row: &Undeliverable) -> String {
    match row.delivery.as_str() {
        BOUNCED => "Non distribuable (plus aucun envoi)".to_owned(),
        DEFERRED => format!(
            "Distribution retardée ({} échec(s) temporaire(s) ; non distribuable à 3)",
            row.soft_bounces
        ),
        COMPLAINED => "Signalé comme indésirable (désinscrit)".to_owned(),
        other => other.to_owned(),
    }
}

fn reason(row: &Undeliverable) -> String {
    if row.delivery == COMPLAINED {
        return "le destinataire a signalé le message comme indésirable".to_owned();
    }
    let status = row.status.as_deref().and_then(Status::parse);
    let plain = plain_french(status);
    match status {
        Some(status) => format!("{plain} (code {status})"),
        None => plain.to_owned(),
    }
}

/// `with_campaign`: a column naming each row's campaign (the list of every campaign).
pub fn undeliverable_table(rows: &[Undeliverable], csrf: &str, with_campaign: bool) -> Markup {
    html! {
        @if rows.is_empty() {
            p { "Aucune adresse en échec de distribution." }
        } @else {
            (table_scroll_named("Adresses en échec de distribution", html! {
                table {
                    thead {
                        tr {
                            th scope="col" { "Personne" }
                            @if with_campaign { th scope="col" { "Campagne" } }
                            th scope="col" { "État" }
                            th scope="col" { "Raison" }
                            th scope="col" { "Date (heure de Paris)" }
                            th scope="col" { "Corriger l’adresse" }
                        }
                    }
                    tbody {
                        @for row in rows {
                            tr {
                                td { (row.name.as_deref().unwrap_or("")) " " (row.email.as_deref().unwrap_or("(effacée)")) }
                                @if with_campaign {
                                    td { a href={"/admin/campagnes/" (row.campaign_id)} { (row.campaign) } }
                                }
                                td { (delivery_label(row)) }
                                td {
                                    (reason(row))
                                    @if let Some(detail) = &row.reason {
                                        br;
                                        small { "Réponse du serveur : " (detail) }
                                    }
                                }
                                td {
                                    @if let Some(at) = row.at {
                                        (at.with_timezone(&Paris).format("%d/%m/%Y %H:%M"))
                                    } @else { "—" }
                                }
                                td {
                                    @if row.delivery != COMPLAINED && row.email.is_some() {
                                        form method="post" action={"/admin/invitations/" (row.id) "/adresse"} {
                                            input type="hidden" name="_csrf" value=(csrf);
                                            label for={"adresse-" (row.id)} {
                                                "Nouvelle adresse"
                                                span.visually-hidden { " de " (row.email.as_deref().unwrap_or("")) }
                                            }
                                            " "
                                            input type="email" id={"adresse-" (row.id)} name="email" required autocomplete="off";
                                            " "
                                            button.button.secondary type="submit" { "Corriger" }
                                        }
                                    } @else { "—" }
                                }
                            }
                        }
                    }
                }
            }))
            p.hint {
                "Corriger une adresse révoque le lien envoyé à l’ancienne et envoie une nouvelle invitation au prochain envoi automatique. "
                "Une personne qui a signalé un message comme indésirable est désinscrite : on ne lui écrit plus."
            }
        }
    }
}
