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

/// Where a group comes in its breakdown: the order of its question's options when the
/// attribute has one (sizes from the smallest), after them the others by value.
pub fn group_rank(definition: Option<&Questionnaire>, key: &str, value: &str) -> (usize, String) {
    let position = definition.and_then(|d| {
        let attribute = d.attributes.iter().find(|a| a.key == key)?;
        let option = attribute.option_of_value(value);
        let question = d.question(attribute.question.as_deref()?)?;
        question
            .kind
            .options()
            .iter()
            .position(|o| o.value == option)
    });
    (position.unwrap_or(usize::MAX), value.to_owned())
}

/// A group's name: the option label when the attribute is collected by a question (or mapped
/// to one of its options), the entity's name for network entities, readable words for the
/// registration's codes.
pub fn group_label(
    definition: Option<&Questionnaire>,
    network: &Network,
    key: &str,
    value: &str,
) -> String {
    let from_question = definition.and_then(|d| {
        let attribute = d.attributes.iter().find(|a| a.key == key)?;
        let option = attribute.option_of_value(value);
        let question = d.question(attribute.question.as_deref()?)?;
        question
            .kind
            .options()
            .into_iter()
            .find(|o| o.value == option)
            .map(|o| o.label)
    });
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::questionnaire::parse_questionnaire;

    fn sized() -> Questionnaire {
        parse_questionnaire(
            r#"code = "i3.1"
title = "T"
introduction = ""
estimated_minutes = 2

[[attributes]]
key = "size_band"
label = "Taille de l’entreprise"
question = "taille"
values = { moins_de_10 = "1-9", de_10_a_49 = "10-49", de_50_a_249 = "50-249", "250_et_plus" = "250+" }

[[sections]]
id = "s"
title = "S"

[[sections.questions]]
id = "taille"
text = "Taille"
type = "single_choice"
options = [
  { value = "moins_de_10", label = "Moins de 10 salarié·es" },
  { value = "de_10_a_49", label = "De 10 à 49 salarié·es" },
  { value = "de_50_a_249", label = "De 50 à 249 salarié·es" },
  { value = "250_et_plus", label = "250 salarié·es ou plus" },
]
"#,
        )
        .unwrap()
    }

    #[test]
    fn a_mapped_dimension_names_its_groups_with_the_options_labels() {
        let q = sized();
        let network = Network::default();
        assert_eq!(
            group_label(Some(&q), &network, "size_band", "250+"),
            "250 salarié·es ou plus"
        );
        assert_eq!(
            group_label(Some(&q), &network, "size_band", "1-9"),
            "Moins de 10 salarié·es"
        );
        assert_eq!(group_label(None, &network, "size_band", "1-9"), "1-9");
        assert_eq!(
            dimension_label(Some(&q), "size_band"),
            "Taille de l’entreprise"
        );
    }

    #[test]
    fn groups_come_in_the_order_of_the_options_then_by_value() {
        let q = sized();
        let mut values = ["250+", "autre", "50-249", "1-9", "10-49"];
        values.sort_by_key(|v| group_rank(Some(&q), "size_band", v));
        assert_eq!(values, ["1-9", "10-49", "50-249", "250+", "autre"]);
    }
}
