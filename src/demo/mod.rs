//! `treecast demo`: the whole story on embedded defaults. The national tree
//! in a temporary store, every class branch with a chat, a national notice
//! fanned out with a progress bar, then one province's notice by email,
//! replies relayed privately, acknowledgements and the status roll-up, a
//! micro-survey answered in two private chats and its roll-up. All
//! chats are shown by the console adapter, whatever platform they stand for.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::watch;
use treecast_wire::{Adapter, Address, Inbound, Platform};

use crate::app::App;
use crate::clock::Clock;
use crate::config::Config;
use crate::error::Result;
use crate::gateway::Gateway;
use crate::store::Store;
use crate::tree::people::Role;
use crate::tree::{generate, import, Tree};

mod acts;
mod features;
mod web;

pub use web::NATIONAL_CHAT;

pub struct DemoOptions {
    /// None: the built-in list.
    pub schools: Option<PathBuf>,
    pub branches: usize,
    /// Keep running with the web console on this address after the story.
    pub web: Option<std::net::SocketAddr>,
}

/// The chats the demo prints (everything else is delivered silently).
pub const SHOWN: &[&str] = &[
    "-1001001",
    NEW_GROUP,
    "!branchB:localhost",
    "branch-c@lists.example.test",
    OFFICIAL_MAIL,
    SCHOOL_MAIL,
    "5001",
    "5002",
    "@student.b:localhost",
    "@xtu.official:localhost",
];

/// Branch C's new Telegram group, bound in step 20.
pub const NEW_GROUP: &str = "-1001004";

/// The survey the demo launches, built into the binary.
const SAMPLE_SURVEY: &str = include_str!("../../config/surveys/sixiang-dongtai.toml");

/// The founding notice's campaign, built in too.
const SAMPLE_CAMPAIGN: &str = include_str!("../../config/campaigns/weibo-jianshe.toml");

/// The 湖南 official's mailbox.
pub(super) const OFFICIAL_MAIL: &str = "hunan.official@example.test";

/// The 湖南大学团委 official's mailbox.
const SCHOOL_MAIL: &str = "hnu.official@example.test";

/// A mail from the 湖南 official to the bot.
pub(super) fn official_mail(text: impl Into<String>) -> Inbound {
    Inbound::text(Address::direct(Platform::Email, OFFICIAL_MAIL), OFFICIAL_MAIL, text)
}

pub(super) fn step(n: u32, text: &str) {
    println!("\n━━ {n}. {text}");
}

fn took(t: Instant) {
    println!("({:.1} s)", t.elapsed().as_secs_f64());
}

/// Runs the demo with `chats` standing in for every platform.
pub async fn run(
    opts: DemoOptions,
    chats: Arc<dyn Adapter>,
    until: impl std::future::Future<Output = ()>,
) -> Result<()> {
    let started = Instant::now();
    let cfg = Config::default();
    let tree = Tree::new(Store::temporary()?, cfg.levels())?;
    build_tree(&tree, &opts)?;
    let bound = bind_chats(&tree)?;
    let people = people(&tree)?;
    let mut adapters: HashMap<Platform, Arc<dyn Adapter>> = HashMap::new();
    for p in Platform::ALL {
        adapters.insert(p, chats.clone());
    }
    let mut ocfg = cfg.clone();
    // Every chat here is the local console; Telegram's limits would only pace the show.
    for p in Platform::ALL {
        ocfg.limits.insert(p, crate::config::Limits::OFF);
    }
    // The sample survey is built in, so the demo runs from any directory.
    let surveys_dir = tempfile::tempdir()?;
    std::fs::write(surveys_dir.path().join("sixiang-dongtai.toml"), SAMPLE_SURVEY)?;
    ocfg.surveys_dir = surveys_dir.path().to_owned();
    std::fs::write(surveys_dir.path().join("weibo-jianshe.toml"), SAMPLE_CAMPAIGN)?;
    ocfg.campaigns_dir = surveys_dir.path().to_owned();
    if let Some(addr) = opts.web {
        ocfg.web.listen = Some(addr);
        ocfg.web.listen_configured = true;
        // Where the console writes its address.
        ocfg.data_dir = surveys_dir.path().to_owned();
    }
    let app = App::new(tree.clone(), ocfg, Clock::system())?;
    let (stop, rx) = watch::channel(false);
    let rx_web = rx.clone();
    let running = app.start_workers(adapters, rx);
    let show = acts::Show {
        surveys: crate::features::surveys::Surveys::from_config(&tree, &app.ctx.config),
        stats: running.stats.clone(),
        gw: app.gateway.clone(),
        app,
        tree,
        people,
        bound,
    };
    show.play().await?;
    if opts.web.is_some() {
        show.web_console(rx_web, until).await?;
    }
    stop.send(true).ok();
    running.join().await?;
    println!("\ndemo finished in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// Step 1: the national tree from the list of universities.
fn build_tree(tree: &Tree, opts: &DemoOptions) -> Result<()> {
    step(1, "The national tree: 共青团中央学校部 -> 31 provinces -> 2,756 universities -> class branches");
    let schools = generate::schools(opts.schools.as_deref())?;
    let csv = generate::national_csv(&schools, opts.branches);
    let t = Instant::now();
    let pb = crate::progress::progress(0, "importing");
    let report = import::import_string(tree, "generated", csv, Some(&pb))?;
    pb.finish_and_clear();
    println!("{report}\n{}", crate::features::orgs::ops::tree_stats(tree)?);
    took(t);
    Ok(())
}

/// Step 2: a console chat for every branch; three 湖南大学 branches on
/// Telegram, Matrix and a mailing list. Returns those three addresses.
fn bind_chats(tree: &Tree) -> Result<[Address; 3]> {
    let t = Instant::now();
    step(2, "Every class branch has a group chat; three branches of 湖南大学 use Telegram, Matrix and a mailing list");
    let a = tree.require("4143010532-001")?;
    let b = tree.require("4143010532-002")?;
    let c = tree.require("4143010532-003")?;
    let special = [a.id, b.id, c.id];
    let mut pairs = Vec::new();
    for o in tree.subtree(&tree.require("CN")?) {
        let o = o?;
        if o.level == 3 && !special.contains(&o.id) {
            let addr = Address::group(Platform::Console, o.code.clone());
            pairs.push((o, addr));
        }
    }
    let bound = tree.bind_bulk(pairs)?;
    let tg = Address::group(Platform::Telegram, "-1001001");
    let mx = Address::group(Platform::Matrix, "!branchB:localhost");
    let list = Address::list("branch-c@lists.example.test", vec!["c1@example.test".into(), "c2@example.test".into()]);
    tree.bind(&a, tg.clone())?;
    tree.bind(&b, mx.clone())?;
    tree.bind(&c, list.clone())?;
    println!(
        "{bound} console group chats bound, plus:\n  {} -> {tg}\n  {} -> {mx}\n  {} -> {list}",
        a.name, b.name, c.name
    );
    println!("{}", crate::features::orgs::ops::tree_show(tree, &a.code)?);
    took(t);
    Ok([tg, mx, list])
}

/// Hands one event to the gateway; a failed commit ends the demo.
pub(super) async fn handle(gw: &Gateway, ev: &Inbound) -> Result<()> {
    gw.handle(ev).await.map(|_| ())
}

fn last_notice(tree: &Tree) -> Result<u64> {
    tree.store.last_notice_id()
}

/// The newest platform message id recorded as a relay to a notice author.
fn last_msgref_to(tree: &Tree, platform: Platform) -> Result<String> {
    let mut newest = None;
    for r in tree.store.msgrefs_on(platform) {
        if let (id, crate::msgref::MsgRef::Thread { thread, to_author: true }) = r? {
            if newest.as_ref().is_none_or(|(t, _)| thread > *t) {
                newest = Some((thread, id));
            }
        }
    }
    Ok(newest.map(|(_, id)| id).unwrap_or_default())
}

/// The newest platform message id recorded for a message of `feature` (`MsgRef::Owned`).
fn last_msgref_of(tree: &Tree, platform: Platform, feature: &str) -> Result<String> {
    let mut newest: Option<(Vec<u8>, String)> = None;
    for r in tree.store.msgrefs_on(platform) {
        if let (id, crate::msgref::MsgRef::Owned { feature: f, data }) = r? {
            if f == feature && newest.as_ref().is_none_or(|(d, _)| data > *d) {
                newest = Some((data, id));
            }
        }
    }
    Ok(newest.map(|(_, id)| id).unwrap_or_default())
}

fn people(tree: &Tree) -> Result<HashMap<&'static str, u64>> {
    let mut out = HashMap::new();
    let mut add = |key: &'static str, name: &str, ident: (Platform, &str), role: Role, org: &str| -> Result<()> {
        let p = tree.add_person(name)?;
        tree.add_identity(p.id, ident.0, ident.1)?;
        tree.grant(p.id, &tree.require(org)?, role)?;
        out.insert(key, p.id);
        Ok(())
    };
    add("national", "王老师 (团中央学校部)", (Platform::Console, "wang.national"), Role::Official, "CN")?;
    add("hunan", "湖南省团委学校部 张老师", (Platform::Email, OFFICIAL_MAIL), Role::Official, "43")?;
    add("hnu", "湖南大学团委 刘老师", (Platform::Email, SCHOOL_MAIL), Role::Official, "4143010532")?;
    add("li", "李明", (Platform::Telegram, "5001"), Role::Member, "4143010532-001")?;
    add("b", "赵敏", (Platform::Matrix, "@student.b:localhost"), Role::Member, "4143010532-002")?;
    add("csu", "中南大学团委 陈老师", (Platform::Telegram, "5002"), Role::Official, "4143010533")?;
    add("xtu", "湘潭大学团委 周老师", (Platform::Matrix, "@xtu.official:localhost"), Role::Official, "4143010530")?;
    Ok(out)
}

trait ParentCode {
    fn parent_code(&self, tree: &Tree) -> Result<String>;
}

impl ParentCode for crate::tree::Org {
    fn parent_code(&self, tree: &Tree) -> Result<String> {
        Ok(match self.parent {
            Some(p) => tree.require_id(p)?.code,
            None => self.code.clone(),
        })
    }
}
