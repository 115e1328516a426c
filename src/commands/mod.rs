//! Chat commands: one enum, parsed from a message's text. Unknown input is
//! a value (`Unknown`), answered politely, never an error dump.

mod account;
mod notices;

pub use account::help_text;

/// Every chat command. The doc line of each is its help text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// /help (/帮助): list the commands.
    Help,
    /// /start [payload]: begin a private chat (deep links carry a payload).
    Start(Option<String>),
    /// /bind CODE (/绑定): bind this group, room or list to the org the code was made for.
    Bind(String),
    /// /invite [ORG] (/邀请): officials get a one-time bind code for their org.
    Invite(Option<String>),
    /// /link [CODE] (/关联): get a code, then send /link CODE from your other account.
    Link(Option<String>),
    /// /whoami (/我): who the bot thinks you are, and your roles.
    WhoAmI,
    /// /tree [ORG] (/组织): an org, its parents and children.
    Tree(Option<String>),
    /// /notice [ORG] TITLE, body on the next lines (/通知): officials post a notice.
    Notice {
        org: Option<String>,
        title: String,
        body: String,
    },
    /// /status ID [ORG] (/状态): delivered / acknowledged / failed per level.
    Status {
        id: String,
        org: Option<String>,
    },
    /// /remind ID (/提醒): remind every org that has not acknowledged.
    Remind(String),
    /// /ack [ID] (/收到): acknowledge a notice for your branch.
    Ack(Option<String>),
    /// /survey … (/调查): launch, answer and read micro-surveys.
    Survey(Vec<String>),
    /// /back, /skip, /cancel (/上一题, /跳过, /取消): move within a survey.
    Back,
    Skip,
    Cancel,
    /// Anything starting with / or ! that is not a command.
    Unknown(String),
}

/// Names and aliases, for parsing and for the documentation check.
pub const NAMES: &[(&str, &[&str])] = &[
    ("help", &["帮助", "h"]),
    ("start", &["开始"]),
    ("bind", &["绑定"]),
    ("invite", &["邀请"]),
    ("link", &["关联"]),
    ("whoami", &["我"]),
    ("tree", &["组织"]),
    ("notice", &["通知"]),
    ("status", &["状态"]),
    ("remind", &["提醒"]),
    ("ack", &["收到", "确认"]),
    ("survey", &["调查"]),
    ("back", &["上一题"]),
    ("skip", &["跳过"]),
    ("cancel", &["取消"]),
];

fn canonical(word: &str) -> Option<&'static str> {
    let w = word.to_lowercase();
    NAMES.iter().find(|(name, aliases)| *name == w || aliases.contains(&w.as_str())).map(|(name, _)| *name)
}

impl Command {
    /// Parses a message; None when it is not a command at all.
    pub fn parse(text: &str) -> Option<Command> {
        let text = text.trim_start();
        let rest = text.strip_prefix('/').or_else(|| text.strip_prefix('!')).or_else(|| text.strip_prefix('／'))?;
        let (first_line, more) = match rest.find('\n') {
            Some(i) => (&rest[..i], rest[i + 1..].trim()),
            None => (rest, ""),
        };
        let mut words = first_line.split_whitespace();
        let head = words.next().unwrap_or("");
        // Telegram sends /cmd@botname in groups.
        let name = head.split('@').next().unwrap_or("");
        let args: Vec<String> = words.map(str::to_owned).collect();
        let arg = |i: usize| args.get(i).cloned();
        let cmd = match canonical(name) {
            Some("help") => Command::Help,
            Some("start") => Command::Start(arg(0)),
            Some("bind") => match arg(0) {
                Some(code) => Command::Bind(code),
                None => Command::Unknown("/bind needs the code an official gave you: /bind CODE".into()),
            },
            Some("invite") => Command::Invite(arg(0)),
            Some("link") => Command::Link(arg(0)),
            Some("whoami") => Command::WhoAmI,
            Some("tree") => Command::Tree(arg(0)),
            Some("notice") => notices::parse_notice(&args, more),
            Some("status") => match arg(0) {
                Some(id) => Command::Status { id, org: arg(1) },
                None => Command::Unknown("/status needs a notice number: /status 42".into()),
            },
            Some("remind") => match arg(0) {
                Some(id) => Command::Remind(id),
                None => Command::Unknown("/remind needs a notice number: /remind 42".into()),
            },
            Some("ack") => Command::Ack(arg(0)),
            Some("survey") => Command::Survey(args),
            Some("back") => Command::Back,
            Some("skip") => Command::Skip,
            Some("cancel") => Command::Cancel,
            _ => Command::Unknown(format!(
                "Sorry, I do not know the command /{}. Send /help for the list. 未知命令，发送 /帮助 查看可用命令。",
                name
            )),
        };
        Some(cmd)
    }
}

pub use notices::parse_notice_id;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_aliases_and_bot_suffixes() {
        assert_eq!(Command::parse("/help"), Some(Command::Help));
        assert_eq!(Command::parse("/帮助"), Some(Command::Help));
        assert_eq!(Command::parse("/bind@treecast_bot ABCD2345"), Some(Command::Bind("ABCD2345".into())));
        assert_eq!(Command::parse("!bind XYZ"), Some(Command::Bind("XYZ".into())));
        assert_eq!(Command::parse("/状态 12 43"), Some(Command::Status { id: "12".into(), org: Some("43".into()) }));
        assert_eq!(Command::parse("你好"), None);
        match Command::parse("/frobnicate now") {
            Some(Command::Unknown(msg)) => assert!(msg.contains("/frobnicate") && msg.contains("/help")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn notice_takes_title_on_the_first_line_and_body_after() {
        let c = Command::parse("/notice 关于开展主题团日活动的通知\n各团支部：\n请于本周内完成。").unwrap();
        assert_eq!(
            c,
            Command::Notice {
                org: None,
                title: "关于开展主题团日活动的通知".into(),
                body: "各团支部：\n请于本周内完成。".into()
            }
        );
        let c = Command::parse("/通知 @43 标题").unwrap();
        assert_eq!(c, Command::Notice { org: Some("43".into()), title: "标题".into(), body: String::new() });
    }

    /// Every command and alias is documented in bot-commands.md.
    #[test]
    fn every_command_is_in_bot_commands_md() {
        let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/bot-commands.md")).unwrap();
        for (name, aliases) in NAMES {
            assert!(doc.contains(&format!("`/{name}")), "bot-commands.md lacks /{name}");
            for a in *aliases {
                assert!(doc.contains(&format!("/{a}")), "bot-commands.md lacks the alias /{a}");
            }
        }
    }
}
