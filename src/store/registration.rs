//! Storing what staff register, idempotently: natural keys are the reference (interventions,
//! co-productions), the label (waves) and the email within each (invitations).

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    QueryFilter, QueryOrder, Set, TransactionTrait,
};
use serde::Serialize;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::StoreError;
use super::campaigns;
use super::invitations::{self, NewInvitation, Source};
use crate::domain::QuestionnaireCode;
use crate::domain::network::Network;
use crate::domain::registration::{
    NewCoproduction, NewIntervention, NewWave, Participant, RosterMember, WaveDate,
};
use crate::domain::schedule::{self, SendRules};
use crate::entities::{campaign, coproduction, intervention, invitation};
use crate::link_key::LinkKey;

/// One person's planned send, as the registering answer tells it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PlannedInvitation {
    pub email: String,
    pub scheduled_for: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Registered {
    pub id: Uuid,
    /// False when the reference (or label) was already known: nothing was duplicated.
    pub created: bool,
    /// Invitations added by this call.
    pub added: usize,
    pub invitations: Vec<PlannedInvitation>,
}

async fn planned(
    db: &impl ConnectionTrait,
    source_id: Uuid,
) -> Result<Vec<PlannedInvitation>, StoreError> {
    let rows = invitation::Entity::find()
        .filter(invitation::Column::SourceId.eq(source_id))
        .order_by_asc(invitation::Column::Email)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(PlannedInvitation {
                email: r.email?,
                scheduled_for: r.scheduled_for?,
            })
        })
        .collect())
}

/// Adds each person once; returns how many were new.
#[allow(clippy::too_many_arguments)]
async fn add_people(
    db: &impl ConnectionTrait,
    links: &LinkKey,
    code: QuestionnaireCode,
    source: Source,
    people: &[(&Participant, Map<String, Value>)],
    scheduled_for: DateTime<Utc>,
    fixed_campaign: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let campaign_id = match fixed_campaign {
        Some(id) => id,
        None => {
            let label = schedule::paris_year(scheduled_for).to_string();
            campaigns::find_or_create(db, code, &label, now).await?.id
        }
    };
    let mut added = 0;
    for (person, attributes) in people {
        let new = NewInvitation {
            campaign_id,
            email: &person.email,
            name: person.name.as_deref(),
            role: person.role.as_deref(),
            attributes,
            source: Some(source),
            scheduled_for: Some(scheduled_for),
            sent_at: None,
        };
        if invitations::insert(db, links, new, now).await?.is_some() {
            added += 1;
        }
    }
    Ok(added)
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// Invites the people of a registration and reports every planned send of its source, then
/// commits: the registration and its invitations land together.
#[allow(clippy::too_many_arguments)]
async fn invite_and_commit(
    txn: DatabaseTransaction,
    links: &LinkKey,
    code: QuestionnaireCode,
    source: Source,
    created: bool,
    people: &[(&Participant, Map<String, Value>)],
    milestone: NaiveDate,
    rules: &SendRules,
    now: DateTime<Utc>,
) -> Result<Registered, StoreError> {
    let scheduled_for = schedule::planned_send_at(milestone, rules);
    let added = add_people(&txn, links, code, source, people, scheduled_for, None, now).await?;
    let id = match source {
        Source::Intervention(id) | Source::Coproduction(id) | Source::Wave(id) => id,
    };
    let invitations = planned(&txn, id).await?;
    txn.commit().await?;
    Ok(Registered {
        id,
        created,
        added,
        invitations,
    })
}

pub async fn register_intervention(
    db: &DatabaseConnection,
    links: &LinkKey,
    new: &NewIntervention,
    network: &Network,
    rules: &SendRules,
    now: DateTime<Utc>,
) -> Result<Registered, StoreError> {
    let txn = db.begin().await?;
    // Insert-or-keep on the natural key: two simultaneous registrations of one reference
    // end with one intervention, not an error.
    let inserted = intervention::Entity::insert(intervention::ActiveModel {
        id: Set(Uuid::new_v4()),
        reference: Set(new.reference.clone()),
        company_name: Set(new.company.name.clone()),
        company_siret: Set(new.company.siret.clone()),
        company_size_band: Set(new.company.size_band.as_str().to_owned()),
        company_sector: Set(new.company.sector.clone()),
        kind: Set(new.kind.as_str().to_owned()),
        entity_code: Set(new.entity.clone()),
        started_on: Set(new.started_on),
        ended_on: Set(new.ended_on),
        created_at: Set(now),
    })
    .on_conflict_do_nothing_on([intervention::Column::Reference])
    .exec_without_returning(&txn)
    .await?;
    let row = intervention::Entity::find()
        .filter(intervention::Column::Reference.eq(&new.reference))
        .one(&txn)
        .await?
        .ok_or_else(|| StoreError::Corrupt("intervention introuvable après création".into()))?;
    let region = network.get(&new.entity).map(|e| e.region.clone());
    // The company is the unit of the first level of indicator 3.1: its SIRET when known,
    // else the intervention (one company per intervention).
    let company = new
        .company
        .siret
        .clone()
        .unwrap_or_else(|| format!("intervention:{}", new.reference));
    let people: Vec<(&Participant, Map<String, Value>)> = new
        .participants
        .iter()
        .map(|p| {
            let attributes = object(json!({
                "company": company,
                "entity": new.entity,
                "region": region,
                "kind": new.kind.as_str(),
                "size_band": new.company.size_band.as_str(),
            }));
            (p, attributes)
        })
        .collect();
    invite_and_commit(
        txn,
        links,
        QuestionnaireCode::I3_1,
        Source::Intervention(row.id),
        is_inserted(&inserted),
        &people,
        row.ended_on,
        rules,
        now,
    )
    .await
}

pub async fn register_coproduction(
    db: &DatabaseConnection,
    links: &LinkKey,
    new: &NewCoproduction,
    network: &Network,
    rules: &SendRules,
    now: DateTime<Utc>,
) -> Result<Registered, StoreError> {
    let txn = db.begin().await?;
    let inserted = coproduction::Entity::insert(coproduction::ActiveModel {
        id: Set(Uuid::new_v4()),
        reference: Set(new.reference.clone()),
        tool: Set(new.tool.clone()),
        entity_code: Set(new.entity.clone()),
        finalised_on: Set(new.finalised_on),
        created_at: Set(now),
    })
    .on_conflict_do_nothing_on([coproduction::Column::Reference])
    .exec_without_returning(&txn)
    .await?;
    let row = coproduction::Entity::find()
        .filter(coproduction::Column::Reference.eq(&new.reference))
        .one(&txn)
        .await?
        .ok_or_else(|| StoreError::Corrupt("co-production introuvable après création".into()))?;
    let region = network.get(&new.entity).map(|e| e.region.clone());
    let people: Vec<(&Participant, Map<String, Value>)> = new
        .contacts
        .iter()
        .map(|p| {
            let attributes = object(json!({
                "entity": new.entity,
                "region": region,
                "organisation": p.organisation,
                "tool": new.reference,
            }));
            (p, attributes)
        })
        .collect();
    invite_and_commit(
        txn,
        links,
        QuestionnaireCode::I3_2,
        Source::Coproduction(row.id),
        is_inserted(&inserted),
        &people,
        row.finalised_on,
        rules,
        now,
    )
    .await
}

fn is_inserted(result: &sea_orm::TryInsertResult<u64>) -> bool {
    matches!(result, sea_orm::TryInsertResult::Inserted(n) if *n > 0)
}

/// A wave as stored: its campaign, and the instant its invitations go out.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Wave {
    pub id: Uuid,
    pub questionnaire: String,
    pub label: String,
    #[schema(required = true)]
    pub milestone_on: Option<NaiveDate>,
    #[schema(required = true)]
    pub send_on: Option<NaiveDate>,
    pub scheduled_for: DateTime<Utc>,
    pub created: bool,
}

fn wave_from(row: campaign::Model, rules: &SendRules, created: bool) -> Wave {
    let scheduled_for = match (row.milestone_on, row.send_on) {
        (_, Some(send_on)) => schedule::planned_send_at_date(send_on, rules),
        (Some(milestone), None) => schedule::planned_send_at(milestone, rules),
        // A campaign created without dates (not through the wave API) goes out at once.
        (None, None) => row.created_at,
    };
    Wave {
        id: row.id,
        questionnaire: row.questionnaire_code,
        label: row.label,
        milestone_on: row.milestone_on,
        send_on: row.send_on,
        scheduled_for,
        created,
    }
}

pub async fn register_wave(
    db: &impl ConnectionTrait,
    new: &NewWave,
    rules: &SendRules,
    now: DateTime<Utc>,
) -> Result<Wave, StoreError> {
    if let Some(existing) = campaigns::find(db, new.questionnaire, &new.label).await? {
        return Ok(wave_from(existing, rules, false));
    }
    let (milestone_on, send_on) = match new.date {
        WaveDate::Milestone(d) => (Some(d), None),
        WaveDate::SendOn(d) => (None, Some(d)),
    };
    campaign::Entity::insert(campaign::ActiveModel {
        id: Set(Uuid::new_v4()),
        questionnaire_code: Set(new.questionnaire.as_str().to_owned()),
        label: Set(new.label.clone()),
        status: Set(campaigns::STATUS_OPEN.to_owned()),
        created_at: Set(now),
        milestone_on: Set(milestone_on),
        send_on: Set(send_on),
        released_on: Set(None),
    })
    .on_conflict_do_nothing_on([campaign::Column::QuestionnaireCode, campaign::Column::Label])
    .exec_without_returning(db)
    .await?;
    let row = campaigns::find(db, new.questionnaire, &new.label)
        .await?
        .ok_or_else(|| StoreError::Corrupt("vague introuvable après création".into()))?;
    Ok(wave_from(row, rules, true))
}

pub async fn find_wave(
    db: &impl ConnectionTrait,
    id: Uuid,
    rules_of: impl Fn(QuestionnaireCode) -> SendRules,
) -> Result<Option<(QuestionnaireCode, Wave)>, StoreError> {
    let Some(row) = campaign::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    let Ok(code) = row.questionnaire_code.parse::<QuestionnaireCode>() else {
        return Ok(None);
    };
    if !matches!(code, QuestionnaireCode::I6 | QuestionnaireCode::I7) {
        return Ok(None);
    }
    Ok(Some((code, wave_from(row, &rules_of(code), false))))
}

pub async fn add_roster(
    db: &DatabaseConnection,
    links: &LinkKey,
    code: QuestionnaireCode,
    wave: &Wave,
    members: &[RosterMember],
    now: DateTime<Utc>,
) -> Result<Registered, StoreError> {
    let txn = db.begin().await?;
    let people: Vec<(Participant, Map<String, Value>)> = members
        .iter()
        .map(|m| {
            let attributes: Map<String, Value> = m
                .attributes
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect();
            let person = Participant {
                email: m.email.clone(),
                name: m.name.clone(),
                role: None,
                organisation: None,
            };
            (person, attributes)
        })
        .collect();
    let borrowed: Vec<(&Participant, Map<String, Value>)> =
        people.iter().map(|(p, a)| (p, a.clone())).collect();
    let added = add_people(
        &txn,
        links,
        code,
        Source::Wave(wave.id),
        &borrowed,
        wave.scheduled_for,
        Some(wave.id),
        now,
    )
    .await?;
    let invitations = planned(&txn, wave.id).await?;
    txn.commit().await?;
    Ok(Registered {
        id: wave.id,
        created: false,
        added,
        invitations,
    })
}
