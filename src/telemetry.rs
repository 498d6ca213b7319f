use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// Logs to stderr, filtered by `JALON_LOG`, with colours only on a terminal (a log file or a
/// journal gets plain text). Tokens never reach the logs: handlers do not log them and the
/// access log prints route patterns, not paths.
pub fn init(filter: &str) {
    let filter =
        EnvFilter::try_new(quiet_libraries(filter)).unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .try_init();
}

/// Libraries that tell routine steps at `info`: the migrator each migration it applies (some
/// twenty lines on a new database), the scheduler its own start, PostgreSQL's notices ("relation
/// … already exists, skipping" at each start; its warnings stay). They are shown from `debug`
/// on, or when the filter names them.
const CHATTY: [&str; 3] = [
    "sea_orm_migration",
    "tokio_cron_scheduler",
    "sqlx::postgres::notice",
];

fn quiet_libraries(filter: &str) -> String {
    let verbose = filter
        .split(',')
        .map(str::trim)
        .any(|directive| matches!(directive, "debug" | "trace"));
    let mut quieted = filter.to_owned();
    for library in CHATTY {
        if !verbose && !filter.contains(library) {
            quieted.push_str(&format!(",{library}=warn"));
        }
    }
    quieted
}

#[cfg(test)]
mod tests {
    use super::quiet_libraries;

    #[test]
    fn routine_library_steps_are_quiet_below_debug_unless_named() {
        assert_eq!(
            quiet_libraries("info"),
            "info,sea_orm_migration=warn,tokio_cron_scheduler=warn,sqlx::postgres::notice=warn"
        );
        assert_eq!(
            quiet_libraries("warn,jalon=debug"),
            "warn,jalon=debug,sea_orm_migration=warn,tokio_cron_scheduler=warn,sqlx::postgres::notice=warn"
        );
        assert_eq!(quiet_libraries("debug"), "debug");
        assert_eq!(quiet_libraries("info, trace"), "info, trace");
        assert_eq!(
            quiet_libraries("info,sea_orm_migration=info"),
            "info,sea_orm_migration=info,tokio_cron_scheduler=warn,sqlx::postgres::notice=warn"
        );
    }
}
