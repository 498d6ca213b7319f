//! Staff sign-in and sign-out pages, and the "not allowed" page. No script: plain forms.

use maud::{Markup, html};

use super::layout::{page, staff_page};
use crate::domain::staff::Role;

/// What the sign-in form shows besides its fields.
pub struct SignInForm<'a> {
    pub csrf: &'a str,
    /// Where to go once signed in (a path of this site).
    pub back: &'a str,
    pub email: &'a str,
    pub error: Option<&'a str>,
    /// The single sign-on provider's name, when one is configured.
    pub provider: Option<&'a str>,
    /// Whether the email and password form is offered.
    pub passwords: bool,
}

/// The link that starts single sign-on. ProConnect's is drawn as its guidelines say (their
/// blue button, "S’identifier avec ProConnect", and a link explaining ProConnect); any other
/// provider gets a plain button. A link, not a form: it works without JavaScript.
fn provider_button(name: &str, back: &str) -> Markup {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("retour", back)
        .finish();
    let href = format!("/connexion/oidc?{query}");
    html! {
        @if name == "ProConnect" {
            div.proconnect {
                a.proconnect-button href=(href) {
                    span.proconnect-login { "S’identifier avec" }
                    " "
                    span.proconnect-brand { "ProConnect" }
                }
                p {
                    a href="https://www.proconnect.gouv.fr/" target="_blank" rel="noopener"
                        title="Qu’est-ce que ProConnect ? - nouvelle fenêtre" {
                        "Qu’est-ce que ProConnect ?"
                    }
                }
            }
        } @else {
            p { a.button.primary href=(href) { "Se connecter avec " (name) } }
        }
    }
}

pub fn sign_in_page(form: &SignInForm<'_>) -> Markup {
    page(
        "Connexion",
        html! {
            h1 { "Connexion à l’espace des équipes" }
            @if let Some(error) = form.error {
                div.error-summary role="alert" tabindex="-1" {
                    h2 { "La connexion a échoué" }
                    p { (error) }
                }
            }
            @if let Some(name) = form.provider {
                (provider_button(name, form.back))
                @if form.passwords {
                    p.separator { "ou" }
                }
            }
            @if form.passwords {
            form method="post" action="/connexion" {
                input type="hidden" name="_csrf" value=(form.csrf);
                input type="hidden" name="retour" value=(form.back);
                div.question {
                    label for="email" { "Adresse électronique" }
                    input #email type="text" name="email" inputmode="email" autocomplete="username"
                        spellcheck="false" required value=(form.email);
                }
                div.question {
                    label for="password" { "Mot de passe" }
                    input #password type="password" name="password" autocomplete="current-password" required;
                }
                div.form-actions {
                    button.button.primary type="submit" { "Se connecter" }
                }
            }
            } @else if form.provider.is_none() {
                p { "La connexion par mot de passe est désactivée sur ce service." }
            }
        },
    )
}

/// The sign-in page of someone already signed in: who they are, and a sign-out button.
/// A role in words.
fn role_label(role: &Role) -> String {
    match role {
        Role::Admin => "administration (tout, y compris les comptes)".to_owned(),
        Role::Analyst => "analyse (tableaux de bord et exports, en lecture)".to_owned(),
        Role::Regional(entity) => format!("régional (enregistrements de l’entité {entity})"),
        Role::Editor => "édition (écrire, tester et publier les questionnaires)".to_owned(),
    }
}

pub fn signed_in_page(actor: &str, role: &Role, csrf: &str) -> Markup {
    staff_page(
        "Votre session",
        html! {
            h1 { "Votre session" }
            p { "Vous êtes connecté·e en tant que " strong { (actor) } " (rôle : " (role_label(role)) ")." }
            form method="post" action="/deconnexion" {
                input type="hidden" name="_csrf" value=(csrf);
                button.button.secondary type="submit" { "Se déconnecter" }
            }
        },
    )
}

pub fn forbidden() -> Markup {
    page(
        "Accès refusé",
        html! {
            div.message {
                h1 { "Accès refusé" }
                p { "Votre rôle ne permet pas d’accéder à cette page ou de faire cette action." }
                p { a href="/connexion" { "Voir votre session" } }
            }
        },
    )
}

pub fn csrf_rejected() -> Markup {
    page(
        "Formulaire expiré",
        html! {
            div.message {
                h1 { "Formulaire expiré" }
                p { "Ce formulaire n’a pas pu être vérifié (session changée ou page trop ancienne) : rien n’a été fait." }
                p { "Revenez à la page précédente, rechargez-la et recommencez." }
            }
        },
    )
}

pub fn sign_in_required() -> Markup {
    page(
        "Connexion requise",
        html! {
            div.message {
                h1 { "Connexion requise" }
                p { a href="/connexion" { "Se connecter" } }
            }
        },
    )
}
