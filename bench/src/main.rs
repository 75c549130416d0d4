//! `bench`: a load benchmark for the cookie-auth server (see `--help` and
//! `docs/PERFORMANCE.md`).
//!
//! Layout: `cli` reads the arguments; `client` owns a virtual user's
//! connection and cookie jar; `spawn` starts servers on a fresh database and
//! tears them down; `scenario` runs the users; `report` counts and prints;
//! `device` is the software DBSC key of the bound scenarios; `floor` is the
//! bare server the real one is measured against (`bench serve-floor`).

mod cli;
mod client;
mod device;
mod floor;
mod report;
mod scenario;
mod spawn;

use std::{
    process::ExitCode,
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use clap::Parser;
use tokio::time::Instant;

use crate::{
    cli::{Args, Backend},
    client::{CookieNames, Target},
    report::{Report, Stats},
    scenario::{Plan, Shared},
    spawn::Servers,
};

#[tokio::main]
async fn main() -> ExitCode {
    if std::env::args().nth(1).as_deref() == Some(floor::SERVE) {
        return match floor::serve().await {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("bench {}: {err:#}", floor::SERVE);
                ExitCode::FAILURE
            }
        };
    }
    let args = Args::parse();
    if let Err(err) = args.validate() {
        eprintln!("bench: {err:#}");
        return ExitCode::from(2);
    }
    // Ctrl-C drops `run`, and with it the servers and their database.
    let outcome = tokio::select! {
        outcome = run(&args) => outcome,
        _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!("interrupted")),
    };
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(err) => {
            eprintln!("bench: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// Starts the servers if asked, measures, cleans up. `Ok(false)`: a session
/// was lost or failed the verify pass.
async fn run(args: &Args) -> anyhow::Result<bool> {
    let mut run_id = uuid::Uuid::new_v4().simple().to_string();
    run_id.truncate(12);
    let names = Arc::new(CookieNames { access: args.access_cookie.clone(), refresh: args.refresh_cookie.clone() });
    if args.pin {
        spawn::pin_driver().await?;
    }
    let servers = match args.spawn {
        Some(backend) => Some(Servers::start(args, backend, &run_id, &names).await?),
        None => None,
    };
    let outcome = measure(args, &run_id, &names, servers.as_ref()).await;
    let cleanup = match servers {
        Some(servers) => servers.shutdown().await,
        None => Ok(()),
    };
    let passed = outcome?;
    cleanup?;
    Ok(passed)
}

async fn measure(
    args: &Args,
    run_id: &str,
    names: &Arc<CookieNames>,
    servers: Option<&Servers>,
) -> anyhow::Result<bool> {
    if let Some(servers) = servers
        && args.preload > 0
    {
        let started = Instant::now();
        servers.preload(args.preload, run_id).await?;
        eprintln!("bench: preloaded {} sessions in {:.1} s", args.preload, started.elapsed().as_secs_f64());
    }
    let urls = servers.map_or(args.urls.as_slice(), |servers| servers.urls.as_slice());
    let mut targets = Vec::with_capacity(urls.len());
    for url in urls {
        targets.push(Target::parse(url).await?);
    }

    let started = Instant::now();
    let users =
        scenario::setup(&targets, args.users, args.setup_concurrency, run_id, names, args.scenario.bound()).await?;
    let setup = started.elapsed();
    eprintln!(
        "bench: {} sessions ready in {:.1} s; running {}",
        users.len(),
        setup.as_secs_f64(),
        args.scenario.name()
    );

    let begin = Instant::now();
    let measure_from = begin + Duration::from_secs(args.warmup);
    let interval =
        if args.rate > 0.0 { Some(Duration::try_from_secs_f64(f64::from(args.users) / args.rate)?) } else { None };
    let plan = Plan {
        scenario: args.scenario,
        begin,
        measure_from,
        end: measure_from + Duration::from_secs(args.duration),
        interval,
    };
    let shared = Arc::new(Shared { names: Arc::clone(names), stats: Mutex::new(Stats::default()) });
    // The servers' CPU time over the measured window.
    let cpu_from = async {
        tokio::time::sleep_until(measure_from).await;
        servers.and_then(Servers::cpu_secs)
    };
    let (users, cpu_from) = tokio::join!(scenario::run(users, plan, &shared), cpu_from);
    let users = users?;
    let server_cpu = cpu_from.zip(servers.and_then(Servers::cpu_secs)).map(|(from, to)| to - from);
    // Right after the load, before the verify pass adds anything.
    let rss_mib = servers.map(Servers::rss_mib).unwrap_or_default();
    let verify = if args.no_verify { None } else { Some(scenario::verify(users, names).await?) };

    let stats = shared.stats.lock().unwrap_or_else(PoisonError::into_inner);
    let report = Report {
        scenario: args.scenario.name(),
        backend: args.spawn.map_or("external", Backend::name),
        instances: targets.len(),
        pinned: args.pin,
        users: args.users,
        rate: args.rate,
        preload: args.preload,
        warmup: Duration::from_secs(args.warmup),
        measured: Duration::from_secs(args.duration),
        setup,
        stats: &stats,
        rss_mib,
        server_cpu,
        verify,
    };
    if args.json {
        println!("{}", report.json());
    } else {
        print!("{}", report.text());
    }
    Ok(stats.lost() == 0 && verify.is_none_or(|(passed, checked)| passed == checked))
}
