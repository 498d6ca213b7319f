//! Fictional but realistic demo data, so a newcomer sees something real: for each
//! questionnaire a campaign of this year (or wave) and one of the year (or wave) before,
//! invitations answered over the following weeks (some not at all), reminders, and several
//! hundred responses.
//!
//! Answers go through the same validation and the same store functions as real ones.

use std::fmt::Write as _;

use chrono::{DateTime, Duration, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::DatabaseConnection;
use serde_json::{Map, Value, json};

use crate::catalog::{Catalog, LoadedQuestionnaire};
use crate::clock::Clock;
use crate::domain::answers::{RawAnswers, UnknownKeys, validate};
use crate::domain::attributes::response_attributes;
use crate::domain::questionnaire::{QuestionKind, Questionnaire, Verdict};
use crate::domain::results::measured_by_wave;
use crate::domain::{Email, QuestionnaireCode};
use crate::entities::invitation;
use crate::seal_key::SealKey;
use crate::store::responses::Origin;
use crate::store::submissions::{self, NewResponse};
use crate::store::{StoreError, campaigns, invitations, responses};

pub mod bulk;

pub const DEMO_LABEL: &str = "Démonstration";

const FIRST_NAMES: [&str; 12] = [
    "camille",
    "dominique",
    "alex",
    "claude",
    "sacha",
    "morgan",
    "lou",
    "yannick",
    "maxime",
    "charlie",
    "noa",
    "andrea",
];
const LAST_NAMES: [&str; 10] = [
    "martin", "bernard", "petit", "durand", "leroy", "moreau", "simon", "laurent", "michel",
    "garcia",
];
const REGIONS: [&str; 6] = [
    "Bretagne",
    "Normandie",
    "Occitanie",
    "Grand Est",
    "Hauts-de-France",
    "Auvergne-Rhône-Alpes",
];
const ENTITIES: [&str; 6] = [
    "anact",
    "aract-bretagne",
    "aract-normandie",
    "aract-occitanie",
    "aract-grand-est",
    "aract-hdf",
];

#[derive(Debug, Default)]
pub struct DemoSummary {
    pub created: bool,
    pub invitations: usize,
    pub responses: usize,
    /// A few unanswered personal links per questionnaire, to try answering.
    pub sample_links: Vec<(QuestionnaireCode, String)>,
}

/// Loads the demo data unless it is already there (then returns `created: false`).
pub async fn load(
    db: &DatabaseConnection,
    seal_key: &SealKey,
    catalog: &Catalog,
    clock: &dyn Clock,
    base_url: &str,
) -> Result<DemoSummary, StoreError> {
    let mut summary = DemoSummary::default();
    let Some(first) = catalog.iter().next() else {
        return Ok(summary);
    };
    if campaigns::find(db, first.definition.code, DEMO_LABEL)
        .await?
        .is_some()
    {
        return Ok(summary);
    }
    summary.created = true;
    let mut rng = StdRng::seed_from_u64(20_231_122);
    let now = clock.now();
    for loaded in catalog.iter() {
        let code = loaded.definition.code;
        let (invited, answer_rate, favourable_bias) = match code {
            QuestionnaireCode::I3_1 => (140, 0.55, 0.68),
            QuestionnaireCode::I3_2 => (45, 0.6, 0.74),
            QuestionnaireCode::I4 => (220, 1.0, 0.78),
            QuestionnaireCode::I6 => (64, 0.5, 0.72),
            QuestionnaireCode::I7 => (160, 0.78, 0.63),
        };
        // The year before (two years for the waves of 6 and 7, measured every other year),
        // a little less favourable, so that the dashboard has a trend and a change to show.
        let (previous_label, years_back) = if measured_by_wave(code) {
            ("Démonstration (vague précédente)", 2)
        } else {
            ("Démonstration (année précédente)", 1)
        };
        let periods = [
            DemoCampaign {
                label: previous_label,
                sent_at: now - Duration::days(365 * years_back + 30),
                invited: invited * 4 / 5,
                answer_rate: answer_rate * 0.9,
                bias: favourable_bias - 0.08,
            },
            DemoCampaign {
                label: DEMO_LABEL,
                sent_at: now - Duration::days(30),
                invited,
                answer_rate,
                bias: favourable_bias,
            },
        ];
        for period in periods {
            let current = period.label == DEMO_LABEL;
            load_campaign(
                (db, seal_key),
                &loaded,
                &period,
                current,
                base_url,
                &mut rng,
                &mut summary,
            )
            .await?;
        }
        // Anonymous answers stay sealed until enough are in: the demo releases them at once.
        if loaded.definition.anonymous {
            for campaign in crate::store::results::campaigns::of_questionnaire(db, code).await? {
                crate::store::anonymity::release_campaign(
                    db,
                    seal_key,
                    campaign.id,
                    crate::domain::indicators::DEFAULT_THRESHOLD,
                    now,
                )
                .await?;
            }
        }
    }
    Ok(summary)
}

/// One demo campaign: invitations sent at once, answered over the following days with a
/// bump after each reminder, as real campaigns do.
struct DemoCampaign {
    label: &'static str,
    sent_at: DateTime<Utc>,
    invited: usize,
    answer_rate: f64,
    bias: f64,
}

async fn load_campaign(
    (db, seal_key): (&DatabaseConnection, &SealKey),
    loaded: &LoadedQuestionnaire,
    period: &DemoCampaign,
    current: bool,
    base_url: &str,
    rng: &mut StdRng,
    summary: &mut DemoSummary,
) -> Result<(), StoreError> {
    let definition = &loaded.definition;
    if definition.open {
        summary.responses += load_widget_ratings(db, loaded, period, rng).await?;
        if current {
            summary
                .sample_links
                .push((definition.code, format!("{base_url}/o/{}", definition.code)));
        }
        return Ok(());
    }
    let campaign =
        campaigns::find_or_create(db, definition.code, period.label, period.sent_at).await?;
    let mut links = 0;
    for i in 0..period.invited {
        let email = fictional_email(rng, i);
        let attributes = roster_attributes(definition.code, rng);
        let (invitation_id, token) = invitations::create(
            db,
            seal_key.links(),
            campaign.id,
            &email,
            &attributes,
            period.sent_at,
        )
        .await?;
        summary.invitations += 1;
        let (answers_on, reminders) = if rng.random_bool(period.answer_rate) {
            let day = answer_day(rng);
            (Some(day), u8::from(day >= 10) + u8::from(day >= 20))
        } else {
            (None, 2)
        };
        let opened_after = answers_on.or_else(|| rng.random_bool(0.3).then(|| answer_day(rng)));
        if let Some(day) = opened_after {
            let at = period.sent_at + Duration::days(day) + Duration::hours(1);
            invitations::mark_opened(db, invitation_id, at).await?;
        }
        set_reminders(db, invitation_id, reminders).await?;
        match answers_on {
            Some(day) => {
                let origin = (
                    Origin::Invitation {
                        id: invitation_id,
                        anonymous: definition.anonymous,
                    },
                    &attributes,
                );
                let at =
                    period.sent_at + Duration::days(day) + Duration::hours(rng.random_range(1..9));
                let target = (db, seal_key);
                if store_one(target, loaded, campaign.id, origin, period.bias, rng, at).await? {
                    summary.responses += 1;
                }
            }
            None if current && links < 3 => {
                links += 1;
                summary
                    .sample_links
                    .push((definition.code, format!("{base_url}/r/{}", token.expose())));
            }
            None => {}
        }
    }
    Ok(())
}

/// Resources of the agency's website the demo's visitors download and rate.
const RESOURCES: [(&str, &str, &str); 6] = [
    ("guide-tms", "Guide : prévenir les TMS", "Santé au travail"),
    (
        "fiche-rps",
        "Fiche : repérer les risques psychosociaux",
        "Santé au travail",
    ),
    (
        "kit-teletravail",
        "Kit : organiser le télétravail",
        "Organisation du travail",
    ),
    ("methode-qvct", "Méthode : démarche QVCT", "Qualité de vie"),
    (
        "outil-usure",
        "Outil : prévenir l’usure professionnelle",
        "Parcours",
    ),
    (
        "guide-dialogue",
        "Guide : dialogue social de proximité",
        "Dialogue social",
    ),
];

/// Indicator 4 as the website's widget records it: downloads counted per resource and day,
/// and about one download in three rated, through the widget's own storage (so the ratings
/// land in the year's campaign, with their resource, like real ones).
async fn load_widget_ratings(
    db: &DatabaseConnection,
    loaded: &LoadedQuestionnaire,
    period: &DemoCampaign,
    rng: &mut StdRng,
) -> Result<usize, StoreError> {
    use crate::domain::widget::ResourceId;
    use crate::store::widget::{DownloadCount, NewRating, record_downloads, record_ratings};
    let mut ratings = Vec::new();
    let mut downloads: std::collections::BTreeMap<(usize, chrono::NaiveDate), u64> =
        std::collections::BTreeMap::new();
    for _ in 0..period.invited {
        let at = period.sent_at + Duration::hours(rng.random_range(0..30 * 24));
        let resource = rng.random_range(0..RESOURCES.len());
        *downloads
            .entry((resource, crate::domain::schedule::paris_date(at)))
            .or_default() += rng.random_range(2..5);
        let raw = draw_answers(&loaded.definition, period.bias, rng);
        let Ok(answers) = validate(&loaded.definition, &raw, UnknownKeys::Reject) else {
            continue;
        };
        let mut attributes = response_attributes(&loaded.definition, &Map::new(), &answers);
        attributes.push(("resource".to_owned(), RESOURCES[resource].0.to_owned()));
        ratings.push(NewRating {
            // Real keys are 32-character hashes; each demo rating is its own visitor.
            visitor_key: uuid::Uuid::new_v4().simple().to_string(),
            submitted_at: at,
            version: loaded.version.clone(),
            answers,
            attributes,
        });
    }
    let counts: Vec<DownloadCount> = downloads
        .into_iter()
        .filter_map(|((resource, day), count)| {
            let (id, title, theme) = RESOURCES[resource];
            Some(DownloadCount {
                resource: ResourceId::parse(id).ok()?,
                day,
                title: Some(title.to_owned()),
                theme: Some(theme.to_owned()),
                count,
            })
        })
        .collect();
    record_downloads(db, &counts, period.sent_at).await?;
    let outcomes = record_ratings(db, loaded.definition.code, &ratings).await?;
    Ok(outcomes
        .iter()
        .filter(|o| **o == crate::store::widget::RatingOutcome::Recorded)
        .count())
}

/// The day after sending a respondent answers: most within a few days, then a bump after the
/// reminders of day 10 and day 20.
fn answer_day(rng: &mut StdRng) -> i64 {
    let draw: f64 = rng.random();
    if draw < 0.55 {
        rng.random_range(0..4)
    } else if draw < 0.8 {
        rng.random_range(10..13)
    } else {
        rng.random_range(20..24)
    }
}

/// Records the reminders the demo person received (dispatch does this for real people).
async fn set_reminders(
    db: &DatabaseConnection,
    invitation_id: uuid::Uuid,
    reminders: u8,
) -> Result<(), StoreError> {
    use sea_orm::sea_query::Expr;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    if reminders == 0 {
        return Ok(());
    }
    invitation::Entity::update_many()
        .col_expr(
            invitation::Column::RemindersSent,
            Expr::value(i16::from(reminders)),
        )
        .filter(invitation::Column::Id.eq(invitation_id))
        .exec(db)
        .await?;
    Ok(())
}

impl DemoSummary {
    pub fn report(&self) -> String {
        let mut out = String::new();
        if !self.created {
            out.push_str("Données de démonstration déjà présentes : rien n'a été ajouté.\n");
            return out;
        }
        let _ = writeln!(
            out,
            "Données de démonstration chargées : {} invitations, {} réponses.",
            self.invitations, self.responses
        );
        out.push_str("Liens pour essayer :\n");
        for (code, link) in &self.sample_links {
            let _ = writeln!(out, "  {code:<5} {link}");
        }
        out
    }
}

fn fictional_email(rng: &mut StdRng, i: usize) -> Email {
    let first = FIRST_NAMES[rng.random_range(0..FIRST_NAMES.len())];
    let last = LAST_NAMES[rng.random_range(0..LAST_NAMES.len())];
    // example.org is reserved for documentation: no real person can receive these.
    Email::parse(&format!("{first}.{last}.{i}@example.org")).expect("demo emails are well formed")
}

fn roster_attributes(code: QuestionnaireCode, rng: &mut StdRng) -> Map<String, Value> {
    let pick = |rng: &mut StdRng, from: &[&str]| from[rng.random_range(0..from.len())].to_owned();
    let value = match code {
        QuestionnaireCode::I6 => json!({
            "region": pick(rng, &REGIONS),
            "college": pick(rng, &["employeurs", "salaries"]),
        }),
        QuestionnaireCode::I7 => json!({ "entity": pick(rng, &ENTITIES) }),
        QuestionnaireCode::I3_1 => {
            // ~35 companies, so that several participants answer for the same company and
            // the two-level consolidation of indicator 3.1 has something to consolidate.
            let company = rng.random_range(0..35_usize);
            let entity = 1 + company % (ENTITIES.len() - 1);
            let kinds = [
                "accompagnement_individuel",
                "accompagnement_collectif",
                "formation_intra",
            ];
            let bands = ["1-9", "10-49", "50-249", "250+"];
            json!({
                "company": format!("DEMO-{company:02}"),
                "entity": ENTITIES[entity],
                "region": REGIONS[entity - 1],
                "kind": kinds[company % 3],
                "size_band": bands[company % 4],
            })
        }
        QuestionnaireCode::I3_2 => json!({ "entity": pick(rng, &ENTITIES[1..]) }),
        QuestionnaireCode::I4 => json!({}),
    };
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// Draws plausible answers: favourable values with probability `bias`, a few "not
/// applicable", some optional questions left blank.
pub(crate) fn draw_answers(definition: &Questionnaire, bias: f64, rng: &mut StdRng) -> RawAnswers {
    let mut raw = RawAnswers::new();
    for question in definition.questions() {
        if !question.required && rng.random_bool(0.2) {
            continue;
        }
        let options = question.kind.options();
        match &question.kind {
            QuestionKind::Likert(_) | QuestionKind::Rating { .. } => {
                // The options sorted as the results will count them, so that `bias` is the
                // favourable rate the demo shows.
                let with = |verdict: Verdict| -> Vec<&String> {
                    options
                        .iter()
                        .map(|o| &o.value)
                        .filter(|v| question.kind.classify(v) == verdict)
                        .collect()
                };
                let (favorable, not_applicable) =
                    (with(Verdict::Favourable), with(Verdict::NotApplicable));
                let pool = if !not_applicable.is_empty() && rng.random_bool(0.05) {
                    not_applicable
                } else if !favorable.is_empty() && rng.random_bool(bias) {
                    favorable
                } else {
                    with(Verdict::Unfavourable)
                };
                if let Some(value) = pool.get(rng.random_range(0..pool.len().max(1))) {
                    raw.push(question.id.clone(), (*value).clone());
                }
            }
            QuestionKind::SingleChoice { options } => {
                let option = &options[rng.random_range(0..options.len())];
                raw.push(question.id.clone(), option.value.clone());
            }
            QuestionKind::MultipleChoice {
                options,
                max_choices,
            } => {
                let max = max_choices.unwrap_or(options.len()).min(2);
                for option in options.iter().take(max) {
                    if rng.random_bool(0.5) {
                        raw.push(question.id.clone(), option.value.clone());
                    }
                }
            }
            QuestionKind::Text { .. } => {
                if rng.random_bool(0.3) {
                    let comments = [
                        "Démarche utile, à poursuivre avec les équipes.",
                        "Les outils sont clairs mais le temps manque pour les utiliser.",
                        "Merci pour l’accompagnement.",
                        "Il faudrait un suivi plus régulier.",
                    ];
                    raw.push(
                        question.id.clone(),
                        comments[rng.random_range(0..comments.len())],
                    );
                }
            }
            QuestionKind::Number { min, max, .. } => {
                raw.push(
                    question.id.clone(),
                    rng.random_range(*min..=*max).to_string(),
                );
            }
        }
    }
    raw
}

async fn store_one(
    (db, seal_key): (&DatabaseConnection, &SealKey),
    loaded: &LoadedQuestionnaire,
    campaign_id: uuid::Uuid,
    (origin, invitation_attributes): (Origin, &Map<String, Value>),
    bias: f64,
    rng: &mut StdRng,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<bool, StoreError> {
    let raw = draw_answers(&loaded.definition, bias, rng);
    // Conditions may hide a drawn answer; validation drops those, as for a real person. A
    // draw that fails (a required follow-up left blank) is not stored, and not counted.
    let Ok(answers) = validate(&loaded.definition, &raw, UnknownKeys::Reject) else {
        return Ok(false);
    };
    let attributes = response_attributes(&loaded.definition, invitation_attributes, &answers);
    let stored = submissions::submit(
        db,
        NewResponse {
            campaign_id,
            version: &loaded.version,
            definition: &loaded.definition,
            origin,
            answers: &answers,
            attributes: &attributes,
            seal_key,
        },
        now,
    )
    .await;
    match stored {
        Ok(_) => Ok(true),
        Err(responses::SubmitError::AlreadyCompleted) => Ok(false),
        Err(responses::SubmitError::Store(e)) => Err(e),
    }
}
