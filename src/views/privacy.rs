//! What jalon keeps about a respondent, in plain French, per questionnaire.

use maud::{Markup, html};

use super::layout::page;
use crate::domain::questionnaire::Questionnaire;

pub fn privacy_page(questionnaire: &Questionnaire, threshold: u64) -> Markup {
    let title = "Vos données et vos réponses";
    page(
        title,
        html! {
            h1 { (title) }
            p { "Questionnaire : " (questionnaire.title) }
            @if questionnaire.anonymous {
                (anonymous_notice(questionnaire, threshold))
            } @else {
                h2 { "Ce que nous conservons" }
                p { "Vos réponses, le jour et l’heure de votre réponse, et leur lien avec l’invitation que vous avez reçue (votre adresse électronique, et le cas échéant votre nom, votre fonction et l’intervention concernée)." }
                p { "Ces informations servent à mesurer l’appropriation des outils et méthodes du réseau Anact-Aract et à calculer les indicateurs de son contrat d’objectifs et de performance. Les résultats sont présentés de façon globale, par entreprise ou par groupe." }
                h2 { "Qui y a accès" }
                p { "Les équipes de l’Anact et des Aract chargées du suivi des indicateurs, avec un compte personnel. Les résultats agrégés sont présentés au conseil d’administration de l’Anact et à son ministère de tutelle." }
                h2 { "Combien de temps" }
                p { "Les adresses électroniques et les noms sont effacés au plus tard 24 mois après la clôture du questionnaire ; ne restent alors que les réponses, sans lien avec une personne." }
                p { "Vous pouvez demander l’accès à vos données ou leur effacement en répondant au message qui vous a transmis votre lien." }
            }
            h2 { "Ce que nous ne faisons pas" }
            ul {
                li { "Aucun cookie, aucun outil de mesure d’audience, aucun script sur les pages du questionnaire." }
                li { "Aucune adresse IP n’est conservée." }
                li { "Vos données ne sont ni vendues ni transmises à des tiers." }
            }
        },
    )
}

/// The anonymous questionnaires' notice: what is kept, what is not, when an answer counts,
/// who sees what, for how long. Every sentence is what the code does (`store::anonymity`).
fn anonymous_notice(questionnaire: &Questionnaire, threshold: u64) -> Markup {
    let attributes: Vec<String> = questionnaire
        .attributes
        .iter()
        .map(|a| a.label.to_lowercase())
        .collect();
    html! {
        h2 { "Vos réponses sont anonymes" }
        p { "Vous recevez un lien personnel pour deux raisons seulement : savoir si vous avez répondu, afin de ne relancer que les personnes qui ne l’ont pas fait, et empêcher qu’un même lien serve deux fois." }
        h2 { "Ce qui est conservé" }
        ul {
            li { "Vos réponses, sans votre nom, sans votre adresse et sans aucun lien avec votre invitation." }
            @if !attributes.is_empty() {
                li {
                    "Pour les résultats par groupe, ce que la liste des personnes invitées indique de vous : "
                    (attributes.join(", "))
                    ". Seulement si au moins " (threshold)
                    " personnes ayant répondu ont les mêmes informations ; sinon la plus fine est retirée de votre réponse."
                }
            }
            li { "De votre invitation : le seul fait que vous avez répondu, sans la date." }
        }
        h2 { "Ce qui n’est pas conservé" }
        ul {
            li { "Ni l’heure ni le jour de votre réponse : toutes les réponses d’une vague portent le même jour, celui où elles ont été comptées." }
            li { "Ni l’ordre d’arrivée des réponses : elles sont enregistrées toutes ensemble, dans un ordre tiré au hasard, avec des identifiants tirés au hasard." }
            li { "Aucun brouillon : il lierait vos réponses à votre lien." }
        }
        h2 { "Quand votre réponse est comptée" }
        p {
            "À l’envoi, votre réponse est mise de côté, sans lien avec vous. Elle entre dans les résultats avec celles d’au moins "
            (threshold) " personnes, toutes ensemble, ou à la clôture de l’enquête. Dès lors, même une personne ayant accès à toute la base de données ne peut pas dire quelle réponse est la vôtre."
        }
        h2 { "Qui voit quoi" }
        ul {
            li { "Les équipes de l’Anact et des Aract chargées du suivi des indicateurs voient des résultats d’ensemble, jamais une réponse individuelle, ni à l’écran ni dans les fichiers exportés. Ces résultats sont présentés au conseil d’administration de l’Anact et à son ministère de tutelle." }
            li { "Aucun résultat n’est affiché pour un groupe de moins de " (threshold) " personnes, ni ne peut être déduit des autres chiffres." }
            li { "Les commentaires libres sont lus sans aucune information sur leur auteur, dans un ordre aléatoire, et seulement lorsque le questionnaire a reçu au moins " (threshold) " réponses. N’y écrivez rien qui permette de vous reconnaître." }
        }
        h2 { "Combien de temps" }
        p { "Les adresses électroniques et les noms des personnes invitées sont effacés au plus tard 24 mois après la clôture de l’enquête. Les réponses, qui ne désignent personne, sont gardées pour comparer les vagues successives." }
        p { "Parce que personne ne peut retrouver votre réponse, elle ne peut plus être modifiée ni effacée une fois envoyée." }
    }
}
