//! Dispatch's writers taking turns. Queueing and sending write at the same time, each on its
//! own connection; on SQLite, whose database has one writer at a time, a connection that
//! finds the lock taken waits in SQLite's busy handler, which sleeps in steps of up to
//! 100 ms: a sending's outcomes waited up to 430 ms behind a batch being queued, its
//! connections idle meanwhile. Turns taken in the process are handed over as soon as the
//! holder commits, in the order asked. PostgreSQL locks rows, not the database: its writers
//! do not take turns.

use sea_orm::DbBackend;
use tokio::sync::{Mutex, MutexGuard};

pub(super) struct WriteTurns {
    gate: Option<Mutex<()>>,
}

impl WriteTurns {
    pub fn for_backend(backend: DbBackend) -> Self {
        Self {
            gate: (backend == DbBackend::Sqlite).then(|| Mutex::new(())),
        }
    }

    /// Waits for this writer's turn, which lasts as long as the guard: take it before the
    /// transaction begins, drop it after the commit.
    pub async fn take(&self) -> Option<MutexGuard<'_, ()>> {
        match &self.gate {
            Some(gate) => Some(gate.lock().await),
            None => None,
        }
    }
}
