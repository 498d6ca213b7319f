//! Short pages that tell a person where they stand: thanks, already answered, closed, errors.

use maud::{Markup, html};

use super::layout::page;

/// A page with a heading and a few paragraphs.
pub fn message_page(title: &str, paragraphs: &[&str]) -> Markup {
    page(
        title,
        html! {
            div.message {
                h1 { (title) }
                @for paragraph in paragraphs {
                    p { (paragraph) }
                }
            }
        },
    )
}

/// `sealed_until`: for an anonymous questionnaire, the number of responses it is counted with.
pub fn thanks(
    questionnaire_title: &str,
    thanks: Option<&str>,
    sealed_until: Option<u64>,
) -> Markup {
    let default = "Vos réponses ont bien été enregistrées. Elles nous aident à améliorer \
                   l’accompagnement des entreprises et des acteurs de la prévention.";
    page(
        "Merci pour votre participation",
        html! {
            div.message.success role="status" {
                h1 { "Merci pour votre participation" }
                p { "Questionnaire : " (questionnaire_title) }
                p { (thanks.unwrap_or(default)) }
                @if let Some(threshold) = sealed_until {
                    p {
                        "Votre réponse est anonyme : elle est mise de côté sans lien avec vous, et comptée dans les résultats avec celles d’au moins "
                        (threshold) " personnes, toutes ensemble (ou à la clôture de l’enquête)."
                    }
                }
                p { "Vous pouvez fermer cette page." }
            }
        },
    )
}

pub fn already_answered() -> Markup {
    message_page(
        "Réponse déjà enregistrée",
        &[
            "Une réponse a déjà été enregistrée avec ce lien personnel : elle ne peut pas être remplacée.",
            "Merci pour votre participation. Vous pouvez fermer cette page.",
        ],
    )
}

pub fn closed() -> Markup {
    message_page(
        "Questionnaire clos",
        &[
            "Ce questionnaire n’accepte plus de réponses.",
            "Merci de l’attention que vous y avez portée.",
        ],
    )
}

pub fn link_not_found() -> Markup {
    message_page(
        "Lien introuvable",
        &[
            "Ce lien ne correspond à aucun questionnaire. Vérifiez qu’il a été copié en entier depuis le message reçu.",
            "Si le problème persiste, répondez au message qui vous a transmis ce lien.",
        ],
    )
}

pub fn page_not_found() -> Markup {
    message_page(
        "Page introuvable",
        &["La page demandée n’existe pas ou a été déplacée."],
    )
}

pub fn bad_request(detail: &str) -> Markup {
    message_page("Requête invalide", &[detail])
}

pub fn too_large() -> Markup {
    message_page(
        "Envoi trop volumineux",
        &[
            "Les réponses envoyées dépassent la taille autorisée. Raccourcissez les textes saisis puis renvoyez le formulaire.",
        ],
    )
}

pub fn unavailable() -> Markup {
    message_page(
        "Service momentanément indisponible",
        &[
            "Nous ne pouvons pas enregistrer votre réponse pour le moment ; rien n’a été enregistré.",
            "Merci de réessayer dans quelques minutes.",
        ],
    )
}

pub fn internal_error() -> Markup {
    message_page(
        "Erreur inattendue",
        &[
            "Une erreur inattendue s’est produite ; rien n’a été enregistré.",
            "Merci de réessayer plus tard.",
        ],
    )
}

pub fn too_many_requests() -> Markup {
    message_page(
        "Trop de réponses envoyées",
        &[
            "Trop de réponses ont été envoyées depuis votre connexion en peu de temps ; rien n’a été enregistré.",
            "Merci de réessayer dans quelques minutes.",
        ],
    )
}
