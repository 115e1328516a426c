//! treecast's command line: parse, load config, open the store, build the
//! adapters the config enables, run. The only place concrete adapters are named.

use std::path::{Path, PathBuf};
use std::sync::Arc;

mod args;
mod platforms;

use anyhow::Context;
use args::{Args, Cmd, NoticeCmd, OrgCmd, PersonCmd, SurveyCmd, TreeCmd};
use clap::Parser;
use tokio::sync::watch;
use treecast::catalogue::{msg, Msg};
use treecast::config::Config;
use treecast::{cli, demo};

fn load_config(path: Option<&Path>) -> anyhow::Result<Config> {
    match path {
        Some(p) => Ok(Config::load(p)?),
        None if Path::new("treecast.toml").exists() => Ok(Config::load(Path::new("treecast.toml"))?),
        None => Ok(Config::default()),
    }
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("TREECAST_LOG").unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    if let Err(e) = run(Args::parse()).await {
        eprintln!("treecast: {e:#}");
        std::process::exit(1);
    }
}

async fn run(args: Args) -> anyhow::Result<()> {
    let cfg = load_config(args.config.as_deref())?;
    let out = match args.cmd {
        Cmd::Demo { branches, schools } => return run_demo(schools, branches).await,
        Cmd::Serve => return serve(cfg).await,
        Cmd::Tree(t) => tree_cmd(&cfg, t)?,
        Cmd::Org(o) => org_cmd(&cfg, o)?,
        Cmd::Person(PersonCmd::Add { name, identities, official, member, prefer }) => {
            let tree = cli::open_tree(&cfg)?;
            cli::person_add(&tree, &cli::NewPerson { name, identities, official, member, prefer })?
        }
        Cmd::Notice(n) => notice_cmd(&cfg, n)?,
        Cmd::Survey(c) => survey_cmd(&cfg, c)?,
    };
    println!("{out}");
    Ok(())
}

/// `treecast tree …`: what it did, to print.
fn tree_cmd(cfg: &Config, t: TreeCmd) -> anyhow::Result<String> {
    let tree = cli::open_tree(cfg)?;
    Ok(match t {
        TreeCmd::Import { file } => cli::tree_import(&tree, &file)?,
        TreeCmd::Export { file } => cli::tree_export(&tree, &file)?,
        TreeCmd::Generate { schools, branches, csv } => {
            cli::tree_generate(&tree, schools.as_deref(), branches, csv.as_deref())?
        }
        TreeCmd::Stats => cli::tree_stats(&tree)?,
        TreeCmd::Show { code } => cli::tree_show(&tree, &code)?,
        TreeCmd::Move { code, parent } => {
            let shown = cli::tree_show(&tree, &tree.move_org(&code, &parent)?.code)?;
            msg(Msg::OrgMoved, &[("org", &shown)])
        }
        TreeCmd::Rename { code, name } => msg(Msg::OrgRenamed, &[("name", &tree.rename(&code, &name)?.name)]),
        TreeCmd::Delete { code, cascade } => msg(Msg::OrgsDeleted, &[("n", &tree.delete(&code, cascade)?)]),
    })
}

/// `treecast org …`: what it did, to print.
fn org_cmd(cfg: &Config, o: OrgCmd) -> anyhow::Result<String> {
    let tree = cli::open_tree(cfg)?;
    Ok(match o {
        OrgCmd::Invite { code } => cli::org_invite(&tree, cfg, &code)?,
        OrgCmd::BindConsole { level } => cli::org_bind_console(&tree, &level)?,
        OrgCmd::BindList { code, list, mut members, members_file } => {
            members.extend(cli::address_file(members_file.as_deref())?);
            cli::org_bind_list(&tree, &code, &list, &members)?
        }
        OrgCmd::Members { code, list, mut add, add_file, mut remove, remove_file } => {
            add.extend(cli::address_file(add_file.as_deref())?);
            remove.extend(cli::address_file(remove_file.as_deref())?);
            cli::org_list_members(&tree, &code, &list, &add, &remove)?
        }
    })
}

/// `treecast notice …`: what it did, to print.
fn notice_cmd(cfg: &Config, n: NoticeCmd) -> anyhow::Result<String> {
    let tree = cli::open_tree(cfg)?;
    Ok(match n {
        NoticeCmd::Post { org, title, body_file, author, levels, only, exclude, no_ack, deadline, attach } => {
            let body = std::fs::read_to_string(&body_file).map_err(|e| {
                anyhow::anyhow!(msg(Msg::FileUnreadable, &[("path", &body_file.display()), ("error", &e)]))
            })?;
            cli::notice_post(
                &tree,
                cfg,
                cli::PostArgs {
                    org,
                    title,
                    body,
                    author,
                    levels,
                    only,
                    exclude,
                    no_ack,
                    deadline,
                    attachments: attach,
                },
            )?
        }
        NoticeCmd::Status { id, org } => cli::notice_status(&tree, id, org.as_deref())?,
    })
}

/// `treecast survey …`: what it did, to print.
fn survey_cmd(cfg: &Config, c: SurveyCmd) -> anyhow::Result<String> {
    let tree = cli::open_tree(cfg)?;
    let surveys = cli::surveys(&tree, cfg);
    Ok(match c {
        SurveyCmd::Check { file } => cli::survey_check(&file)?,
        SurveyCmd::Launch { file, org, by } => cli::survey_launch(&tree, &surveys, &file, org.as_deref(), &by)?,
        SurveyCmd::List => cli::survey_list(&tree, &surveys)?,
        SurveyCmd::Results { id, org, csv, xlsx } => {
            cli::survey_results(&surveys, id, org.as_deref(), csv.as_deref(), xlsx.as_deref())?
        }
        SurveyCmd::Close { id } => cli::survey_close(&tree, &surveys, id)?,
    })
}

async fn run_demo(schools: Option<PathBuf>, branches: usize) -> anyhow::Result<()> {
    #[cfg(feature = "console")]
    {
        let console = treecast_console::ConsoleAdapter::new(treecast_console::Settings {
            show_only: Some(demo::SHOWN.iter().map(|s| s.to_string()).collect()),
            ..Default::default()
        })?;
        demo::run(demo::DemoOptions { schools, branches }, Arc::new(console)).await?;
        Ok(())
    }
    #[cfg(not(feature = "console"))]
    {
        let _ = (schools, branches);
        anyhow::bail!(Msg::NoConsoleAdapter.text())
    }
}

async fn serve(cfg: Config) -> anyhow::Result<()> {
    let tree = cli::open_tree(&cfg)?;
    let adapters = platforms::adapters(&cfg).await?;
    let (stop, shutdown) = watch::channel(false);
    let data_dir = cfg.data_dir.clone();
    let app = treecast::app::App::new(tree, cfg, treecast::clock::Clock::system())?;
    let running = app.start(adapters, shutdown);
    eprintln!("treecast: {}", msg(Msg::Serving, &[("path", &data_dir.display())]));
    wait_for_signal().await;
    eprintln!("treecast: {}", Msg::Stopping.text());
    stop.send(true).ok();
    running.join().await.context("stopping")?;
    Ok(())
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
