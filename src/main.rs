//! treecast's command line: parse, load config, open the store, build the
//! adapters the config enables, run. The only place concrete adapters are named.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use tokio::sync::watch;
use treecast::config::Config;
use treecast::{cli, demo};
use treecast_wire::{Adapter, Platform};

#[derive(Parser)]
#[command(name = "treecast", version, about = "Notices down the League tree; replies, acks and surveys back up")]
struct Args {
    /// Config file (default: treecast.toml if present, else built-in defaults).
    #[arg(long, global = true, env = "TREECAST_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Tell the whole story on embedded defaults (no account anywhere).
    Demo {
        /// Class branches generated per school.
        #[arg(long, default_value_t = 100)]
        branches: usize,
        /// The school list.
        #[arg(long, default_value = "config/universities.csv")]
        schools: PathBuf,
    },
    /// Run the gateway with the adapters the config enables.
    Serve,
    /// The org tree.
    #[command(subcommand)]
    Tree(TreeCmd),
    /// Channels of an org.
    #[command(subcommand)]
    Org(OrgCmd),
    /// People, identities and roles.
    #[command(subcommand)]
    Person(PersonCmd),
    /// Notices.
    #[command(subcommand)]
    Notice(NoticeCmd),
    /// Micro-surveys (微调查).
    #[command(subcommand)]
    Survey(SurveyCmd),
}

#[derive(Subcommand)]
enum TreeCmd {
    /// Import orgs from a CSV (code, name, level, parent_code); all rows or none.
    Import { file: PathBuf },
    /// Build the national tree from the real school list.
    Generate {
        #[arg(long, default_value = "config/universities.csv")]
        schools: PathBuf,
        #[arg(long, default_value_t = 100)]
        branches: usize,
        /// Write the import CSV here instead of importing it.
        #[arg(long)]
        csv: Option<PathBuf>,
    },
    /// Orgs per level.
    Stats,
    /// An org, its parents and children.
    Show { code: String },
    /// Move an org (and its subtree) under another parent.
    Move { code: String, parent: String },
    /// Rename an org (naming rules apply).
    Rename { code: String, name: String },
    /// Delete an org; refused while it has children unless --cascade.
    Delete {
        code: String,
        #[arg(long)]
        cascade: bool,
    },
}

#[derive(Subcommand)]
enum OrgCmd {
    /// Give every org of a level a console group chat (trials, tests, demos).
    BindConsole {
        #[arg(long, default_value = "branch")]
        level: String,
    },
    /// A one-time code; `/bind CODE` in a group binds it to the org.
    Invite { code: String },
    /// Bind a mailing list (addresses) to an org.
    BindList {
        code: String,
        /// The list's own address (To: of list mail).
        #[arg(long)]
        list: String,
        /// Member addresses, comma separated (empty: mail the list address).
        #[arg(long, value_delimiter = ',')]
        members: Vec<String>,
    },
}

#[derive(Subcommand)]
enum PersonCmd {
    /// Add a person (or add to the person owning one of the identities).
    Add {
        name: String,
        /// platform:user, repeatable (email:li@x.edu.cn, telegram:12345, matrix:@li:x.org).
        #[arg(long = "id")]
        identities: Vec<String>,
        /// Official of these org codes.
        #[arg(long)]
        official: Vec<String>,
        /// Member of these branch codes.
        #[arg(long)]
        member: Vec<String>,
        /// Platform for private messages.
        #[arg(long)]
        prefer: Option<String>,
    },
}

#[derive(Subcommand)]
enum NoticeCmd {
    /// Post a notice (delivered by `treecast serve`).
    Post {
        #[arg(long)]
        org: String,
        #[arg(long)]
        title: String,
        #[arg(long)]
        body_file: PathBuf,
        /// The posting official, as platform:user.
        #[arg(long)]
        author: String,
        /// Only these levels (keys), comma separated.
        #[arg(long, value_delimiter = ',')]
        levels: Vec<String>,
        /// Only these child orgs, comma separated.
        #[arg(long, value_delimiter = ',')]
        only: Vec<String>,
        /// Leave out these orgs' subtrees, comma separated.
        #[arg(long, value_delimiter = ',')]
        exclude: Vec<String>,
        /// Do not ask for acknowledgements.
        #[arg(long)]
        no_ack: bool,
        /// Acknowledge by, "YYYY-MM-DD HH:MM" Beijing time.
        #[arg(long)]
        deadline: Option<String>,
        #[arg(long)]
        attach: Vec<PathBuf>,
    },
    /// Delivered / acknowledged / failed rolled up per level.
    Status {
        id: u64,
        #[arg(long)]
        org: Option<String>,
    },
}

#[derive(Subcommand)]
enum SurveyCmd {
    /// Check a definition file and print every problem as FILE:LINE.
    Check { file: PathBuf },
    /// Launch a survey to an org's subtree (announced by `treecast serve`).
    Launch {
        file: PathBuf,
        /// Audience org code (default: the file's `[audience] org`).
        #[arg(long)]
        org: Option<String>,
        /// The launching official, as platform:user.
        #[arg(long)]
        by: String,
    },
    /// Launched surveys, newest last.
    List,
    /// Results rolled up the tree; optionally exported.
    Results {
        id: u64,
        /// Only this org's subtree.
        #[arg(long)]
        org: Option<String>,
        #[arg(long)]
        csv: Option<PathBuf>,
        #[arg(long)]
        xlsx: Option<PathBuf>,
    },
    /// Close a survey now.
    Close { id: u64 },
}

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
        Cmd::Tree(t) => {
            let tree = cli::open_tree(&cfg)?;
            match t {
                TreeCmd::Import { file } => cli::tree_import(&tree, &file)?,
                TreeCmd::Generate { schools, branches, csv } => {
                    cli::tree_generate(&tree, &schools, branches, csv.as_deref())?
                }
                TreeCmd::Stats => cli::tree_stats(&tree)?,
                TreeCmd::Show { code } => cli::tree_show(&tree, &code)?,
                TreeCmd::Move { code, parent } => {
                    format!("moved: {}", cli::tree_show(&tree, &tree.move_org(&code, &parent)?.code)?)
                }
                TreeCmd::Rename { code, name } => {
                    format!("renamed: {}", tree.rename(&code, &name)?.name)
                }
                TreeCmd::Delete { code, cascade } => {
                    format!("deleted {} orgs", tree.delete(&code, cascade)?)
                }
            }
        }
        Cmd::Org(o) => {
            let tree = cli::open_tree(&cfg)?;
            match o {
                OrgCmd::Invite { code } => cli::org_invite(&tree, &cfg, &code)?,
                OrgCmd::BindConsole { level } => cli::org_bind_console(&tree, &level)?,
                OrgCmd::BindList { code, list, members } => cli::org_bind_list(&tree, &code, &list, &members)?,
            }
        }
        Cmd::Person(PersonCmd::Add { name, identities, official, member, prefer }) => {
            let tree = cli::open_tree(&cfg)?;
            cli::person_add(&tree, &cli::NewPerson { name, identities, official, member, prefer })?
        }
        Cmd::Notice(n) => {
            let tree = cli::open_tree(&cfg)?;
            match n {
                NoticeCmd::Post { org, title, body_file, author, levels, only, exclude, no_ack, deadline, attach } => {
                    let body = std::fs::read_to_string(&body_file)
                        .with_context(|| format!("cannot read the body file {}", body_file.display()))?;
                    cli::notice_post(
                        &tree,
                        &cfg,
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
            }
        }
        Cmd::Survey(c) => {
            let tree = cli::open_tree(&cfg)?;
            let surveys = cli::surveys(&tree, &cfg);
            match c {
                SurveyCmd::Check { file } => cli::survey_check(&file)?,
                SurveyCmd::Launch { file, org, by } => cli::survey_launch(&tree, &surveys, &file, org.as_deref(), &by)?,
                SurveyCmd::List => cli::survey_list(&tree, &surveys)?,
                SurveyCmd::Results { id, org, csv, xlsx } => {
                    cli::survey_results(&surveys, id, org.as_deref(), csv.as_deref(), xlsx.as_deref())?
                }
                SurveyCmd::Close { id } => cli::survey_close(&tree, &surveys, id)?,
            }
        }
    };
    println!("{out}");
    Ok(())
}

async fn run_demo(schools: PathBuf, branches: usize) -> anyhow::Result<()> {
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
        bail!("this build has no console adapter; build with --features console")
    }
}

/// Builds the adapter for each enabled platform.
async fn adapters(cfg: &Config) -> anyhow::Result<HashMap<Platform, Arc<dyn Adapter>>> {
    let mut out: HashMap<Platform, Arc<dyn Adapter>> = HashMap::new();
    for p in Platform::ALL {
        if !cfg.enabled(p) {
            continue;
        }
        let table = cfg.adapter_table(p);
        let bad = |e: toml::de::Error| anyhow::anyhow!("{}: [{p}] {}", cfg.source.display(), e.message());
        let adapter: Arc<dyn Adapter> = match p {
            #[cfg(feature = "console")]
            Platform::Console => Arc::new(treecast_console::ConsoleAdapter::new(table.try_into().map_err(bad)?)?),
            #[cfg(feature = "telegram")]
            Platform::Telegram => {
                Arc::new(treecast_telegram::TelegramAdapter::new(table.try_into().map_err(bad)?).await?)
            }
            #[cfg(feature = "email")]
            Platform::Email => Arc::new(treecast_email::EmailAdapter::new(table.try_into().map_err(bad)?)?),
            #[cfg(feature = "matrix")]
            Platform::Matrix => {
                Arc::new(treecast_matrix::MatrixAdapter::connect(table.try_into().map_err(bad)?).await?)
            }
            #[allow(unreachable_patterns)]
            _ => bail!(
                "{}: [{p}] is enabled but this build lacks the {p} adapter; rebuild with --features {p}",
                cfg.source.display()
            ),
        };
        out.insert(p, adapter);
    }
    if out.is_empty() {
        bail!(
            "{}: no adapter is enabled; add a [console], [email], [matrix] or [telegram] section",
            cfg.source.display()
        );
    }
    Ok(out)
}

async fn serve(cfg: Config) -> anyhow::Result<()> {
    let tree = cli::open_tree(&cfg)?;
    let adapters = adapters(&cfg).await?;
    let (stop, shutdown) = watch::channel(false);
    let data_dir = cfg.data_dir.clone();
    let app = treecast::app::App::new(tree, cfg, treecast::clock::Clock::system())?;
    let running = app.start(adapters, shutdown);
    eprintln!("treecast: serving from {} (Ctrl-C to stop)", data_dir.display());
    wait_for_signal().await;
    eprintln!("treecast: stopping");
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every adapter section of the example config is what that adapter reads.
    #[test]
    fn the_example_config_parses_for_every_adapter_built() {
        let cfg = Config::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("config/treecast.example.toml")).unwrap();
        let mut checked = 0;
        #[cfg(feature = "console")]
        {
            let _: treecast_console::Settings = cfg.adapter_table(Platform::Console).try_into().unwrap();
            checked += 1;
        }
        #[cfg(feature = "email")]
        {
            let s: treecast_email::Settings = cfg.adapter_table(Platform::Email).try_into().unwrap();
            assert_eq!(s.max_recipients, 500);
            checked += 1;
        }
        #[cfg(feature = "telegram")]
        {
            let s: treecast_telegram::Settings = cfg.adapter_table(Platform::Telegram).try_into().unwrap();
            assert_eq!(s.poll_timeout_secs, 10);
            checked += 1;
        }
        #[cfg(feature = "matrix")]
        {
            let s: treecast_matrix::Settings = cfg.adapter_table(Platform::Matrix).try_into().unwrap();
            assert_eq!(s.user_id, "@treecast:example.edu.cn");
            checked += 1;
        }
        assert!(checked >= 1, "at least the console adapter is built by default");
        assert!(cfg.enabled(Platform::Console) && !cfg.enabled(Platform::Email) && !cfg.enabled(Platform::Matrix));
    }
}
