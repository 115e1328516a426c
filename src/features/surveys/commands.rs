//! The survey commands: their declarations (names, Chinese aliases, help)
//! and a parser for callers that bypass the gateway.

use crate::registry::{CommandSpec, Who};

/// Reading subcommands need no confirmation; launching, closing and answering do.
fn survey_changes_state(args: &[String]) -> bool {
    !matches!(args.first().map(String::as_str), None | Some("list" | "列表" | "results" | "结果"))
}

pub const COMMANDS: &[CommandSpec] = &[CommandSpec {
    name: "survey",
    aliases: &["调查"],
    usage: "[list | ID | launch NAME [ORG] | results ID [ORG] | close ID]",
    help: "微调查：发布、作答、查看结果 / micro-surveys: launch, answer, results",
    who: Who::Anyone,
    changes_state: survey_changes_state,
}];

/// The canonical name and arguments of a survey-related command line
/// (`/start PAYLOAD` too), for callers that bypass the gateway.
pub fn parse(text: &str) -> Option<(&'static str, Vec<String>)> {
    let rest = text.trim_start().strip_prefix(['/', '!', '／'])?;
    let mut words = rest.lines().next().unwrap_or("").split_whitespace();
    let word = words.next()?.split('@').next()?.to_lowercase();
    let args = words.map(str::to_owned).collect();
    if word == "start" || word == "开始" {
        return Some(("start", args));
    }
    let specs = COMMANDS.iter().chain(crate::features::conversations::COMMANDS);
    let spec = specs.into_iter().find(|c| c.name == word || c.aliases.contains(&word.as_str()))?;
    Some((spec.name, args))
}
