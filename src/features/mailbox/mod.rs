//! Org mailboxes (issue 17): private work messages between orgs and
//! reports upward. Built so far: the permission table (`rules`) and the
//! recipients a sender names (`recipients`). The commands, delivery to
//! officials, read state and the digest are not built yet, so the feature
//! is not in `features::all`.

pub mod recipients;
pub mod rules;
