//! `/`, the front door: for whoever lands on the bare address, what jalon is, what it keeps
//! (in a few lines, the details being each questionnaire's notice) and where staff sign in.

use maud::{Markup, html};

use super::layout::page;
use crate::domain::QuestionnaireCode;

/// A questionnaire whose notice (`/confidentialite/{code}`) the page links to.
pub struct Notice<'a> {
    pub code: QuestionnaireCode,
    pub title: &'a str,
}

/// `threshold`: the smallest group whose results an anonymous survey shows.
pub fn front_door_page(notices: &[Notice<'_>], threshold: u64) -> Markup {
    let title = "Questionnaires du réseau Anact-Aract";
    page(
        title,
        html! {
            h1 { (title) }
            p.lead {
                "jalon est le service de questionnaires en ligne de l’Anact et du réseau des Aract. \
                 Vos réponses servent à mesurer les indicateurs du contrat d’objectifs et de \
                 performance de l’Anact."
            }
            section aria-labelledby="titre-questionnaires" {
                h2 #titre-questionnaires { "Qui est interrogé" }
                ul {
                    li {
                        "Les participants aux interventions du réseau en entreprise, et les acteurs \
                         relais qui ont coproduit un outil avec lui : quelques mois plus tard, pour \
                         savoir ce qu’ils en ont retiré."
                    }
                    li {
                        "Les visiteurs du site internet de l’Anact, après le téléchargement d’une \
                         ressource : pour savoir si elle leur a été utile."
                    }
                    li {
                        "Les membres des instances paritaires régionales et les agents de \
                         l’établissement : deux enquêtes internes anonymes (indicateurs 6 et 7)."
                    }
                }
            }
            section aria-labelledby="titre-repondre" {
                h2 #titre-repondre { "Répondre à un questionnaire" }
                p {
                    "Votre questionnaire s’ouvre avec le lien personnel que vous avez reçu par \
                     courriel : il n’y a ni compte à créer ni mot de passe. Ce lien vous est \
                     propre, ne le transmettez pas."
                }
                p {
                    "Les avis sur les ressources du site internet se donnent sur le site lui-même, \
                     juste après un téléchargement."
                }
            }
            section aria-labelledby="titre-donnees" {
                h2 #titre-donnees { "Vos données" }
                ul {
                    li {
                        "Ce qui est conservé, ce sont vos réponses. Les adresses électroniques et \
                         les noms des personnes invitées servent à envoyer les liens et les \
                         relances ; ils sont effacés au plus tard 24 mois après la clôture du \
                         questionnaire."
                    }
                    li {
                        "Dans les enquêtes internes anonymes (indicateurs 6 et 7), rien ne relie une \
                         personne à ses réponses : le lien personnel sert seulement à ne relancer que \
                         les personnes qui n’ont pas encore répondu. Aucun résultat n’est affiché \
                         pour un groupe de moins de " (threshold) " personnes."
                    }
                    li { "Vos données ne sont ni vendues ni transmises à des tiers." }
                }
                p {
                    "L’Anact est responsable de ces questionnaires. Pour accéder à vos données, \
                     demander leur effacement ou poser une question, répondez au courriel qui vous \
                     a transmis votre lien."
                }
                @if !notices.is_empty() {
                    p { "Le détail, questionnaire par questionnaire :" }
                    ul {
                        @for notice in notices {
                            li {
                                a href={"/confidentialite/" (notice.code.as_str())} { (notice.title) }
                            }
                        }
                    }
                }
            }
            section aria-labelledby="titre-equipes" {
                h2 #titre-equipes { "Équipes de l’Anact et des Aract" }
                p {
                    "Les tableaux de bord, les exports et l’administration sont réservés aux \
                     équipes, avec un compte personnel."
                }
                p { a href="/connexion" { "Se connecter à l’espace des équipes" } }
            }
        },
    )
}
