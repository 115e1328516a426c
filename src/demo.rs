//! `treecast demo`: the whole story on embedded defaults. The national tree
//! in a temporary store, every class branch with a chat, a national notice
//! fanned out with a progress bar, then one province's notice by email,
//! replies relayed privately, acknowledgements and the status roll-up, a
//! micro-survey answered in two private chats and its roll-up. All
//! chats are shown by the console adapter, whatever platform they stand for.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;
use treecast_wire::{Adapter, Address, Inbound, InboundKind, Platform};

use crate::app::App;
use crate::clock::Clock;
use crate::config::Config;
use crate::error::Result;
use crate::gateway::Gateway;
use crate::notice::{delivery_id, Draft};
use crate::store::Store;
use crate::tree::people::Role;
use crate::tree::{generate, import, Tree};

pub struct DemoOptions {
    pub schools: PathBuf,
    pub branches: usize,
}

/// The chats the demo prints (everything else is delivered silently).
pub const SHOWN: &[&str] =
    &["-1001001", "!branchB:localhost", "branch-c@lists.example.test", OFFICIAL_MAIL, "5001", "@student.b:localhost"];

/// The 湖南 official's mailbox.
const OFFICIAL_MAIL: &str = "hunan.official@example.test";

/// A mail from the 湖南 official to the bot.
fn official_mail(text: impl Into<String>) -> Inbound {
    Inbound::text(Address::direct(Platform::Email, OFFICIAL_MAIL), OFFICIAL_MAIL, text)
}

fn step(n: u32, text: &str) {
    println!("\n━━ {n}. {text}");
}

fn took(t: Instant) {
    println!("({:.1} s)", t.elapsed().as_secs_f64());
}

/// Runs the demo with `chats` standing in for every platform.
pub async fn run(opts: DemoOptions, chats: Arc<dyn Adapter>) -> Result<()> {
    let started = Instant::now();
    let cfg = Config::default();
    let tree = Tree::new(Store::temporary()?, cfg.levels())?;

    step(1, "The national tree: 共青团中央学校部 -> 31 provinces -> 2,756 universities -> class branches");
    let schools = generate::read_schools(&opts.schools)?;
    let csv = generate::national_csv(&schools, opts.branches);
    let t = Instant::now();
    let pb = crate::cli::progress(0, "importing");
    let report = import::import_string(&tree, "generated", csv, Some(&pb))?;
    pb.finish_and_clear();
    println!("{report}\n{}", crate::cli::tree_stats(&tree)?);
    took(t);
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
    println!("{}", crate::cli::tree_show(&tree, &a.code)?);
    took(t);

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
    let app = App::new(tree.clone(), ocfg, Clock::system())?;
    let surveys = crate::cli::surveys(&tree, &app.ctx.config);
    let (stop, rx) = watch::channel(false);
    let running = app.start_workers(adapters, rx);
    let stats = running.stats.clone();
    let gw = app.gateway.clone();

    step(3, "共青团中央学校部 posts a national notice: it fans out to every branch");
    let total = tree.channels_in(&tree.require("CN")?)?.len() as u64;
    let national = tree.post(
        people["national"],
        Draft {
            issuer_code: "CN".into(),
            title: "关于开展“青春心向党”主题团日活动的通知".into(),
            body: "各省级团委学校部、各高校团委：\n请组织各团支部于本月内开展主题团日活动，并及时反馈开展情况。".into(),
            ack_required: true,
            ..Draft::default()
        },
        &app.ctx.rules(),
    )?;
    app.ctx.waker.wake();
    let t0 = Instant::now();
    let pb = crate::cli::progress(total, "fan-out");
    while !tree.store.active_notices()?.is_empty() {
        pb.set_position(stats.delivered.load(Ordering::Relaxed));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    pb.finish_and_clear();
    println!(
        "notice #{} delivered to {} chats in {:.1} s",
        national.id,
        stats.delivered.load(Ordering::Relaxed),
        t0.elapsed().as_secs_f64()
    );

    step(4, "The national status roll-up (from counters, cheap at any size)");
    let st = tree.status(Some(people["national"]), national.id, None, 5)?;
    println!("{}", st.to_text(&tree));

    step(5, "The 湖南省 official emails a notice to notice+43@bot.example.test");
    let mut mail = official_mail("各高校团委、各团支部：\n请于11月30日前完成团员教育评议，并回复“收到”。");
    mail.subject = "关于开展团员教育评议的通知".into();
    mail.sent_to = Some("notice+43@bot.example.test".into());
    mail.message_id = "<post-1@example.test>".into();
    handle(&gw, &mail).await?;
    app.settle().await?;
    let hunan_notice = national.id.max(last_notice(&tree)?);

    step(6, "A student replies in the Telegram group; the official gets it privately by email and answers");
    let copy = |addr: &Address| -> Result<String> {
        let ch = tree.channel_by_address(addr)?.expect("bound above");
        let d = tree.store.delivery(hunan_notice, ch.id)?.expect("delivered");
        Ok(match d.state {
            crate::notice::fanout::DeliveryState::Sent { message_ids, .. } => message_ids[0].clone(),
            other => panic!("not delivered: {other:?} ({})", delivery_id(hunan_notice, ch.id)),
        })
    };
    let mut reply = Inbound::text(tg.clone(), "5001", "请问评议材料需要纸质版吗？");
    reply.sender.display_name = Some("李明".into());
    reply.message_id = "-1001001:77".into();
    reply.in_reply_to = Some(copy(&tg)?);
    handle(&gw, &reply).await?;
    app.settle().await?;
    let relayed = last_msgref_to(&tree, Platform::Email)?;
    let mut answer = official_mail("电子版即可，发到学院团委邮箱。");
    answer.in_reply_to = Some(relayed);
    handle(&gw, &answer).await?;
    app.settle().await?;

    step(7, "Branch B acknowledges with a ✅ reaction in Matrix; branch C replies 收到 by email");
    let mut react = Inbound::text(mx.clone(), "@student.b:localhost", "");
    react.kind = InboundKind::Reaction { key: "✅".into() };
    react.in_reply_to = Some(copy(&mx)?);
    handle(&gw, &react).await?;
    let st = tree.status(Some(people["hunan"]), hunan_notice, Some(&a.parent_code(&tree)?), 3)?;
    println!("{}", st.to_text(&tree));
    let mut ack = Inbound::text(Address::direct(Platform::Email, "c1@example.test"), "c1@example.test", "收到");
    ack.in_reply_to = Some(copy(&list)?);
    handle(&gw, &ack).await?;
    app.settle().await?;

    step(8, "The official asks for the status of 湖南 by email, then reminds the rest");
    let mut ask = official_mail(format!("/status {hunan_notice}"));
    ask.message_id = "<ask-1@example.test>".into();
    handle(&gw, &ask).await?;
    let before = stats.delivered.load(Ordering::Relaxed);
    let mut remind = official_mail(format!("/remind {hunan_notice}"));
    remind.message_id = "<remind-1@example.test>".into();
    handle(&gw, &remind).await?;
    app.settle().await?;
    println!(
        "the reminder reached {} chats: every 湖南 chat except the 2 that acknowledged",
        stats.delivered.load(Ordering::Relaxed) - before
    );

    step(9, "The official launches a micro-survey (微调查) by email; two students answer in private chats");
    let mut launch = official_mail("/survey launch sixiang-dongtai 43");
    launch.message_id = "<survey-1@example.test>".into();
    handle(&gw, &launch).await?;
    app.settle().await?;
    let survey = surveys.all()?.pop().ok_or_else(|| crate::Error::invalid("the survey was not launched"))?;
    let start = format!("/start {}", survey.payload());
    // 李明 in his Telegram private chat; 赵敏 in her Matrix DM. Each answer is
    // typed the way people type: letters, 是/否, 、-separated choices, digits.
    let li = Address::direct(Platform::Telegram, "5001");
    let zhao = Address::direct(Platform::Matrix, "@student.b:localhost");
    let li_answers = [start.as_str(), "A", "是", "A、C", "4", "3", "/跳过", "多组织志愿服务活动"];
    let zhao_answers = [start.as_str(), "2", "否", "B", "0", "/skip", "希望活动时间更灵活"];
    for (chat, answers) in [(&li, &li_answers[..]), (&zhao, &zhao_answers[..])] {
        for (i, text) in answers.iter().enumerate() {
            let mut ev = Inbound::text(chat.clone(), &chat.id, *text);
            ev.message_id = format!("{}:{i}", chat.id);
            handle(&gw, &ev).await?;
        }
    }
    app.settle().await?;

    step(10, "Results roll up branch -> school -> province; the CSV export");
    let results = surveys.results(Some(people["hunan"]), survey.id)?;
    println!("{}", results.to_text(6));
    let csv = std::env::temp_dir().join(format!("treecast-demo-survey-{}.csv", std::process::id()));
    results.write_csv(&csv)?;
    let text = std::fs::read_to_string(&csv)?;
    let _ = std::fs::remove_file(&csv);
    for line in text.lines().take(1).chain(text.lines().filter(|l| l.contains("湖南大学")).take(4)) {
        println!("  {line}");
    }

    stop.send(true).ok();
    running.join().await?;
    println!("\ndemo finished in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// Hands one event to the gateway; a failed commit ends the demo.
async fn handle(gw: &Gateway, ev: &Inbound) -> Result<()> {
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
    add("li", "李明", (Platform::Telegram, "5001"), Role::Member, "4143010532-001")?;
    add("b", "赵敏", (Platform::Matrix, "@student.b:localhost"), Role::Member, "4143010532-002")?;
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
