//! Notices end to end through the gateway, the outbox worker and the
//! recording adapter: targeting, footer, permissions, acks and roll-up,
//! reminders, reply relay both ways, faults.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use treecast_wire::fake::RecordingAdapter;
use treecast_wire::{Address, DeliveryError, Inbound, InboundKind, Outbound, OutboundKind, Platform};

use super::*;
use crate::app::{App, Running};
use crate::clock::Clock;
use crate::config::Config;
use crate::gateway::Gateway;
use crate::outbox::Stats;
use crate::tree::people::Role;
use crate::tree::tests::small_tree;

pub(crate) struct Bed {
    pub tree: Tree,
    pub app: App,
    pub gw: Arc<Gateway>,
    pub chat: Arc<RecordingAdapter>,
    pub stats: Arc<Stats>,
    stop: watch::Sender<bool>,
    running: Running,
    /// person name -> id
    pub people: HashMap<&'static str, u64>,
}

pub(crate) fn test_config() -> Config {
    test_config_with("")
}

/// The test config with more TOML after it.
pub(crate) fn test_config_with(more: &str) -> Config {
    let text = format!("[outbox]\nretry_base_ms = 5\nretry_max_secs = 1\n{more}");
    Config::parse(&text, std::path::Path::new("test.toml")).unwrap()
}

/// Every org of the small tree gets a console group named by its code;
/// 湖南省 has an official (on email), 湖南大学 an official (console), two
/// students are members of 4143010533-001.
pub(crate) async fn bed_with(adapter: RecordingAdapter) -> Bed {
    bed_with_config(adapter, test_config()).await
}

/// The small tree, every org with a console group named by its code, and its people.
fn bed_tree() -> (Tree, HashMap<&'static str, u64>) {
    let tree = small_tree();
    for code in [
        "43",
        "4143010533",
        "4143010534",
        "4143010533-001",
        "4143010533-002",
        "4143010534-001",
        "4142010486",
        "4142010486-001",
    ] {
        let org = tree.require(code).unwrap();
        tree.bind(&org, Address::group(Platform::Console, code)).unwrap();
    }
    let mut people = HashMap::new();
    let add =
        |name: &'static str, user: &str, platform: Platform, role: Role, org: &str, people: &mut HashMap<_, _>| {
            let p = tree.add_person(name).unwrap();
            tree.add_identity(p.id, platform, user).unwrap();
            tree.grant(p.id, &tree.require(org).unwrap(), role).unwrap();
            people.insert(name, p.id);
        };
    add("hunan", "hunan@tw.example", Platform::Email, Role::Official, "43", &mut people);
    add("hnu", "hnu", Platform::Console, Role::Official, "4143010533", &mut people);
    add("branch_sec", "sec", Platform::Console, Role::Official, "4143010533-001", &mut people);
    add("li", "li", Platform::Console, Role::Member, "4143010533-001", &mut people);
    add("wang", "wang", Platform::Console, Role::Member, "4143010533-001", &mut people);
    (tree, people)
}

pub(crate) async fn bed_with_config(adapter: RecordingAdapter, cfg: Config) -> Bed {
    let (tree, people) = bed_tree();
    let chat = Arc::new(adapter);
    let mut adapters: HashMap<Platform, Arc<dyn treecast_wire::Adapter>> = HashMap::new();
    adapters.insert(Platform::Console, chat.clone());
    adapters.insert(Platform::Email, chat.clone());
    // Matrix too, for people whose preferred platform it is (nobody in the bed's own cast).
    adapters.insert(Platform::Matrix, chat.clone());
    adapters.insert(Platform::Telegram, chat.clone());
    start_bed(tree, people, adapters, chat, cfg)
}

/// The bed with `adapters` delivering (wrappers around `chat`, which records).
#[cfg(feature = "cluster")]
pub(crate) async fn bed_with_adapters(
    adapters: HashMap<Platform, Arc<dyn treecast_wire::Adapter>>,
    chat: Arc<RecordingAdapter>,
    cfg: Config,
) -> Bed {
    let (tree, people) = bed_tree();
    start_bed(tree, people, adapters, chat, cfg)
}

fn start_bed(
    tree: Tree,
    people: HashMap<&'static str, u64>,
    adapters: HashMap<Platform, Arc<dyn treecast_wire::Adapter>>,
    chat: Arc<RecordingAdapter>,
    cfg: Config,
) -> Bed {
    let app = App::new(tree.clone(), cfg, Clock::system()).unwrap();
    let (stop, rx) = watch::channel(false);
    let running = app.start_workers(adapters, rx);
    let (gw, stats, tree) = (app.gateway.clone(), running.stats.clone(), app.tree().clone());
    Bed { tree, app, gw, chat, stats, stop, running, people }
}

pub(crate) async fn bed() -> Bed {
    bed_with(RecordingAdapter::new(Platform::Console)).await
}

impl Bed {
    /// Waits until nothing is active or queued and every subscriber has
    /// caught up (or panics after a minute).
    pub async fn settle(&self) {
        self.app.settle().await.expect("the outbox did not settle");
    }

    pub async fn stop(self) -> Tree {
        self.stop.send(true).unwrap();
        self.running.join().await.unwrap();
        self.tree
    }

    /// Stops everything and starts a new app on the same store, delivering
    /// to the same recording adapter: after it, only what the store kept is known.
    pub async fn restart(self) -> Bed {
        let (people, chat, cfg) = (self.people.clone(), self.chat.clone(), (*self.app.ctx.config).clone());
        let tree = self.stop().await;
        let mut adapters: HashMap<Platform, Arc<dyn treecast_wire::Adapter>> = HashMap::new();
        for p in [Platform::Console, Platform::Email, Platform::Matrix, Platform::Telegram] {
            adapters.insert(p, chat.clone());
        }
        start_bed(tree, people, adapters, chat, cfg)
    }

    /// The survey engine over the same store and clock.
    pub fn surveys(&self) -> crate::features::surveys::Surveys {
        crate::features::surveys::Surveys::from_config(&self.tree, &self.app.ctx.config)
    }

    pub fn to(&self, to: &Address) -> Vec<Outbound> {
        self.chat.delivered_to(to)
    }

    pub fn group(code: &str) -> Address {
        Address::group(Platform::Console, code)
    }

    pub fn dm(user: &str) -> Address {
        Address::direct(Platform::Console, user)
    }

    pub async fn say(&self, ev: Inbound) -> treecast_wire::Outcome {
        self.gw.handle(&ev).await.expect("the gateway commits")
    }

    /// Says `ev` and, once everything is sent, all its chat got since, one
    /// message a line.
    pub async fn ask(&self, ev: Inbound) -> String {
        let chat = ev.chat.clone();
        let before = self.to(&chat).len();
        self.say(ev).await;
        self.settle().await;
        let got: Vec<String> = self.to(&chat)[before..].iter().map(|m| m.body.to_string()).collect();
        got.join("\n")
    }

    pub fn post(&self, who: &str, draft: Draft) -> crate::Result<Notice> {
        let n = self.tree.post(self.people[who], draft, &self.app.ctx.rules());
        self.app.ctx.waker.wake();
        n
    }

    /// The platform message id of notice `n`'s copy in group `code`.
    pub fn copy_id(&self, n: u64, code: &str) -> String {
        let ch = self.tree.channel_by_address(&Self::group(code)).unwrap().unwrap();
        self.chat.message_ids(&delivery_id(n, ch.id, &self.tree.store.delivery_tag(n, ch.id))).unwrap()[0].clone()
    }
}

pub(crate) fn draft_for(org: &str, title: &str) -> Draft {
    draft(org, title)
}

fn draft(org: &str, title: &str) -> Draft {
    Draft {
        issuer_code: org.into(),
        title: title.into(),
        body: "请各团支部认真组织。".into(),
        ack_required: true,
        ..Draft::default()
    }
}

fn delivered_groups(b: &Bed, notice: u64) -> Vec<String> {
    let mut v: Vec<String> =
        b.chat.delivered().into_iter().filter(|m| m.id.starts_with(&format!("n{notice}-c"))).map(|m| m.to.id).collect();
    v.sort();
    v
}

#[tokio::test]
async fn a_province_notice_reaches_its_subtree_only_with_the_footer() {
    let b = bed().await;
    let n = b.post("hunan", draft("43", "关于开展主题团日活动的通知")).unwrap();
    b.settle().await;
    assert_eq!(
        delivered_groups(&b, n.id),
        ["4143010533", "4143010533-001", "4143010533-002", "4143010534", "4143010534-001", "43"],
        "the issuer's own group too; 湖北 is left out"
    );
    for m in b.chat.delivered().iter().filter(|m| m.kind == OutboundKind::Notice) {
        assert_eq!(m.footer.as_deref(), Some("精彩微博团，青春心连心"));
        assert_eq!(m.title.as_deref(), Some("关于开展主题团日活动的通知"));
        assert!(m.buttons.iter().any(|b| b.label.contains("收到")));
    }
    let summary = b.to(&Address::direct(Platform::Email, "hunan@tw.example"));
    assert!(summary.iter().any(|m| m.body.contains("6 个渠道已送达")), "{summary:?}");
    assert!(summary.iter().any(|m| m.title.as_deref() == Some("发送完毕 Sent: 关于开展主题团日活动的通知")));
    b.stop().await;
}

/// A branch secretary posting to their own branch reaches its group, and
/// the notice settles (it used to go nowhere and stay "being sent").
#[tokio::test]
async fn a_notice_to_a_branch_reaches_its_own_group_and_settles() {
    let b = bed().await;
    let n = b.post("branch_sec", draft("4143010533-001", "支部通知")).unwrap();
    b.settle().await;
    assert_eq!(delivered_groups(&b, n.id), ["4143010533-001"]);
    let st = b.tree.status(Some(b.people["branch_sec"]), n.id, None, 5).unwrap();
    assert_eq!((st.rows[0].delivered, st.rows[0].channels), (1, 1), "{st:?}");
    assert!(b.tree.store.active_notices().unwrap().is_empty());
    b.stop().await;
}

/// A notice no bound chat would receive is refused with one sentence, in
/// both languages, and nothing is stored.
#[tokio::test]
async fn a_notice_with_no_reachable_chat_is_refused_at_posting() {
    let b = bed().await;
    let branch = b.tree.require("4143010533-002").unwrap();
    let ch = b.tree.channel_by_address(&Bed::group("4143010533-002")).unwrap().unwrap();
    b.tree.unbind(ch.id, crate::events::Actor::Operator).unwrap();
    b.tree.grant(b.people["li"], &branch, Role::Official).unwrap();
    let before = b.tree.store.last_notice_id().unwrap();
    let err = b.post("li", draft("4143010533-002", "没人收")).unwrap_err().to_string();
    assert!(err.contains("没有可以收到这条通知的渠道") && err.contains("No chat would receive this notice"), "{err}");
    assert_eq!(b.tree.store.last_notice_id().unwrap(), before);
    b.stop().await;
}

#[tokio::test]
async fn targeting_by_level_children_and_exclusions() {
    let b = bed().await;
    let only_branches = Draft { levels: vec!["branch".into()], ..draft("43", "支部专项") };
    let n1 = b.post("hunan", only_branches).unwrap();
    let excluding = Draft { exclude: vec!["4143010534".into()], ..draft("43", "除中南大学外") };
    let n2 = b.post("hunan", excluding).unwrap();
    let chosen =
        Draft { only: vec!["4143010534".into()], levels: vec!["branch".into()], ..draft("43", "只发中南") };
    let n3 = b.post("hunan", chosen).unwrap();
    b.settle().await;
    assert_eq!(delivered_groups(&b, n1.id), ["4143010533-001", "4143010533-002", "4143010534-001"]);
    assert_eq!(delivered_groups(&b, n2.id), ["4143010533", "4143010533-001", "4143010533-002", "43"]);
    assert_eq!(delivered_groups(&b, n3.id), ["4143010534-001"]);
    // Expected counts agree with what was delivered.
    let hunan = b.tree.require("43").unwrap();
    for n in [&n1, &n2, &n3] {
        let (channels, _) = b.tree.expected(&n.target, &hunan).unwrap();
        assert_eq!(channels as usize, delivered_groups(&b, n.id).len(), "notice {}", n.title);
    }
    let bad = Draft { exclude: vec!["4142010486".into()], ..draft("43", "x") };
    assert!(b.post("hunan", bad).unwrap_err().to_string().contains("is not below"));
    b.stop().await;
}

#[tokio::test]
async fn only_officials_of_the_org_or_above_may_post() {
    let b = bed().await;
    let err = b.post("hnu", draft("4143010534", "越权")).unwrap_err().to_string();
    assert!(err.contains("may not post notices to 4143010534"), "{err}");
    assert!(b.post("li", draft("4143010533-001", "学生发通知")).is_err());
    // A student trying /notice in a private chat gets one clear sentence.
    let out = b.say(Inbound::text(Bed::dm("li"), "li", "/notice 标题\n正文")).await;
    assert!(matches!(out, treecast_wire::Outcome::Rejected { .. }));
    b.settle().await;
    let answer = b.to(&Bed::dm("li"));
    assert!(answer.last().unwrap().body.contains("Only League officials"), "{answer:?}");
    // An official's /notice works and says how far it goes.
    b.say(Inbound::text(Bed::dm("hnu"), "hnu", "/notice 湖南大学通知\n正文")).await;
    b.settle().await;
    assert!(b.to(&Bed::dm("hnu")).iter().any(|m| m.body.contains("going out to 3 channels")));
    b.stop().await;
}

#[tokio::test]
async fn acks_by_reply_button_and_reaction_roll_up_per_level() {
    let b = bed().await;
    let n = b.post("hunan", Draft { levels: vec!["branch".into()], ..draft("43", "请确认") }).unwrap();
    b.settle().await;
    // Branch 001: a member replies 收到 to the copy in the group.
    let mut ev = Inbound::text(Bed::group("4143010533-001"), "li", "收到！");
    ev.in_reply_to = Some(b.copy_id(n.id, "4143010533-001"));
    b.say(ev).await;
    // Branch 002: the button.
    let mut press = Inbound::text(Bed::group("4143010533-002"), "zhao", "");
    press.kind = InboundKind::Button { data: ack_data(n.id) };
    b.say(press).await;
    // Pressing again does not count twice.
    let mut again = Inbound::text(Bed::group("4143010533-002"), "qian", "");
    again.kind = InboundKind::Button { data: ack_data(n.id) };
    b.say(again).await;
    let st = b.tree.status(Some(b.people["hunan"]), n.id, None, 10).unwrap();
    let top = &st.rows[0];
    assert_eq!((top.channels, top.delivered, top.acked, top.orgs, top.failed), (3, 3, 2, 3, 0));
    let hnu = st.rows.iter().find(|r| r.org.code == "4143010533").unwrap();
    let csu = st.rows.iter().find(|r| r.org.code == "4143010534").unwrap();
    assert_eq!((hnu.acked, hnu.orgs), (2, 2));
    assert_eq!((csu.acked, csu.orgs), (0, 1));
    assert_eq!(st.missing.iter().map(|o| o.code.as_str()).collect::<Vec<_>>(), ["4143010534-001"]);
    // A reaction acknowledges the last one.
    let mut react = Inbound::text(Bed::group("4143010534-001"), "zhou", "");
    react.kind = InboundKind::Reaction { key: "👍".into() };
    react.in_reply_to = Some(b.copy_id(n.id, "4143010534-001"));
    b.say(react).await;
    let st = b.tree.status(None, n.id, None, 10).unwrap();
    assert_eq!(st.rows[0].acked, 3);
    assert!(st.missing.is_empty());
    let ack = b.tree.ack_of(n.id, b.tree.require("4143010533-001").unwrap().id).unwrap().unwrap();
    assert_eq!((ack.by.as_str(), ack.via), ("li", Platform::Console));
    // Drill-down by school, and the text form.
    let school = b.tree.status(Some(b.people["hunan"]), n.id, Some("4143010533"), 10).unwrap();
    assert_eq!(school.rows.len(), 3, "the school and its two branches");
    assert!(st.to_text(&b.tree).contains("acknowledged 3/3"));
    b.stop().await;
}

/// Status names who can never get a notice (no channel when it was posted,
/// per level) and who acknowledged, when and how.
#[tokio::test]
async fn status_shows_the_unreachable_per_level_and_how_each_ack_came() {
    let b = bed().await;
    let gone = b.tree.channel_by_address(&Bed::group("4143010533-002")).unwrap().unwrap();
    b.tree.unbind(gone.id, crate::events::Actor::Operator).unwrap();
    let csu = b.tree.channel_by_address(&Bed::group("4143010534")).unwrap().unwrap();
    b.tree.unbind(csu.id, crate::events::Actor::Operator).unwrap();
    let n = b.post("hunan", draft("43", "核对名单")).unwrap();
    // A chat bound after posting, whether before or after the subscriber
    // that keeps the unreached has run, is not part of the audience.
    b.tree.bind(&b.tree.require("4143010533-002").unwrap(), Bed::group("4143010533-002")).unwrap();
    let horizon = b.tree.store.horizon(n.id).unwrap().unwrap();
    let now = b.tree.unreached(&n.target, horizon).unwrap();
    let per: Vec<(u8, usize)> = now.levels.iter().map(|(l, ids)| (*l, ids.len())).collect();
    assert_eq!(per, [(2, 1), (3, 1)], "the walk counts only chats up to the horizon: {now:?}");
    b.settle().await;
    let mut press = Inbound::text(Bed::group("4143010533-001"), "li", "");
    press.kind = InboundKind::Button { data: ack_data(n.id) };
    b.say(press).await;
    let mut reply = Inbound::text(Bed::group("4143010534-001"), "zhao", "收到");
    reply.in_reply_to = Some(b.copy_id(n.id, "4143010534-001"));
    b.say(reply).await;
    let st = b.tree.status(Some(b.people["hunan"]), n.id, None, 10).unwrap();
    let gaps = st.unreached.clone().expect("kept by the subscriber");
    let per: Vec<(u8, usize)> = gaps.iter().map(|(l, n, _)| (*l, *n)).collect();
    assert_eq!(per, [(2, 1), (3, 1)], "one school and one branch had no channel: {gaps:?}");
    let text = st.to_text(&b.tree);
    assert!(text.contains("无渠道、未送达 / No channel, not reached (2)"), "{text}");
    assert!(text.contains("4143010533-002") && text.contains("4143010534 "), "{text}");
    assert!(text.contains("按钮 button") && text.contains("回复 reply"), "{text}");
    assert!(text.contains("已确认 / Acknowledged (2)"), "{text}");
    // Nor does a bind after that.
    b.tree.bind(&b.tree.require("4143010534").unwrap(), Bed::group("4143010534")).unwrap();
    let again = b.tree.status(Some(b.people["hunan"]), n.id, None, 10).unwrap();
    assert_eq!(again.unreached, st.unreached);
    // Seen from the school, only its own branch is missing.
    let school = b.tree.status(Some(b.people["hnu"]), n.id, Some("4143010533"), 10).unwrap();
    let names: Vec<&str> =
        school.unreached.as_ref().unwrap().iter().flat_map(|(_, _, o)| o).map(|o| o.code.as_str()).collect();
    assert_eq!(names, ["4143010533-002"]);
    b.stop().await;
}

#[tokio::test]
async fn status_is_refused_outside_ones_subtree() {
    let b = bed().await;
    let n = b.post("hunan", draft("43", "省级通知")).unwrap();
    b.settle().await;
    assert!(b.tree.status(Some(b.people["li"]), n.id, None, 5).is_err());
    // The school official sees their own part.
    let st = b.tree.status(Some(b.people["hnu"]), n.id, Some("4143010533"), 5).unwrap();
    assert_eq!(st.rows[0].org.code, "4143010533");
    assert!(b.tree.status(Some(b.people["hnu"]), n.id, Some("4143010534"), 5).is_err());
    b.stop().await;
}

#[tokio::test]
async fn reminders_go_only_to_those_who_have_not_acknowledged() {
    let b = bed().await;
    let n = b.post("hunan", Draft { levels: vec!["branch".into()], ..draft("43", "需回执") }).unwrap();
    b.settle().await;
    let mut ev = Inbound::text(Bed::group("4143010533-001"), "li", "/ack");
    ev.text = format!("/ack {}", n.id);
    b.say(ev).await;
    b.say(
        Inbound::text(Bed::dm("hunan@tw.example"), "hunan@tw.example", format!("/remind {}", n.id))
            .tap_platform(Platform::Email),
    )
    .await;
    b.settle().await;
    let reminders: Vec<String> =
        b.chat.delivered().into_iter().filter(|m| m.kind == OutboundKind::Reminder).map(|m| m.to.id).collect();
    let mut reminders = reminders;
    reminders.sort();
    assert_eq!(reminders, ["4143010533-002", "4143010534-001"]);
    // Acknowledging the reminder counts for the original notice.
    let reminder_copy = b
        .chat
        .delivered()
        .into_iter()
        .find(|m| m.kind == OutboundKind::Reminder && m.to.id == "4143010534-001")
        .unwrap();
    let mut ev = Inbound::text(Bed::group("4143010534-001"), "zhou", "收到");
    ev.in_reply_to = Some(b.chat.message_ids(&reminder_copy.id).unwrap()[0].clone());
    b.say(ev).await;
    assert_eq!(b.tree.status(None, n.id, None, 5).unwrap().rows[0].acked, 2);
    b.stop().await;
}

trait TapPlatform {
    fn tap_platform(self, p: Platform) -> Self;
}

impl TapPlatform for Inbound {
    fn tap_platform(mut self, p: Platform) -> Self {
        self.chat.platform = p;
        self
    }
}

/// A replier the bot does not know is shown by the platform's display name,
/// marked as such, so an official cannot take it for a registered name.
#[tokio::test]
async fn an_unknown_repliers_display_name_is_marked_as_such() {
    let b = bed().await;
    let n = b.post("hunan", draft("43", "征集意见")).unwrap();
    b.settle().await;
    let mut ev = Inbound::text(Bed::group("4143010533-001"), "stranger9", "能发我一份吗？");
    ev.sender.display_name = Some("学生一".into());
    ev.in_reply_to = Some(b.copy_id(n.id, "4143010533-001"));
    b.say(ev).await;
    b.settle().await;
    let official = Address::direct(Platform::Email, "hunan@tw.example");
    let relayed = b.to(&official).into_iter().find(|m| m.kind == OutboundKind::Private).expect("relayed");
    assert!(relayed.body.contains("学生一（console 显示名 display name）"), "{}", relayed.body);
    b.stop().await;
}

#[tokio::test]
async fn a_group_reply_reaches_the_author_privately_and_the_answer_comes_back() {
    let b = bed().await;
    let n = b.post("hunan", draft("43", "征集意见")).unwrap();
    b.settle().await;
    let mut ev = Inbound::text(Bed::group("4143010533-001"), "li", "我们支部周五可以参加吗？");
    ev.sender.display_name = Some("李同学".into());
    ev.message_id = "m-li-1".into();
    ev.in_reply_to = Some(b.copy_id(n.id, "4143010533-001"));
    b.say(ev).await;
    b.settle().await;
    let official = Address::direct(Platform::Email, "hunan@tw.example");
    let relayed = b.to(&official).into_iter().find(|m| m.kind == OutboundKind::Private).expect("relayed to the author");
    assert!(relayed.body.contains("计算机科学与技术2023级1班团支部") && relayed.body.contains("· li (console)"));
    assert!(!relayed.body.contains("李同学"), "the registered name, not the display name the sender chose");
    assert!(relayed.body.contains("我们支部周五可以参加吗？"));
    assert!(
        b.chat.delivered_to(&Bed::group("4143010533-001")).iter().all(|m| m.kind != OutboundKind::Private),
        "acks and relays stay private"
    );

    // The author answers by replying to the relayed message.
    let mut answer = Inbound::text(official.clone(), "hunan@tw.example", "可以，请准时。");
    answer.in_reply_to = Some(b.chat.message_ids(&relayed.id).unwrap()[0].clone());
    b.say(answer).await;
    b.settle().await;
    let back = b.to(&Bed::dm("li"));
    assert!(back.iter().any(|m| m.body.contains("可以，请准时。")), "{back:?}");
    // Titled after the notice, so mail clients thread it (it used to have no title).
    assert!(back.iter().any(|m| m.title.as_deref() == Some("回复 Re: 征集意见")), "{back:?}");

    // The student answers again; it reaches the author again.
    let last = back.last().unwrap();
    let mut again = Inbound::text(Bed::dm("li"), "li", "好的，谢谢！");
    again.in_reply_to = Some(b.chat.message_ids(&last.id).unwrap()[0].clone());
    b.say(again).await;
    b.settle().await;
    assert!(b.to(&official).iter().any(|m| m.body.contains("好的，谢谢！")));
    b.stop().await;
}

#[tokio::test]
async fn an_unreachable_replier_is_answered_in_the_group_and_the_author_told() {
    // Private chats with "li" fail for good (a Telegram user who never started the bot).
    let adapter = RecordingAdapter::new(Platform::Console).with_faults(|m, _| {
        (m.to == Address::direct(Platform::Console, "li"))
            .then(|| DeliveryError::permanent("bot can't initiate conversation with a user"))
    });
    let b = bed_with(adapter).await;
    let n = b.post("hunan", draft("43", "征集意见")).unwrap();
    b.settle().await;
    let mut ev = Inbound::text(Bed::group("4143010533-001"), "li", "有问题想问");
    ev.message_id = "m-q".into();
    ev.in_reply_to = Some(b.copy_id(n.id, "4143010533-001"));
    b.say(ev).await;
    b.settle().await;
    let official = Address::direct(Platform::Email, "hunan@tw.example");
    let relayed = b.to(&official).into_iter().find(|m| m.kind == OutboundKind::Private).unwrap();
    let mut answer = Inbound::text(official.clone(), "hunan@tw.example", "请讲");
    answer.in_reply_to = Some(b.chat.message_ids(&relayed.id).unwrap()[0].clone());
    b.say(answer).await;
    b.settle().await;
    let in_group = b.to(&Bed::group("4143010533-001"));
    let fb = in_group.iter().find(|m| m.body.contains("请讲")).expect("answer posted in the group");
    assert!(fb.body.starts_with("@li"), "{}", fb.body);
    assert_eq!(fb.in_reply_to.as_deref(), Some("m-q"));
    assert!(b.to(&official).iter().any(|m| m.body.contains("has not started a private chat")));
    b.stop().await;
}

#[tokio::test]
async fn faults_are_retried_until_delivered_and_permanent_failures_reach_the_poster() {
    use rand::Rng;
    let adapter = RecordingAdapter::new(Platform::Console).with_faults(|m, _| {
        if m.to.id == "4143010534-001" && m.kind == OutboundKind::Notice {
            return Some(DeliveryError::permanent("chat not found"));
        }
        match rand::rng().random_range(0..10) {
            0 => Some(DeliveryError::Transient {
                retry_after: Some(Duration::from_millis(20)),
                reason: "429 Too Many Requests".into(),
            }),
            1 => Some(DeliveryError::transient("500 Internal Server Error")),
            2 => Some(DeliveryError::transient("timed out")),
            _ => None,
        }
    });
    let b = bed_with(adapter).await;
    let mut ids = Vec::new();
    for i in 0..20 {
        ids.push(b.post("hunan", draft("43", &format!("第{i}号通知"))).unwrap().id);
    }
    b.settle().await;
    for id in &ids {
        let mut got = delivered_groups(&b, *id);
        got.dedup();
        assert_eq!(got, ["4143010533", "4143010533-001", "4143010533-002", "4143010534", "43"], "notice {id}");
        let st = b.tree.status(None, *id, None, 5).unwrap();
        assert_eq!((st.rows[0].delivered, st.rows[0].failed), (5, 1));
        assert_eq!(st.failures[0].1, "chat not found");
    }
    assert_eq!(b.chat.duplicates(), 0, "a retry after a failure is not a duplicate");
    let summaries: Vec<_> = b.to(&Address::direct(Platform::Email, "hunan@tw.example"));
    assert_eq!(
        summaries.iter().filter(|m| m.body.contains("chat not found") && m.body.contains("1 个失败")).count(),
        20
    );
    assert!(b.stats.retried.load(std::sync::atomic::Ordering::Relaxed) > 0, "faults were injected");
    b.stop().await;
}

#[tokio::test]
async fn a_restarted_worker_resumes_where_it_stopped() {
    let b = bed().await;
    let tree = b.tree.clone();
    let n = b.post("hunan", draft("43", "重启测试")).unwrap();
    b.settle().await;
    let first = delivered_groups(&b, n.id);
    let chat = b.chat.clone();
    b.stop().await;
    // A new worker over the same store finds nothing left to do.
    let mut adapters: HashMap<Platform, Arc<dyn treecast_wire::Adapter>> = HashMap::new();
    adapters.insert(Platform::Console, chat.clone());
    adapters.insert(Platform::Email, chat.clone());
    let app = App::new(tree.clone(), test_config(), Clock::system()).unwrap();
    let ob = app.outbox(adapters);
    // Stopped before it starts, the worker still makes one whole pass: it
    // loads all queued work, starts what it can, waits for it and commits.
    // No sleep decides when "nothing happened" was long enough.
    let (stop, rx) = watch::channel(true);
    ob.run(rx).await.unwrap();
    drop(stop);
    assert_eq!(delivered_groups_of(&chat, n.id), first);
    assert_eq!(chat.duplicates(), 0);
}

/// A fan-out that had begun before a restart may have rows beyond its
/// cursor (deliveries resolve out of order); the resumed walk skips those
/// chats, while a fan-out starting afresh does not look each chat up.
#[tokio::test]
async fn a_resumed_fan_out_skips_chats_resolved_beyond_its_cursor() {
    let b = bed().await;
    let first = b.post("hunan", draft("43", "第一份通知")).unwrap();
    b.settle().await;
    let groups: Vec<Address> = b
        .chat
        .delivered()
        .into_iter()
        .filter(|m| m.id.starts_with(&format!("n{}-c", first.id)))
        .map(|m| m.to)
        .collect();
    assert!(groups.len() >= 3, "{groups:?}");
    let (author, rules, chat) = (b.people["hunan"], b.app.ctx.rules(), b.chat.clone());
    let tree = b.stop().await;
    // Posted while no worker runs; two of its chats resolved before a
    // crash, the cursor still at the start.
    let second = tree.post(author, draft("43", "第二份通知"), &rules).unwrap();
    let mut w = crate::store::Writes::default();
    for addr in &groups[1..3] {
        let ch = tree.channel_by_address(addr).unwrap().unwrap();
        let state = fanout::DeliveryState::Sent { at: 1, message_ids: vec!["m".into()] };
        w.put_delivery(second.id, ch.id, &fanout::DeliveryRow { state, tries: 1, org: ch.org });
    }
    tree.store.commit(&w).unwrap();
    let mut adapters: HashMap<Platform, Arc<dyn treecast_wire::Adapter>> = HashMap::new();
    adapters.insert(Platform::Console, chat.clone());
    adapters.insert(Platform::Email, chat.clone());
    let app = App::new(tree.clone(), test_config(), Clock::system()).unwrap();
    let (stop, rx) = watch::channel(true);
    app.outbox(adapters).run(rx).await.unwrap();
    drop(stop);
    let mut expected: Vec<String> = groups.iter().map(|a| a.id.clone()).collect();
    expected.drain(1..3);
    expected.sort();
    assert_eq!(delivered_groups_of(&chat, second.id), expected);
}

fn delivered_groups_of(chat: &RecordingAdapter, notice: u64) -> Vec<String> {
    let mut v: Vec<String> =
        chat.delivered().into_iter().filter(|m| m.id.starts_with(&format!("n{notice}-c"))).map(|m| m.to.id).collect();
    v.sort();
    v
}

#[tokio::test]
async fn bind_codes_bind_a_group_once() {
    let b = bed().await;
    b.say(Inbound::text(Bed::dm("sec"), "sec", "/invite")).await;
    b.settle().await;
    let msg = b.to(&Bed::dm("sec")).pop().unwrap();
    let code = msg.body.split("/bind ").nth(1).unwrap().split_whitespace().next().unwrap().to_owned();
    let new_group = Address::group(Platform::Telegram, "-100777");
    b.say(Inbound::text(new_group.clone(), "u1", format!("/bind {code}"))).await;
    let ch = b.tree.channel_by_address(&new_group).unwrap().unwrap();
    assert_eq!(ch.org, b.tree.require("4143010533-001").unwrap().id);
    let other = Address::group(Platform::Telegram, "-100888");
    let out = b.say(Inbound::text(other.clone(), "u1", format!("/bind {code}"))).await;
    assert!(matches!(out, treecast_wire::Outcome::Rejected { reason } if reason.contains("already used")));
    // An org named as other commands name one (`@CODE`) is the same org.
    let named = b.ask(Inbound::text(Bed::dm("hnu"), "hnu", "/invite @4143010533-002")).await;
    assert!(named.starts_with("4143010533-002 "), "{named}");
    b.stop().await;
}

#[tokio::test]
async fn survey_reminders_from_the_gateway_reach_each_member_privately_once() {
    let b = bed().await;
    let def = "title = \"团日活动调查\"\ndays = 2\nremind_before_hours = 24\n\n[[questions]]\ntype = \"single\"\ntext = \"参加过吗？\"\nchoices = [\"是\", \"否\"]\n";
    let l = b.surveys().launch_text(b.people["hunan"], "t.toml", def, Some("43")).unwrap();
    b.settle().await;
    // The scheduler reads the app's clock: two days before closing nothing
    // is due; an hour before, li and wang are; half an hour later, nothing more.
    let reminders = |b: &Bed| b.chat.delivered().into_iter().filter(|m| m.id.starts_with("sr")).count();
    let clock = &b.app.ctx.clock;
    clock.set(Some(l.closes - 2 * 86_400 + 60));
    b.app.run_due_jobs().unwrap();
    b.settle().await;
    assert_eq!(reminders(&b), 0);
    clock.set(Some(l.closes - 3600));
    b.app.run_due_jobs().unwrap();
    b.settle().await;
    assert_eq!(reminders(&b), 2);
    clock.set(Some(l.closes - 1800));
    // (Other features' jobs, such as the digest's half-hourly sweep, may run now.)
    b.app.run_due_jobs().unwrap();
    b.settle().await;
    assert_eq!(reminders(&b), 2, "once only");
    let mut to: Vec<String> = b
        .chat
        .delivered()
        .into_iter()
        .filter(|m| m.kind == OutboundKind::Private && m.body.contains(&format!("/start {}", l.payload)))
        .map(|m| m.to.id)
        .collect();
    to.sort();
    assert_eq!(to, ["li", "wang"]);
    // At closing time the launcher hears how it went, once.
    // (The background loop may run it first; either way it runs once.)
    clock.set(Some(l.closes));
    b.app.run_due_jobs().unwrap();
    b.app.run_due_jobs().unwrap();
    b.settle().await;
    let closing: Vec<_> = b.chat.delivered().into_iter().filter(|m| m.body.contains("已截止")).collect();
    assert_eq!(closing.len(), 1, "{closing:?}");
    assert_eq!(closing[0].to.id, "hunan@tw.example");
    assert!(closing[0].body.contains("0 份回答（2 名团员）") && closing[0].body.contains("/survey results"));
    b.stop().await;
}

/// A mail to a posting address with an unknown org gets one bilingual
/// sentence naming the code; letters in a code match in either case.
#[tokio::test]
async fn a_mail_to_an_unknown_org_is_answered_in_both_languages() {
    let b = bed().await;
    let mut ev = mail("hunan@tw.example", "正文", true);
    ev.sent_to = Some("notice+zzz-nope-43@bot.test".into());
    let out = b.say(ev).await;
    assert!(
        matches!(out, treecast_wire::Outcome::Rejected { ref reason }
        if reason.contains("没有代码为 zzz-nope-43 的组织") && reason.contains("No org has the code zzz-nope-43")),
        "{out:?}"
    );
    assert_eq!(b.tree.require("cn").unwrap().code, "CN");
    b.stop().await;
}

/// Anyone could acknowledge for any branch by mail: a forged "收到" quoting
/// a guessable Message-ID counted. Now the ids carry an unguessable tag, and
/// a mail answering a list's copy counts only from a member of that list or
/// a registered person of the branch (or above).
#[tokio::test]
async fn only_a_branchs_own_people_acknowledge_or_reply_by_mail() {
    let b = bed().await;
    let branch = b.tree.require("4143010533-002").unwrap();
    let list = Address::list("jsj2302@lists.test", vec!["m1@stu.test".into()]);
    b.tree.bind(&branch, list.clone()).unwrap();
    let n = b.post("hunan", draft("43", "评议通知")).unwrap();
    b.settle().await;
    let ch = b.tree.channel_by_address(&list).unwrap().unwrap();
    let id = delivery_id(n.id, ch.id, &b.tree.store.delivery_tag(n.id, ch.id));
    assert_ne!(id, format!("n{}-c{}", n.id, ch.id), "the id carries more than the numbers");
    let copy = b.chat.message_ids(&id).unwrap()[0].clone();
    let ack_from = |from: &str| {
        let mut ev = mail(from, "收到", false);
        ev.in_reply_to = Some(copy.clone());
        ev
    };
    // A stranger, and a member of another branch (registered), are refused.
    let out = b.say(ack_from("nobody@attacker.example")).await;
    assert!(
        matches!(out, treecast_wire::Outcome::Rejected { ref reason } if reason.contains("Only members of")),
        "{out:?}"
    );
    b.tree.add_identity(b.people["wang"], Platform::Email, "wang@stu.test").unwrap();
    b.say(ack_from("wang@stu.test")).await;
    assert!(b.tree.ack_of(n.id, branch.id).unwrap().is_none(), "nobody outside the branch acknowledged for it");
    // A member of the list counts.
    b.say(ack_from("M1@stu.test")).await;
    assert!(b.tree.ack_of(n.id, branch.id).unwrap().is_some());
    b.stop().await;
}

/// A notice's audience is fixed when it is posted: a chat bound afterwards
/// neither gets it nor counts in its status (an old notice used to show
/// "delivered 2/3" after a new bind); the next notice reaches it.
#[tokio::test]
async fn a_chat_bound_after_posting_is_not_part_of_the_notice() {
    let b = bed().await;
    let n = b.post("hunan", draft("43", "评议通知")).unwrap();
    b.settle().await;
    let branch = b.tree.require("4143010533-002").unwrap();
    let list = Address::list("jsj2302@lists.test", vec!["m1@stu.test".into()]);
    b.tree.bind(&branch, list.clone()).unwrap();
    let row = |id: u64| {
        let st = b.tree.status(None, id, Some("4143010533"), 10).unwrap();
        let r = st.rows.iter().find(|r| r.org.code == "4143010533-002").unwrap().clone();
        (r.delivered, r.channels)
    };
    assert_eq!(row(n.id), (1, 1));
    assert!(b.chat.delivered_to(&list).is_empty());
    let later = b.post("hunan", draft("43", "新通知")).unwrap();
    b.settle().await;
    assert_eq!(row(later.id), (2, 2));
    assert_eq!(row(n.id), (1, 1), "the old notice still reads as it was");
    b.stop().await;
}

/// A notice's copy to a bound mailing list carries the list's name for
/// mail's `List-Id`: a branch's with its school's name before it, a school's
/// its own name; copies to groups carry none.
#[tokio::test]
async fn a_notice_to_a_bound_list_carries_the_orgs_name() {
    let b = bed().await;
    let branch_list = Address::list("rj2302@lists.test", vec!["m1@stu.test".into()]);
    let school_list = Address::list("hnu@lists.test", vec!["m2@stu.test".into()]);
    b.tree.bind(&b.tree.require("4143010533-002").unwrap(), branch_list.clone()).unwrap();
    b.tree.bind(&b.tree.require("4143010533").unwrap(), school_list.clone()).unwrap();
    b.post("hunan", draft("43", "评议通知")).unwrap();
    b.settle().await;
    let names = |to: &Address| -> Vec<Option<String>> {
        let notices = b.to(to).into_iter().filter(|m| m.kind == OutboundKind::Notice);
        notices.map(|m| m.list_name.as_deref().map(str::to_owned)).collect()
    };
    assert_eq!(names(&branch_list), [Some("湖南大学团委 软件工程2023级1班团支部".to_owned())]);
    assert_eq!(names(&school_list), [Some("湖南大学团委".to_owned())]);
    assert_eq!(names(&Bed::group("4143010533-002")), [None]);
    b.stop().await;
}

/// A mail as the email adapter hands it over; `verified` says whether the
/// mail system proved the sender.
fn mail(from: &str, text: &str, verified: bool) -> Inbound {
    let mut ev = Inbound::text(Address::direct(Platform::Email, from), from, text);
    ev.sender.verified = verified;
    ev.subject = "关于开展团员教育评议的通知".into();
    static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    ev.message_id = format!("<m{}@mail.test>", SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
    ev
}

#[tokio::test]
async fn an_unproven_mail_sender_must_confirm_before_posting_or_commanding() {
    let b = bed().await;
    let hunan = Address::direct(Platform::Email, "hunan@tw.example");
    // Someone forges the official's From: on a mail to notice+43@.
    let mut forged = mail("hunan@tw.example", "请各团支部完成评议。", false);
    forged.sent_to = Some("notice+43@bot.example".into());
    forged.attachments = vec![treecast_wire::Attachment {
        name: "评议表.xlsx".into(),
        content_type: "application/octet-stream".into(),
        data: vec![1, 2, 3],
    }];
    let out = b.say(forged).await;
    // Filed in quarantine with the reason, not as processed.
    assert!(
        matches!(out, treecast_wire::Outcome::Rejected { ref reason } if reason.contains("awaiting confirmation")),
        "{out:?}"
    );
    // The same as a /notice command, and a /remind of nothing yet.
    b.say(mail("hunan@tw.example", "/notice 关于开展团员教育评议的通知\n请各团支部完成评议。", false)).await;
    b.say(mail("hunan@tw.example", "/status 1", false)).await;
    b.settle().await;
    assert!(b.tree.store.notices.is_empty(), "nothing is posted without a confirmation");
    let asks: Vec<Outbound> = b.to(&hunan).into_iter().filter(|m| m.body.contains("请直接回复本邮件以确认")).collect();
    assert_eq!(asks.len(), 2, "the post and the /notice each ask the real mailbox owner");
    assert!(asks.iter().any(|m| m.body.contains("run the command: /notice")), "the /notice is named");
    let post_ask = asks.iter().find(|m| m.body.contains("post the notice")).unwrap();
    assert!(
        post_ask.body.contains("请各团支部完成评议。") && post_ask.body.contains("评议表.xlsx"),
        "the whole body and attachment names: {}",
        post_ask.body
    );
    assert_eq!(b.to(&hunan).len(), 3, "/status needs no confirmation: it is answered at once, to the owner");

    // A reply from another registered sender cannot confirm.
    let ask_id = |m: &Outbound| b.chat.message_ids(&m.id).unwrap()[0].clone();
    b.tree.add_identity(b.people["hnu"], Platform::Email, "hnu@tw.example").unwrap();
    let mut other = mail("hnu@tw.example", "确认", true);
    other.in_reply_to = Some(ask_id(&asks[0]));
    b.say(other).await;
    b.settle().await;
    assert!(b.tree.store.notices.is_empty(), "only the sender can confirm");
    let refused = b.to(&Address::direct(Platform::Email, "hnu@tw.example"));
    assert!(refused.iter().any(|m| m.body.contains("Only the person who sent it can confirm")), "{refused:?}");

    // The owner replies to each request: the notice is posted once per request.
    for ask in &asks {
        let mut yes = mail("hunan@tw.example", "确认", false);
        yes.in_reply_to = Some(ask_id(ask));
        b.say(yes).await;
    }
    b.settle().await;
    assert_eq!(b.tree.store.notices.len(), 2, "both confirmed requests ran");
    assert!(b.to(&Bed::group("4143010533-001")).iter().filter(|m| m.kind == OutboundKind::Notice).count() == 2);

    // A proven sender posts at once.
    let mut proven = mail("hunan@tw.example", "第二份通知。", true);
    proven.sent_to = Some("notice+43@bot.example".into());
    b.say(proven).await;
    b.settle().await;
    assert_eq!(b.tree.store.notices.len(), 3);
}

#[test]
fn deadlines_round_trip_through_beijing_time() {
    let t = super::parse_deadline("2026-12-01 18:30").unwrap();
    assert_eq!(super::format_time(t), "2026-12-01 18:30");
    assert_eq!(super::parse_deadline("2026-12-01T18:30").unwrap(), t, "the web form's datetime-local");
    assert!(super::parse_deadline("2026-13-01 10:00").unwrap_err().to_string().contains("YYYY-MM-DD"));
}
