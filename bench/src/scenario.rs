//! The virtual users: making their sessions (not measured), the timed loop
//! each one runs, and the verify pass that proves every session survived.

use std::{
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use bytes::Bytes;
use hyper::{Method, StatusCode};
use tokio::{sync::Semaphore, task::JoinSet, time::Instant};

use crate::{
    cli::Scenario,
    client::{Conn, CookieNames, Jar, Target, TransportError},
    device::{self, Device},
    report::Stats,
};

/// Where a bound session registers its key and refreshes.
const BIND_PATH: &str = "/api/auth/device-binding";
const BOUND_REFRESH_PATH: &str = "/api/auth/device-binding/refresh";

/// Every bench account's password.
pub const PASSWORD: &str = "bench-password-123";
/// Sessions per account: registering hashes a password (Argon2, tens of
/// milliseconds of CPU), so accounts are shared and sessions are logins.
const USERS_PER_ACCOUNT: u32 = 10;

/// One virtual user: its connection, its session's cookies, its account.
pub struct User {
    conn: Conn,
    jar: Jar,
    /// `{"email":…,"password":…}` of the user's account.
    login: Bytes,
    /// Its refresh chain got a non-200: it stopped.
    lost: bool,
    /// The bound scenarios: the user's device key, and the challenge the
    /// last answer sent ahead.
    device: Option<Device>,
    challenge: Option<String>,
}

/// What all users share while running.
pub struct Shared {
    pub names: Arc<CookieNames>,
    pub stats: Mutex<Stats>,
}

/// When the users run. Requests sent from `measure_from` and answered by
/// `end` are measured; nothing is sent at or after `end`.
#[derive(Clone, Copy)]
pub struct Plan {
    pub scenario: Scenario,
    pub begin: Instant,
    pub measure_from: Instant,
    pub end: Instant,
    /// Paced mode: each user's gap between sends; `None` = closed loop.
    pub interval: Option<Duration>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Step {
    Refresh,
    Me,
    Login,
    /// A device-bound refresh: with the challenge sent ahead (`ahead`), or
    /// asking for one first (`403`) as a browser without one does.
    BoundRefresh {
        ahead: bool,
    },
}

impl Step {
    fn renews(self) -> bool {
        matches!(self, Self::Refresh | Self::BoundRefresh { .. })
    }

    /// What the report calls this kind of request.
    fn name(self) -> &'static str {
        match self {
            Self::Refresh => "refresh",
            Self::Me => "me",
            Self::Login => "login",
            Self::BoundRefresh { .. } => "bound-refresh",
        }
    }
}

impl User {
    /// Sends one step; a refresh updates the jar (a login does not: the
    /// user keeps its own session).
    async fn request(&mut self, step: Step, names: &CookieNames) -> Result<StatusCode, TransportError> {
        let reply = match step {
            Step::Refresh => self.conn.send(Method::POST, "/api/auth/refresh", self.jar.refresh(), None).await?,
            Step::Me => self.conn.send(Method::GET, "/api/me", self.jar.access(), None).await?,
            Step::Login => self.conn.send(Method::POST, "/api/auth/login", None, Some(self.login.clone())).await?,
            Step::BoundRefresh { ahead } => {
                let challenge = match self.challenge.take().filter(|_| ahead) {
                    Some(challenge) => challenge,
                    None => {
                        let asked = self.conn.send(Method::POST, BOUND_REFRESH_PATH, self.jar.refresh(), None).await?;
                        match device::challenge(&asked.headers) {
                            Some(challenge) if asked.status == StatusCode::FORBIDDEN => challenge,
                            _ => return Ok(asked.status),
                        }
                    }
                };
                let Some(device) = &self.device else { return Ok(StatusCode::PRECONDITION_FAILED) };
                let proof = (device::PROOF, device.refresh_proof(&challenge));
                let reply = self
                    .conn
                    .send_with(Method::POST, BOUND_REFRESH_PATH, self.jar.refresh(), Some(proof), None)
                    .await?;
                self.challenge = device::challenge(&reply.headers);
                reply
            }
        };
        if step.renews() {
            self.jar.update(names, &reply.headers);
        }
        Ok(reply.status)
    }

    /// Binds the session to a new device key, answering `offer` (the
    /// challenge its sign-in offered); keeps the first refresh's challenge.
    async fn bind(&mut self, offer: &str, names: &CookieNames) -> anyhow::Result<()> {
        let device = Device::new();
        let proof = (device::PROOF, device.registration_proof(offer));
        let reply = self
            .conn
            .send_with(Method::POST, BIND_PATH, self.jar.refresh(), Some(proof), None)
            .await
            .map_err(|err| anyhow::anyhow!("setup {BIND_PATH}: {} error", err.kind()))?;
        if reply.status != StatusCode::OK {
            anyhow::bail!("setup {BIND_PATH} answered {} (AUTH_DEVICE_BINDING=off?)", reply.status);
        }
        self.jar.update(names, &reply.headers);
        self.challenge = device::challenge(&reply.headers);
        self.device = Some(device);
        Ok(())
    }
}

/// Makes `users` sessions on `ceil(users / 10)` accounts: the first user of
/// an account registers it, the others log in, `concurrency` at a time.
/// Users are spread over `targets` round-robin. `bound`: each session is
/// then bound to a device key of its own.
pub async fn setup(
    targets: &[Arc<Target>],
    users: u32,
    concurrency: u32,
    run_id: &str,
    names: &Arc<CookieNames>,
    bound: bool,
) -> anyhow::Result<Vec<User>> {
    let permits = Arc::new(Semaphore::new(concurrency as usize));
    let mut tasks = JoinSet::new();
    for account in 0..users.div_ceil(USERS_PER_ACCOUNT) {
        let first = account * USERS_PER_ACCOUNT;
        let members: Vec<(u32, Arc<Target>)> = (first..users.min(first + USERS_PER_ACCOUNT))
            .map(|index| (index, Arc::clone(&targets[index as usize % targets.len()])))
            .collect();
        let body =
            Bytes::from(format!(r#"{{"email":"bench-{run_id}-{account}@example.com","password":"{PASSWORD}"}}"#));
        let (permits, names) = (Arc::clone(&permits), Arc::clone(names));
        tasks.spawn(async move {
            let mut made = Vec::with_capacity(members.len());
            for (index, target) in members {
                let (path, expected) = if index == first {
                    ("/api/auth/register", StatusCode::CREATED)
                } else {
                    ("/api/auth/login", StatusCode::OK)
                };
                let mut user = User {
                    conn: Conn::new(target),
                    jar: Jar::default(),
                    login: body.clone(),
                    lost: false,
                    device: None,
                    challenge: None,
                };
                let permit = permits.acquire().await?;
                let reply = user
                    .conn
                    .send(Method::POST, path, None, Some(body.clone()))
                    .await
                    .map_err(|err| anyhow::anyhow!("setup {path}: {} error", err.kind()))?;
                if reply.status != expected {
                    anyhow::bail!("setup {path} answered {} (rate limits on? AUTH_RATE_LIMITS=off)", reply.status);
                }
                user.jar.update(&names, &reply.headers);
                if user.jar.access().is_none() || user.jar.refresh().is_none() {
                    anyhow::bail!("setup {path} set no session cookies: check --access-cookie/--refresh-cookie");
                }
                if bound {
                    let offer = device::offered(&reply.headers)
                        .ok_or_else(|| anyhow::anyhow!("setup {path} offered no device binding"))?;
                    user.bind(&offer, &names).await?;
                }
                drop(permit);
                made.push((index, user));
            }
            Ok::<_, anyhow::Error>(made)
        });
    }
    let mut made = Vec::with_capacity(users as usize);
    while let Some(joined) = tasks.join_next().await {
        made.extend(joined??);
    }
    made.sort_unstable_by_key(|(index, _)| *index);
    Ok(made.into_iter().map(|(_, user)| user).collect())
}

/// Runs every user until `plan.end` and hands the users back.
pub async fn run(users: Vec<User>, plan: Plan, shared: &Arc<Shared>) -> anyhow::Result<Vec<User>> {
    let count = users.len();
    let mut tasks = JoinSet::new();
    for (index, user) in users.into_iter().enumerate() {
        // Spread paced users evenly over one interval, so the total rate is
        // smooth rather than N requests at each tick.
        let offset = plan.interval.map(|every| every.mul_f64(index as f64 / count as f64));
        tasks.spawn(drive(user, index as u64, offset, plan, Arc::clone(shared)));
    }
    let mut back = Vec::with_capacity(count);
    while let Some(joined) = tasks.join_next().await {
        back.push(joined?);
    }
    Ok(back)
}

/// One user's loop. Paced: sends on a fixed schedule and measures from the
/// scheduled time whenever the user was still waiting on the server then,
/// so waiting on a slow server counts as latency.
async fn drive(mut user: User, index: u64, offset: Option<Duration>, plan: Plan, shared: Arc<Shared>) -> User {
    let mut due = offset.map(|offset| plan.begin + offset);
    let mut sequence = index;
    loop {
        let sent_at = match (due, plan.interval) {
            (Some(at), Some(every)) => {
                if at >= plan.end {
                    break;
                }
                due = Some(at + every);
                // Waiting on its own timer, the user was idle when the send
                // was due: the timer's lateness (tokio's 1 ms wheel, a busy
                // driver) is the driver's, so latency counts from the
                // actual send. Still waiting on the previous answer when
                // due, it counts from the due time, so a slow server is
                // charged for the wait it caused (coordinated omission).
                let idle = Instant::now() <= at;
                tokio::time::sleep_until(at).await;
                if idle { Instant::now() } else { at }
            }
            _ => Instant::now(),
        };
        if sent_at >= plan.end {
            break;
        }
        let step = match plan.scenario {
            Scenario::Refresh => Step::Refresh,
            Scenario::Me => Step::Me,
            Scenario::Login => Step::Login,
            Scenario::BoundRefresh => Step::BoundRefresh { ahead: true },
            Scenario::BoundRefreshChallenged => Step::BoundRefresh { ahead: false },
            // Staggered by user, so one refresh in ten overall at any moment.
            Scenario::Mixed if sequence.is_multiple_of(10) => Step::Refresh,
            Scenario::Mixed => Step::Me,
        };
        sequence += 1;

        let outcome = user.request(step, &shared.names).await;
        let answered = Instant::now();
        let measured = sent_at >= plan.measure_from && answered <= plan.end;
        let lost = step.renews() && outcome.is_ok_and(|status| status != StatusCode::OK);
        shared.stats.lock().unwrap_or_else(PoisonError::into_inner).record(
            step.name(),
            measured,
            answered - sent_at,
            outcome,
            lost,
        );
        if lost {
            user.lost = true;
            break;
        }
        // The connection broke and reconnecting failed: this user stops.
        if outcome == Err(TransportError::Connect) {
            break;
        }
    }
    user
}

/// Every user that was not lost refreshes once more and reads `/api/me`.
/// Returns (sessions that passed, sessions checked).
pub async fn verify(users: Vec<User>, names: &Arc<CookieNames>) -> anyhow::Result<(usize, usize)> {
    let mut tasks = JoinSet::new();
    for mut user in users.into_iter().filter(|user| !user.lost) {
        let names = Arc::clone(names);
        let renew = if user.device.is_some() { Step::BoundRefresh { ahead: true } } else { Step::Refresh };
        tasks.spawn(async move {
            user.request(renew, &names).await == Ok(StatusCode::OK)
                && user.request(Step::Me, &names).await == Ok(StatusCode::OK)
        });
    }
    let (mut passed, mut checked) = (0, 0);
    while let Some(joined) = tasks.join_next().await {
        checked += 1;
        passed += usize::from(joined?);
    }
    Ok((passed, checked))
}
