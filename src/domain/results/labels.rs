//! French names for indicators, breakdown dimensions and their groups.

use crate::domain::QuestionnaireCode;
use crate::domain::network::Network;
use crate::domain::questionnaire::Questionnaire;

/// The indicator's name, as on its fiche (shortened).
pub fn indicator_title(code: QuestionnaireCode) -> &'static str {
    match code {
        QuestionnaireCode::I3_1 => "Appropriation des outils et méthodes par les TPE/PME",
        QuestionnaireCode::I3_2 => "Appropriation des outils co-construits par les acteurs relais",
        QuestionnaireCode::I4 => "Satisfaction des usagers téléchargeant les ressources",
        QuestionnaireCode::I6 => "Perception du paritarisme par les membres des IPR",
        QuestionnaireCode::I7 => "Perception des perspectives sociales par les agents",
    }
}

/// What the value measures, for the sentence under it.
pub fn value_label(code: QuestionnaireCode) -> &'static str {
    match code {
        QuestionnaireCode::I3_1 => "moyenne des scores des entreprises",
        QuestionnaireCode::I3_2 => "moyenne des taux de réponses favorables par question",
        QuestionnaireCode::I4 => "usagers très ou plutôt satisfaits",
        QuestionnaireCode::I6 | QuestionnaireCode::I7 => {
            "moyenne des taux de perception favorable par question"
        }
    }
}

/// The fiche's "mode de calcul", quoted on the printable page.
pub fn calculation(code: QuestionnaireCode) -> &'static str {
    match code {
        QuestionnaireCode::I3_1 => {
            "Consolidation à deux échelles : pour chaque entreprise, moyenne des taux de réponses \
             favorables de ses répondants à chacune des questions ; puis moyenne des scores des \
             entreprises ayant au moins un répondant. Le chiffre « tous répondants regroupés » \
             est donné à côté, pour information."
        }
        QuestionnaireCode::I3_2 => {
            "Moyenne des résultats pour chacune des questions permettant de qualifier \
             l’appropriation et l’utilisation des outils et méthodes."
        }
        QuestionnaireCode::I4 => {
            "Nombre d’usagers satisfaits (très satisfait et plutôt satisfait) / nombre \
             d’usagers total ayant répondu après un téléchargement."
        }
        QuestionnaireCode::I6 | QuestionnaireCode::I7 => {
            "Moyenne des résultats pour chacune des questions, et mesure de la perception \
             d’ensemble."
        }
    }
}

/// A breakdown dimension's name: the questionnaire's own label for its declared attributes,
/// else the registration's.
pub fn dimension_label(definition: Option<&Questionnaire>, key: &str) -> String {
    if let Some(attribute) = definition.and_then(|d| d.attributes.iter().find(|a| a.key == key)) {
        return attribute.label.clone();
    }
    match key {
        "company" => "Entreprise",
        "entity" => "Entité du réseau",
        "region" => "Région",
        "kind" => "Type d’intervention",
        "size_band" => "Taille de l’entreprise",
        "college" => "Collège",
        "role" => "Fonction",
        other => other,
    }
    .to_owned()
}

/// A group's name: the option label when the attribute is collected by a question, the
/// entity's name for network entities, readable words for the registration's codes.
pub fn group_label(
    definition: Option<&Questionnaire>,
    network: &Network,
    key: &str,
    value: &str,
) -> String {
    let from_question = definition
        .and_then(|d| d.attributes.iter().find(|a| a.key == key))
        .and_then(|a| a.question.as_deref())
        .and_then(|q| definition?.question(q))
        .and_then(|q| q.kind.options().into_iter().find(|o| o.value == value))
        .map(|o| o.label);
    if let Some(label) = from_question {
        return label;
    }
    if key == "entity"
        && let Some(entity) = network.get(value)
    {
        return entity.name.clone();
    }
    match (key, value) {
        ("kind", "accompagnement_individuel") => "Accompagnement individuel",
        ("kind", "accompagnement_collectif") => "Accompagnement collectif",
        ("kind", "formation_intra") => "Formation intra",
        ("college", "employeurs") => "Employeurs",
        ("college", "salaries") => "Salariés",
        (_, other) => other,
    }
    .to_owned()
}
