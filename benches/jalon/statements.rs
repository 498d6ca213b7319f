//! Where PostgreSQL's time goes while jalon answers (`JALON_BENCH_PG_STATEMENTS=12`): the
//! bench's server loads `pg_stat_statements`, the counters are reset after the warm-up, and
//! the statements that took the most time (planning and execution) in the runs of one
//! instance are printed, with their calls, rows and time per call, then the sum over every
//! statement, then the tables read whole (sequential scans).
//!
//! The times are the sessions' elapsed times: on a busy machine they include the waits for
//! a core, so they say where the sessions spent their time, not the CPU each statement cost.

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

/// What the server must load for the counters to exist.
pub const PRELOAD: &str =
    "-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track_planning=on";

async fn connect(url: &str) -> DatabaseConnection {
    jalon::store::connect(url, 1)
        .await
        .expect("database reachable")
}

/// Starts counting from zero.
pub async fn reset(url: &str) {
    let db = connect(url).await;
    for sql in [
        "CREATE EXTENSION IF NOT EXISTS pg_stat_statements",
        "SELECT pg_stat_statements_reset()",
        "SELECT pg_stat_reset()",
    ] {
        db.execute_unprepared(sql)
            .await
            .expect("pg_stat_statements (is the server started with it?)");
    }
}

/// The `count` statements that took the most time since [`reset`], one line each, then
/// the sum over all of them.
pub async fn top(url: &str, count: usize) -> Vec<String> {
    let db = connect(url).await;
    let mut lines = vec![format!(
        "{:>9} {:>8} {:>8} {:>8} {:>9} {:>10}  statement",
        "exec ms", "plan ms", "plans", "calls", "rows", "ms/call"
    )];
    let select = "SELECT total_exec_time::float8 AS ms, total_plan_time::float8 AS plan_ms, \
                  plans, calls, rows, left(regexp_replace(query, '\\s+', ' ', 'g'), 100) AS query \
                  FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat_statements%'";
    let top = format!("{select} ORDER BY total_exec_time + total_plan_time DESC LIMIT $1");
    let all = "SELECT sum(total_exec_time)::float8 AS ms, sum(total_plan_time)::float8 AS plan_ms, \
               sum(plans)::int8 AS plans, sum(calls)::int8 AS calls, sum(rows)::int8 AS rows, 'all statements' AS query \
               FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat_statements%'";
    let limit = i64::try_from(count).unwrap_or(i64::MAX);
    for statement in [
        Statement::from_sql_and_values(DbBackend::Postgres, top, [limit.into()]),
        Statement::from_string(DbBackend::Postgres, all),
    ] {
        let rows = db
            .query_all_raw(statement)
            .await
            .expect("pg_stat_statements read");
        for row in rows {
            let ms: f64 = row.try_get("", "ms").unwrap_or(f64::NAN);
            let plan_ms: f64 = row.try_get("", "plan_ms").unwrap_or(f64::NAN);
            let plans: i64 = row.try_get("", "plans").unwrap_or(0);
            let calls: i64 = row.try_get("", "calls").unwrap_or(0);
            let rows: i64 = row.try_get("", "rows").unwrap_or(0);
            let query: String = row.try_get("", "query").unwrap_or_default();
            let per_call = (ms + plan_ms) / calls.max(1) as f64;
            lines.push(format!(
                "{ms:>9.0} {plan_ms:>8.0} {plans:>8} {calls:>8} {rows:>9} {per_call:>10.3}  {query}"
            ));
        }
    }
    lines.push(sessions(&db).await);
    lines.extend(scans(&db).await);
    lines
}

/// The sessions opened since [`reset`]: each is a process forked and its statements
/// prepared (and planned) again.
async fn sessions(db: &DatabaseConnection) -> String {
    let sql = "SELECT sessions, sessions_abandoned FROM pg_stat_database \
               WHERE datname = current_database()";
    let row = db
        .query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await
        .expect("pg_stat_database read");
    let read = |column: &str| -> i64 {
        row.as_ref()
            .and_then(|r| r.try_get("", column).ok())
            .unwrap_or(0)
    };
    format!(
        "sessions opened: {} (abandoned by their client: {})",
        read("sessions"),
        read("sessions_abandoned")
    )
}

/// The tables read whole (sequential scans) since [`reset`]: a table read whole on every
/// request, which an index should serve, shows here.
async fn scans(db: &DatabaseConnection) -> Vec<String> {
    let sql = "SELECT relname, seq_scan, seq_tup_read, idx_scan FROM pg_stat_user_tables \
               WHERE seq_scan > 0 ORDER BY seq_tup_read DESC LIMIT 6";
    let rows = db
        .query_all_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await
        .expect("pg_stat_user_tables read");
    let mut lines = vec![format!(
        "{:>9} {:>12} {:>11}  table read whole",
        "scans", "rows read", "index scans"
    )];
    for row in rows {
        let table: String = row.try_get("", "relname").unwrap_or_default();
        let scans: i64 = row.try_get("", "seq_scan").unwrap_or(0);
        let read: i64 = row.try_get("", "seq_tup_read").unwrap_or(0);
        let index: i64 = row.try_get("", "idx_scan").unwrap_or(0);
        lines.push(format!("{scans:>9} {read:>12} {index:>11}  {table}"));
    }
    lines
}
