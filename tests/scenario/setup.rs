//! The world of the scenario: the national tree with three branches per
//! school, the people, fresh accounts on every peer, the three real
//! adapters plus a recording console for every other branch, and the server.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;
use treecast::app::{App, Running};
use treecast::config::Config;
use treecast::store::Store;
use treecast::tree::people::Role;
use treecast::tree::{generate, import, Org, Tree};
use treecast_email::{EmailAdapter, Security};
use treecast_matrix::matrix_sdk::ruma::{OwnedRoomId, OwnedUserId};
use treecast_matrix::matrix_sdk::RoomState;
use treecast_matrix::MatrixAdapter;
use treecast_telegram::TelegramAdapter;
use treecast_wire::fake::RecordingAdapter;
use treecast_wire::{Adapter, Address, Platform};

use super::telegram::{Emulator, TgUser};
use super::{env_port, mail, matrix, poll, unique};

/// The bot's mail address; `notice+CODE@scenario.test` posts to org CODE.
pub const BOT: &str = "bot@scenario.test";
pub const POST_TO_HUNAN: &str = "notice+43@scenario.test";
/// The 湖南省 official's mailbox (user and address).
pub const OFFICIAL_BOX: &str = "hunan-official";
pub const OFFICIAL: &str = "hunan-official@example.test";
/// 湖南大学: its branches -001 (Telegram), -002 (Matrix), -003 (mailing list).
pub const SCHOOL: &str = "4143010532";
pub const LIST: &str = "branch-c@lists.example.test";
pub const LIST_MEMBERS: [&str; 2] = ["branch-c1", "branch-c2"];
/// Branch A's mailing list (the same two members), bound in the bridge step.
pub const LIST_A: &str = "branch-a@lists.example.test";
/// Branch A's Telegram group, and 李明, a member who has started the bot.
pub const GROUP_A: i64 = -1001432010001;
pub const LI: TgUser = TgUser { id: 5001, name: "李明" };
pub const SURVEY_NAME: &str = "qingnian-xuexi";
/// 湖南大学团委's official, who reports upward by mail.
pub const SCHOOL_BOX: &str = "hnu-official";
pub const SCHOOL_OFFICIAL: &str = "hnu-official@example.test";
/// Where a work report to 湖南省 goes by mail.
pub const REPORT_TO_HUNAN: &str = "report+43@scenario.test";
/// A campaign (工作部署) for 湖南's schools, from `CAMPAIGN_NAME.toml` in the campaigns dir.
pub const CAMPAIGN_NAME: &str = "weibo-test";
pub const CAMPAIGN_TITLE: &str = "高校团委微博建设（测试）";
pub const CAMPAIGN_FORM: &str = "填报微博负责人信息";
/// 中南大学 and its League committee's official 钱伟, who has started the bot on Telegram.
pub const CSU: &str = "4143010533";
pub const QIAN: TgUser = TgUser { id: 5002, name: "钱伟" };
/// 周婷, a student of branch C who reads her mail (her mailbox and address),
/// and the information service (资讯服务) she and 李明 subscribe to.
pub const STUDENT_BOX: &str = "student1";
pub const STUDENT: &str = "student1@example.test";
pub const STUDENT_NAME: &str = "周婷";
pub const SERVICE: &str = "就业招聘";

/// Everything the steps act on and look at.
pub struct Scenario {
    t0: Instant,
    /// Milliseconds at the start: names this run's accounts and titles.
    pub run: u64,
    _dir: tempfile::TempDir,
    pub tree: Tree,
    server: Option<Running>,
    stop: watch::Sender<bool>,
    pub console: Arc<RecordingAdapter>,
    pub tg: Emulator,
    pub mx: Arc<MatrixAdapter>,
    pub zhao: matrix::User,
    pub room_b: OwnedRoomId,
    /// 湘, the second 湖南省 official, on Matrix, and his DM with the bot.
    pub xiang: matrix::User,
    pub xiang_dm: OwnedRoomId,
    pub branches: [Org; 3],
    pub official: u64,
    /// Set by the steps as the story goes on.
    pub notice: u64,
    pub title: String,
    pub tg_notice: i64,
    pub mx_notice: Option<treecast_matrix::matrix_sdk::ruma::OwnedEventId>,
    pub list_mail: String,
}

impl Scenario {
    pub fn step(&self, what: &str) {
        eprintln!("[{:6.1} s] {what}", self.t0.elapsed().as_secs_f64());
    }

    /// The survey engine over the running app's store.
    pub fn surveys(&self) -> treecast::features::surveys::Surveys {
        let app = &self.server.as_ref().expect("running").app;
        treecast::features::surveys::Surveys::from_config(app.tree(), &app.ctx.config)
    }

    pub async fn start() -> Scenario {
        let t0 = Instant::now();
        let dir = tempfile::tempdir().unwrap();
        let cfg = config(dir.path());
        let (tree, branches, official) = national_tree(&cfg);
        eprintln!(
            "[{:6.1} s] national tree imported, {} console chats bound",
            t0.elapsed().as_secs_f64(),
            console_count(&tree)
        );

        for user in ["scenario", OFFICIAL_BOX, SCHOOL_BOX, LIST_MEMBERS[0], LIST_MEMBERS[1], STUDENT_BOX] {
            mail::reset(user).await;
        }
        let run = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64;
        let tg_api = std::env::var("TREECAST_TEST_TELEGRAM_API")
            .expect("TREECAST_TEST_TELEGRAM_API (scripts/peers/telegram.sh env)");
        let tg = Emulator::new(tg_api.clone(), run);
        tg.group(GROUP_A, &branches[0].name).await;
        tg.say(LI, None, "/start", None).await; // 李明 opened a private chat with the bot
        tg.say(QIAN, None, "/start", None).await; // and so did 钱伟
        let hs = std::env::var("TREECAST_TEST_MATRIX_URL").unwrap_or_else(|_| "http://127.0.0.1:8008".into());
        let (bot_pass, zhao_pass) = (unique("pw"), unique("pw"));
        let bot_uid = matrix::register(&hs, &format!("treecast-{run}"), &bot_pass, "团委通知").await;
        let zhao_uid = matrix::register(&hs, &format!("zhaomin-{run}"), &zhao_pass, "赵敏").await;
        let zhao_id = tree.add_person("赵敏").unwrap().id;
        tree.add_identity(zhao_id, Platform::Matrix, zhao_uid.as_str()).unwrap();
        tree.grant(zhao_id, &branches[1], Role::Member).unwrap();
        let xiang_pass = unique("pw");
        let xiang_uid = matrix::register(&hs, &format!("xiang-{run}"), &xiang_pass, "湘老师").await;
        let xiang_id = tree.add_person("湖南省团委学校部 湘老师").unwrap().id;
        tree.add_identity(xiang_id, Platform::Matrix, xiang_uid.as_str()).unwrap();
        tree.grant(xiang_id, &tree.require("43").unwrap(), Role::Official).unwrap();

        // Secrets reach the adapters through the environment, as in a deployment.
        std::env::set_var(treecast_telegram::TOKEN_ENV, &tg.token);
        std::env::set_var(treecast_matrix::ENV_PASSWORD, &bot_pass);
        std::env::set_var(treecast_email::IMAP_PASSWORD_ENV, "scenariopass");
        std::env::remove_var(treecast_email::SMTP_PASSWORD_ENV);
        let email = EmailAdapter::new(email_settings(dir.path())).expect("email adapter");
        let tg_settings =
            treecast_telegram::Settings { api_url: Some(tg_api), poll_timeout_secs: 2, ..Default::default() };
        let telegram = TelegramAdapter::new(tg_settings).await.expect("telegram adapter");
        let mut mx_settings = treecast_matrix::Settings::new(hs.clone(), bot_uid.as_str());
        mx_settings.store_dir = dir.path().join("matrix");
        mx_settings.sync_timeout_secs = 5;
        let mx = Arc::new(MatrixAdapter::connect(mx_settings).await.expect("matrix adapter"));
        let console = Arc::new(RecordingAdapter::new(Platform::Console));
        let adapters: HashMap<Platform, Arc<dyn Adapter>> = HashMap::from([
            (Platform::Email, Arc::new(email) as Arc<dyn Adapter>),
            (Platform::Telegram, Arc::new(telegram) as Arc<dyn Adapter>),
            (Platform::Matrix, mx.clone() as Arc<dyn Adapter>),
            (Platform::Console, console.clone() as Arc<dyn Adapter>),
        ]);
        let (stop, stop_rx) = watch::channel(false);
        let app = App::new(tree.clone(), cfg.clone(), treecast::clock::Clock::system()).expect("the app");
        let server = app.start(adapters, stop_rx);
        let hello = |m: &serde_json::Value| super::telegram::text(m).starts_with("你好");
        tg.wait_for(LI.id, "the bot's greeting in 李明's private chat", hello).await;
        tg.wait_for(QIAN.id, "the bot's greeting in 钱伟's private chat", hello).await;

        // 赵敏 opens branch B's room and invites the bot, which joins (its own server's invites).
        let zhao = matrix::User::login(&hs, &zhao_uid, &zhao_pass).await;
        let room_b = zhao.create_room(&branches[1].name, std::slice::from_ref(&bot_uid)).await;
        let (mxr, room) = (&mx, &room_b);
        poll("the bot joins branch B's Matrix room", Duration::from_secs(30), || async move {
            mxr.client().get_room(room).filter(|r| r.state() == RoomState::Joined)
        })
        .await;
        // 湘 opens a DM with the bot and says hello, as an official would once.
        let xiang = matrix::User::login(&hs, &xiang_uid, &xiang_pass).await;
        let xiang_dm = xiang.create_dm(&bot_uid).await;
        let dm = &xiang_dm;
        poll("the bot joins 湘's DM", Duration::from_secs(30), || async move {
            mxr.client().get_room(dm).filter(|r| r.state() == RoomState::Joined)
        })
        .await;
        xiang.say(&xiang_dm, "!whoami").await;
        xiang.nth(&xiang_dm, 0, "the bot's answer to 湘's !whoami").await;
        tree.bind(&branches[0], Address::group(Platform::Telegram, GROUP_A.to_string())).unwrap();
        tree.bind(&branches[1], Address::group(Platform::Matrix, room_b.as_str())).unwrap();
        let members = LIST_MEMBERS.iter().map(|u| format!("{u}@{}", mail::DOMAIN)).collect();
        tree.bind(&branches[2], Address::list(LIST, members)).unwrap();

        let s = Scenario {
            t0,
            run,
            _dir: dir,
            tree,
            server: Some(server),
            stop,
            console,
            tg,
            mx,
            zhao,
            room_b,
            xiang,
            xiang_dm,
            branches,
            official,
            notice: 0,
            title: String::new(),
            tg_notice: 0,
            mx_notice: None,
            list_mail: String::new(),
        };
        s.step("peers ready: Telegram group A, Matrix room B and list C bound to 湖南大学's three branches");
        s
    }

    /// The Matrix bot's user id.
    pub fn bot_uid(&self) -> OwnedUserId {
        OwnedUserId::try_from(self.mx.user_id()).unwrap()
    }

    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        let server = self.server.take().expect("running");
        tokio::time::timeout(Duration::from_secs(30), server.join())
            .await
            .expect("the server stops within 30 s")
            .expect("the server stops cleanly");
        self.step("server stopped");
    }
}

/// The defaults (real rate limits, the League footer), a surveys dir with
/// one survey, a campaigns dir with one campaign, quicker retries so a
/// transient error costs little time, and no quiet hours for information
/// services (the run uses the real clock: at night an item would wait for
/// the morning).
fn config(dir: &Path) -> Config {
    let cfg = Config {
        surveys_dir: dir.join("surveys"),
        campaigns_dir: dir.join("campaigns"),
        retry_base: Duration::from_millis(500),
        services: treecast::features::services::Settings {
            quiet: (0, 0),
            ..treecast::features::services::Settings::default()
        },
        ..Config::default()
    };
    std::fs::create_dir_all(&cfg.surveys_dir).unwrap();
    std::fs::write(cfg.surveys_dir.join(format!("{SURVEY_NAME}.toml")), SURVEY).unwrap();
    std::fs::create_dir_all(&cfg.campaigns_dir).unwrap();
    std::fs::write(cfg.campaigns_dir.join(format!("{CAMPAIGN_NAME}.toml")), CAMPAIGN).unwrap();
    cfg
}

/// A short campaign for the schools under the launcher's org: a form of
/// four fields due in a week, a bound chat, a step the province marks.
const CAMPAIGN: &str = r#"
title = "高校团委微博建设（测试）"
intro = "请各高校团委按以下步骤开通并建设团委微博。"

[target]
level = "school"

[[steps]]
id = "form"
title = "填报微博负责人信息"
kind = "form"
days = 7
  [[steps.fields]]
  type = "name"
  text = "负责人姓名"
  [[steps.fields]]
  type = "mobile"
  text = "手机号码"
  [[steps.fields]]
  type = "email"
  text = "电子邮箱"
  [[steps.fields]]
  type = "single"
  text = "是否已开通团委微博"
  choices = ["已开通", "尚未开通"]

[[steps]]
id = "bind"
title = "绑定团委群聊"
kind = "bind"
days = 10

[[steps]]
id = "profile"
title = "设置统一头像和简介"
kind = "manual"
days = 14
"#;

/// A small named survey for the branches of the launcher's org.
const SURVEY: &str = r#"
title = "青年大学习参与情况微调查"
intro = "请如实作答，约 1 分钟。"
days = 7
anonymous = false

[audience]
level = "branch"

[[questions]]
type = "single"
text = "本月你完成青年大学习了吗？"
choices = ["已完成", "未完成"]

[[questions]]
type = "rating"
text = "请为本期内容打分。"
low = "很不满意"
high = "非常满意"

[[questions]]
type = "text"
text = "你有什么建议？"
required = false
"#;

fn email_settings(dir: &Path) -> treecast_email::Settings {
    treecast_email::Settings {
        display_name: Some("团委通知".into()),
        security: Security::Plain,
        imap_port: Some(mail::imap_port()),
        imap_user: Some("scenario".into()),
        smtp_port: Some(env_port("TREECAST_TEST_SMTP_PORT", 2525)),
        smtp_user: Some(String::new()),
        state_dir: dir.join("email"),
        // The peer stamps mail sent logged in (port 2587) with this
        // authserv-id; mail on port 2525 comes with no proof of its sender.
        trusted_authserv_ids: vec!["mail.example.test".into()],
        ..treecast_email::Settings::new(BOT, "127.0.0.1")
    }
}

/// CN -> 31 provinces -> 2,756 schools -> 3 branches each; every branch but
/// 湖南大学's three is a console chat. Returns those three and the official.
fn national_tree(cfg: &Config) -> (Tree, [Org; 3], u64) {
    let tree = Tree::new(Store::temporary().unwrap(), cfg.levels()).unwrap();
    let schools =
        generate::read_schools(&Path::new(env!("CARGO_MANIFEST_DIR")).join("config/universities.csv")).unwrap();
    import::import_str(&tree, "national", &generate::national_csv(&schools, 3), None).unwrap();
    let branches = [1, 2, 3].map(|i| tree.require(&format!("{SCHOOL}-{i:03}")).unwrap());
    let mut pairs = Vec::new();
    for o in tree.subtree(&tree.require("CN").unwrap()) {
        let o = o.unwrap();
        if o.level == 3 && !branches.iter().any(|b| b.id == o.id) {
            let addr = Address::group(Platform::Console, o.code.clone());
            pairs.push((o, addr));
        }
    }
    tree.bind_bulk(pairs).unwrap();
    let official = tree.add_person("湖南省团委学校部 张老师").unwrap().id;
    tree.add_identity(official, Platform::Email, OFFICIAL).unwrap();
    tree.grant(official, &tree.require("43").unwrap(), Role::Official).unwrap();
    let school = tree.add_person("湖南大学团委 刘老师").unwrap().id;
    tree.add_identity(school, Platform::Email, SCHOOL_OFFICIAL).unwrap();
    tree.grant(school, &tree.require(SCHOOL).unwrap(), Role::Official).unwrap();
    let qian = tree.add_person("中南大学团委 钱伟").unwrap().id;
    tree.add_identity(qian, Platform::Telegram, &QIAN.id.to_string()).unwrap();
    tree.grant(qian, &tree.require(CSU).unwrap(), Role::Official).unwrap();
    let li = tree.add_person(LI.name).unwrap().id;
    tree.add_identity(li, Platform::Telegram, &LI.id.to_string()).unwrap();
    tree.grant(li, &branches[0], Role::Member).unwrap();
    (tree, branches, official)
}

fn console_count(tree: &Tree) -> usize {
    let cn = tree.require("CN").unwrap();
    tree.channels_in(&cn).unwrap().iter().filter(|(_, c)| c.address.platform == Platform::Console).count()
}
