//! The command line's words: every subcommand and flag, with its help.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

mod work;

pub use work::{CampaignCmd, NoticeCmd, SurveyCmd};

#[derive(Parser)]
#[command(name = "treecast", version, about = "Notices down the League tree; replies, acks and surveys back up")]
pub struct Args {
    /// Config file (default: treecast.toml if present, else built-in defaults).
    #[arg(long, global = true, env = "TREECAST_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub cmd: Cmd,
}

#[derive(Subcommand)]
pub enum Cmd {
    /// Tell the whole story on embedded defaults (no account anywhere).
    Demo {
        /// Class branches generated per school.
        #[arg(long, default_value_t = 100)]
        branches: usize,
        /// The school list (default: the built-in list of 2,756 universities).
        #[arg(long)]
        schools: Option<PathBuf>,
        /// After the story, keep the gateway running with the web console
        /// and print sign-in links (Ctrl-C ends it).
        #[arg(long)]
        web: bool,
        /// Where the console listens with --web.
        #[arg(long, default_value = "127.0.0.1:8390")]
        web_listen: std::net::SocketAddr,
    },
    /// Run the gateway with the adapters the config enables.
    Serve,
    /// Deliver for the planner through NATS JetStream (needs `[cluster]`):
    /// take a share of the bot accounts and send their jobs.
    Worker,
    /// The org tree.
    #[command(subcommand)]
    Tree(TreeCmd),
    /// Channels of an org.
    #[command(subcommand)]
    Org(OrgCmd),
    /// People, identities and roles.
    #[command(subcommand)]
    Person(PersonCmd),
    /// Notices.
    #[command(subcommand)]
    Notice(NoticeCmd),
    /// Micro-surveys (微调查).
    #[command(subcommand)]
    Survey(SurveyCmd),
    /// Campaigns (工作部署): steps with deadlines down the tree, forms,
    /// compliance.
    #[command(subcommand)]
    Campaign(CampaignCmd),
    /// Org mailboxes: letters between orgs (私信) and reports upward (工作信息报送).
    #[command(subcommand)]
    Msg(MsgCmd),
    /// The audit log (操作记录) of an org: who posted, reminded, bound,
    /// unbound and exported, newest first.
    Audit {
        #[arg(long)]
        org: String,
        /// How many entries.
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// The activity leaderboard (活跃度排行榜): the children of an org ranked
    /// by their scores of the last 30 days, each with its parts.
    Rank {
        /// Whose children to rank (default: the root's, the provinces).
        #[arg(long)]
        org: Option<String>,
        /// Compute every org's score now instead of showing the last run.
        #[arg(long)]
        recompute: bool,
    },
    /// Search (信息搜索) orgs, notices and letters, as an operator (everything).
    Search {
        /// Words; "a phrase" in quotes, -word to leave one out.
        query: Vec<String>,
        /// Only within this org's subtree.
        #[arg(long)]
        org: Option<String>,
        /// Only this kind: org, notice, letter (or message).
        #[arg(long)]
        kind: Option<String>,
        /// Only dated on or after this day, YYYY-MM-DD (China time).
        #[arg(long)]
        since: Option<String>,
        #[arg(long, default_value_t = 1)]
        page: usize,
        /// Empty the index and fill it again from the store (also
        /// `treecast search rebuild`).
        #[arg(long)]
        rebuild: bool,
    },
}

#[derive(Subcommand)]
pub enum MsgCmd {
    /// Send a letter (or, with --report, a work report to the parent) for an official.
    Send {
        /// The writing official, as platform:user.
        #[arg(long)]
        by: String,
        /// Recipient org codes, comma separated, or @parent / @children.
        #[arg(long, default_value = "@parent")]
        to: String,
        /// The org to write as, when the official has several.
        #[arg(long)]
        from: Option<String>,
        /// A work report to the parent org.
        #[arg(long)]
        report: bool,
        #[arg(long)]
        title: String,
        #[arg(long)]
        body_file: PathBuf,
        #[arg(long)]
        attach: Vec<PathBuf>,
    },
    /// The unread and recent letters of an official's org(s).
    Inbox {
        #[arg(long)]
        by: String,
        #[arg(long)]
        org: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum TreeCmd {
    /// Import orgs from a CSV (code, name, level, parent_code); all rows or none.
    Import { file: PathBuf },
    /// Write every org to a CSV that `tree import` reads back.
    Export { file: PathBuf },
    /// Build the national tree from the real school list.
    Generate {
        /// The school list (default: the built-in list of 2,756 universities).
        #[arg(long)]
        schools: Option<PathBuf>,
        #[arg(long, default_value_t = 100)]
        branches: usize,
        /// Write the import CSV here instead of importing it.
        #[arg(long)]
        csv: Option<PathBuf>,
    },
    /// Orgs per level.
    Stats,
    /// An org, its parents and children.
    Show { code: String },
    /// Move an org (and its subtree) under another parent.
    Move { code: String, parent: String },
    /// Rename an org (naming rules apply).
    Rename { code: String, name: String },
    /// Delete an org; refused while it has children unless --cascade.
    Delete {
        code: String,
        #[arg(long)]
        cascade: bool,
    },
}

#[derive(Subcommand)]
pub enum OrgCmd {
    /// Give every org of a level a console group chat (trials, tests, demos).
    BindConsole {
        #[arg(long, default_value = "branch")]
        level: String,
    },
    /// A one-time code; `/bind CODE` in a group binds it to the org. With
    /// --under and --level: one code for every such org, as CSV.
    Invite {
        code: Option<String>,
        /// Every org of --level in this org's subtree.
        #[arg(long, requires = "level", conflicts_with = "code")]
        under: Option<String>,
        #[arg(long, requires = "under")]
        level: Option<String>,
        /// Write the codes here (org_code, org_name, bind_code, expires).
        #[arg(long)]
        csv: Option<PathBuf>,
    },
    /// Bound chats per org; with --unbound only the orgs without any.
    Channels {
        /// Only this org's subtree.
        #[arg(long)]
        under: Option<String>,
        /// Only orgs of this level.
        #[arg(long)]
        level: Option<String>,
        #[arg(long)]
        unbound: bool,
    },
    /// Bind a chat the bot is already in, by its id (telegram:-1001234, matrix:!room:server).
    Bind { code: String, chat: String },
    /// Set the League emblem and the slogan on every bound group and room
    /// below an org (each platform's limits apply).
    Brand {
        #[arg(long)]
        under: String,
    },
    /// The org's optional modules (功能模块) and their state.
    Modules { code: String },
    /// Switch a module for an org: on, off, off-below (its whole subtree) or reset.
    Module { code: String, module: String, mode: String },
    /// A module's default at a level (for orgs that did not choose): on or off.
    ModuleDefault { module: String, level: String, state: String },
    /// Unbind a chat (group, room or mailing list) by its id.
    Unbind { chat: String },
    /// Bind the chats orgs already have, from a CSV (code,platform,chat,name):
    /// every bad row named with its line and nothing bound, or all bound in
    /// one commit; bound ones are left as they are.
    ImportChannels { file: PathBuf },
    /// Import an org's old chat history into its archive (searchable):
    /// a Telegram Desktop export (result.json), a Matrix room export (JSON)
    /// or a mailing list's mbox; a message imported before is skipped.
    ImportHistory {
        file: PathBuf,
        #[arg(long)]
        org: String,
        /// telegram, matrix or mbox (default: read from the file).
        #[arg(long)]
        format: Option<String>,
    },
    /// Bind a mailing list (addresses) to an org.
    BindList {
        code: String,
        /// The list's own address (To: of list mail).
        #[arg(long)]
        list: String,
        /// Member addresses, comma separated (empty: mail the list address).
        #[arg(long, value_delimiter = ',')]
        members: Vec<String>,
        /// Member addresses from a file, one a line (# comments and blank lines skipped).
        #[arg(long)]
        members_file: Option<PathBuf>,
    },
    /// Add or remove members of a bound mailing list.
    Members {
        code: String,
        #[arg(long)]
        list: String,
        /// Addresses to add, comma separated.
        #[arg(long, value_delimiter = ',')]
        add: Vec<String>,
        /// Addresses to add, from a file, one a line.
        #[arg(long)]
        add_file: Option<PathBuf>,
        /// Addresses to remove, comma separated.
        #[arg(long, value_delimiter = ',')]
        remove: Vec<String>,
        /// Addresses to remove, from a file, one a line.
        #[arg(long)]
        remove_file: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
pub enum PersonCmd {
    /// Add a person (or add to the person owning one of the identities).
    Add {
        name: String,
        /// platform:user, repeatable (email:li@x.edu.cn, telegram:12345, matrix:@li:x.org).
        #[arg(long = "id")]
        identities: Vec<String>,
        /// Official of these org codes.
        #[arg(long)]
        official: Vec<String>,
        /// Member of these branch codes.
        #[arg(long)]
        member: Vec<String>,
        /// Platform for private messages.
        #[arg(long)]
        prefer: Option<String>,
    },
}
