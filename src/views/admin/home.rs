use maud::{Markup, html};

use crate::views::layout::staff_page;

/// The administration's entry page.
pub fn home_page(actor: &str) -> Markup {
    staff_page(
        "Administration",
        html! {
            h1 { "Administration" }
            p.lead { "Connecté·e en tant que " (actor) "." }
            ul {
                li { a href="/admin/questionnaires" { "Questionnaires et messages" } " : aperçus tels que les voient les répondants, message d’essai" }
                li { a href="/admin/enregistrements" { "Enregistrements" } " : une intervention, une co-production ou une vague, par formulaire" }
                li { a href="/admin/imports" { "Imports CSV" } " : interventions, co-productions, listes des vagues" }
                li { a href="/admin/campagnes" { "Campagnes" } " : suspendre, reprendre, clore, annuler une invitation prévue" }
                li { a href="/admin/contacts" { "Contacts" } " : exporter, désinscrire ou effacer les données d’une personne (RGPD)" }
                li { a href="/admin/comptes" { "Comptes et jetons" } " : ajouter ou supprimer un compte, révoquer un jeton d’API" }
                li { a href="/admin/journal" { "Journal des actions" } " : qui a fait quoi, et quand" }
            }
        },
    )
}
