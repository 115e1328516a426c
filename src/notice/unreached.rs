//! Who a notice cannot reach: the targeted orgs that had no channel when it
//! was posted (its audience is fixed then, by its horizon), counted per
//! level, kept beside the notice so `status` can say who never got it
//! without walking the tree. The `notices.unreached` subscriber of the event
//! log keeps them just after posting.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::Target;
use crate::error::Result;
use crate::store::{decode_at, encode, Keyspace, Writes};
use crate::tree::{Org, Tree};

const KS: Keyspace = Keyspace::Named("unreached");

/// Per level: the targeted orgs without a channel at posting.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unreached {
    /// (level, org ids in tree order).
    pub levels: Vec<(u8, Vec<u32>)>,
}

/// Orgs without a channel below `focus`, per level: (level, count, first few).
pub type Gaps = Vec<(u8, usize, Vec<Org>)>;

impl Tree {
    /// The orgs `target` names that had no channel with an id up to
    /// `horizon` (the notice's audience, fixed at posting), per level. A
    /// walk of the target's subtree: the `notices.unreached` subscriber runs
    /// it after posting, not the official's post (0.9 s for a national notice).
    pub fn unreached(&self, target: &Target, horizon: u64) -> Result<Unreached> {
        let mut per = std::collections::BTreeMap::<u8, Vec<u32>>::new();
        for root in &target.roots {
            let r = self.require_id(*root)?;
            let owners: HashSet<u32> = self.store.channel_owners_upto(&r.path, horizon).collect::<Result<_>>()?;
            for o in self.subtree(&r) {
                let o = o?;
                if target.admits(r.id, &o.path, o.level) && !owners.contains(&o.id) {
                    per.entry(o.level).or_default().push(o.id);
                }
            }
        }
        Ok(Unreached { levels: per.into_iter().collect() })
    }

    /// Keeps `u` as notice `id`'s unreached orgs.
    pub(crate) fn keep_unreached(&self, id: u64, u: &Unreached, w: &mut Writes) {
        w.put(KS, id.to_be_bytes(), encode(u));
    }

    /// Whether notice `id`'s unreached orgs are kept already.
    pub(crate) fn unreached_kept(&self, id: u64) -> Result<bool> {
        Ok(self.store.tree(KS)?.contains_key(id.to_be_bytes())?)
    }

    /// Notice `id`'s unreached orgs within `focus`, per level, with the
    /// first `limit` of each (None for notices posted before they were kept).
    pub fn unreached_within(&self, id: u64, focus: &Org, limit: usize) -> Result<Option<Gaps>> {
        let key = id.to_be_bytes();
        let Some(v) = self.store.tree(KS)?.get(key)? else { return Ok(None) };
        let u: Unreached = decode_at(KS, &key, &v)?;
        let mut out = Vec::new();
        for (level, ids) in u.levels {
            if level < focus.level {
                continue;
            }
            let mut count = 0;
            let mut first = Vec::new();
            for id in ids {
                // At the top (the common view) every id is within; below
                // it, each org is read to see whether it is.
                let org = if focus.level == 0 && first.len() >= limit { None } else { Some(self.require_id(id)?) };
                if org.as_ref().is_some_and(|o| !o.is_within(focus)) {
                    continue;
                }
                count += 1;
                if let Some(o) = org.filter(|_| first.len() < limit) {
                    first.push(o);
                }
            }
            if count > 0 {
                out.push((level, count, first));
            }
        }
        Ok(Some(out))
    }
}
