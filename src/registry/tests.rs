//! The registry: parsing, ownership without overlap, help and the user's
//! command reference generated from or checked against the declarations.

use std::sync::Arc;

use super::*;
use crate::app::App;
use crate::clock::Clock;
use crate::config::Config;

fn app() -> App {
    App::new(crate::tree::tests::small_tree(), Config::default(), Clock::fixed(1_700_000_000)).unwrap()
}

fn known(r: &Registry, text: &str) -> (&'static str, Vec<String>, String) {
    match r.parse(text) {
        Some(Parsed::Known { inv, .. }) => (inv.name, inv.args, inv.body),
        Some(Parsed::Unknown(n)) => panic!("{text:?} parsed as the unknown command {n}"),
        None => panic!("{text:?} is not a command"),
    }
}

#[test]
fn parses_names_aliases_bot_suffixes_and_bodies() {
    let a = app();
    let r = &a.registry;
    assert_eq!(known(r, "/help").0, "help");
    assert_eq!(known(r, "/帮助").0, "help");
    assert_eq!(known(r, "／帮助").0, "help");
    assert_eq!(known(r, "/bind@treecast_bot ABCD2345").1, ["ABCD2345"]);
    assert_eq!(known(r, "!bind XYZ").1, ["XYZ"]);
    assert_eq!(known(r, "/状态 12 43"), ("status", vec!["12".into(), "43".into()], String::new()));
    let (name, args, body) = known(r, "/通知 @43 关于开展主题团日活动的通知\n各团支部：\n请于本周内完成。");
    assert_eq!((name, args), ("notice", vec!["@43".to_owned(), "关于开展主题团日活动的通知".to_owned()]));
    assert_eq!(body, "各团支部：\n请于本周内完成。");
    assert!(r.parse("你好").is_none());
    assert!(matches!(r.parse("/frobnicate now"), Some(Parsed::Unknown(n)) if n == "frobnicate"));
}

#[test]
fn buttons_links_tags_replies_and_jobs_have_one_owner_each() {
    let a = app();
    let r = &a.registry;
    let name = |f: Option<&dyn Feature>| f.map(|f| f.declare().name);
    assert_eq!(name(r.button("ack:12")), Some("notices"));
    assert_eq!(name(r.button("sv:3:1:0")), Some("surveys"));
    assert_eq!(name(r.button("zz:1")), None);
    assert_eq!(name(r.deep_link("s12")), Some("surveys"));
    assert_eq!(name(r.mail_tag("NOTICE")), Some("notices"));
    assert_eq!(name(r.reply_owner("delivery")), Some("notices"));
    assert_eq!(name(r.reply_owner("confirm")), Some("account"));
    assert_eq!(name(r.job_owner(crate::notice::REMIND_JOB)), Some("notices"));
    assert_eq!(name(r.job_owner(crate::features::surveys::REMIND_JOB)), Some("surveys"));
    assert!(r.subscribers().iter().any(|s| s.name() == "notices.summary"));
    assert!(r.subscribers().iter().any(|s| s.name() == "notices.unreached" && s.apart()));
}

struct Squatter;

impl Feature for Squatter {
    fn declare(&self) -> Declaration {
        const CMDS: &[CommandSpec] =
            &[CommandSpec {
                name: "收到", aliases: &[], usage: "", help: "", who: Who::Anyone, changes_state: never
            }];
        Declaration { name: "squatter", commands: CMDS, ..Declaration::default() }
    }
}

#[test]
fn two_features_claiming_one_command_or_alias_are_refused_at_start() {
    let a = app();
    let mut features = crate::features::all(&a.ctx);
    features.push(Arc::new(Squatter));
    let err = Registry::new(features).err().expect("an overlap is refused").to_string();
    assert!(err.contains("notices") && err.contains("squatter") && err.contains("/收到"), "{err}");
}

#[test]
fn help_lists_every_command_with_its_aliases_in_both_languages() {
    let a = app();
    let help = a.registry.help_text();
    for c in a.registry.commands() {
        assert!(help.contains(&format!("/{}", c.name)), "help lacks /{}", c.name);
        for alias in c.aliases {
            assert!(help.contains(&format!("/{alias}")), "help lacks /{alias}");
        }
        assert!(c.help.contains(" / "), "/{}: help should be Chinese / English: {}", c.name, c.help);
    }
}

/// bot-commands.md is checked against the registry both ways: every
/// declared command and alias is documented, and every documented command
/// exists.
#[test]
fn bot_commands_md_matches_the_registry() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/bot-commands.md")).unwrap();
    let a = app();
    let mut declared = Vec::new();
    for c in a.registry.commands() {
        assert!(doc.contains(&format!("| `/{}", c.name)), "bot-commands.md lacks a row for /{}", c.name);
        for alias in c.aliases {
            assert!(doc.contains(&format!("`/{alias}`")), "bot-commands.md lacks the alias /{alias}");
        }
        declared.push(c.name);
    }
    for line in doc.lines().filter(|l| l.starts_with("| `/")) {
        let name = line[4..].split(|c: char| !c.is_alphanumeric()).next().unwrap();
        assert!(declared.contains(&name), "bot-commands.md documents /{name}, which no feature declares");
    }
}

/// Who a command is for, as the command card says it.
fn who_zh(who: Who) -> &'static str {
    match who {
        Who::Anyone => "任何人",
        Who::Members => "团员、团干部",
        Who::Officials => "团干部",
    }
}

/// A command's usage split into its forms (`on|off MODULE | default …`
/// gives two), at `|` with spaces around it outside brackets.
fn usage_forms(usage: &str) -> Vec<&str> {
    let (mut forms, mut depth, mut start) = (Vec::new(), 0i32, 0);
    for (i, c) in usage.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            '|' if depth == 0 && usage[..i].ends_with(' ') && usage[i + 1..].starts_with(' ') => {
                forms.push(usage[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    forms.push(usage[start..].trim());
    forms
}

/// docs/guide/命令速查表.md: every command of the registry with its Chinese
/// aliases, usage, who may use it and the Chinese half of its help.
fn command_card(r: &Registry) -> String {
    let cell = |s: &str| s.replace('|', "\\|");
    let mut s = String::from(
        "# 命令速查表\n\n\
         <!-- 本页由 src/registry/tests.rs 根据命令注册表生成，请勿手改。重新生成：\
         TREECAST_WRITE_DOCS=1 cargo test --lib command_card -->\n\n\
         本页列出机器人的全部命令，与机器人回答 `/帮助` 的内容一致。详细说明见 \
         [bot-commands.md](../../bot-commands.md)（英文）和本指南各页。\n\n\
         - 命令在 Telegram、Matrix、邮件和控制台中都能用。Matrix 中 `!` 与 `/` 相同。\
         用邮件发命令时，把命令写在邮件正文第一行。\n\
         - 中文别名与英文命令完全相同，例如 `/通知` 就是 `/notice`。\n\
         - 用法中的写法：`[ ]` 里的可以省略；`a|b` 任选其一；`+ 内容` 表示内容写在下一行起。\n\
         - `ORG` 是组织代码，如 `4143010532`；`@ORG` 表示以哪个组织的名义（你是多个组织的团干部时）；\
         `ID` 是编号（通知、调查、信件等）；`CODE` 是绑定码或关联码；`NAME` 是名称；`Q` 是问题编号；\
         `LEVEL` 是层级，如 `省级` 或 `branch`；`platform:user` 是账号，如 `telegram:123456`。\n\
         - “谁可以用”一栏是大致范围，具体权限以机器人的回答为准。\n\n\
         | 命令 | 中文别名 | 用法 | 谁可以用 | 说明 |\n|---|---|---|---|---|\n",
    );
    for c in r.commands() {
        let aliases: Vec<String> = c.aliases.iter().map(|a| format!("`/{a}`")).collect();
        let usage: Vec<String> = usage_forms(c.usage)
            .into_iter()
            .map(|u| if u.is_empty() { format!("`/{}`", c.name) } else { format!("`/{} {}`", c.name, cell(u)) })
            .collect();
        let help = c.help.split(" / ").next().unwrap_or(c.help);
        s.push_str(&format!(
            "| `/{}` | {} | {} | {} | {} |\n",
            c.name,
            aliases.join(" "),
            usage.join("<br>"),
            who_zh(c.who),
            cell(help)
        ));
    }
    s
}

#[test]
fn usage_forms_split_outside_brackets_only() {
    assert_eq!(
        usage_forms("[@ORG] | on|off MODULE | default M on|off L"),
        ["[@ORG]", "on|off MODULE", "default M on|off L"]
    );
    assert_eq!(usage_forms("[LEVEL | ORG]"), ["[LEVEL | ORG]"]);
    assert_eq!(usage_forms(""), [""]);
}

/// docs/guide/命令速查表.md is generated from the registry, as bot-commands.md
/// is checked against it: a command added, renamed or given another alias
/// fails here until the card is written again.
#[test]
fn command_card_md_is_generated_from_the_registry() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/guide/命令速查表.md");
    let card = command_card(&app().registry);
    if std::env::var_os("TREECAST_WRITE_DOCS").is_some_and(|v| v == "1") {
        std::fs::write(path, &card).unwrap();
    }
    let doc = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        doc == card,
        "docs/guide/命令速查表.md is not what the registry gives; write it again with \
         `TREECAST_WRITE_DOCS=1 cargo test --lib command_card` and commit it"
    );
}

mod guide;
