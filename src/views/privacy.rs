//! What jalon keeps about a respondent, in plain French, per questionnaire.

use maud::{Markup, html};

use super::layout::page;
use crate::domain::questionnaire::Questionnaire;

pub fn privacy_page(questionnaire: &Questionnaire, threshold: u32) -> Markup {
    let title = "Vos données et vos réponses";
    page(
        title,
        html! {
            h1 { (title) }
            p { "Questionnaire : " (questionnaire.title) }
            @if questionnaire.anonymous {
                h2 { "Vos réponses sont anonymes" }
                p { "Vous recevez un lien personnel pour deux raisons seulement : savoir si vous avez répondu, afin de ne relancer que les personnes qui ne l’ont pas fait, et empêcher qu’un même lien serve deux fois." }
                p { "Vos réponses sont enregistrées séparément de votre lien : elles ne portent ni votre nom, ni votre adresse, ni l’identifiant de votre invitation, ni l’heure de votre réponse. De votre invitation, nous gardons seulement le fait que vous avez répondu, et le jour." }
                @let attributes: Vec<&str> = questionnaire.attributes.iter().map(|a| a.label.as_str()).collect();
                @if !attributes.is_empty() {
                    p {
                        "Seules les informations utiles aux résultats par groupe sont jointes à vos réponses : "
                        (attributes.join(", ").to_lowercase())
                        ". Aucun résultat n’est affiché pour un groupe de moins de " (threshold) " personnes, ni ne peut être déduit des autres chiffres."
                    }
                }
                p { "Les commentaires libres sont lus sans aucune information sur leur auteur, dans un ordre aléatoire, et seulement lorsque le questionnaire a reçu au moins " (threshold) " réponses. N’y écrivez rien qui permette de vous reconnaître." }
                p { "Aucune sauvegarde de brouillon n’est proposée : elle lierait vos réponses à votre lien." }
            } @else {
                h2 { "Ce que nous conservons" }
                p { "Vos réponses, le jour et l’heure de votre réponse, et leur lien avec l’invitation que vous avez reçue (votre adresse électronique, et le cas échéant votre nom, votre fonction et l’intervention concernée)." }
                p { "Ces informations servent à mesurer l’appropriation des outils et méthodes du réseau Anact-Aract et à calculer les indicateurs de son contrat d’objectifs et de performance. Les résultats sont présentés de façon globale, par entreprise ou par groupe." }
            }
            h2 { "Qui y a accès" }
            p { "Les équipes de l’Anact et des Aract chargées du suivi des indicateurs, avec un compte personnel. Les résultats agrégés sont présentés au conseil d’administration de l’Anact et à son ministère de tutelle." }
            h2 { "Combien de temps" }
            p { "Les adresses électroniques et les noms sont effacés au plus tard 24 mois après la clôture du questionnaire ; ne restent alors que les réponses, sans lien avec une personne." }
            p { "Vous pouvez demander l’accès à vos données ou leur effacement en répondant au message qui vous a transmis votre lien." }
            h2 { "Ce que nous ne faisons pas" }
            ul {
                li { "Aucun cookie, aucun outil de mesure d’audience, aucun script sur les pages du questionnaire." }
                li { "Aucune adresse IP n’est conservée." }
                li { "Vos données ne sont ni vendues ni transmises à des tiers." }
            }
        },
    )
}
