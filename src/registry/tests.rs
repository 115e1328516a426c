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
