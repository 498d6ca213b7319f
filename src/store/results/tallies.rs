//! Keeping the answer tallies: responses given through links and open questionnaires are
//! added by the folder of their backlog (`backlog`), widget ratings, anonymous releases and
//! bulk loads by their own transaction; the tallies are rebuilt from the raw answers when
//! they are missing (after the upgrade that introduced them) or whenever responses are
//! removed.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, PaginatorTrait,
    QueryFilter, QuerySelect, Statement,
};
use uuid::Uuid;

use super::company_scores;
use super::raw::{RawScope, StoredResponse, responses_page};
use crate::domain::QuestionnaireCode;
use crate::domain::questionnaire::Questionnaire;
use crate::domain::results::tally::answers_from_stored;
use crate::domain::results::{ResponseTally, response_tally, tally_period};
use crate::entities::{
    answer_tally, campaign, group_tally, invitation, response, score_total, tally_backlog,
};
use crate::store::batch::{begin_writing, execute_all};
use crate::store::json_rows::{Cell, JsonRows, Kind, Table};
use crate::store::{StoreError, versions};

/// The stored counts plus the batch's: each from one JSON array (see `store::json_rows`).
const ANSWER_TALLIES: Table = Table {
    name: "answer_tallies",
    columns: &[
        ("campaign_id", Kind::Uuid),
        ("period", Kind::Int),
        ("version_id", Kind::Text),
        ("question_id", Kind::Text),
        ("value", Kind::Text),
        ("count", Kind::Int),
    ],
    on_conflict: Some(
        "(campaign_id, period, version_id, question_id, value) \
         DO UPDATE SET count = answer_tallies.count + excluded.count",
    ),
};
const GROUP_TALLIES: Table = Table {
    name: "group_tallies",
    columns: &[
        ("campaign_id", Kind::Uuid),
        ("period", Kind::Int),
        ("dimension", Kind::Text),
        ("group_value", Kind::Text),
        ("question_id", Kind::Text),
        ("favorable", Kind::Int),
        ("total", Kind::Int),
    ],
    on_conflict: Some(
        "(campaign_id, period, dimension, group_value, question_id) DO UPDATE SET \
         favorable = group_tallies.favorable + excluded.favorable, \
         total = group_tallies.total + excluded.total",
    ),
};
/// Responses read at a time when rebuilding.
const PAGE: u64 = 500;

type AnswerKey = (Uuid, i32, String, String, String);
type GroupKey = (Uuid, i32, String, String, String);

/// Where a response's increments go: its campaign (of `questionnaire`) and its period
/// (see [`tally_period`]).
#[derive(Debug, Clone, Copy)]
pub struct TallyTarget {
    pub campaign_id: Uuid,
    pub questionnaire: QuestionnaireCode,
    pub period: i32,
}

/// Increments summed in memory, written in a few statements. Hashed rather than ordered
/// while adding (a batch of responses adds a few thousand increments to a few hundred keys,
/// which share long prefixes), sorted once when written.
#[derive(Debug, Default)]
pub struct TallyBatch {
    answers: HashMap<AnswerKey, i64>,
    groups: HashMap<GroupKey, (i64, i64)>,
    /// The questionnaire of each campaign, which names the companies' yearly score scope.
    questionnaires: HashMap<Uuid, QuestionnaireCode>,
}

impl TallyBatch {
    pub fn add(&mut self, target: TallyTarget, version: &str, tally: &ResponseTally) {
        self.add_weighted(target, version, tally, 1);
    }

    /// Takes a removed response out of the tallies (a rating replaced the same day).
    pub fn remove(&mut self, target: TallyTarget, version: &str, tally: &ResponseTally) {
        self.add_weighted(target, version, tally, -1);
    }

    fn add_weighted(
        &mut self,
        target: TallyTarget,
        version: &str,
        tally: &ResponseTally,
        weight: i64,
    ) {
        let TallyTarget {
            campaign_id,
            questionnaire,
            period,
        } = target;
        self.questionnaires.insert(campaign_id, questionnaire);
        for row in &tally.answers {
            *self
                .answers
                .entry((
                    campaign_id,
                    period,
                    version.to_owned(),
                    row.question.clone(),
                    row.value.clone(),
                ))
                .or_default() += weight;
        }
        for row in &tally.groups {
            let slot = self
                .groups
                .entry((
                    campaign_id,
                    period,
                    row.dimension.clone(),
                    row.group.clone(),
                    row.question.clone(),
                ))
                .or_default();
            slot.0 += weight * i64::try_from(row.favorable).unwrap_or(i64::MAX);
            slot.1 += weight * i64::try_from(row.total).unwrap_or(i64::MAX);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.answers.is_empty() && self.groups.is_empty()
    }

    /// Adds the batch to the stored tallies (an upsert: `count = count + new`), and
    /// refreshes the 3.1 scores of the companies it touched.
    pub async fn write(self, db: &impl ConnectionTrait) -> Result<(), StoreError> {
        let mut statements = Vec::new();
        let touched = self.upserts(db.get_database_backend(), &mut statements);
        execute_all(db, statements).await?;
        company_scores::refresh(db, &touched).await
    }

    /// The upserts adding the batch to the stored tallies, appended to `statements` (for a
    /// caller that sends them with its own), and the companies whose scores
    /// [`company_scores::refresh`] must recompute once they have run.
    pub fn upserts(
        self,
        backend: DbBackend,
        statements: &mut Vec<Statement>,
    ) -> BTreeSet<company_scores::Touched> {
        let touched: BTreeSet<company_scores::Touched> = self
            .groups
            .keys()
            .filter(|(_, _, dimension, _, _)| dimension == company_scores::COMPANY)
            .filter_map(|(campaign, period, _, company, _)| {
                Some(company_scores::Touched {
                    campaign: *campaign,
                    questionnaire: *self.questionnaires.get(campaign)?,
                    period: *period,
                    company: company.clone(),
                })
            })
            .collect();
        // In key order: two processes upserting the same rows on PostgreSQL lock them in
        // the same order, and cannot deadlock.
        let mut answers: Vec<(AnswerKey, i64)> = self.answers.into_iter().collect();
        answers.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let mut rows = JsonRows::new(backend);
        for ((campaign_id, period, version_id, question_id, value), count) in &answers {
            rows.push(&[
                Cell::Uuid(*campaign_id),
                Cell::Int(i64::from(*period)),
                Cell::Text(version_id),
                Cell::Text(question_id),
                Cell::Text(value),
                Cell::Int(*count),
            ]);
        }
        statements.push(ANSWER_TALLIES.insert(rows));

        let mut groups: Vec<(GroupKey, (i64, i64))> = self.groups.into_iter().collect();
        groups.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let mut rows = JsonRows::new(backend);
        for ((campaign_id, period, dimension, group_value, question_id), (favorable, total)) in
            &groups
        {
            rows.push(&[
                Cell::Uuid(*campaign_id),
                Cell::Int(i64::from(*period)),
                Cell::Text(dimension),
                Cell::Text(group_value),
                Cell::Text(question_id),
                Cell::Int(*favorable),
                Cell::Int(*total),
            ]);
        }
        statements.push(GROUP_TALLIES.insert(rows));
        touched
    }
}

async fn sent_at_of(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Option<DateTime<Utc>>>, StoreError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(Uuid, Option<DateTime<Utc>>)> = invitation::Entity::find()
        .select_only()
        .column(invitation::Column::Id)
        .column(invitation::Column::SentAt)
        .filter(invitation::Column::Id.is_in(super::raw::padded(ids)))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

/// Rebuilds the tallies when there are responses but no tallies yet (the first start after
/// the upgrade that introduced them). Cheap otherwise: two one-row reads.
pub async fn backfill_if_needed(db: &DatabaseConnection) -> Result<bool, StoreError> {
    let has_tallies = answer_tally::Entity::find().limit(1).count(db).await? > 0;
    // Company scores came after the tallies: a database from before them has company
    // tallies but no sums yet.
    let lacks_scores = has_tallies
        && score_total::Entity::find().limit(1).count(db).await? == 0
        && group_tally::Entity::find()
            .filter(group_tally::Column::Dimension.eq(company_scores::COMPANY))
            .limit(1)
            .count(db)
            .await?
            > 0;
    if has_tallies && !lacks_scores {
        return Ok(false);
    }
    let has_responses = response::Entity::find().limit(1).count(db).await? > 0;
    if !has_responses {
        return Ok(false);
    }
    rebuild(db).await?;
    Ok(true)
}

/// Recomputes every tally from the stored responses, in one transaction, and empties the
/// backlog (every response is counted here). Reads the responses a page at a time; memory
/// grows with the number of distinct tallies, not of responses.
pub async fn rebuild(db: &DatabaseConnection) -> Result<(), StoreError> {
    let txn = begin_writing(db).await?;
    group_tally::Entity::delete_many().exec(&txn).await?;
    answer_tally::Entity::delete_many().exec(&txn).await?;
    tally_backlog::Entity::delete_many().exec(&txn).await?;
    company_scores::clear(&txn).await?;

    let mut counting = Counting::default();
    let mut batch = TallyBatch::default();
    let mut after: Option<Uuid> = None;
    loop {
        let responses = responses_page(&txn, RawScope::All, after, PAGE).await?;
        let Some(last) = responses.last() else { break };
        after = Some(last.id);
        counting.add(&txn, responses, &mut batch).await?;
    }
    batch.write(&txn).await?;
    txn.commit().await?;
    Ok(())
}

/// What counting stored responses needs beside them, read once and kept: each campaign's
/// questionnaire, each version's definition.
#[derive(Default)]
pub(super) struct Counting {
    codes: HashMap<Uuid, QuestionnaireCode>,
    definitions: HashMap<String, Arc<Questionnaire>>,
}

impl Counting {
    /// Adds `responses` to `batch`, each with the definition of the version it answered and
    /// in the period of its campaign's questionnaire (see [`tally_period`]).
    pub(super) async fn add(
        &mut self,
        db: &impl ConnectionTrait,
        responses: Vec<StoredResponse>,
        batch: &mut TallyBatch,
    ) -> Result<(), StoreError> {
        self.count(db, responses, batch, TallyBatch::add).await
    }

    /// Takes `responses` out of `batch`: the inverse of [`Self::add`], for responses deleted
    /// after they were counted.
    pub(super) async fn remove(
        &mut self,
        db: &impl ConnectionTrait,
        responses: Vec<StoredResponse>,
        batch: &mut TallyBatch,
    ) -> Result<(), StoreError> {
        self.count(db, responses, batch, TallyBatch::remove).await
    }

    async fn count(
        &mut self,
        db: &impl ConnectionTrait,
        responses: Vec<StoredResponse>,
        batch: &mut TallyBatch,
        apply: fn(&mut TallyBatch, TallyTarget, &str, &ResponseTally),
    ) -> Result<(), StoreError> {
        let invitation_ids: Vec<Uuid> = responses.iter().filter_map(|r| r.invitation_id).collect();
        let sent = sent_at_of(db, &invitation_ids).await?;
        for r in responses {
            let code = self.code(db, r.campaign_id).await?;
            let definition = self.definition(db, &r.version).await?;
            let valid = answers_from_stored(&definition, r.answers);
            let tally = response_tally(&definition, &valid, &r.attributes, r.submitted_on);
            let sent_at = r
                .invitation_id
                .and_then(|id| sent.get(&id).copied().flatten());
            let target = TallyTarget {
                campaign_id: r.campaign_id,
                questionnaire: code,
                period: tally_period(code, sent_at, r.submitted_on),
            };
            apply(batch, target, &r.version, &tally);
        }
        Ok(())
    }

    async fn code(
        &mut self,
        db: &impl ConnectionTrait,
        campaign_id: Uuid,
    ) -> Result<QuestionnaireCode, StoreError> {
        if let Some(code) = self.codes.get(&campaign_id) {
            return Ok(*code);
        }
        let found = campaign::Entity::find_by_id(campaign_id).one(db).await?;
        let code = found
            .and_then(|c| c.questionnaire_code.parse().ok())
            .ok_or_else(|| {
                StoreError::Corrupt(format!("campagne {campaign_id} introuvable ou inconnue"))
            })?;
        self.codes.insert(campaign_id, code);
        Ok(code)
    }

    async fn definition(
        &mut self,
        db: &impl ConnectionTrait,
        version: &str,
    ) -> Result<Arc<Questionnaire>, StoreError> {
        if let Some(definition) = self.definitions.get(version) {
            return Ok(definition.clone());
        }
        let definition = versions::load(db, version)
            .await?
            .map(Arc::new)
            .ok_or_else(|| {
                StoreError::Corrupt(format!(
                    "version {version} introuvable pour calculer les résultats"
                ))
            })?;
        self.definitions
            .insert(version.to_owned(), definition.clone());
        Ok(definition)
    }
}
