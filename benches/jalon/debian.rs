//! The Debian packages the benchmark drives, installed when missing (as root).

use std::process::Command;

/// wrk, the load generator of the HTTP parts.
pub fn ensure_wrk() {
    if Command::new("wrk").arg("--version").output().is_err() {
        install("wrk", "");
    }
}

/// Postfix, the dispatch part's real mail server, installed without setting up the
/// machine's own mail: the part starts its own instances (`tests/api/postfix.rs`).
pub fn ensure_postfix() {
    if !std::path::Path::new("/usr/sbin/postfix").exists() {
        install(
            "postfix",
            "echo 'postfix postfix/main_mailer_type select No configuration' | debconf-set-selections && ",
        );
    }
}

/// `apt-get install package` after `before` (a shell prefix), updating the package lists only
/// if the first try fails.
fn install(package: &str, before: &str) {
    eprintln!("{package} is missing: installing Debian's package");
    let install =
        format!("DEBIAN_FRONTEND=noninteractive apt-get install -y -qq {package} >/dev/null");
    let ok = Command::new("sh")
        .args([
            "-c",
            &format!("{before}({install} || (apt-get update -qq && {install}))"),
        ])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "could not install {package} (apt-get install {package}, as root)"
    );
}
