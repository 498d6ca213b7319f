//! Staff access: roles and what each may do, secrets (session and API tokens) and their
//! stored hashes, password hashing, and the slowing and locking of failed sign-ins.

pub mod password;
pub mod secret;
pub mod throttle;

use std::fmt;
use std::str::FromStr;

/// What a route or an action requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Any signed-in staff member (the entities list, signing out).
    Staff,
    /// Dashboards, indicators, campaign results and exports (read-only).
    ReadResults,
    /// One entity's share of the results (regional: its own entity only).
    ReadEntityResults,
    /// Registering interventions and co-productions (regional: its own entity only).
    Register,
    /// Registering waves and rosters (network-wide: admin only).
    RegisterWaves,
    /// Editing, piloting and publishing the questionnaires.
    EditQuestionnaires,
    /// Everything else: accounts, administration pages, the audit log, moderation.
    Admin,
}

/// A staff member's role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// Everything, accounts included.
    Admin,
    /// Dashboards and exports, read-only.
    Analyst,
    /// Registrations and the results of one entity of the network (its code): its share of
    /// each campaign's breakdowns, never the network's figures.
    Regional(String),
    /// Writes, pilots and publishes the questionnaires; sees no results.
    Editor,
}

impl Role {
    /// Builds a role from its stored name and entity; `regional` needs an entity, the
    /// others take none.
    pub fn from_parts(name: &str, entity: Option<&str>) -> Result<Self, RoleError> {
        match (name, entity) {
            ("admin", None) => Ok(Role::Admin),
            ("analyst", None) => Ok(Role::Analyst),
            ("editeur", None) => Ok(Role::Editor),
            ("regional", Some(code)) if !code.is_empty() => Ok(Role::Regional(code.to_owned())),
            ("regional", _) => Err(RoleError::MissingEntity),
            ("admin" | "analyst" | "editeur", Some(_)) => Err(RoleError::UnexpectedEntity),
            (other, _) => Err(RoleError::Unknown(other.to_owned())),
        }
    }

    /// The stored name (`admin`, `analyst`, `regional`, `editeur`).
    pub fn name(&self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Analyst => "analyst",
            Role::Regional(_) => "regional",
            Role::Editor => "editeur",
        }
    }

    pub fn entity(&self) -> Option<&str> {
        match self {
            Role::Regional(code) => Some(code),
            _ => None,
        }
    }

    pub fn may(&self, permission: Permission) -> bool {
        match self {
            Role::Admin => true,
            Role::Analyst => matches!(
                permission,
                Permission::Staff | Permission::ReadResults | Permission::ReadEntityResults
            ),
            Role::Regional(_) => matches!(
                permission,
                Permission::Staff | Permission::Register | Permission::ReadEntityResults
            ),
            Role::Editor => matches!(
                permission,
                Permission::Staff | Permission::EditQuestionnaires
            ),
        }
    }

    /// Whether this role may read the results of `entity`'s respondents.
    pub fn may_read_entity(&self, entity: &str) -> bool {
        match self {
            Role::Admin | Role::Analyst => true,
            Role::Regional(own) => own == entity,
            Role::Editor => false,
        }
    }

    /// Whether this role may register something led by `entity`.
    pub fn may_register_for(&self, entity: &str) -> bool {
        match self {
            Role::Admin => true,
            Role::Analyst | Role::Editor => false,
            Role::Regional(own) => own == entity,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Role::Regional(entity) => write!(f, "regional ({entity})"),
            other => f.write_str(other.name()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoleError {
    #[error("rôle « {0} » inconnu (admin, analyst, regional ou editeur)")]
    Unknown(String),
    #[error("le rôle regional demande une entité (--entity CODE)")]
    MissingEntity,
    #[error("seul le rôle regional est rattaché à une entité")]
    UnexpectedEntity,
}

impl FromStr for Role {
    type Err = RoleError;

    /// `admin`, `analyst` or `regional:CODE`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once(':') {
            Some((name, entity)) => Role::from_parts(name, Some(entity)),
            None => Role::from_parts(s, None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_from_their_parts() {
        assert_eq!("admin".parse(), Ok(Role::Admin));
        assert_eq!("analyst".parse(), Ok(Role::Analyst));
        assert_eq!(
            "regional:aract-bretagne".parse(),
            Ok(Role::Regional("aract-bretagne".into()))
        );
        assert_eq!("regional".parse::<Role>(), Err(RoleError::MissingEntity));
        assert_eq!("regional:".parse::<Role>(), Err(RoleError::MissingEntity));
        assert_eq!("admin:x".parse::<Role>(), Err(RoleError::UnexpectedEntity));
        assert!(matches!("root".parse::<Role>(), Err(RoleError::Unknown(_))));
        let regional = Role::Regional("aract-bretagne".into());
        assert_eq!(
            Role::from_parts(regional.name(), regional.entity()),
            Ok(regional)
        );
    }

    #[test]
    fn each_role_may_do_its_part_only() {
        use Permission::*;
        let all = [
            Staff,
            ReadResults,
            ReadEntityResults,
            Register,
            RegisterWaves,
            EditQuestionnaires,
            Admin,
        ];
        let allowed =
            |role: Role| -> Vec<Permission> { all.into_iter().filter(|p| role.may(*p)).collect() };
        assert_eq!(allowed(Role::Admin), all);
        assert_eq!(
            allowed(Role::Analyst),
            [Staff, ReadResults, ReadEntityResults]
        );
        assert_eq!(
            allowed(Role::Regional("x".into())),
            [Staff, ReadEntityResults, Register]
        );
        assert_eq!(allowed(Role::Editor), [Staff, EditQuestionnaires]);
        assert_eq!("editeur".parse(), Ok(Role::Editor));
        assert!(!Role::Editor.may_read_entity("aract-bretagne"));
    }

    #[test]
    fn regional_reads_its_own_entity_only() {
        let regional = Role::Regional("aract-bretagne".into());
        assert!(regional.may_read_entity("aract-bretagne"));
        assert!(!regional.may_read_entity("aract-occitanie"));
        assert!(Role::Admin.may_read_entity("aract-occitanie"));
        assert!(Role::Analyst.may_read_entity("aract-occitanie"));
    }

    #[test]
    fn regional_registers_for_its_own_entity_only() {
        let regional = Role::Regional("aract-bretagne".into());
        assert!(regional.may_register_for("aract-bretagne"));
        assert!(!regional.may_register_for("aract-occitanie"));
        assert!(Role::Admin.may_register_for("aract-occitanie"));
        assert!(!Role::Analyst.may_register_for("aract-bretagne"));
    }
}

/// Who is acting: a signed-in staff member (their email) or an API token (`jeton:NAME`),
/// and with which role. Recorded as the actor of the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub actor: String,
    pub role: Role,
}
