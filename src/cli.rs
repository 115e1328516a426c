//! The command-line subcommands' bodies (main.rs parses and dispatches).

use std::io::IsTerminal;
use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};
use treecast_wire::{Address, Platform};

use crate::catalogue::{msg, Msg};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::features::surveys::Surveys;
use crate::notice::{Draft, NoticeRules};
use crate::store::Store;
use crate::tree::people::{Person, Role};
use crate::tree::{describe, Tree};

pub fn open_tree(cfg: &Config) -> Result<Tree> {
    let store = Store::open(&cfg.data_dir).map_err(|e| match e {
        Error::Store(sled::Error::Io(io))
            if io.kind() == std::io::ErrorKind::WouldBlock || io.to_string().contains("lock") =>
        {
            Error::invalid(msg(Msg::AdminStoreInUse, &[("path", &cfg.data_dir.display())]))
        }
        e => e,
    })?;
    Tree::new(store, cfg.levels())
}

/// Whether this process is the command line working on the store itself:
/// only then do long operations draw progress bars (a server never does).
static INTERACTIVE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

pub fn set_interactive(on: bool) {
    INTERACTIVE.store(on, std::sync::atomic::Ordering::Relaxed);
}

thread_local! {
    /// The bar of the admin request this thread is running, read by its client.
    static REQUEST_BAR: std::cell::RefCell<Option<ProgressBar>> = const { std::cell::RefCell::new(None) };
}

/// Runs `f` with `bar` as the progress bar its long steps update (the
/// admin API's, hidden, which the CLI polls and draws on its side).
pub fn with_progress<R>(bar: ProgressBar, f: impl FnOnce() -> R) -> R {
    REQUEST_BAR.with(|b| *b.borrow_mut() = Some(bar));
    let out = f();
    REQUEST_BAR.with(|b| *b.borrow_mut() = None);
    out
}

/// A progress bar for a long step: the CLI's own when it works on the
/// store, the admin request's when one is running; None otherwise.
pub fn progress_bar(len: u64, what: &str) -> Option<ProgressBar> {
    if let Some(bar) = REQUEST_BAR.with(|b| b.borrow().clone()) {
        bar.set_length(len);
        bar.set_message(what.to_owned());
        return Some(bar);
    }
    INTERACTIVE.load(std::sync::atomic::Ordering::Relaxed).then(|| progress(len, what))
}

/// A progress bar on a terminal; hidden otherwise (CI logs stay short).
pub fn progress(len: u64, what: &str) -> ProgressBar {
    let pb = if std::io::stderr().is_terminal() { ProgressBar::new(len) } else { ProgressBar::hidden() };
    pb.set_style(
        ProgressStyle::with_template("{msg:>12} [{bar:40}] {pos}/{len} ({per_sec}, {eta})")
            .expect("valid template")
            .progress_chars("=> "),
    );
    pb.set_message(what.to_owned());
    pb
}

/// Orgs per level, with how many have at least one channel (coverage).
pub fn tree_stats(tree: &Tree) -> Result<String> {
    let roots = tree.roots()?;
    let mut s = String::new();
    let (mut total, mut covered) = (0, 0);
    for (level, n) in tree.stats()? {
        let l = tree.levels.get(level).expect("level from the store");
        let mut with = 0;
        for r in &roots {
            with += tree.channel_counts(r.id, level)?.1.max(0) as u64;
        }
        s.push_str(&format!("{:<10} {} {n:>8} {with:>8} {:>6}\n", l.key, pad(&l.name, 8), percent(with, n)));
        total += n;
        covered += with;
    }
    s.push_str(&format!(
        "{} {total:>8} {covered:>8} {:>6}\n",
        pad(Msg::StatsTotal.text(), 19),
        percent(covered, total)
    ));
    s.push_str(Msg::StatsLegend.text());
    Ok(s)
}

fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "-".into();
    }
    format!("{:.1}%", part as f64 * 100.0 / whole as f64)
}

/// `text` padded to `cols` terminal columns: a Chinese character takes two,
/// which `format!`'s width (it counts chars) gets wrong.
fn pad(text: &str, cols: usize) -> String {
    let w = unicode_width::UnicodeWidthStr::width(text);
    format!("{text}{}", " ".repeat(cols.saturating_sub(w)))
}

pub fn tree_show(tree: &Tree, code: &str) -> Result<String> {
    describe(tree, &tree.require(code)?, 50, None)
}

/// `platform:user`, e.g. `email:li@example.edu.cn` or `telegram:123456`.
pub fn parse_identity(s: &str) -> Result<(Platform, String)> {
    let (p, u) =
        s.split_once(':').ok_or_else(|| Error::invalid(msg(Msg::IdentityForm, &[("text", &format!("{s:?}"))])))?;
    Ok((platform(p)?, u.to_owned()))
}

fn platform(name: &str) -> Result<Platform> {
    Platform::parse(name).ok_or_else(|| Error::invalid(msg(Msg::NotAPlatform, &[("name", &format!("{name:?}"))])))
}

pub fn person_by(tree: &Tree, identity: &str) -> Result<Person> {
    let (p, u) = parse_identity(identity)?;
    tree.person_by_identity(p, &u)?.ok_or_else(|| Error::not_found(msg(Msg::NoIdentity, &[("identity", &identity)])))
}

/// A person to add, as `person add` and the `person.add` operation take it.
#[derive(Debug, Default, serde::Deserialize)]
pub struct NewPerson {
    pub name: String,
    #[serde(default)]
    pub identities: Vec<String>,
    #[serde(default)]
    pub official: Vec<String>,
    #[serde(default)]
    pub member: Vec<String>,
    pub prefer: Option<String>,
}

pub fn person_add(tree: &Tree, np: &NewPerson) -> Result<String> {
    let idents: Vec<(Platform, String)> = np.identities.iter().map(|i| parse_identity(i)).collect::<Result<_>>()?;
    let p = match idents.iter().find_map(|(pl, u)| tree.person_by_identity(*pl, u).ok().flatten()) {
        Some(p) => p,
        None => tree.add_person(&np.name)?,
    };
    for (pl, u) in &idents {
        tree.add_identity(p.id, *pl, u)?;
    }
    for code in &np.official {
        tree.grant(p.id, &tree.require(code)?, Role::Official)?;
    }
    for code in &np.member {
        tree.grant(p.id, &tree.require(code)?, Role::Member)?;
    }
    if let Some(pref) = &np.prefer {
        tree.set_preferred(p.id, platform(pref)?)?;
    }
    tree.store.flush()?;
    Ok(msg(Msg::PersonSaved, &[("name", &np.name), ("id", &p.id)]))
}

pub fn org_invite(tree: &Tree, cfg: &Config, code: &str) -> Result<String> {
    let org = tree.require(code)?;
    // The local operator acts with the server's authority.
    let grant = crate::codes::Grant::Bind { org: org.id, by: 0 };
    let c = tree.store.issue_code(grant, tree.clock.now() + cfg.bind_code_ttl.as_secs())?;
    tree.store.flush()?;
    Ok(msg(Msg::BindCodeIssued, &[("code_org", &org.code), ("name", &org.name), ("code", &c)]))
}

pub fn org_bind_console(tree: &Tree, level: &str) -> Result<String> {
    let lv = tree
        .levels
        .find(level)
        .ok_or_else(|| Error::invalid(msg(Msg::NoSuchLevel, &[("level", &format!("{level:?}"))])))?;
    let mut pairs = Vec::new();
    for root in tree.roots()? {
        for o in tree.subtree(&root) {
            let o = o?;
            if o.level == lv {
                let a = Address::group(Platform::Console, o.code.clone());
                pairs.push((o, a));
            }
        }
    }
    let n = tree.bind_bulk(pairs)?;
    tree.store.flush()?;
    Ok(msg(Msg::ConsoleChatsBound, &[("n", &n)]))
}

pub fn org_bind_list(tree: &Tree, code: &str, list: &str, members: &[String]) -> Result<String> {
    let org = tree.require(code)?;
    let ch = tree.bind(&org, Address::list(list, members.to_vec()))?;
    tree.store.flush()?;
    Ok(msg(Msg::ListBound, &[("list", &list), ("n", &members.len()), ("org", &org.name), ("id", &ch.id)]))
}

/// Whether `a` looks like a mail address (local@domain.tld, no spaces).
pub fn is_address(a: &str) -> bool {
    matches!(a.split_once('@'), Some((l, d)) if !l.is_empty() && d.contains('.') && !d.contains('@') && !a.contains(char::is_whitespace))
}

/// Addresses from a file, one a line; blank lines and `#` comments are
/// skipped. Every line that is not an address is named in one report.
pub fn address_file(path: Option<&Path>) -> Result<Vec<String>> {
    let Some(path) = path else { return Ok(Vec::new()) };
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::invalid(msg(Msg::FileUnreadable, &[("path", &path.display()), ("error", &e)])))?;
    let mut out = Vec::new();
    let mut bad = Vec::new();
    for (i, line) in text.trim_start_matches('\u{feff}').lines().enumerate() {
        let a = line.trim();
        if a.is_empty() || a.starts_with('#') {
            continue;
        }
        match is_address(a) {
            true => out.push(a.to_lowercase()),
            false => {
                let place = format!("{}:{}", path.display(), i + 1);
                bad.push(msg(Msg::NotAnAddress, &[("place", &place), ("address", &format!("{a:?}"))]))
            }
        }
    }
    if !bad.is_empty() {
        return Err(Error::invalid(bad.join("\n")));
    }
    Ok(out)
}

pub fn org_list_members(tree: &Tree, code: &str, list: &str, add: &[String], remove: &[String]) -> Result<String> {
    let org = tree.require(code)?;
    let ch = tree.edit_list_members(&org, list, add, remove)?;
    tree.store.flush()?;
    Ok(msg(Msg::ListMembers, &[("org", &org.name), ("list", &list), ("n", &ch.address.members.len())]))
}

pub struct PostArgs {
    pub org: String,
    pub title: String,
    pub body: String,
    pub author: String,
    pub levels: Vec<String>,
    pub only: Vec<String>,
    pub exclude: Vec<String>,
    pub no_ack: bool,
    pub deadline: Option<String>,
    pub attachments: Vec<treecast_wire::Attachment>,
}

/// `YYYY-MM-DD HH:MM` in China time -> unix seconds.
pub fn parse_deadline(s: &str) -> Result<u64> {
    crate::clock::parse_china(s).ok_or_else(|| Error::invalid(msg(Msg::DeadlineForm, &[("text", &format!("{s:?}"))])))
}

pub fn notice_post(tree: &Tree, cfg: &Config, a: PostArgs) -> Result<String> {
    let author = person_by(tree, &a.author)?;
    let draft = Draft {
        issuer_code: a.org,
        title: a.title,
        body: a.body,
        attachments: a.attachments,
        levels: a.levels,
        only: a.only,
        exclude: a.exclude,
        ack_required: !a.no_ack,
        ack_deadline: a.deadline.as_deref().map(parse_deadline).transpose()?,
        buttons: Vec::new(),
    };
    let rules = NoticeRules::from_config(cfg);
    let n = tree.post(author.id, draft, &rules)?;
    tree.store.flush()?;
    let issuer = tree.require_id(n.issuer)?;
    let (channels, orgs) = tree.expected(&n.target, &issuer)?;
    Ok(msg(
        Msg::NoticePostedCli,
        &[("id", &n.id), ("author", &author.name), ("issuer", &issuer.name), ("channels", &channels), ("orgs", &orgs)],
    ))
}

pub fn notice_status(tree: &Tree, id: u64, org: Option<&str>) -> Result<String> {
    Ok(tree.status(None, id, org, 20)?.to_text(tree))
}

/// The survey engine with the config's surveys dir and notice rules.
pub fn surveys(tree: &Tree, cfg: &Config) -> Surveys {
    let s = Surveys::new(tree.clone());
    s.set_dir(cfg.surveys_dir.clone());
    s.set_rules(NoticeRules::from_config(cfg));
    s
}

pub fn survey_list(tree: &Tree, surveys: &Surveys) -> Result<String> {
    let mut out = String::new();
    for s in surveys.all()? {
        let org = tree.require_id(s.org)?;
        out.push_str(&format!(
            "#{} 《{}》 {} {}, {} – {}{}\n",
            s.id,
            s.def.title,
            org.code,
            org.name,
            crate::features::surveys::clock::show(s.opens),
            crate::features::surveys::clock::show(s.closes),
            if s.def.anonymous { Msg::SurveyAnonymous.text() } else { "" }
        ));
    }
    Ok(if out.is_empty() { Msg::NoSurveysYet.text().into() } else { out.trim_end().to_owned() })
}

pub fn survey_close(tree: &Tree, surveys: &Surveys, id: u64) -> Result<String> {
    let s = surveys.close(None, id)?;
    tree.store.flush()?;
    let closes = crate::features::surveys::clock::show(s.closes);
    Ok(msg(Msg::SurveyClosedAt, &[("id", &s.id), ("title", &s.def.title), ("closes", &closes)]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_round_trip_through_beijing_time() {
        let t = parse_deadline("2026-12-01 18:30").unwrap();
        assert_eq!(crate::notice::format_time(t), "2026-12-01 18:30");
        assert!(parse_deadline("2026-13-01 10:00").unwrap_err().to_string().contains("YYYY-MM-DD"));
    }

    #[test]
    fn stats_columns_line_up_with_chinese_level_names() {
        let tree = crate::tree::tests::small_tree();
        let stats = tree_stats(&tree).unwrap();
        let widths: Vec<usize> = stats.lines().map(unicode_width::UnicodeWidthStr::width).collect();
        assert_eq!(widths.len(), 6, "{stats}");
        let widths = &widths[..5]; // the legend line is prose
        assert!(widths.iter().all(|w| *w == widths[0]), "{widths:?}\n{stats}");
    }
}
