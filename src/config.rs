//! Settings: every one a command-line flag and a `JALON_*` environment variable.

use std::num::NonZeroU32;
use std::path::PathBuf;
use std::time::Duration;

use crate::bounces::mailbox_address::{AddressError, MailboxAddress};
use crate::domain::visitor::TrustedProxies;

use crate::domain::indicators::ContractTargets;
use crate::domain::results::ResultsSettings;
use crate::domain::staff::Role;

#[derive(Debug, Clone, clap::Args)]
pub struct Settings {
    /// Database: a SQLite file (created on first run) or `postgres://user@host/db`.
    #[arg(
        long,
        env = "JALON_DATABASE_URL",
        default_value = "sqlite://jalon.db",
        global = true
    )]
    pub database_url: String,

    /// Largest number of pooled database connections.
    #[arg(
        long,
        env = "JALON_DATABASE_MAX_CONNECTIONS",
        default_value_t = 16,
        global = true
    )]
    pub database_max_connections: u32,

    /// Address the HTTP server listens on.
    #[arg(
        long,
        env = "JALON_BIND",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    pub bind: String,

    /// Public address used in every link jalon prints or mails.
    #[arg(
        long,
        env = "JALON_BASE_URL",
        default_value = "http://127.0.0.1:8080",
        global = true
    )]
    pub base_url: String,

    /// Folder of questionnaire definition files.
    #[arg(
        long,
        env = "JALON_QUESTIONNAIRES_DIR",
        default_value = "questionnaires",
        global = true
    )]
    pub questionnaires_dir: PathBuf,

    /// Largest request body accepted, in bytes (larger: 413).
    #[arg(long, env = "JALON_MAX_BODY_BYTES", default_value_t = 64 * 1024, global = true)]
    pub max_body_bytes: usize,

    /// SMTP server for outgoing email (`smtp://host:port`, `smtp://user:pass@host:587?tls=required`,
    /// `smtps://user:pass@host:465`). Unset: emails are written as `.eml` files instead.
    #[arg(long, env = "JALON_SMTP_URL", global = true)]
    pub smtp_url: Option<String>,

    /// At most this many emails a second through `JALON_SMTP_URL`, for relays that impose a
    /// rate. Unset: as fast as the server accepts them.
    #[arg(long, env = "JALON_SMTP_MAX_PER_SECOND", global = true)]
    pub smtp_max_per_second: Option<std::num::NonZeroU32>,

    /// Where bounces go: each email's envelope sender is this address with the email's tag
    /// (`retours@enquetes.anact.fr` sends as `retours+{tag}@enquetes.anact.fr`), so that a
    /// bounce names the invitation it is about. Unset: the address of JALON_MAIL_FROM.
    #[arg(long, env = "JALON_BOUNCE_ADDRESS", global = true)]
    pub bounce_address: Option<String>,

    /// The mailbox of JALON_BOUNCE_ADDRESS, read every 10 minutes by `serve` and by
    /// `jalon bounces check`: `imaps://user:password@host:993/INBOX`, or
    /// `imap://user:password@host/INBOX?tls=starttls`; plain `imap://` on loopback only.
    #[arg(
        long,
        env = "JALON_BOUNCE_IMAP_URL",
        hide_env_values = true,
        global = true
    )]
    pub bounce_imap_url: Option<String>,

    /// PEM file of certificate authorities trusted for JALON_BOUNCE_IMAP_URL besides the
    /// usual public ones (a mail server certified by the administration's own authority).
    #[arg(long, env = "JALON_BOUNCE_IMAP_CA_FILE", global = true)]
    pub bounce_imap_ca_file: Option<PathBuf>,

    /// When `serve` reads JALON_BOUNCE_IMAP_URL: cron with seconds, UTC (default every 10
    /// minutes, at minutes 3, 13, 23…, off dispatch's default minutes).
    #[arg(
        long,
        env = "JALON_BOUNCE_CHECK_CRON",
        default_value = "0 3-59/10 * * * *",
        global = true
    )]
    pub bounce_check_cron: String,

    /// Folder of `.eml` files when no SMTP server is configured.
    #[arg(
        long,
        env = "JALON_OUTBOX_DIR",
        default_value = "outbox",
        global = true
    )]
    pub outbox_dir: PathBuf,

    /// Sender of every email, checked when the command starts: an address that does not
    /// parse would otherwise fail every email of a sending, for good.
    #[arg(
        long,
        env = "JALON_MAIL_FROM",
        default_value = "Réseau Anact-Aract <enquetes@anact.fr>",
        value_parser = parse_mail_from,
        global = true
    )]
    pub mail_from: lettre::message::Mailbox,

    /// `off` stops `serve` from running dispatch itself (when an operator drives it).
    #[arg(long, env = "JALON_SCHEDULER", default_value = "on", global = true)]
    pub scheduler: Toggle,

    /// When `serve` runs dispatch: cron with seconds, UTC (default every 5 minutes).
    #[arg(
        long,
        env = "JALON_DISPATCH_CRON",
        default_value = "0 */5 * * * *",
        global = true
    )]
    pub dispatch_cron: String,

    /// Log filter (`info`, `debug`, `jalon=debug,actix_web=info`…).
    #[arg(long, env = "JALON_LOG", default_value = "info", global = true)]
    pub log: String,

    /// TOML file overriding the contract's targets (`i3_1 = 0.6`, `[i6] participation = 0.5`…);
    /// without it, the contract's values.
    #[arg(long, env = "JALON_TARGETS_FILE", global = true)]
    pub targets_file: Option<PathBuf>,

    /// Smallest group of respondents of an anonymous questionnaire shown in a breakdown.
    #[arg(
        long,
        env = "JALON_ANONYMITY_THRESHOLD",
        default_value_t = crate::domain::indicators::DEFAULT_THRESHOLD,
        value_parser = clap::value_parser!(u64).range(1..),
        global = true
    )]
    pub anonymity_threshold: u64,
    /// Origins of the website allowed to call the public widget API (CORS) and to frame
    /// `/o/i4`, comma-separated: `https://www.anact.fr,https://anact.fr`. Empty: none.
    #[arg(long, env = "JALON_WIDGET_ORIGINS", default_value = "", global = true)]
    pub widget_origins: String,

    /// Reverse proxies whose `X-Forwarded-For` gives the visitor's address: IPs or CIDR
    /// blocks, comma-separated. Empty: the TCP peer is the visitor.
    #[arg(long, env = "JALON_TRUSTED_PROXIES", default_value = "", global = true)]
    pub trusted_proxies: String,

    /// Secret keying the daily hashes of visitors' addresses (rate limits, one rating per
    /// visitor, resource and day). Unset: a random key per start.
    #[arg(long, env = "JALON_SECRET", hide_env_values = true, global = true)]
    pub secret: Option<Secret>,

    /// File of the key that encrypts anonymous responses until their release (32 random bytes,
    /// created on first start). Unset: beside a SQLite database (`jalon.db.seal-key`), else
    /// `jalon.seal-key` in the working directory.
    #[arg(long, env = "JALON_SEAL_KEY_FILE", global = true)]
    pub seal_key_file: Option<PathBuf>,

    /// Requests a minute each visitor address may send to each public widget endpoint.
    #[arg(
        long,
        env = "JALON_PUBLIC_RATE_PER_MINUTE",
        default_value_t = 120,
        global = true
    )]
    pub public_rate_per_minute: u32,

    /// Requests a visitor address may send at once before the per-minute rate applies.
    #[arg(
        long,
        env = "JALON_PUBLIC_RATE_BURST",
        default_value_t = 30,
        global = true
    )]
    pub public_rate_burst: u32,

    /// How often download counts accepted in memory are written to the database (ms).
    #[arg(
        long,
        env = "JALON_DOWNLOADS_FLUSH_MS",
        default_value_t = 1000,
        global = true
    )]
    pub downloads_flush_ms: u64,

    /// How long a staff session lasts after signing in, in hours.
    #[arg(
        long,
        env = "JALON_SESSION_HOURS",
        default_value_t = 8,
        value_parser = clap::value_parser!(u32).range(1..=720),
        global = true
    )]
    pub session_hours: u32,

    /// Months after a campaign closes before its contacts' emails and names are erased
    /// (at most 24: the privacy notice promises it).
    #[arg(
        long,
        env = "JALON_RETENTION_MONTHS",
        default_value_t = crate::domain::retention::DEFAULT_MONTHS,
        value_parser = clap::value_parser!(u32).range(0..=24),
        global = true
    )]
    pub retention_months: u32,

    /// Single sign-on: the OpenID Connect provider's issuer, its discovery document being at
    /// `<issuer>/.well-known/openid-configuration` (ProConnect:
    /// `https://auth.agentconnect.gouv.fr/api/v2`). Unset: no single sign-on.
    #[arg(long, env = "JALON_OIDC_ISSUER", global = true)]
    pub oidc_issuer: Option<String>,

    /// Single sign-on: jalon's client id at the provider.
    #[arg(long, env = "JALON_OIDC_CLIENT_ID", global = true)]
    pub oidc_client_id: Option<String>,

    /// Single sign-on: jalon's client secret at the provider.
    #[arg(
        long,
        env = "JALON_OIDC_CLIENT_SECRET",
        hide_env_values = true,
        global = true
    )]
    pub oidc_client_secret: Option<ClientSecret>,

    /// Single sign-on: the scopes asked for, space-separated (ProConnect:
    /// `openid email given_name usual_name uid siret idp_id`).
    #[arg(
        long,
        env = "JALON_OIDC_SCOPES",
        default_value = "openid email",
        global = true
    )]
    pub oidc_scopes: String,

    /// Single sign-on: authentication context classes (`acr`) one of which the ID token must
    /// carry, space- or comma-separated (`eidas1`). Empty: none required.
    #[arg(long, env = "JALON_OIDC_ACR", default_value = "", global = true)]
    pub oidc_acr: String,

    /// Single sign-on: email domains whose people get an account on their first sign-in, with
    /// a role: `aract-bretagne.fr=regional:aract-bretagne,anact.fr=analyst`. Empty: only
    /// accounts an admin created may sign in.
    #[arg(long, env = "JALON_OIDC_DOMAINS", default_value = "", global = true)]
    pub oidc_domains: String,

    /// Single sign-on: the provider's name on the sign-in button (`ProConnect` shows
    /// ProConnect's own button).
    #[arg(
        long,
        env = "JALON_OIDC_NAME",
        default_value = "ProConnect",
        global = true
    )]
    pub oidc_name: String,

    /// `off` turns off signing in with a local email and password (with single sign-on);
    /// `jalon user add` still creates accounts.
    #[arg(
        long,
        env = "JALON_LOCAL_PASSWORDS",
        default_value = "on",
        global = true
    )]
    pub local_passwords: Toggle,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Toggle {
    On,
    Off,
}

impl Settings {
    /// The targets and the anonymity threshold the results are published with.
    pub fn results(&self) -> anyhow::Result<ResultsSettings> {
        let targets = match &self.targets_file {
            None => ContractTargets::default(),
            Some(path) => {
                let source = std::fs::read_to_string(path).map_err(|e| {
                    anyhow::anyhow!("fichier des objectifs {} illisible : {e}", path.display())
                })?;
                toml::from_str(&source).map_err(|e| {
                    anyhow::anyhow!("fichier des objectifs {} invalide : {e}", path.display())
                })?
            }
        };
        Ok(ResultsSettings {
            targets,
            anonymity_threshold: self.anonymity_threshold,
        })
    }

    /// Where the seal key lives (`JALON_SEAL_KEY_FILE` or its default).
    pub fn seal_key_path(&self) -> PathBuf {
        self.seal_key_file
            .clone()
            .unwrap_or_else(|| crate::seal_key::default_path(&self.database_url))
    }

    /// The base URL without a trailing slash, so that `format!("{base}/r/{token}")` is right.
    /// `JALON_BOUNCE_IMAP_URL`, parsed; `None` when unset.
    pub fn bounce_mailbox(&self) -> Result<Option<MailboxAddress>, AddressError> {
        self.bounce_imap_url
            .as_deref()
            .filter(|url| !url.trim().is_empty())
            .map(|url| {
                let address = MailboxAddress::parse(url)?;
                match &self.bounce_imap_ca_file {
                    Some(path) => address.trusting(path),
                    None => Ok(address),
                }
            })
            .transpose()
    }

    pub fn public_base(&self) -> &str {
        self.base_url.trim_end_matches('/')
    }
}

/// A secret that never shows in logs or `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

impl std::str::FromStr for Secret {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() < 16 {
            return Err("JALON_SECRET : 16 caractères au moins".to_owned());
        }
        Ok(Self(s.to_owned()))
    }
}

/// A client secret: never in logs or `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientSecret(String);

impl ClientSecret {
    pub fn new(secret: &str) -> Self {
        Self(secret.to_owned())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClientSecret(…)")
    }
}

impl std::str::FromStr for ClientSecret {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self::new(s))
    }
}

/// Staff sign-in: the session's lifetime, whether cookies are marked `Secure` (when jalon is
/// served over HTTPS, as `JALON_BASE_URL` says), single sign-on, and whether local passwords
/// are accepted.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    pub session_lifetime: chrono::Duration,
    pub secure_cookies: bool,
    pub oidc: Option<OidcSettings>,
    pub local_passwords: bool,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            session_lifetime: chrono::Duration::hours(8),
            secure_cookies: false,
            oidc: None,
            local_passwords: true,
        }
    }
}

/// Single sign-on through an OpenID Connect provider.
#[derive(Debug, Clone)]
pub struct OidcSettings {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: ClientSecret,
    /// Scopes asked for (`openid` is always asked).
    pub scopes: Vec<String>,
    /// `acr` values one of which the ID token must carry; empty: none required.
    pub acr: Vec<String>,
    /// `JALON_BASE_URL` + `/connexion/oidc/retour`.
    pub redirect_url: String,
    /// Where the provider sends people back after signing out: `JALON_BASE_URL` + `/connexion`.
    pub post_logout_redirect_url: String,
    pub domains: Vec<DomainRule>,
    /// The provider's name on the sign-in button.
    pub name: String,
}

/// People of an email domain get an account with this role on their first sign-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainRule {
    /// Lower case, without `@`.
    pub domain: String,
    pub role: Role,
}

impl OidcSettings {
    /// The role the domain rules give `email`, if one does.
    pub fn role_for(&self, email: &str) -> Option<&Role> {
        let (_, domain) = email.rsplit_once('@')?;
        let domain = domain.to_ascii_lowercase();
        self.domains
            .iter()
            .find(|rule| rule.domain == domain)
            .map(|rule| &rule.role)
    }
}

/// `aract-bretagne.fr=regional:aract-bretagne, anact.fr=analyst` → the rules. A domain rule
/// never makes an admin: admins are created by name.
pub fn parse_domain_rules(list: &str) -> anyhow::Result<Vec<DomainRule>> {
    list.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| {
            let (domain, role) = item.split_once('=').ok_or_else(|| {
                anyhow::anyhow!("JALON_OIDC_DOMAINS : « {item} » n'a pas la forme domaine=rôle")
            })?;
            let domain = domain.trim().trim_start_matches('@').to_ascii_lowercase();
            if domain.is_empty() || !domain.contains('.') || domain.contains(['@', ' ', '/']) {
                anyhow::bail!("JALON_OIDC_DOMAINS : domaine « {domain} » invalide");
            }
            let role: Role = role
                .trim()
                .parse()
                .map_err(|e| anyhow::anyhow!("JALON_OIDC_DOMAINS : {e}"))?;
            if role == Role::Admin {
                anyhow::bail!(
                    "JALON_OIDC_DOMAINS : une règle de domaine ne peut pas donner le rôle admin"
                );
            }
            Ok(DomainRule { domain, role })
        })
        .collect()
}

/// `openid email, uid` → the words.
fn words(list: &str) -> Vec<String> {
    list.split([' ', ','])
        .filter(|word| !word.is_empty())
        .map(str::to_owned)
        .collect()
}

impl Settings {
    pub fn auth(&self) -> anyhow::Result<AuthSettings> {
        let oidc = match (
            &self.oidc_issuer,
            &self.oidc_client_id,
            &self.oidc_client_secret,
        ) {
            (None, None, None) => None,
            (Some(issuer), Some(client_id), Some(secret)) => Some(OidcSettings {
                issuer: issuer.trim().to_owned(),
                client_id: client_id.trim().to_owned(),
                client_secret: secret.clone(),
                scopes: words(&self.oidc_scopes),
                acr: words(&self.oidc_acr),
                redirect_url: format!("{}/connexion/oidc/retour", self.public_base()),
                post_logout_redirect_url: format!("{}/connexion", self.public_base()),
                domains: parse_domain_rules(&self.oidc_domains)?,
                name: self.oidc_name.trim().to_owned(),
            }),
            _ => anyhow::bail!(
                "authentification unique : JALON_OIDC_ISSUER, JALON_OIDC_CLIENT_ID et \
                 JALON_OIDC_CLIENT_SECRET vont ensemble"
            ),
        };
        if let Some(oidc) = &oidc {
            url::Url::parse(&oidc.issuer)
                .map_err(|e| anyhow::anyhow!("JALON_OIDC_ISSUER invalide : {e}"))?;
        }
        Ok(AuthSettings {
            session_lifetime: chrono::Duration::hours(i64::from(self.session_hours)),
            secure_cookies: self
                .base_url
                .trim_start()
                .to_ascii_lowercase()
                .starts_with("https://"),
            oidc,
            local_passwords: self.local_passwords == Toggle::On,
        })
    }
}

/// What the download widget needs from the settings, checked.
#[derive(Debug, Clone)]
pub struct WidgetSettings {
    /// Serialized origins (`https://www.anact.fr`), as browsers send them in `Origin`.
    pub origins: Vec<String>,
    pub trusted_proxies: TrustedProxies,
    pub secret: Option<Secret>,
    pub rate_per_minute: NonZeroU32,
    pub burst: NonZeroU32,
    pub flush_interval: Duration,
}

impl Default for WidgetSettings {
    fn default() -> Self {
        Self {
            origins: Vec::new(),
            trusted_proxies: TrustedProxies::default(),
            secret: None,
            rate_per_minute: NonZeroU32::new(120).unwrap_or(NonZeroU32::MIN),
            burst: NonZeroU32::new(30).unwrap_or(NonZeroU32::MIN),
            flush_interval: Duration::from_secs(1),
        }
    }
}

impl Settings {
    pub fn widget(&self) -> anyhow::Result<WidgetSettings> {
        let positive = |value: u32, name: &str| {
            NonZeroU32::new(value).ok_or_else(|| anyhow::anyhow!("{name} doit être positif"))
        };
        Ok(WidgetSettings {
            origins: parse_origins(&self.widget_origins)?,
            trusted_proxies: self.trusted_proxies.parse()?,
            secret: self.secret.clone(),
            rate_per_minute: positive(self.public_rate_per_minute, "JALON_PUBLIC_RATE_PER_MINUTE")?,
            burst: positive(self.public_rate_burst, "JALON_PUBLIC_RATE_BURST")?,
            flush_interval: Duration::from_millis(self.downloads_flush_ms.clamp(10, 60_000)),
        })
    }
}

/// `JALON_MAIL_FROM`: `Nom <adresse@domaine>` or `adresse@domaine`.
fn parse_mail_from(raw: &str) -> Result<lettre::message::Mailbox, String> {
    raw.parse().map_err(|e| {
        format!(
            "JALON_MAIL_FROM : « {raw} » n'est pas une adresse d'expéditeur ({e}) ; \
             attendu « Nom <adresse@domaine> » ou « adresse@domaine »"
        )
    })
}

/// `https://www.anact.fr, http://localhost:8000/` → the origins as browsers serialize them.
pub fn parse_origins(list: &str) -> anyhow::Result<Vec<String>> {
    list.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| {
            let url = url::Url::parse(item)
                .map_err(|e| anyhow::anyhow!("JALON_WIDGET_ORIGINS : « {item} » invalide ({e})"))?;
            let origin = url.origin().ascii_serialization();
            let bare = url.path() == "/" && url.query().is_none() && url.fragment().is_none();
            if !matches!(url.scheme(), "http" | "https") || !bare || origin == "null" {
                anyhow::bail!(
                    "JALON_WIDGET_ORIGINS : « {item} » n'est pas une origine (https://hôte[:port])"
                );
            }
            Ok(origin)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_normalised_and_checked() {
        assert_eq!(
            parse_origins(" https://www.anact.fr/, http://127.0.0.1:8000 ,").unwrap(),
            ["https://www.anact.fr", "http://127.0.0.1:8000"]
        );
        assert!(parse_origins("").unwrap().is_empty());
        for bad in [
            "www.anact.fr",
            "https://anact.fr/page",
            "ftp://anact.fr",
            "https://a.fr?x=1",
        ] {
            assert!(parse_origins(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn cookies_are_secure_behind_https() {
        use clap::Parser;
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            settings: Settings,
        }
        let parse = |url: &str| {
            Cli::parse_from(["jalon", "--base-url", url])
                .settings
                .auth()
                .unwrap()
        };
        assert!(parse("https://enquetes.anact.fr").secure_cookies);
        assert!(!parse("http://127.0.0.1:8080").secure_cookies);
        assert_eq!(
            parse("https://x.fr").session_lifetime,
            chrono::Duration::hours(8)
        );
    }

    #[test]
    fn domain_rules_give_roles_but_never_admin() {
        let rules =
            parse_domain_rules("aract-bretagne.fr=regional:aract-bretagne, @Anact.fr=analyst")
                .unwrap();
        assert_eq!(rules.len(), 2);
        assert_eq!(rules[1].domain, "anact.fr");
        assert_eq!(rules[1].role, Role::Analyst);
        assert!(parse_domain_rules("").unwrap().is_empty());
        for bad in [
            "anact.fr",
            "anact.fr=admin",
            "anact.fr=chef",
            "=analyst",
            "x=analyst",
        ] {
            assert!(parse_domain_rules(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn secrets_are_long_and_never_printed() {
        assert!("court".parse::<Secret>().is_err());
        let secret: Secret = "un secret assez long".parse().unwrap();
        assert_eq!(format!("{secret:?}"), "Secret(…)");
    }
}
