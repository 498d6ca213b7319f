//! The bundled SQLite is built with the options `.cargo/config.toml` gives it: a build
//! without them still works, only slower, so nothing else would notice.

use sea_orm::{ConnectionTrait, Statement};

#[tokio::test]
async fn the_bundled_sqlite_has_the_options_jalon_relies_on() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let url = format!("sqlite://{}", dir.path().join("jalon.db").display());
    let db = jalon::store::connect(&url, 1).await.expect("SQLite opens");
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "PRAGMA compile_options",
        ))
        .await
        .expect("compile options read");
    let options: Vec<String> = rows
        .iter()
        .map(|row| row.try_get_by_index(0).expect("an option"))
        .collect();
    for wanted in ["ENABLE_QPSG", "DEFAULT_MEMSTATUS=0"] {
        assert!(
            options.iter().any(|o| o == wanted),
            "{wanted} missing from {options:?}"
        );
    }
}
