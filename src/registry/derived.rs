//! What features hand to the views other features keep: lines of the
//! daily digest and documents for search.

use crate::context::Ctx;
use crate::error::Result;
use crate::events::Record;
use crate::tree::people::Person;
use crate::tree::Org;

/// One line of an official's daily digest, from the feature that knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestItem {
    /// The part it goes under: its place in the digest and its heading
    /// (Chinese first with English).
    pub section: (u8, &'static str),
    pub text: String,
    /// When it falls due (unix seconds): items due soon go first, and those
    /// due within a day are sent at once instead of waiting for the digest.
    pub due: Option<u64>,
    /// Stable name (`notice:12`): an urgent item is sent once.
    pub key: String,
}

/// What a feature adds to each official's digest, prepared once per run
/// (so a run over every official reads each feature's data once).
pub trait DigestSource {
    fn items(&self, cx: &Ctx, person: &Person, orgs: &[Org]) -> Result<Vec<DigestItem>>;
}

/// A document for search (信息搜索), as the feature that owns it describes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchDoc {
    /// Unique and stable (`notice:12`): putting it again replaces it.
    pub id: String,
    /// `org`, `notice`, `letter`…: what `--kind` filters on.
    pub kind: String,
    pub title: String,
    pub body: String,
    /// The paths of the orgs it belongs to: their officials (and those above
    /// them) may see it, and "within an org" finds it.
    pub orgs: Vec<Vec<u32>>,
    /// Orgs it was sent down to: everyone at or below them may see it.
    pub reach: Vec<u32>,
    /// Anyone may see it (org names).
    pub public: bool,
    /// Unix seconds.
    pub at: u64,
    /// An org's name, also findable by its pinyin initials.
    pub initials_of: Option<String>,
}

/// Every org moved by `events` (`Event::OrgsMoved`), with everything below
/// it: features whose search documents carry org paths put those again.
pub fn moved_orgs(cx: &Ctx, events: &[Record]) -> Result<std::collections::HashSet<u32>> {
    let mut out = std::collections::HashSet::new();
    for r in events {
        let crate::events::Event::OrgsMoved { orgs } = &r.event else { continue };
        for id in orgs {
            let Some(top) = cx.tree.get(*id)? else { continue };
            for o in cx.tree.subtree(&top) {
                out.insert(o?.id);
            }
        }
    }
    Ok(out)
}

/// A change to the search index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchOp {
    Put(SearchDoc),
    Remove(String),
}
