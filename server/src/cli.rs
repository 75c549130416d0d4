//! The command line: `server [serve]` runs the server; the other commands
//! are one-off operator actions against the configured database (the same
//! environment variables as `serve`). Exit codes: 0 done, 2 bad input
//! (message on stderr), 1 anything else.

use std::{
    io::{BufRead, IsTerminal, Write},
    process::ExitCode,
};

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::{
    audit::{Actor, Event, EventKind},
    auth::{keys, mac_keys},
    config::{Config, ConfigError, VARIABLES},
    db::Db,
    domain::{Email, NewPassword, Roles},
    error::ApiError,
    ops, sessions,
    startup::{Application, prepare_state},
    state::AppState,
    store::{self, sessions::RevokeReason},
};

/// Cookie-held JWT sessions for Rust web apps: the auth server and its tools.
#[derive(Debug, Parser)]
#[command(name = "server", version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP(S) server until Ctrl-C or SIGTERM (the default).
    Serve,
    /// Apply the database migrations and exit (`serve` also applies them).
    Migrate,
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage sessions.
    #[command(subcommand)]
    Sessions(SessionsCommand),
    /// Manage the access-token signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account; the password is read from standard input (first line).
    Create {
        /// The account's email address.
        email: String,
        /// Give the account the `admin` role too.
        #[arg(long)]
        admin: bool,
    },
    /// Set exactly these roles on an account (e.g. `user admin`); its access
    /// tokens with the old roles stop working within a second.
    SetRole {
        /// The account's email address.
        email: String,
        /// The roles: 1 to 16 names of a-z, 0-9, _ and -.
        #[arg(required = true)]
        roles: Vec<String>,
    },
    /// Mark an account's email address verified (the operator vouches for it).
    Verify {
        /// The account's email address.
        email: String,
    },
    /// Remove every second factor and recovery code of an account (its
    /// owner lost them; check who they are first). Mailed to the account.
    MfaReset {
        /// The account's email address.
        email: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum SessionsCommand {
    /// Revoke every live session of an account (refresh tokens at once,
    /// access tokens within a second).
    Revoke {
        /// The account's email address.
        #[arg(long)]
        user: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Make a new signing key current; the old one keeps verifying (and stays
    /// in the JWKS) until every token it signed has expired.
    Rotate,
    /// List the signing keys and their status.
    List,
    /// Make a new refresh-token MAC key current; tokens under the old one
    /// still refresh (once each) for one refresh life
    /// (AUTH_REFRESH_IDLE_SECS), so nobody is signed out.
    RotateMac,
}

/// Parses the command line (exits on `--help`, `--version` or a usage error).
pub fn parse() -> Cli {
    let command = Cli::command().after_help(environment_help());
    let matches = command.get_matches();
    match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(err) => err.exit(),
    }
}

/// The environment variables, for `--help`.
fn environment_help() -> String {
    let width = VARIABLES.iter().map(|v| v.name.len()).max().unwrap_or(0);
    let mut text = String::from("Environment (a .env file may hold these too):\n");
    for v in VARIABLES {
        text.push_str(&format!("  {:width$}  {} [default: {}]\n", v.name, v.meaning, v.default));
    }
    text
}

/// A failure with its exit code.
#[derive(Debug)]
pub struct Failure {
    code: u8,
    message: String,
}

impl Failure {
    fn usage(message: impl Into<String>) -> Self {
        Self { code: 2, message: message.into() }
    }

    fn other(message: impl std::fmt::Display) -> Self {
        Self { code: 1, message: message.to_string() }
    }
}

impl From<ApiError> for Failure {
    fn from(err: ApiError) -> Self {
        match err {
            // The operator sees the cause a client never would.
            ApiError::Internal(cause) => Self::other(format!("{cause:#}")),
            err if err.status().is_client_error() => Self::usage(err.to_string()),
            err => Self::other(err),
        }
    }
}

impl From<sqlx::Error> for Failure {
    fn from(err: sqlx::Error) -> Self {
        Self::other(format!("database: {err}"))
    }
}

impl From<anyhow::Error> for Failure {
    fn from(err: anyhow::Error) -> Self {
        Self::other(format!("{err:#}"))
    }
}

impl Failure {
    /// A start-up failure: exit 2 when the configuration is at fault (it
    /// names the variable), 1 otherwise.
    fn start_up(err: anyhow::Error) -> Self {
        match err.downcast_ref::<ConfigError>() {
            Some(config) => Self::usage(format!("configuration: {config}")),
            None => Self::other(format!("start-up failed: {err:#}")),
        }
    }
}

/// Runs a command to its end.
pub async fn run(command: Command, config: Config, shutdown: impl Future<Output = ()> + Send + 'static) -> ExitCode {
    let result = match command {
        Command::Serve => serve(config, shutdown).await,
        Command::Migrate => migrate(&config).await,
        other => {
            // Operator actions get the whole state: the same code paths,
            // cache drops and audit events as the API.
            match prepare_state(config).await {
                Ok(state) => {
                    let result = act(&state, other).await;
                    state.audit.flush().await;
                    state.db.close().await;
                    result
                }
                Err(err) => Err(Failure::start_up(err)),
            }
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("error: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

async fn serve(config: Config, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<(), Failure> {
    let app = Application::build(config).await.map_err(Failure::start_up)?;
    app.run_until(shutdown).await.map_err(|err| Failure::other(format!("server error: {err}")))
}

async fn migrate(config: &Config) -> Result<(), Failure> {
    let db = Db::connect(config.database_url.expose()).await?;
    db.migrate().await?;
    db.close().await;
    println!("migrations applied");
    Ok(())
}

async fn act(state: &AppState, command: Command) -> Result<(), Failure> {
    match command {
        Command::Serve | Command::Migrate => unreachable!("handled by run"),
        Command::User(UserCommand::Create { email, admin }) => {
            let email = Email::parse(&email)?;
            let password = NewPassword::parse(read_password()?)?;
            let roles = Roles::parse(if admin { &["user", "admin"][..] } else { &["user"][..] })?;
            let user = ops::create_user(state, &email, password, &roles).await?;
            state.audit.record(Event::new(EventKind::Registered).user(&user.id).detail("by command line"));
            println!("created {} ({}) with roles: {}", user.email, user.id, user.roles);
        }
        Command::User(UserCommand::SetRole { email, roles }) => {
            let user = find_user(state, &email).await?;
            let roles = Roles::parse(&roles)?;
            let user = ops::set_roles(state, &user, &roles, Actor::default()).await?;
            println!("{} now has roles: {}", user.email, user.roles);
        }
        Command::User(UserCommand::Verify { email }) => {
            let user = find_user(state, &email).await?;
            store::users::mark_email_verified(&state.db, &user.id, &user.email, store::now()).await?;
            state.audit.record(Event::new(EventKind::EmailVerified).user(&user.id).detail("by command line"));
            println!("{} is verified", user.email);
        }
        Command::User(UserCommand::MfaReset { email }) => {
            let user = find_user(state, &email).await?;
            if ops::reset_second_factors(state, &user.id, Actor::default()).await? {
                println!("removed every second factor of {}", user.email);
            } else {
                println!("{} has no second factor", user.email);
            }
        }
        Command::Sessions(SessionsCommand::Revoke { user }) => {
            let user = find_user(state, &user).await?;
            let n = sessions::revoke_all_but(state, &user.id, None, RevokeReason::Revoked, Actor::default()).await?;
            println!("revoked {n} session(s) of {}", user.email);
        }
        Command::Keys(KeysCommand::Rotate) => {
            let kid = ops::rotate_keys(state).await?;
            println!("new current key {kid}; running servers pick it up within {} s", keys::RELOAD_INTERVAL.as_secs());
        }
        Command::Keys(KeysCommand::List) => {
            let window = keys::verify_window_secs(&state.config);
            let now = store::now();
            for key in store::keys::list_signing_keys(&state.db).await? {
                let status = match key.retired_at {
                    None => "current".to_owned(),
                    Some(at) if at + window >= now => format!("verifying until {}", utc(at + window)),
                    Some(_) => "expired".to_owned(),
                };
                println!("{}  created {}  {status}", key.kid, utc(key.created_at));
            }
        }
        Command::Keys(KeysCommand::RotateMac) => {
            let until = ops::rotate_mac_key(state).await?;
            println!(
                "new refresh MAC key; tokens under the old one refresh until {} (running servers pick it up within {} s)",
                utc(until),
                mac_keys::RELOAD_INTERVAL.as_secs()
            );
        }
    }
    Ok(())
}

async fn find_user(state: &AppState, email: &str) -> Result<store::users::UserRow, Failure> {
    let email = Email::parse(email)?;
    store::users::find_user_by_email(&state.db, email.as_str())
        .await?
        .ok_or_else(|| Failure::usage(format!("no account with email {}", email.as_str())))
}

/// The first line of standard input (a prompt first when it is a terminal).
fn read_password() -> Result<String, Failure> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("Password for the new account: ");
        let _ = std::io::stderr().flush();
    }
    let mut line = String::new();
    stdin.lock().read_line(&mut line).map_err(|err| Failure::other(format!("reading the password: {err}")))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// Unix seconds as an RFC 3339 UTC time people can read (`2026-12-04T18:00:00Z`).
fn utc(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_else(|| unix.to_string())
}
