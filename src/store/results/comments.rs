//! The free-text answers of a campaign, for reading: texts only, in random order.

use rand::seq::SliceRandom;
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use uuid::Uuid;

use crate::entities::{answer, hidden_comment, response};
use crate::store::StoreError;

/// `(question, text)` of every non-empty answer to `questions` in the campaign, except those
/// of responses whose comments staff have hidden, shuffled: no response id, no attribute, no
/// day, and no order that could follow anything.
///
/// With `limit`, reads no more than that many (the first the database finds, then
/// shuffled): a campaign page shows a sample and stays as fast at 100,000 responses as at
/// 100; the API reads them all.
pub async fn texts(
    db: &impl ConnectionTrait,
    campaign_id: Uuid,
    questions: &[String],
    limit: Option<u64>,
) -> Result<Vec<(String, String)>, StoreError> {
    if questions.is_empty() {
        return Ok(Vec::new());
    }
    let (a, r, h) = (answer::Entity, response::Entity, hidden_comment::Entity);
    let mut query = Query::select();
    query
        .from(a)
        .columns([(a, answer::Column::QuestionId), (a, answer::Column::Value)])
        .inner_join(
            r,
            Expr::col((r, response::Column::Id)).equals((a, answer::Column::ResponseId)),
        )
        .left_join(
            h,
            Expr::col((h, hidden_comment::Column::ResponseId))
                .equals((a, answer::Column::ResponseId)),
        )
        .and_where(Expr::col((r, response::Column::CampaignId)).eq(campaign_id))
        .and_where(Expr::col((a, answer::Column::QuestionId)).is_in(questions.iter().cloned()))
        .and_where(Expr::col((h, hidden_comment::Column::ResponseId)).is_null())
        // Empty texts are never stored (a blank answer is no answer), so each row counts.
        .and_where(Expr::col((a, answer::Column::Value)).ne(""));
    if let Some(limit) = limit {
        query.limit(limit);
    }
    let mut texts = Vec::new();
    for row in db.query_all(&query).await? {
        let question: String = row.try_get("", "question_id")?;
        let text: String = row.try_get("", "value")?;
        if !text.trim().is_empty() {
            texts.push((question, text));
        }
    }
    texts.shuffle(&mut rand::rng());
    Ok(texts)
}
