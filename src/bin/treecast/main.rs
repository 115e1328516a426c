//! treecast's command line: parse, load config, open the store, build the
//! adapters the config enables, run. The only place concrete adapters are named.

use std::path::{Path, PathBuf};
use std::sync::Arc;

mod args;
mod ops;
mod platforms;

use anyhow::Context;
use args::{Args, Cmd};
use clap::Parser;
use tokio::sync::watch;
use treecast::catalogue::{msg, Msg};
use treecast::config::Config;
use treecast::{admin, api, cli, demo};

fn load_config(path: Option<&Path>) -> anyhow::Result<Config> {
    match path {
        Some(p) => Ok(Config::load(p)?),
        None if Path::new("treecast.toml").exists() => Ok(Config::load(Path::new("treecast.toml"))?),
        None => Ok(Config::default()),
    }
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    init_logs(matches!(args.cmd, Cmd::Serve));
    if let Err(e) = run(args).await {
        eprintln!("treecast: {e:#}");
        std::process::exit(1);
    }
}

/// What `serve` logs by default: treecast's own INFO (start, admin requests,
/// the retry summary), WARN from libraries, and nothing from matrix-sdk,
/// whose ERROR and WARN lines are about what it handles itself (429s,
/// missing room state, no backup key at every sync); the Matrix adapter
/// logs what needs a person. `TREECAST_LOG` replaces it.
const SERVE_LOG: &str = "warn,treecast=info,treecast_email=info,treecast_matrix=info,treecast_telegram=info,\
matrix_sdk=off,matrix_sdk_base=off,matrix_sdk_crypto=off,matrix_sdk_sqlite=off,matrix_sdk_common=off";

/// Logs on stderr at `TREECAST_LOG` (default: warn; `SERVE_LOG` for serve):
/// colour only on a terminal, one JSON object a line with `TREECAST_LOG_FORMAT=json`.
fn init_logs(serving: bool) {
    use std::io::IsTerminal;
    let default = if serving { SERVE_LOG } else { "warn" };
    let filter = tracing_subscriber::EnvFilter::try_from_env("TREECAST_LOG").unwrap_or_else(|_| default.into());
    // Masked: no email address, phone number or Matrix id reaches a log.
    let logs = tracing_subscriber::fmt().with_env_filter(filter).with_writer(treecast::logs::stderr);
    if std::env::var("TREECAST_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json")) {
        logs.json().init();
    } else {
        logs.with_ansi(std::io::stderr().is_terminal()).init();
    }
}

async fn run(args: Args) -> anyhow::Result<()> {
    let cfg = load_config(args.config.as_deref())?;
    let (op, op_args) = match args.cmd {
        Cmd::Demo { branches, schools, web, web_listen } => {
            return run_demo(schools, branches, web.then_some(web_listen)).await
        }
        Cmd::Serve => return serve(cfg).await,
        Cmd::Worker => return worker(cfg).await,
        Cmd::Tree(t) => ops::tree(t)?,
        Cmd::Org(o) => ops::org(o)?,
        Cmd::Person(p) => ops::person(p),
        Cmd::Notice(n) => ops::notice(n)?,
        Cmd::Survey(c) => ops::survey(c)?,
        Cmd::Campaign(c) => ops::campaign(c)?,
        Cmd::Msg(m) => ops::letters(m)?,
        Cmd::Audit { org, limit } => ("audit.list", serde_json::json!({ "org": org, "limit": limit })),
        Cmd::Rank { recompute: true, .. } => ("leaderboard.recompute", serde_json::json!({})),
        Cmd::Rank { org, .. } => ("leaderboard.rank", serde_json::json!({ "org": org })),
        // `treecast search rebuild` as the issue writes it, or `--rebuild`
        // (the word itself is searched as a phrase: `'"rebuild"'`).
        Cmd::Search { query, org, kind, since, page, rebuild } => match rebuild || query == ["rebuild"] {
            true => ("search.rebuild", serde_json::json!({})),
            false => (
                "search.query",
                serde_json::json!({ "q": query.join(" "), "org": org, "kind": kind, "since": since, "page": page }),
            ),
        },
    };
    let reply = match api::client::call(&cfg.data_dir, op, &op_args).await? {
        Some(reply) => reply,
        None => on_the_store(cfg, op, op_args)?,
    };
    for f in &reply.files {
        f.write()?;
    }
    println!("{}", reply.text);
    Ok(())
}

/// Runs an operation on the store itself (no server is running with it).
fn on_the_store(cfg: Config, op: &str, args: serde_json::Value) -> anyhow::Result<admin::Reply> {
    treecast::progress::set_interactive(true);
    let tree = cli::open_tree(&cfg)?;
    let app = treecast::app::App::new(tree, cfg, treecast::clock::Clock::system())?;
    app.catch_up_main()?;
    let reply = app.registry.admin(&app.ctx, op, args)?;
    app.catch_up_main()?;
    Ok(reply)
}

async fn run_demo(schools: Option<PathBuf>, branches: usize, web: Option<std::net::SocketAddr>) -> anyhow::Result<()> {
    #[cfg(feature = "console")]
    {
        let mut shown: Vec<String> = demo::SHOWN.iter().map(|s| s.to_string()).collect();
        if web.is_some() {
            // The national official's private chat, where their sign-in link comes.
            shown.push(demo::NATIONAL_CHAT.to_owned());
        }
        let console = treecast_console::ConsoleAdapter::new(treecast_console::Settings {
            show_only: Some(shown),
            ..Default::default()
        })?;
        demo::run(demo::DemoOptions { schools, branches, web }, Arc::new(console), wait_for_signal()).await?;
        Ok(())
    }
    #[cfg(not(feature = "console"))]
    {
        let _ = (schools, branches, web);
        anyhow::bail!(Msg::NoConsoleAdapter.text())
    }
}

async fn serve(cfg: Config) -> anyhow::Result<()> {
    let tree = cli::open_tree(&cfg)?;
    let adapters = platforms::adapters(&cfg).await?;
    let adapters = through_workers(&cfg, adapters).await?;
    let (stop, shutdown) = watch::channel(false);
    let data_dir = cfg.data_dir.clone();
    let app = treecast::app::App::new(tree, cfg, treecast::clock::Clock::system())?;
    let running = app.start(adapters, shutdown.clone());
    let api = api::server::start(app.ctx.clone(), app.registry.clone(), shutdown.clone()).await?;
    let web = treecast::web::start(app.ctx.clone(), app.registry.clone(), shutdown).await?;
    eprintln!("treecast: {}", msg(Msg::Serving, &[("path", &data_dir.display())]));
    if let Some(w) = &web {
        eprintln!(
            "treecast: {}",
            msg(Msg::WebServing, &[("url", &treecast::web::base_url(&app.ctx)), ("address", &w.address)])
        );
    }
    wait_for_signal().await;
    eprintln!("treecast: {}", Msg::Stopping.text());
    stop.send(true).ok();
    if let Some(api) = api {
        api.join().await;
    }
    if let Some(w) = web {
        w.join().await;
    }
    running.join().await.context("stopping")?;
    Ok(())
}

/// With `[cluster]`, the platforms it names are delivered by workers.
#[cfg(feature = "cluster")]
async fn through_workers(
    cfg: &Config,
    adapters: std::collections::HashMap<treecast_wire::Platform, std::sync::Arc<dyn treecast_wire::Adapter>>,
) -> anyhow::Result<std::collections::HashMap<treecast_wire::Platform, std::sync::Arc<dyn treecast_wire::Adapter>>> {
    match &cfg.cluster {
        Some(c) => Ok(treecast::cluster::planner::wrap(adapters, c).await?),
        None => Ok(adapters),
    }
}

#[cfg(not(feature = "cluster"))]
async fn through_workers(
    cfg: &Config,
    adapters: std::collections::HashMap<treecast_wire::Platform, std::sync::Arc<dyn treecast_wire::Adapter>>,
) -> anyhow::Result<std::collections::HashMap<treecast_wire::Platform, std::sync::Arc<dyn treecast_wire::Adapter>>> {
    if cfg.cluster.is_some() {
        anyhow::bail!(Msg::NoClusterFeature.text());
    }
    Ok(adapters)
}

/// `treecast worker`: delivers jobs from NATS through this process's
/// adapters (their inbound side is not started: the planner receives).
async fn worker(cfg: Config) -> anyhow::Result<()> {
    #[cfg(feature = "cluster")]
    {
        let adapters = platforms::adapters(&cfg).await?;
        let w = treecast::cluster::worker::Worker::new(&cfg, adapters).await?;
        let (stop, shutdown) = watch::channel(false);
        let id = w.id.clone();
        let task = tokio::spawn(w.run(shutdown));
        eprintln!(
            "treecast: {}",
            msg(
                Msg::WorkerRunning,
                &[("id", &id), ("nats", &cfg.cluster.as_ref().map(|c| c.nats.as_str()).unwrap_or(""))]
            )
        );
        wait_for_signal().await;
        stop.send(true).ok();
        task.await.context("stopping")??;
        Ok(())
    }
    #[cfg(not(feature = "cluster"))]
    {
        let _ = cfg;
        anyhow::bail!(Msg::WorkerNotBuilt.text())
    }
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("signal handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    tokio::signal::ctrl_c().await.ok();
}

#[cfg(test)]
mod tests {
    /// A directive the filter cannot read would be dropped without a word.
    #[test]
    fn the_serve_log_filter_is_valid() {
        assert!(tracing_subscriber::EnvFilter::builder().with_regex(false).parse(super::SERVE_LOG).is_ok());
    }
}
