//! The storage's own speed for answering: the rows of a response (the claim of its link, the
//! response, its answers, its attributes) written by a minimal writer straight into jalon's
//! schema, with jalon's durability (the same connection settings), without HTTP and without
//! any derived count. jalon's answering figures are reported as a share of it, measured in
//! the same run on the same machine.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use jalon::clock::{Clock, SystemClock};
use jalon::domain::answers::ValidAnswers;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, SqliteTransactionMode, Statement,
    TransactionOptions, TransactionTrait, Value,
};
use uuid::Uuid;

/// How the minimal writer commits: `writers` tasks at once, `per_transaction` responses in
/// each of their transactions.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub writers: usize,
    pub per_transaction: usize,
}

/// What one response writes, besides its ids.
pub struct Sample {
    pub campaign_id: Uuid,
    pub version: String,
    pub answers: Vec<(String, i64, String)>,
    pub attributes: Vec<(String, String)>,
}

impl Sample {
    pub fn new(
        campaign_id: Uuid,
        version: &str,
        answers: &ValidAnswers,
        attributes: &[(String, String)],
    ) -> Self {
        let mut rows = Vec::new();
        for (question, value) in &answers.0 {
            for (position, value) in value.stored_values().into_iter().enumerate() {
                rows.push((question.clone(), position as i64, value));
            }
        }
        Sample {
            campaign_id,
            version: version.to_owned(),
            answers: rows,
            attributes: attributes.to_vec(),
        }
    }
}

/// Responses a second over `duration` (or until `invitations` run out), each claiming the
/// next of `invitations`.
pub async fn measure(
    url: &str,
    sample: Arc<Sample>,
    invitations: Arc<Vec<Uuid>>,
    next: Arc<AtomicUsize>,
    shape: Shape,
    duration: Duration,
) -> f64 {
    let db = jalon::store::connect(url, shape.writers as u32)
        .await
        .expect("database reachable");
    let started = Instant::now();
    let deadline = started + duration;
    let written = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..shape.writers)
        .map(|_| {
            let (db, sample, invitations, next, written) = (
                db.clone(),
                sample.clone(),
                invitations.clone(),
                next.clone(),
                written.clone(),
            );
            tokio::spawn(async move {
                while Instant::now() < deadline {
                    let first = next.fetch_add(shape.per_transaction, Ordering::SeqCst);
                    // Out of invitations: the run ends early, its rate still holds.
                    let Some(ids) = invitations.get(first..first + shape.per_transaction) else {
                        break;
                    };
                    write(&db, &sample, ids).await;
                    written.fetch_add(ids.len(), Ordering::SeqCst);
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("ceiling writer");
    }
    let elapsed = started.elapsed().as_secs_f64();
    db.close().await.ok();
    written.load(Ordering::SeqCst) as f64 / elapsed
}

/// One transaction of four statements whatever its size: the claims of its links, then its
/// responses, their answers and their attributes, each table in one multi-row statement; on
/// SQLite sent as one script (one trip to the connection's thread), as jalon's writer does.
pub async fn write(db: &DatabaseConnection, sample: &Sample, invitations: &[Uuid]) {
    let backend = db.get_database_backend();
    let txn = db
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..TransactionOptions::default()
        })
        .await
        .expect("begin");
    let now = SystemClock.now();
    let today = now.date_naive();
    let mut claims = vec![today.into()];
    let (mut responses, mut answers, mut attributes) = (Vec::new(), Vec::new(), Vec::new());
    for invitation in invitations {
        let response_id = Uuid::now_v7();
        claims.push((*invitation).into());
        responses.extend([
            response_id.into(),
            sample.campaign_id.into(),
            sample.version.clone().into(),
            (*invitation).into(),
            today.into(),
            now.into(),
        ]);
        for (question, position, value) in &sample.answers {
            answers.extend([
                response_id.into(),
                question.clone().into(),
                (*position).into(),
                value.clone().into(),
            ]);
        }
        for (key, value) in &sample.attributes {
            attributes.extend([response_id.into(), key.clone().into(), value.clone().into()]);
        }
    }
    let ids = vec!["?"; invitations.len()].join(", ");
    let statements = [
        statement(
            backend,
            &format!(
                // By id only: beside `status = ?`, SQLite's planner would read every pending
                // invitation through the status index (the ceiling's links are all pending).
                "UPDATE invitations SET status = 'completed', completed_on = ? WHERE id IN ({ids})"
            ),
            claims,
        ),
        multi_row(
            backend,
            "INSERT INTO responses (id, campaign_id, version_id, invitation_id, \
             submitted_on, submitted_at) VALUES ",
            6,
            responses,
        ),
        multi_row(
            backend,
            "INSERT INTO answers (response_id, question_id, position, value) VALUES ",
            4,
            answers,
        ),
        multi_row(
            backend,
            "INSERT INTO response_attributes (response_id, key, value) VALUES ",
            3,
            attributes,
        ),
    ];
    if backend == DbBackend::Sqlite {
        let mut sql = String::new();
        let mut values = Vec::new();
        for statement in statements {
            sql.push_str(&statement.sql);
            sql.push_str(";\n");
            values.extend(statement.values.map(|v| v.0).unwrap_or_default());
        }
        txn.execute_raw(Statement::from_sql_and_values(backend, sql, values))
            .await
            .expect("ceiling write");
    } else {
        for statement in statements {
            txn.execute_raw(statement).await.expect("ceiling write");
        }
    }
    txn.commit().await.expect("commit");
}

fn multi_row(backend: DbBackend, head: &str, columns: usize, values: Vec<Value>) -> Statement {
    let row = format!("({})", vec!["?"; columns].join(", "));
    let rows = vec![row; values.len() / columns].join(", ");
    statement(backend, &format!("{head}{rows}"), values)
}

/// `sql` with `?` placeholders, numbered for PostgreSQL.
pub fn statement(backend: DbBackend, sql: &str, values: Vec<Value>) -> Statement {
    let sql = if backend == DbBackend::Postgres {
        let mut numbered = String::with_capacity(sql.len() + 16);
        let mut n = 0;
        for c in sql.chars() {
            if c == '?' {
                n += 1;
                numbered.push_str(&format!("${n}"));
            } else {
                numbered.push(c);
            }
        }
        numbered
    } else {
        sql.to_owned()
    };
    Statement::from_sql_and_values(backend, sql, values)
}
