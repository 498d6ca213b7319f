use maud::{Markup, html};
use serde_json::Value;

use crate::views::layout::{staff_page, table_scroll_named};

pub struct ContactView<'a> {
    pub csrf: &'a str,
    /// The address searched and everything stored about it.
    pub found: Option<(&'a str, &'a Value)>,
    /// What was just done (`desinscription`, `effacement`).
    pub done: Option<&'a str>,
    /// The invitations of every campaign whose emails came back (most recent first).
    pub undeliverable: &'a [crate::store::bounces::Undeliverable],
}

fn text(value: &Value) -> String {
    match value {
        Value::Null => "—".to_owned(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

pub fn contacts_page(view: &ContactView<'_>) -> Markup {
    staff_page(
        "Contacts",
        html! {
            p.breadcrumb { a href="/admin" { "Administration" } }
            h1 { "Contacts (RGPD)" }
            p.lead {
                "Ce que jalon conserve d’une personne, à sa demande : l’exporter, la désinscrire de toute campagne, ou effacer son adresse et son nom (ses réponses restent, sans lien avec elle, pour les indicateurs)."
            }
            @match view.done {
                Some("effacement") => { p.notice role="status" { "Contact effacé." } }
                Some("desinscription") => { p.notice role="status" { "Contact désinscrit de toutes les campagnes." } }
                _ => {}
            }
            form.period-forms method="get" action="/admin/contacts" {
                label for="email" { "Adresse électronique" }
                input #email type="text" name="email" inputmode="email" spellcheck="false"
                    value=(view.found.map(|(e, _)| e).unwrap_or_default());
                button.button.secondary type="submit" { "Rechercher" }
            }
            @if let Some((email, data)) = view.found {
                @let invitations = data["invitations"].as_array().cloned().unwrap_or_default();
                h2 { (invitations.len()) " invitation(s) pour " (email) }
                @if !invitations.is_empty() {
                    (table_scroll_named("Invitations de la personne", html! {
                        table {
                            thead {
                                tr {
                                    th scope="col" { "Questionnaire" }
                                    th scope="col" { "Campagne" }
                                    th scope="col" { "Nom" }
                                    th scope="col" { "État" }
                                    th scope="col" { "Envoyée" }
                                    th scope="col" { "Désinscription" }
                                }
                            }
                            tbody {
                                @for inv in &invitations {
                                    tr {
                                        td { (text(&inv["questionnaire"])) }
                                        td { (text(&inv["campaign"])) }
                                        td { (text(&inv["name"])) }
                                        td { (text(&inv["status"])) }
                                        td { (text(&inv["sent_at"])) }
                                        td { (text(&inv["unsubscribed_at"])) }
                                    }
                                }
                            }
                        }
                    }))
                    p { a href={"/admin/contacts/export?email=" (percent_encoding::utf8_percent_encode(email, percent_encoding::NON_ALPHANUMERIC))} { "Télécharger toutes ses données (JSON)" } }
                    form method="post" action="/admin/contacts/desinscription" {
                        input type="hidden" name="_csrf" value=(view.csrf);
                        input type="hidden" name="email" value=(email);
                        button.button.secondary type="submit" { "Désinscrire de toutes les campagnes" }
                    }
                    form method="post" action="/admin/contacts/effacement" {
                        input type="hidden" name="_csrf" value=(view.csrf);
                        input type="hidden" name="email" value=(email);
                        div.option {
                            input #confirmation type="checkbox" name="confirmation" value="oui" required;
                            label for="confirmation" { "J’ai compris : l’adresse et le nom seront effacés définitivement." }
                        }
                        button.button.primary type="submit" { "Effacer ce contact" }
                    }
                }
            }
            h2 { "Adresses en échec de distribution" }
            p {
                "Les invitations dont les messages sont revenus (adresse inconnue, boîte pleine, signalement), toutes campagnes confondues, les plus récentes d’abord."
            }
            (super::undeliverable_table(view.undeliverable, view.csrf, true))
        },
    )
}
