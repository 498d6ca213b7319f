//! The `jalon` command: serve, migrate, check questionnaires, invite, load demo data.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use serde_json::Map;

use jalon::catalog::Catalog;
use jalon::clock::{Clock, SystemClock};
use jalon::config::{Settings, Toggle};
use jalon::dispatch::Dispatcher;
use jalon::domain::retention::contact_reference;
use jalon::domain::staff::{Role, password};
use jalon::domain::{Email, QuestionnaireCode};
use jalon::import::{ImportKind, ImportReport};
use jalon::mail::{FileMailer, Mailer, SmtpMailer};
use jalon::seal_key::SealKey;
use jalon::startup::{AppParts, Application};
use jalon::{demo, import, scheduler, stats, store, telemetry};

#[derive(Parser)]
#[command(
    name = "jalon",
    version,
    about = "Questionnaires et indicateurs du réseau Anact-Aract"
)]
struct Cli {
    #[command(flatten)]
    settings: Settings,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the HTTP server (runs migrations first).
    Serve {
        /// Load the demo data first if the database has none.
        #[arg(long)]
        demo: bool,
    },
    /// Apply database migrations.
    Migrate,
    /// Check questionnaire definition files, or export the versions in use.
    Questionnaires {
        #[command(subcommand)]
        command: QuestionnairesCommand,
    },
    /// Create one invitation now and print its personal link.
    Invite {
        #[arg(long)]
        questionnaire: String,
        #[arg(long)]
        email: String,
        /// Campaign label (default: the current year).
        #[arg(long)]
        campaign: Option<String>,
    },
    /// Load fictional demo data (campaigns, invitations, a few hundred responses).
    Demo,
    /// Run dispatch once as of an instant: queue due invitations and reminders, close expired
    /// invitations, deliver the outbox; print what was done.
    Dispatch {
        /// RFC 3339 instant (`2026-03-16T09:00:00+01:00`) or date (`2026-03-16`: the end of
        /// that day in Paris). Default: now.
        #[arg(long)]
        as_of: Option<String>,
    },
    /// What came back to JALON_BOUNCE_ADDRESS: bounces, complaints, automatic replies.
    Bounces {
        #[command(subcommand)]
        command: BouncesCommand,
    },
    /// Import a CSV export (UTF-8 or Windows-1252, `;` or `,`).
    Import {
        #[command(subcommand)]
        what: ImportCommand,
    },
    /// Staff accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Bearer tokens for programs calling the staff API.
    ApiToken {
        #[command(subcommand)]
        command: ApiTokenCommand,
    },
    /// A person's data (RGPD): export it, or erase it.
    Contact {
        #[command(subcommand)]
        command: ContactCommand,
    },
    /// Ask the running server's /healthz (for container health checks); exit 0 if healthy.
    Healthcheck,
    /// Write a campaign's file for statisticians (not for anonymous questionnaires):
    /// reponses.sav, reponses-r.zip, reponses-sps.zip, reponses-sss.zip, codebook.csv or
    /// codebook.html.
    Export {
        /// The campaign's id (as its dashboard page shows it).
        #[arg(long)]
        campaign: uuid::Uuid,
        /// Which file.
        file: String,
        /// Where to write it (default: the file's name, in the current folder).
        #[arg(long)]
        output: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum BouncesCommand {
    /// Process an `.eml` file, or every `.eml` file of a folder (a mailbox exported by hand);
    /// print what each did. A message processed before has no second effect.
    Import { path: PathBuf },
    /// Read the mailbox of JALON_BOUNCE_IMAP_URL once: process each message, move it to
    /// "traité" or "non reconnu"; print what each did.
    Check,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a staff account; the password is read from the terminal (or JALON_NEW_PASSWORD).
    Add {
        #[arg(long)]
        email: String,
        /// admin, analyst or regional.
        #[arg(long)]
        role: String,
        /// The entity of a regional account (a code of network/entities.toml).
        #[arg(long)]
        entity: Option<String>,
    },
}

#[derive(Subcommand)]
enum ApiTokenCommand {
    /// Create a bearer token, print it once; only its hash is stored.
    Create {
        #[arg(long)]
        name: String,
        /// admin, analyst or regional (default: admin).
        #[arg(long, default_value = "admin")]
        role: String,
        /// The entity of a regional token.
        #[arg(long)]
        entity: Option<String>,
    },
}

#[derive(Subcommand)]
enum ContactCommand {
    /// Print as JSON everything stored about a person.
    Export {
        #[arg(long)]
        email: String,
    },
    /// Erase a person's email and name everywhere (their answers stay, unlinked).
    Erase {
        #[arg(long)]
        email: String,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Interventions (indicator 3.1): one row per participant.
    Interventions(ImportArgs),
    /// Co-productions (indicator 3.2): one row per relay contact.
    Coproductions(ImportArgs),
    /// The roster of a wave (indicators 6 and 7): one row per person.
    Roster {
        #[command(flatten)]
        args: ImportArgs,
        /// The wave's id (as `POST /api/v1/waves` returned it).
        #[arg(long)]
        wave: uuid::Uuid,
    },
}

#[derive(clap::Args)]
struct ImportArgs {
    file: PathBuf,
    /// Import the valid rows even if others are rejected (default: nothing if any error).
    #[arg(long)]
    skip_invalid: bool,
}

#[derive(Subcommand)]
enum QuestionnairesCommand {
    /// Print every error of every file, and exit non-zero if there is one.
    Check {
        /// Folder to check (default: JALON_QUESTIONNAIRES_DIR).
        dir: Option<PathBuf>,
    },
    /// Write the version in use of each questionnaire (published in the database, else the
    /// file's) to DIR, one file each, named as in the questionnaires folder, and its emails in
    /// use to DIR/emails under the same name.
    Export {
        /// Folder to write to (created if missing).
        dir: PathBuf,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    telemetry::init(&cli.settings.log);
    match run(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("erreur : {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let settings = cli.settings;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    match cli.command {
        Command::Questionnaires {
            command: QuestionnairesCommand::Check { dir },
        } => {
            let dir = dir.unwrap_or_else(|| settings.questionnaires_dir.clone());
            Ok(check_questionnaires(&dir))
        }
        Command::Questionnaires {
            command: QuestionnairesCommand::Export { dir },
        } => {
            let catalog = load_catalog(&settings)?;
            let db = open_database(&settings).await?;
            store::versions::record_all(&db, &catalog, clock.now()).await?;
            store::editing::apply_publications(&db, &catalog).await?;
            let exported = catalog.export(&dir).map_err(|e| anyhow::anyhow!("{e}"))?;
            for file in exported {
                println!(
                    "{} et {} : {} (version {})",
                    file.definition.display(),
                    file.emails.display(),
                    file.loaded.definition.code,
                    &file.loaded.version[..12]
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate => {
            let db = open_database(&settings).await?;
            println!("Migrations appliquées.");
            db.close().await.ok();
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve { demo: with_demo } => {
            let results = settings.results()?;
            // Refused at start rather than at the first tick, ten minutes later.
            let bounce_mailbox = settings.bounce_mailbox()?;
            let catalog = load_catalog(&settings)?;
            let db = open_database(&settings).await?;
            let seal_key = open_seal_key(&settings, &db).await?;
            store::versions::record_all(&db, &catalog, clock.now()).await?;
            store::editing::apply_publications(&db, &catalog).await?;
            if with_demo {
                let summary = demo::load(
                    &db,
                    &seal_key,
                    &catalog,
                    clock.as_ref(),
                    settings.public_base(),
                )
                .await?;
                print!("{}", summary.report());
            }
            let app_catalog = Arc::new(catalog);
            let dispatch_db = db.clone();
            let clock_for_dispatch = clock.clone();
            let app = Application::build_with_widget(
                AppParts {
                    db,
                    catalog: app_catalog.clone(),
                    clock,
                    max_body_bytes: settings.max_body_bytes,
                    results,
                    seal_key: seal_key.clone(),
                    auth: settings.auth()?,
                },
                settings.widget()?,
                &settings.bind,
            )
            .with_context(|| format!("impossible d'écouter sur {}", settings.bind))?;
            let catalog_for_dispatch = app_catalog.clone();
            let _scheduler = if settings.scheduler == Toggle::On {
                let dispatcher = Arc::new(dispatcher(
                    &settings,
                    dispatch_db.clone(),
                    catalog_for_dispatch,
                    seal_key,
                )?);
                let jobs = scheduler::start(
                    dispatcher,
                    clock_for_dispatch.clone(),
                    &settings.dispatch_cron,
                )
                .await
                .context("planificateur : expression JALON_DISPATCH_CRON invalide ?")?;
                if let Some(mailbox) = bounce_mailbox {
                    scheduler::add_bounce_check(
                        &jobs,
                        dispatch_db,
                        mailbox,
                        clock_for_dispatch,
                        &settings.bounce_check_cron,
                    )
                    .await
                    .context("planificateur : expression JALON_BOUNCE_CHECK_CRON invalide ?")?;
                }
                Some(jobs)
            } else {
                None
            };
            tracing::info!(bind = %settings.bind, port = app.port(), "jalon is listening");
            println!(
                "jalon écoute sur http://{} (Ctrl+C pour arrêter)",
                settings.bind
            );
            app.run_until_stopped().await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Invite {
            questionnaire,
            email,
            campaign,
        } => {
            let code: QuestionnaireCode = questionnaire.parse()?;
            let email = Email::parse(&email)?;
            let catalog = load_catalog(&settings)?;
            if catalog.get(code).is_none() {
                anyhow::bail!("aucun fichier ne définit le questionnaire {code}");
            }
            let db = open_database(&settings).await?;
            let now = clock.now();
            store::versions::record_all(&db, &catalog, now).await?;
            store::editing::apply_publications(&db, &catalog).await?;
            let label = campaign.unwrap_or_else(|| chrono::Datelike::year(&now).to_string());
            let campaign = store::campaigns::find_or_create(&db, code, &label, now).await?;
            let seal_key = open_seal_key(&settings, &db).await?;
            let (_, token) = store::invitations::create(
                &db,
                seal_key.links(),
                campaign.id,
                &email,
                &Map::new(),
                now,
            )
            .await?;
            println!("{}/r/{}", settings.public_base(), token.expose());
            Ok(ExitCode::SUCCESS)
        }
        Command::Healthcheck => Ok(healthcheck(&settings.bind)),
        Command::Export {
            campaign,
            file,
            output,
        } => {
            let Some(format) = stats::Format::parse(&file) else {
                let names: Vec<&str> = stats::Format::ALL.iter().map(|f| f.file_name()).collect();
                anyhow::bail!("fichier inconnu « {file} » : {}", names.join(", "));
            };
            let catalog = load_catalog(&settings)?;
            let db = open_database(&settings).await?;
            let data = stats::campaign_dataset(&db, &catalog, campaign).await?;
            let now = clock.now();
            let body = stats::render(format, &data.dataset, now.naive_utc(), |d| {
                jalon::views::dashboard::codebook::codebook_file(d).into_string()
            })?;
            let path = output.unwrap_or_else(|| PathBuf::from(format.file_name()));
            std::fs::write(&path, body)
                .with_context(|| format!("écriture de {} impossible", path.display()))?;
            store::audit::record(
                &db,
                "jalon export",
                format.audit_action(),
                &campaign.to_string(),
                &path.display().to_string(),
                now,
            )
            .await?;
            println!(
                "{} : {} réponses, {} variables",
                path.display(),
                data.dataset.rows.len(),
                data.dataset.variables.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Dispatch { as_of } => {
            let now = match as_of {
                Some(raw) => parse_instant(&raw)?,
                None => clock.now(),
            };
            let catalog = Arc::new(load_catalog(&settings)?);
            let db = open_database(&settings).await?;
            let seal_key = open_seal_key(&settings, &db).await?;
            store::versions::record_all(&db, &catalog, clock.now()).await?;
            store::editing::apply_publications(&db, &catalog).await?;
            let dispatcher = dispatcher(&settings, db, catalog, seal_key)?;
            // On the runtime's workers, as the scheduler runs it: the sending's tasks are
            // then woken where they run, not across threads.
            let summary = tokio::spawn(async move {
                let progress = jalon::progress::Terminal::new("envoi des courriels");
                dispatcher.run_showing(now, &progress).await
            })
            .await??;
            println!("Envoi au {} :", now.to_rfc3339());
            print!("{}", summary.report());
            if summary.withheld > 0 {
                eprintln!(
                    "erreur : {} réponse(s) anonyme(s) scellée(s) retenue(s) : la clé de scellement {} ne les ouvre pas (conservées, non publiées)",
                    summary.withheld,
                    settings.seal_key_path().display()
                );
                return Ok(ExitCode::FAILURE);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Bounces {
            command: BouncesCommand::Import { path },
        } => {
            let db = open_database(&settings).await?;
            let imported = jalon::bounces::import_path(&db, &path, clock.now()).await?;
            for processed in &imported.processed {
                println!("{}", processed.line());
            }
            for (file, error) in &imported.unreadable {
                eprintln!("erreur : {file} illisible : {error}");
            }
            print!("{}", imported.summary());
            Ok(if imported.unreadable.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Bounces {
            command: BouncesCommand::Check,
        } => {
            let Some(address) = settings.bounce_mailbox()? else {
                anyhow::bail!("JALON_BOUNCE_IMAP_URL n'est pas défini : aucune boîte à lire");
            };
            let db = open_database(&settings).await?;
            let mut print =
                |processed: &jalon::bounces::Processed| println!("{}", processed.line());
            let checked =
                jalon::bounces::mailbox::check(&db, &address, clock.now(), &mut print).await?;
            for (message, error) in &checked.unreadable {
                eprintln!("erreur : {message} : {error}");
            }
            print!("{}", checked.summary());
            Ok(if checked.unreadable.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Import { what } => {
            let (kind, args) = match what {
                ImportCommand::Interventions(args) => (ImportKind::Interventions, args),
                ImportCommand::Coproductions(args) => (ImportKind::Coproductions, args),
                ImportCommand::Roster { args, wave } => (ImportKind::Roster(wave), args),
            };
            let bytes = std::fs::read(&args.file)
                .with_context(|| format!("lecture de {} impossible", args.file.display()))?;
            let catalog = load_catalog(&settings)?;
            let db = open_database(&settings).await?;
            let seal_key = open_seal_key(&settings, &db).await?;
            let report: ImportReport = import::run(
                &db,
                seal_key.links(),
                &catalog,
                kind,
                &bytes,
                args.skip_invalid,
                clock.now(),
                &jalon::progress::Terminal::new("import"),
            )
            .await?;
            print!("{}", report.render());
            Ok(if report.rejected.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::User {
            command:
                UserCommand::Add {
                    email,
                    role,
                    entity,
                },
        } => {
            let catalog = load_catalog(&settings)?;
            let role = staff_role(&catalog, &role, entity.as_deref())?;
            let email = Email::parse(&email)?;
            let password = new_password()?;
            let hash = password::hash(&password)?;
            let db = open_database(&settings).await?;
            let now = clock.now();
            if store::staff::add_user(&db, &email, &hash, &role, now)
                .await?
                .is_none()
            {
                anyhow::bail!("un compte existe déjà pour {email}");
            }
            store::audit::record(
                &db,
                "ligne de commande",
                "compte_cree",
                email.as_str(),
                &role.to_string(),
                now,
            )
            .await?;
            println!("Compte {email} créé (rôle {role}).");
            Ok(ExitCode::SUCCESS)
        }
        Command::ApiToken {
            command: ApiTokenCommand::Create { name, role, entity },
        } => {
            let name = name.trim().to_owned();
            if name.is_empty() || name.chars().count() > 100 {
                anyhow::bail!("--name : 1 à 100 caractères");
            }
            let catalog = load_catalog(&settings)?;
            let role = staff_role(&catalog, &role, entity.as_deref())?;
            let db = open_database(&settings).await?;
            let now = clock.now();
            let token = store::staff::create_api_token(&db, &name, &role, now).await?;
            store::audit::record(
                &db,
                "ligne de commande",
                "jeton_cree",
                &name,
                &role.to_string(),
                now,
            )
            .await?;
            eprintln!("Jeton « {name} » (rôle {role}) : il ne sera plus jamais affiché.");
            println!("{token}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Contact { command } => {
            let db = open_database(&settings).await?;
            let now = clock.now();
            match command {
                ContactCommand::Export { email } => {
                    let data = store::personal_data::export_contact(&db, &email).await?;
                    store::audit::record(
                        &db,
                        "ligne de commande",
                        "export_contact",
                        &contact_reference(&email),
                        "",
                        now,
                    )
                    .await?;
                    println!("{}", serde_json::to_string_pretty(&data)?);
                }
                ContactCommand::Erase { email } => {
                    let erased = store::personal_data::erase_contact(&db, &email).await?;
                    store::audit::record(
                        &db,
                        "ligne de commande",
                        "effacement_contact",
                        &contact_reference(&email),
                        &format!("{erased} invitation(s)"),
                        now,
                    )
                    .await?;
                    println!("{erased} invitation(s) de {} effacée(s).", email.trim());
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo => {
            let catalog = load_catalog(&settings)?;
            let db = open_database(&settings).await?;
            let seal_key = open_seal_key(&settings, &db).await?;
            store::versions::record_all(&db, &catalog, clock.now()).await?;
            store::editing::apply_publications(&db, &catalog).await?;
            let summary = demo::load(
                &db,
                &seal_key,
                &catalog,
                clock.as_ref(),
                settings.public_base(),
            )
            .await?;
            print!("{}", summary.report());
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// A role from the command line; a regional one names an entity of the network.
fn staff_role(catalog: &Catalog, name: &str, entity: Option<&str>) -> anyhow::Result<Role> {
    let role = Role::from_parts(name, entity)?;
    if let Some(code) = role.entity()
        && catalog.network.get(code).is_none()
    {
        anyhow::bail!("entité « {code} » inconnue (voir network/entities.toml)");
    }
    Ok(role)
}

/// The new account's password: `JALON_NEW_PASSWORD`, else typed twice on the terminal.
fn new_password() -> anyhow::Result<String> {
    if let Ok(password) = std::env::var("JALON_NEW_PASSWORD") {
        return Ok(password);
    }
    let first = rpassword::prompt_password("Mot de passe : ")
        .context("lecture du mot de passe impossible (terminal absent ? JALON_NEW_PASSWORD)")?;
    let again = rpassword::prompt_password("Mot de passe (encore) : ")?;
    if first != again {
        anyhow::bail!("les deux saisies diffèrent");
    }
    Ok(first)
}

fn check_questionnaires(dir: &std::path::Path) -> ExitCode {
    match Catalog::load_dir(dir) {
        Ok(catalog) if catalog.is_empty() => {
            eprintln!("{} : aucun fichier .toml", dir.display());
            ExitCode::FAILURE
        }
        Ok(catalog) => {
            for loaded in catalog.iter() {
                println!(
                    "{} : {} ({} questions, version {})",
                    loaded.path.display(),
                    loaded.definition.code,
                    loaded.definition.question_count(),
                    &loaded.version[..12]
                );
            }
            ExitCode::SUCCESS
        }
        Err(errors) => {
            for error in &errors {
                eprintln!("{error}");
            }
            eprintln!("{} erreur(s).", errors.len());
            ExitCode::FAILURE
        }
    }
}

fn dispatcher(
    settings: &Settings,
    db: sea_orm::DatabaseConnection,
    catalog: Arc<Catalog>,
    seal_key: SealKey,
) -> anyhow::Result<Dispatcher> {
    let mailer: Arc<dyn Mailer> =
        match &settings.smtp_url {
            Some(url) => Arc::new(SmtpMailer::from_url(url, settings.smtp_max_per_second)?),
            None => Arc::new(FileMailer::new(&settings.outbox_dir).with_context(|| {
                format!("dossier {} inaccessible", settings.outbox_dir.display())
            })?),
        };
    Ok(Dispatcher {
        db,
        catalog,
        mailer,
        base_url: settings.public_base().to_owned(),
        from: settings.mail_from.clone(),
        retention_months: settings.retention_months,
        anonymity_threshold: settings.anonymity_threshold,
        seal_key,
        bounce_address: settings
            .bounce_address
            .as_deref()
            .map(jalon::domain::bounce::BounceAddress::parse)
            .transpose()?,
    })
}

/// The key of `JALON_SEAL_KEY_FILE`, created if absent and nothing sealed needs one; an
/// error (the command refuses to run) if sealed responses exist that it cannot open.
async fn open_seal_key(
    settings: &Settings,
    db: &sea_orm::DatabaseConnection,
) -> anyhow::Result<SealKey> {
    Ok(jalon::store::anonymity::open_seal_key(db, &settings.seal_key_path()).await?)
}

/// An RFC 3339 instant, or a date meaning the end of that day in Paris (everything due that
/// day is due).
fn parse_instant(raw: &str) -> anyhow::Result<chrono::DateTime<chrono::Utc>> {
    if let Ok(instant) = chrono::DateTime::parse_from_rfc3339(raw) {
        return Ok(instant.with_timezone(&chrono::Utc));
    }
    let date = chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| {
        anyhow::anyhow!("--as-of « {raw} » : instant RFC 3339 ou date AAAA-MM-JJ attendu")
    })?;
    let end_of_day = date.and_hms_opt(23, 59, 59).unwrap_or_default();
    Ok(jalon::domain::schedule::paris_local_to_utc(end_of_day))
}

/// A plain HTTP/1.0 request, so the runtime image needs no curl.
fn healthcheck(bind: &str) -> ExitCode {
    use std::io::{Read, Write};
    use std::time::Duration;
    let address = bind.replace("0.0.0.0", "127.0.0.1");
    let answer = (|| -> std::io::Result<String> {
        let addr = address
            .parse()
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        let mut stream = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(3))?;
        stream.set_read_timeout(Some(Duration::from_secs(3)))?;
        stream.write_all(b"GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n")?;
        let mut response = String::new();
        stream.read_to_string(&mut response)?;
        Ok(response)
    })();
    match answer {
        Ok(response)
            if response.starts_with("HTTP/1.0 200") || response.starts_with("HTTP/1.1 200") =>
        {
            ExitCode::SUCCESS
        }
        Ok(response) => {
            eprintln!("{}", response.lines().next().unwrap_or("réponse vide"));
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("serveur injoignable sur {address} : {e}");
            ExitCode::FAILURE
        }
    }
}

fn load_catalog(settings: &Settings) -> anyhow::Result<Catalog> {
    Catalog::load_dir(&settings.questionnaires_dir).map_err(|errors| {
        let listed: Vec<String> = errors.iter().map(ToString::to_string).collect();
        anyhow::anyhow!(
            "questionnaires invalides, démarrage refusé :\n{}",
            listed.join("\n")
        )
    })
}

async fn open_database(settings: &Settings) -> anyhow::Result<sea_orm::DatabaseConnection> {
    let db = store::connect(&settings.database_url, settings.database_max_connections)
        .await
        .context("connexion à la base de données impossible")?;
    store::migrate(&db).await.context("échec des migrations")?;
    Ok(db)
}
