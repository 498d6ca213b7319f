use chrono_tz::Europe::Paris;
use maud::{Markup, html};

use crate::domain::network::Network;
use crate::entities::{api_token, staff_user};
use crate::views::layout::{staff_page, table_scroll_named};

pub struct AccountsView<'a> {
    pub csrf: &'a str,
    pub users: &'a [staff_user::Model],
    pub tokens: &'a [api_token::Model],
    pub network: &'a Network,
    /// Local passwords on: an account is made with one; off, it signs in through single
    /// sign-on only.
    pub passwords: bool,
    pub error: Option<&'a str>,
    pub done: Option<&'a str>,
}

fn role(name: &str, entity: Option<&str>) -> String {
    match entity {
        Some(entity) => format!("{name} ({entity})"),
        None => name.to_owned(),
    }
}

pub fn accounts_page(view: &AccountsView<'_>) -> Markup {
    staff_page(
        "Comptes",
        html! {
            p.breadcrumb { a href="/admin" { "Administration" } }
            h1 { "Comptes et jetons" }
            @if let Some(done) = view.done {
                p.notice role="status" { (done) }
            }
            h2 { "Comptes" }
            (table_scroll_named("Comptes", html! {
                table {
                    thead { tr { th scope="col" { "Adresse" } th scope="col" { "Rôle" } th scope="col" { "Créé le" } th scope="col" { "Action" } } }
                    tbody {
                        @for user in view.users {
                            tr {
                                td { (user.email) }
                                td { (role(&user.role, user.entity.as_deref())) }
                                td { (user.created_at.with_timezone(&Paris).format("%d/%m/%Y")) }
                                td {
                                    form method="post" action={"/admin/comptes/" (user.id) "/suppression"} {
                                        input type="hidden" name="_csrf" value=(view.csrf);
                                        button.button.secondary type="submit" aria-label={"Supprimer le compte " (user.email)} { "Supprimer" }
                                    }
                                }
                            }
                        }
                    }
                }
            }))
            form.form-section method="post" action="/admin/comptes" {
                h2 { "Ajouter un compte" }
                @if let Some(error) = view.error {
                    div.error-summary role="alert" tabindex="-1" {
                        h3 { "Le compte n’a pas été créé" }
                        p { (error) }
                    }
                }
                input type="hidden" name="_csrf" value=(view.csrf);
                div.question {
                    label for="compte-email" { "Adresse électronique" }
                    input #compte-email type="text" name="email" inputmode="email" autocomplete="off" spellcheck="false" required;
                }
                div.question {
                    label for="compte-role" { "Rôle" }
                    select #compte-role name="role" {
                        option value="analyst" { "analyst : tableaux de bord et exports, en lecture" }
                        option value="regional" { "regional : enregistrements de son entité" }
                        option value="editeur" { "editeur : écrire, tester et publier les questionnaires" }
                        option value="admin" { "admin : tout, y compris les comptes" }
                    }
                }
                div.question {
                    label for="compte-entite" { "Entité (rôle regional seulement)" }
                    select #compte-entite name="entite" {
                        option value="" { "—" }
                        @for entity in view.network.entities() {
                            option value=(entity.code) { (entity.name) }
                        }
                    }
                }
                @if view.passwords {
                    div.question {
                        label for="compte-mot-de-passe" { "Mot de passe (12 caractères au moins, à transmettre à la personne)" }
                        input #compte-mot-de-passe type="password" name="mot_de_passe" autocomplete="new-password" required minlength="12";
                    }
                } @else {
                    p.hint { "Les mots de passe locaux sont désactivés : la personne se connectera par l’identification unique, avec cette adresse." }
                }
                div.form-actions { button.button.primary type="submit" { "Créer le compte" } }
            }
            h2 { "Jetons d’API" }
            p.hint { "Un jeton se crée avec « jalon api-token create --name NOM [--role RÔLE] », qui l’affiche une seule fois ; seule son empreinte est conservée." }
            @if view.tokens.is_empty() {
                p { "Aucun jeton." }
            } @else {
                (table_scroll_named("Jetons d’API", html! {
                    table {
                        thead { tr { th scope="col" { "Nom" } th scope="col" { "Rôle" } th scope="col" { "Créé le" } th scope="col" { "Action" } } }
                        tbody {
                            @for token in view.tokens {
                                tr {
                                    td { (token.name) }
                                    td { (role(&token.role, token.entity.as_deref())) }
                                    td { (token.created_at.with_timezone(&Paris).format("%d/%m/%Y")) }
                                    td {
                                        form method="post" action={"/admin/jetons/" (token.id) "/revocation"} {
                                            input type="hidden" name="_csrf" value=(view.csrf);
                                            button.button.secondary type="submit" aria-label={"Révoquer le jeton " (token.name)} { "Révoquer" }
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
