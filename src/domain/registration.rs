//! What staff register (interventions, co-productions, waves and their rosters), checked once
//! whichever way it comes in: JSON API, CSV import or form. Every error is reported, each
//! with the field it is about, in French.

use std::collections::HashSet;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::network::Network;
use super::{Email, QuestionnaireCode};

/// One problem, located by a path such as `participants[2].email`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

#[derive(Default)]
struct Errors(Vec<FieldError>);

impl Errors {
    fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
    }

    /// A required, trimmed text of at most `max` characters.
    fn text(&mut self, field: &str, value: Option<&str>, max: usize) -> Option<String> {
        match value.map(str::trim).filter(|v| !v.is_empty()) {
            None => {
                self.add(field, "champ obligatoire");
                None
            }
            Some(v) => self.optional_text(field, Some(v), max),
        }
    }

    fn optional_text(&mut self, field: &str, value: Option<&str>, max: usize) -> Option<String> {
        let v = value.map(str::trim).filter(|v| !v.is_empty())?;
        if v.chars().count() > max {
            self.add(field, format!("{max} caractères au maximum"));
            return None;
        }
        Some(v.to_owned())
    }

    fn date(&mut self, field: &str, value: Option<&str>) -> Option<NaiveDate> {
        let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
            self.add(field, "date obligatoire (AAAA-MM-JJ)");
            return None;
        };
        parse_date(v).or_else(|| {
            self.add(
                field,
                format!("date invalide « {v} » (attendu AAAA-MM-JJ ou JJ/MM/AAAA)"),
            );
            None
        })
    }

    fn email(&mut self, field: &str, value: Option<&str>) -> Option<Email> {
        match value.map(str::trim).filter(|v| !v.is_empty()) {
            None => {
                self.add(field, "adresse électronique obligatoire");
                None
            }
            Some(v) => Email::parse(v)
                .map_err(|e| self.add(field, e.to_string()))
                .ok(),
        }
    }

    fn entity(&mut self, field: &str, value: Option<&str>, network: &Network) -> Option<String> {
        let code = self.text(field, value, 64)?;
        if network.get(&code).is_none() {
            self.add(
                field,
                format!("entité inconnue « {code} » (voir GET /api/v1/entities)"),
            );
            return None;
        }
        Some(code)
    }

    fn reference(&mut self, value: Option<&str>) -> Option<String> {
        let reference = self.text("reference", value, 64)?;
        let ok = reference
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c));
        if !ok {
            self.add(
                "reference",
                "lettres sans accent, chiffres et - _ . / uniquement",
            );
            return None;
        }
        Some(reference)
    }

    fn finish<T>(self, value: Option<T>) -> Result<T, Vec<FieldError>> {
        match value {
            Some(v) if self.0.is_empty() => Ok(v),
            _ => Err(self.0),
        }
    }
}

/// Staff exports write dates either way; both are accepted.
pub fn parse_date(raw: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(raw, "%d/%m/%Y"))
        .ok()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InterventionKind {
    AccompagnementIndividuel,
    AccompagnementCollectif,
    FormationIntra,
}

impl InterventionKind {
    const ALL: [Self; 3] = [
        Self::AccompagnementIndividuel,
        Self::AccompagnementCollectif,
        Self::FormationIntra,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::AccompagnementIndividuel => "accompagnement_individuel",
            Self::AccompagnementCollectif => "accompagnement_collectif",
            Self::FormationIntra => "formation_intra",
        }
    }

    fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw)
    }
}

/// Company size bands, in employees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub enum SizeBand {
    #[serde(rename = "1-9")]
    Micro,
    #[serde(rename = "10-49")]
    Small,
    #[serde(rename = "50-249")]
    Medium,
    #[serde(rename = "250+")]
    Large,
}

impl SizeBand {
    const ALL: [Self; 4] = [Self::Micro, Self::Small, Self::Medium, Self::Large];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Micro => "1-9",
            Self::Small => "10-49",
            Self::Medium => "50-249",
            Self::Large => "250+",
        }
    }

    fn parse(raw: &str) -> Option<Self> {
        let normalized = raw.replace(' ', "");
        Self::ALL
            .into_iter()
            .find(|b| b.as_str() == normalized || (normalized == "0-9" && *b == Self::Micro))
    }
}

/// A SIRET: 14 digits with a valid Luhn key (La Poste's establishments excepted, whose key
/// is a digit sum divisible by 5).
pub fn is_valid_siret(raw: &str) -> bool {
    if raw.len() != 14 || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let digits: Vec<u32> = raw.bytes().map(|b| u32::from(b - b'0')).collect();
    if raw.starts_with("356000000") {
        return digits.iter().sum::<u32>().is_multiple_of(5);
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Participant)]
pub struct ParticipantInput {
    #[schema(required = true, value_type = String, format = Email)]
    pub email: Option<String>,
    pub name: Option<String>,
    pub role: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Company)]
pub struct CompanyInput {
    #[schema(required = true, value_type = String)]
    pub name: Option<String>,
    pub siret: Option<String>,
    /// 1-9, 10-49, 50-249 ou 250+
    #[schema(required = true, value_type = SizeBand)]
    pub size_band: Option<String>,
    pub sector: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InterventionInput {
    /// The intervention's own reference: letters without accents, digits and `- _ . /`.
    #[schema(required = true, value_type = String)]
    pub reference: Option<String>,
    #[schema(required = true, value_type = CompanyInput)]
    pub company: Option<CompanyInput>,
    /// accompagnement_individuel, accompagnement_collectif ou formation_intra
    #[schema(required = true, value_type = InterventionKind)]
    pub kind: Option<String>,
    /// An entity code (`GET /api/v1/entities`).
    #[schema(required = true, value_type = String)]
    pub entity: Option<String>,
    /// AAAA-MM-JJ
    #[schema(required = true, value_type = chrono::NaiveDate)]
    pub started_on: Option<String>,
    /// AAAA-MM-JJ
    #[schema(required = true, value_type = chrono::NaiveDate)]
    pub ended_on: Option<String>,
    #[serde(default)]
    pub participants: Vec<ParticipantInput>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Participant {
    pub email: Email,
    pub name: Option<String>,
    pub role: Option<String>,
    /// For co-production contacts: the relay organisation.
    pub organisation: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Company {
    pub name: String,
    pub siret: Option<String>,
    pub size_band: SizeBand,
    pub sector: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewIntervention {
    pub reference: String,
    pub company: Company,
    pub kind: InterventionKind,
    pub entity: String,
    pub started_on: NaiveDate,
    pub ended_on: NaiveDate,
    pub participants: Vec<Participant>,
}

fn participants(
    errors: &mut Errors,
    field: &str,
    inputs: &[ParticipantInput],
    organisation: Option<&str>,
) -> Vec<Participant> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (i, p) in inputs.iter().enumerate() {
        let path = format!("{field}[{i}]");
        let email = errors.email(&format!("{path}.email"), p.email.as_deref());
        let name = errors.optional_text(&format!("{path}.name"), p.name.as_deref(), 200);
        let role = errors.optional_text(&format!("{path}.role"), p.role.as_deref(), 200);
        if let Some(email) = email {
            if !seen.insert(email.as_str().to_lowercase()) {
                errors.add(
                    format!("{path}.email"),
                    format!("« {email} » figure deux fois"),
                );
                continue;
            }
            out.push(Participant {
                email,
                name,
                role,
                organisation: organisation.map(str::to_owned),
            });
        }
    }
    out
}

pub fn check_intervention(
    input: &InterventionInput,
    network: &Network,
) -> Result<NewIntervention, Vec<FieldError>> {
    let mut errors = Errors::default();
    let reference = errors.reference(input.reference.as_deref());
    let company = input.company.clone().unwrap_or_default();
    let company_name = errors.text("company.name", company.name.as_deref(), 200);
    let siret = company
        .siret
        .as_deref()
        .map(|s| s.replace([' ', '\u{a0}'], ""))
        .filter(|s| !s.is_empty());
    if let Some(s) = siret.as_deref().filter(|s| !is_valid_siret(s)) {
        errors.add(
            "company.siret",
            format!("SIRET invalide « {s} » (14 chiffres, clé de contrôle)"),
        );
    }
    let size_band = match company.size_band.as_deref().map(str::trim) {
        None | Some("") => {
            errors.add(
                "company.size_band",
                "tranche d'effectif obligatoire (1-9, 10-49, 50-249, 250+)",
            );
            None
        }
        Some(raw) => SizeBand::parse(raw).or_else(|| {
            errors.add(
                "company.size_band",
                format!("tranche d'effectif inconnue « {raw} » (1-9, 10-49, 50-249, 250+)"),
            );
            None
        }),
    };
    let sector = errors.optional_text("company.sector", company.sector.as_deref(), 120);
    let kind = match input.kind.as_deref().map(str::trim) {
        None | Some("") => {
            errors.add("kind", "type d'intervention obligatoire");
            None
        }
        Some(raw) => InterventionKind::parse(raw).or_else(|| {
            errors.add(
                "kind",
                format!("type d'intervention inconnu « {raw} » (accompagnement_individuel, accompagnement_collectif, formation_intra)"),
            );
            None
        }),
    };
    let entity = errors.entity("entity", input.entity.as_deref(), network);
    let started_on = errors.date("started_on", input.started_on.as_deref());
    let ended_on = errors.date("ended_on", input.ended_on.as_deref());
    if let (Some(start), Some(end)) = (started_on, ended_on)
        && end < start
    {
        errors.add("ended_on", "la fin précède le début");
    }
    if input.participants.is_empty() {
        errors.add("participants", "au moins un participant");
    }
    let participants = participants(&mut errors, "participants", &input.participants, None);
    let checked = (|| {
        Some(NewIntervention {
            reference: reference?,
            company: Company {
                name: company_name?,
                siret,
                size_band: size_band?,
                sector,
            },
            kind: kind?,
            entity: entity?,
            started_on: started_on?,
            ended_on: ended_on?,
            participants,
        })
    })();
    errors.finish(checked)
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Relay)]
pub struct RelayInput {
    pub organisation: Option<String>,
    #[serde(default)]
    pub contacts: Vec<ParticipantInput>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CoproductionInput {
    /// The co-production's own reference: letters without accents, digits and `- _ . /`.
    #[schema(required = true, value_type = String)]
    pub reference: Option<String>,
    #[schema(required = true, value_type = String)]
    pub tool: Option<String>,
    /// An entity code (`GET /api/v1/entities`).
    #[schema(required = true, value_type = String)]
    pub entity: Option<String>,
    /// AAAA-MM-JJ
    #[schema(required = true, value_type = chrono::NaiveDate)]
    pub finalised_on: Option<String>,
    #[serde(default)]
    pub relays: Vec<RelayInput>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewCoproduction {
    pub reference: String,
    pub tool: String,
    pub entity: String,
    pub finalised_on: NaiveDate,
    /// Every contact of every relay organisation, each with its organisation.
    pub contacts: Vec<Participant>,
}

pub fn check_coproduction(
    input: &CoproductionInput,
    network: &Network,
) -> Result<NewCoproduction, Vec<FieldError>> {
    let mut errors = Errors::default();
    let reference = errors.reference(input.reference.as_deref());
    let tool = errors.text("tool", input.tool.as_deref(), 200);
    let entity = errors.entity("entity", input.entity.as_deref(), network);
    let finalised_on = errors.date("finalised_on", input.finalised_on.as_deref());
    if input.relays.iter().all(|r| r.contacts.is_empty()) {
        errors.add("relays", "au moins un contact d'un acteur relais");
    }
    let mut contacts: Vec<Participant> = Vec::new();
    for (i, relay) in input.relays.iter().enumerate() {
        let organisation = errors.text(
            &format!("relays[{i}].organisation"),
            relay.organisation.as_deref(),
            200,
        );
        let found = participants(
            &mut errors,
            &format!("relays[{i}].contacts"),
            &relay.contacts,
            organisation.as_deref(),
        );
        for contact in found {
            if contacts.iter().any(|c| c.email == contact.email) {
                errors.add(
                    format!("relays[{i}].contacts"),
                    format!("« {} » figure deux fois", contact.email),
                );
            } else {
                contacts.push(contact);
            }
        }
    }
    let checked = (|| {
        Some(NewCoproduction {
            reference: reference?,
            tool: tool?,
            entity: entity?,
            finalised_on: finalised_on?,
            contacts,
        })
    })();
    errors.finish(checked)
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WaveInput {
    /// i6 ou i7
    #[schema(required = true, value_type = WaveQuestionnaire)]
    pub questionnaire: Option<String>,
    #[schema(required = true, value_type = String)]
    pub label: Option<String>,
    /// AAAA-MM-JJ
    #[schema(value_type = Option<chrono::NaiveDate>)]
    pub milestone_on: Option<String>,
    /// AAAA-MM-JJ
    #[schema(value_type = Option<chrono::NaiveDate>)]
    pub send_on: Option<String>,
}

/// The questionnaires a wave can be of.
#[derive(Serialize, utoipa::ToSchema)]
#[allow(dead_code)]
pub enum WaveQuestionnaire {
    #[serde(rename = "i6")]
    I6,
    #[serde(rename = "i7")]
    I7,
}

/// When a wave goes out: computed from the reorganisation milestone, or chosen by staff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WaveDate {
    Milestone(NaiveDate),
    SendOn(NaiveDate),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewWave {
    pub questionnaire: QuestionnaireCode,
    pub label: String,
    pub date: WaveDate,
}

pub fn check_wave(input: &WaveInput) -> Result<NewWave, Vec<FieldError>> {
    let mut errors = Errors::default();
    let questionnaire = match input.questionnaire.as_deref().map(str::trim) {
        Some("i6") => Some(QuestionnaireCode::I6),
        Some("i7") => Some(QuestionnaireCode::I7),
        Some(other) => {
            errors.add(
                "questionnaire",
                format!("« {other} » : les vagues concernent i6 ou i7"),
            );
            None
        }
        None => {
            errors.add("questionnaire", "champ obligatoire (i6 ou i7)");
            None
        }
    };
    let label = errors.text("label", input.label.as_deref(), 60);
    let date = match (input.milestone_on.as_deref(), input.send_on.as_deref()) {
        (Some(m), None) => errors
            .date("milestone_on", Some(m))
            .map(WaveDate::Milestone),
        (None, Some(s)) => errors.date("send_on", Some(s)).map(WaveDate::SendOn),
        _ => {
            errors.add(
                "milestone_on",
                "indiquer soit milestone_on (jalon), soit send_on (date d'envoi)",
            );
            None
        }
    };
    let checked = (|| {
        Some(NewWave {
            questionnaire: questionnaire?,
            label: label?,
            date: date?,
        })
    })();
    errors.finish(checked)
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = RosterEntry)]
pub struct RosterInput {
    #[schema(required = true, value_type = String, format = Email)]
    pub email: Option<String>,
    pub name: Option<String>,
    /// i7
    pub entity: Option<String>,
    /// i6
    pub region: Option<String>,
    /// i6 : employeurs ou salaries
    pub college: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RosterMember {
    pub email: Email,
    pub name: Option<String>,
    /// The breakdown attributes the questionnaire needs: `entity` (i7), `region` and
    /// `college` (i6). Nothing else is kept.
    pub attributes: Vec<(String, String)>,
}

pub const COLLEGES: [&str; 2] = ["employeurs", "salaries"];

pub fn check_roster(
    questionnaire: QuestionnaireCode,
    members: &[RosterInput],
    network: &Network,
) -> Result<Vec<RosterMember>, Vec<FieldError>> {
    let mut errors = Errors::default();
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    if members.is_empty() {
        errors.add("", "liste vide");
    }
    for (i, m) in members.iter().enumerate() {
        let path = format!("[{i}]");
        let email = errors.email(&format!("{path}.email"), m.email.as_deref());
        let name = errors.optional_text(&format!("{path}.name"), m.name.as_deref(), 200);
        let mut attributes = Vec::new();
        match questionnaire {
            QuestionnaireCode::I7 => {
                if let Some(entity) =
                    errors.entity(&format!("{path}.entity"), m.entity.as_deref(), network)
                {
                    attributes.push(("entity".to_owned(), entity));
                }
            }
            QuestionnaireCode::I6 => {
                if let Some(region) =
                    errors.text(&format!("{path}.region"), m.region.as_deref(), 80)
                {
                    if network.has_region(&region) {
                        attributes.push(("region".to_owned(), region));
                    } else {
                        errors.add(
                            format!("{path}.region"),
                            format!("région inconnue « {region} »"),
                        );
                    }
                }
                match m.college.as_deref().map(str::trim) {
                    Some(c) if COLLEGES.contains(&c) => {
                        attributes.push(("college".to_owned(), c.to_owned()))
                    }
                    Some(c) if !c.is_empty() => errors.add(
                        format!("{path}.college"),
                        format!("collège inconnu « {c} » (employeurs ou salaries)"),
                    ),
                    _ => errors.add(
                        format!("{path}.college"),
                        "collège obligatoire (employeurs ou salaries)",
                    ),
                }
            }
            _ => errors.add("", "les listes de personnes concernent les vagues i6 et i7"),
        }
        if let Some(email) = email {
            if !seen.insert(email.clone()) {
                errors.add(
                    format!("{path}.email"),
                    format!("« {email} » figure deux fois"),
                );
                continue;
            }
            out.push(RosterMember {
                email,
                name,
                attributes,
            });
        }
    }
    errors.finish(Some(out))
}
