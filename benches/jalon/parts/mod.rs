pub mod answering;
pub mod dashboard;
pub mod dispatch;
pub mod widget;

use std::sync::Arc;

use jalon::catalog::Catalog;
use jalon::clock::{Clock, SystemClock};
use sea_orm::DatabaseConnection;

/// A fresh, migrated database with the shipped questionnaires' versions recorded.
pub async fn prepared_database(
    url: &str,
    work: &std::path::Path,
) -> (DatabaseConnection, Arc<Catalog>, jalon::link_key::LinkKey) {
    let db = jalon::store::connect(url, 4)
        .await
        .expect("database reachable");
    jalon::store::migrate(&db).await.expect("migrations apply");
    // The key file the servers of `base_env` read: the links made here are theirs.
    let links = jalon::store::anonymity::open_seal_key(&db, &work.join("jalon.seal-key"))
        .await
        .expect("seal key")
        .links()
        .clone();
    let catalog = Arc::new(
        Catalog::load_dir(std::path::Path::new(&crate::questionnaires_dir()))
            .expect("shipped questionnaires load"),
    );
    jalon::store::versions::record_all(&db, &catalog, SystemClock.now())
        .await
        .expect("versions recorded");
    (db, catalog, links)
}

/// A temporary folder for one part's database and logs; `JALON_BENCH_KEEP=1` keeps it (its
/// path is printed) to look into the database afterwards.
pub fn work_dir(name: &str) -> tempfile::TempDir {
    let prefix = format!("jalon-bench-{name}");
    let mut dir = tempfile::Builder::new();
    dir.prefix(&prefix);
    if std::env::var_os("JALON_BENCH_KEEP").is_some() {
        dir.disable_cleanup(true);
    }
    let dir = dir.tempdir().expect("a temporary folder");
    eprintln!("{name}: working in {}", dir.path().display());
    dir
}
