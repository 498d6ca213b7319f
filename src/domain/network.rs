//! The network's entities (the national agency and the regional associations), as read from
//! the configuration file that ships with jalon.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::questionnaire::DefinitionError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Entity {
    pub code: String,
    pub name: String,
    pub region: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Network {
    entities: Vec<Entity>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNetwork {
    entities: Vec<toml::Spanned<Entity>>,
}

impl Network {
    pub fn parse(source: &str) -> Result<Self, Vec<DefinitionError>> {
        let line_of = |offset: usize| source[..offset.min(source.len())].matches('\n').count() + 1;
        let raw: RawNetwork = toml::from_str(source).map_err(|e| {
            vec![DefinitionError::at_offset(
                source,
                e.span().map_or(0, |s| s.start),
                format!("fichier des entités invalide : {}", e.message()),
            )]
        })?;
        let mut seen = HashSet::new();
        let mut errors = Vec::new();
        for entity in &raw.entities {
            let line = line_of(entity.span().start);
            let code = &entity.get_ref().code;
            let well_formed = !code.is_empty()
                && code
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !well_formed {
                errors.push(DefinitionError::at_line(
                    line,
                    format!("code d'entité « {code} » invalide (minuscules, chiffres, -)"),
                ));
            }
            if !seen.insert(code.clone()) {
                errors.push(DefinitionError::at_line(
                    line,
                    format!("code d'entité « {code} » en double"),
                ));
            }
        }
        if raw.entities.is_empty() {
            errors.push(DefinitionError::at_line(1, "aucune entité ([[entities]])"));
        }
        if errors.is_empty() {
            Ok(Self {
                entities: raw
                    .entities
                    .into_iter()
                    .map(toml::Spanned::into_inner)
                    .collect(),
            })
        } else {
            Err(errors)
        }
    }

    pub fn get(&self, code: &str) -> Option<&Entity> {
        self.entities.iter().find(|e| e.code == code)
    }

    pub fn entities(&self) -> &[Entity] {
        &self.entities
    }

    /// The region names, for validating rosters (i6 members belong to a regional body).
    pub fn has_region(&self, region: &str) -> bool {
        self.entities.iter().any(|e| e.region == region)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_entities_and_finds_them_by_code() {
        let network = Network::parse(
            "[[entities]]\ncode = \"anact\"\nname = \"Anact\"\nregion = \"National\"\n\n[[entities]]\ncode = \"aract-bretagne\"\nname = \"Aract Bretagne\"\nregion = \"Bretagne\"\n",
        )
        .unwrap();
        assert_eq!(network.get("aract-bretagne").unwrap().region, "Bretagne");
        assert!(network.get("aract-corse").is_none());
        assert!(network.has_region("Bretagne") && !network.has_region("Corse"));
    }

    #[test]
    fn duplicate_and_malformed_codes_are_reported_with_their_line() {
        let errors = Network::parse(
            "[[entities]]\ncode = \"anact\"\nname = \"A\"\nregion = \"N\"\n\n[[entities]]\ncode = \"anact\"\nname = \"B\"\nregion = \"N\"\n\n[[entities]]\ncode = \"Aract Corse\"\nname = \"C\"\nregion = \"Corse\"\n",
        )
        .unwrap_err();
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [6, 11], "{errors:?}"); // the line of each `[[entities]]` block
    }

    #[test]
    fn the_shipped_file_is_valid() {
        let source = include_str!("../../questionnaires/network/entities.toml");
        let network = Network::parse(source).unwrap();
        assert!(network.get("anact").is_some());
        assert!(network.entities().len() >= 13);
    }
}
