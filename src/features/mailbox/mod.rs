//! Org mailboxes (issue 17): private work messages between orgs and
//! reports upward. Built so far: the permission table (`rules`). The
//! commands, delivery to officials, read state and the digest are not
//! registered yet, so the feature is not in `features::all`.

pub mod rules;
