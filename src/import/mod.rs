//! `jalon import`: CSV files of interventions, co-productions and rosters, checked by the same
//! rules as the JSON API. Rows of one intervention (or co-production) share its reference and
//! carry one participant each.

mod apply;
pub mod table;

pub use apply::{ImportError, ImportKind, ImportReport, run};

use std::collections::BTreeMap;

use crate::domain::QuestionnaireCode;
use crate::domain::network::Network;
use crate::domain::registration::{
    CompanyInput, CoproductionInput, FieldError, InterventionInput, NewCoproduction,
    NewIntervention, ParticipantInput, RelayInput, RosterInput, RosterMember, check_coproduction,
    check_intervention, check_roster,
};
use table::{Column, Row, Table};

/// A rejected row: its line and why, in French.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub line: usize,
    pub reason: String,
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ligne {} : {}", self.line, self.reason)
    }
}

pub const INTERVENTION_COLUMNS: &[Column] = &[
    Column {
        name: "reference",
        aliases: &["ref"],
        required: true,
    },
    Column {
        name: "entreprise",
        aliases: &["company", "raison_sociale"],
        required: true,
    },
    Column {
        name: "siret",
        aliases: &[],
        required: false,
    },
    Column {
        name: "tranche_effectif",
        aliases: &["size_band", "effectif"],
        required: true,
    },
    Column {
        name: "secteur",
        aliases: &["sector"],
        required: false,
    },
    Column {
        name: "type",
        aliases: &["kind", "type_intervention"],
        required: true,
    },
    Column {
        name: "entite",
        aliases: &["entity"],
        required: true,
    },
    Column {
        name: "debut",
        aliases: &["started_on", "date_debut"],
        required: true,
    },
    Column {
        name: "fin",
        aliases: &["ended_on", "date_fin"],
        required: true,
    },
    Column {
        name: "email",
        aliases: &["courriel", "mail"],
        required: true,
    },
    Column {
        name: "nom",
        aliases: &["name"],
        required: false,
    },
    Column {
        name: "fonction",
        aliases: &["role"],
        required: false,
    },
];

pub const COPRODUCTION_COLUMNS: &[Column] = &[
    Column {
        name: "reference",
        aliases: &["ref"],
        required: true,
    },
    Column {
        name: "outil",
        aliases: &["tool"],
        required: true,
    },
    Column {
        name: "entite",
        aliases: &["entity"],
        required: true,
    },
    Column {
        name: "finalise_le",
        aliases: &["finalised_on", "date_finalisation"],
        required: true,
    },
    Column {
        name: "organisme",
        aliases: &["organisation", "structure"],
        required: true,
    },
    Column {
        name: "email",
        aliases: &["courriel", "mail"],
        required: true,
    },
    Column {
        name: "nom",
        aliases: &["name"],
        required: false,
    },
];

pub const ROSTER_COLUMNS: &[Column] = &[
    Column {
        name: "email",
        aliases: &["courriel", "mail"],
        required: true,
    },
    Column {
        name: "nom",
        aliases: &["name"],
        required: false,
    },
    Column {
        name: "entite",
        aliases: &["entity", "entite_d_origine"],
        required: false,
    },
    Column {
        name: "region",
        aliases: &[],
        required: false,
    },
    Column {
        name: "college",
        aliases: &[],
        required: false,
    },
];

fn text(row: &Row, column: &str) -> Option<String> {
    row.get(column).map(str::to_owned)
}

/// Which row a field error is about: `participants[2].email` → the group's third row.
fn locate(group: &[&Row], error: FieldError, prefix: &str) -> Rejection {
    let index = error
        .field
        .strip_prefix(prefix)
        .and_then(|rest| rest.split(']').next())
        .and_then(|i| i.trim_start_matches('[').parse::<usize>().ok());
    let line = index
        .and_then(|i| group.get(i))
        .or(group.first())
        .map_or(0, |r| r.line);
    let column = error.field.rsplit('.').next().unwrap_or(&error.field);
    Rejection {
        line,
        reason: format!("{column} : {}", error.message),
    }
}

fn group_by_reference(table: &Table) -> BTreeMap<(usize, String), Vec<&Row>> {
    // Keyed by (first line, reference) so groups come out in file order.
    let mut first_line: BTreeMap<String, usize> = BTreeMap::new();
    let mut groups: BTreeMap<(usize, String), Vec<&Row>> = BTreeMap::new();
    for row in &table.rows {
        let reference = row.get("reference").unwrap_or_default().to_owned();
        let first = *first_line.entry(reference.clone()).or_insert(row.line);
        groups.entry((first, reference)).or_default().push(row);
    }
    groups
}

/// Rows of one reference must agree on everything but the participant.
fn check_consistent(group: &[&Row], shared: &[&str]) -> Vec<Rejection> {
    let Some(first) = group.first() else {
        return Vec::new();
    };
    group[1..]
        .iter()
        .flat_map(|row| {
            shared
                .iter()
                .filter(move |column| row.get(column) != first.get(column))
                .map(move |column| Rejection {
                    line: row.line,
                    reason: format!(
                        "{column} : « {} » diffère de la ligne {} (« {} ») pour la même référence",
                        row.get(column).unwrap_or_default(),
                        first.line,
                        first.get(column).unwrap_or_default()
                    ),
                })
        })
        .collect()
}

pub struct Checked<T> {
    pub valid: Vec<T>,
    pub rejected: Vec<Rejection>,
}

/// Groups rows by reference, builds one input per group, checks it, and maps every error
/// back to its row.
fn check_grouped<T, I>(
    table: &Table,
    shared: &[&str],
    prefix: &str,
    build: impl Fn(&[&Row]) -> I,
    check: impl Fn(&I) -> Result<T, Vec<FieldError>>,
) -> Checked<T> {
    let mut checked = Checked {
        valid: Vec::new(),
        rejected: Vec::new(),
    };
    for (_, group) in group_by_reference(table) {
        let inconsistent = check_consistent(&group, shared);
        match check(&build(&group)) {
            Ok(new) if inconsistent.is_empty() => checked.valid.push(new),
            Ok(_) => checked.rejected.extend(inconsistent),
            Err(errors) => {
                checked.rejected.extend(inconsistent);
                checked
                    .rejected
                    .extend(errors.into_iter().map(|e| locate(&group, e, prefix)));
            }
        }
    }
    checked.rejected.sort_by_key(|r| r.line);
    checked
}

pub fn interventions(table: &Table, network: &Network) -> Checked<NewIntervention> {
    let shared = [
        "entreprise",
        "siret",
        "tranche_effectif",
        "secteur",
        "type",
        "entite",
        "debut",
        "fin",
    ];
    let build = |group: &[&Row]| {
        let first = group[0];
        InterventionInput {
            reference: text(first, "reference"),
            company: Some(CompanyInput {
                name: text(first, "entreprise"),
                siret: text(first, "siret"),
                size_band: text(first, "tranche_effectif"),
                sector: text(first, "secteur"),
            }),
            kind: text(first, "type"),
            entity: text(first, "entite"),
            started_on: text(first, "debut"),
            ended_on: text(first, "fin"),
            participants: group
                .iter()
                .map(|row| ParticipantInput {
                    email: text(row, "email"),
                    name: text(row, "nom"),
                    role: text(row, "fonction"),
                })
                .collect(),
        }
    };
    check_grouped(table, &shared, "participants", build, |input| {
        check_intervention(input, network)
    })
}

pub fn coproductions(table: &Table, network: &Network) -> Checked<NewCoproduction> {
    let build = |group: &[&Row]| {
        let first = group[0];
        // One relay per row keeps row indexes and error paths aligned.
        CoproductionInput {
            reference: text(first, "reference"),
            tool: text(first, "outil"),
            entity: text(first, "entite"),
            finalised_on: text(first, "finalise_le"),
            relays: group
                .iter()
                .map(|row| RelayInput {
                    organisation: text(row, "organisme"),
                    contacts: vec![ParticipantInput {
                        email: text(row, "email"),
                        name: text(row, "nom"),
                        role: None,
                    }],
                })
                .collect(),
        }
    };
    check_grouped(
        table,
        &["outil", "entite", "finalise_le"],
        "relays",
        build,
        |input| check_coproduction(input, network),
    )
}

/// A roster is checked row by row: a bad row never hides the others.
pub fn roster(table: &Table, code: QuestionnaireCode, network: &Network) -> Checked<RosterMember> {
    let mut checked = Checked {
        valid: Vec::new(),
        rejected: Vec::new(),
    };
    let mut seen = std::collections::HashMap::new();
    for row in &table.rows {
        let input = RosterInput {
            email: text(row, "email"),
            name: text(row, "nom"),
            entity: text(row, "entite"),
            region: text(row, "region"),
            college: text(row, "college"),
        };
        match check_roster(code, std::slice::from_ref(&input), network) {
            Ok(mut members) => {
                let member = members.remove(0);
                if let Some(first) = seen.insert(member.email.clone(), row.line) {
                    checked.rejected.push(Rejection {
                        line: row.line,
                        reason: format!("email : « {} » figure déjà ligne {first}", member.email),
                    });
                } else {
                    checked.valid.push(member);
                }
            }
            Err(errors) => checked
                .rejected
                .extend(errors.into_iter().map(|e| locate(&[row], e, ""))),
        }
    }
    checked
}
