use tracing_subscriber::EnvFilter;

/// Logs to stderr, filtered by `JALON_LOG`. Tokens never reach the logs: handlers do not log
/// them and the access log prints route patterns, not paths.
pub fn init(filter: &str) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
