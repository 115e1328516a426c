//! Parsing helpers for the notice commands.

use super::Command;

/// `/notice [@ORG] TITLE` with the body on the following lines.
pub(super) fn parse_notice(args: &[String], body: &str) -> Command {
    let (org, title_words) = match args.first() {
        Some(a) if a.starts_with('@') && a.len() > 1 => (Some(a[1..].to_owned()), &args[1..]),
        _ => (None, args),
    };
    let title = title_words.join(" ");
    if title.is_empty() {
        return Command::Unknown(
            "/notice needs a title on its first line and the body below: /notice 关于……的通知".into(),
        );
    }
    Command::Notice { org, title, body: body.to_owned() }
}

/// A notice number as typed (`42`, `#42`, `＃42`).
pub fn parse_notice_id(s: &str) -> Option<u64> {
    s.trim().trim_start_matches(['#', '＃']).parse().ok()
}
