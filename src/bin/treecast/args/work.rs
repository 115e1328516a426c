//! The command line's words for the work on notices, surveys and campaigns
//! (the rest is in `args/mod.rs`).

use std::path::PathBuf;

use clap::Subcommand;

#[derive(Subcommand)]
pub enum NoticeCmd {
    /// Post a notice (delivered by `treecast serve`).
    Post {
        #[arg(long)]
        org: String,
        #[arg(long)]
        title: String,
        #[arg(long)]
        body_file: PathBuf,
        /// The posting official, as platform:user.
        #[arg(long)]
        author: String,
        /// Only these levels (keys), comma separated.
        #[arg(long, value_delimiter = ',')]
        levels: Vec<String>,
        /// Only these child orgs, comma separated.
        #[arg(long, value_delimiter = ',')]
        only: Vec<String>,
        /// Leave out these orgs' subtrees, comma separated.
        #[arg(long, value_delimiter = ',')]
        exclude: Vec<String>,
        /// Do not ask for acknowledgements.
        #[arg(long)]
        no_ack: bool,
        /// Acknowledge by, "YYYY-MM-DD HH:MM" Beijing time.
        #[arg(long)]
        deadline: Option<String>,
        #[arg(long)]
        attach: Vec<PathBuf>,
    },
    /// Remind every targeted org that has not acknowledged.
    Remind {
        id: u64,
        /// The reminding official, as platform:user.
        #[arg(long)]
        by: String,
    },
    /// The last notices, newest first.
    List {
        #[arg(long, default_value_t = 20)]
        last: usize,
    },
    /// Delivered / acknowledged / failed rolled up per level.
    Status {
        id: u64,
        #[arg(long)]
        org: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum SurveyCmd {
    /// Check a definition file and print every problem as FILE:LINE.
    Check { file: PathBuf },
    /// Launch a survey to an org's subtree (announced by `treecast serve`).
    Launch {
        file: PathBuf,
        /// Audience org code (default: the file's `[audience] org`).
        #[arg(long)]
        org: Option<String>,
        /// The launching official, as platform:user.
        #[arg(long)]
        by: String,
    },
    /// Launched surveys, newest last.
    List,
    /// Results rolled up the tree; optionally exported.
    Results {
        id: u64,
        /// Only this org's subtree.
        #[arg(long)]
        org: Option<String>,
        #[arg(long)]
        csv: Option<PathBuf>,
        #[arg(long)]
        xlsx: Option<PathBuf>,
    },
    /// Close a survey now.
    Close { id: u64 },
}

#[derive(Subcommand)]
pub enum CampaignCmd {
    /// Check a definition file and print every problem as FILE:LINE.
    Check { file: PathBuf },
    /// Launch a campaign to the schools (the file's target level) under an
    /// org (announced by `treecast serve`).
    Launch {
        file: PathBuf,
        /// The launching org's code (default: the file's `[target] org`).
        #[arg(long)]
        org: Option<String>,
        /// The launching official, as platform:user.
        #[arg(long)]
        by: String,
    },
    /// Launched campaigns.
    List,
    /// The compliance table (done / late / open per step and per org
    /// below), optionally exported, with the form submissions.
    Status {
        id: u64,
        /// Only this org's subtree.
        #[arg(long)]
        org: Option<String>,
        /// The compliance table, one row per target org.
        #[arg(long)]
        csv: Option<PathBuf>,
        #[arg(long)]
        xlsx: Option<PathBuf>,
        /// The form submissions, one row per target org.
        #[arg(long)]
        forms_csv: Option<PathBuf>,
        #[arg(long)]
        forms_xlsx: Option<PathBuf>,
    },
    /// Mark a manual step done for orgs (or take the mark back).
    Mark {
        id: u64,
        /// The step's number (1 for the first).
        step: usize,
        /// Org codes.
        #[arg(required = true)]
        orgs: Vec<String>,
        #[arg(long)]
        undo: bool,
    },
}
