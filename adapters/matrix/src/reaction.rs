//! What an `m.reaction` event means to the core, read from its raw JSON:
//! ruma reads any `m.relates_to` with an `event_id` and a `key` as an
//! annotation, whatever its `rel_type`, and a reaction acknowledges notices.

use matrix_sdk::ruma::events::reaction::OriginalSyncReactionEvent;
use matrix_sdk::ruma::serde::Raw;
use matrix_sdk::ruma::{OwnedEventId, OwnedUserId};
use serde::Deserialize;

/// An `m.reaction` event the core should hear about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reacted {
    pub event_id: OwnedEventId,
    pub sender: OwnedUserId,
    pub meaning: Meaning,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Meaning {
    /// An `m.annotation` with `key` on the event `to`.
    Reaction { key: String, to: String },
    /// Not an annotation, but it answers `to` (`m.in_reply_to`): a reply
    /// saying `text` (its `body`, else its `key`).
    Reply { text: String, to: String },
}

/// The fields of an `m.reaction` event this module looks at, as sent.
#[derive(Deserialize)]
struct Event {
    event_id: OwnedEventId,
    sender: OwnedUserId,
    content: Content,
}

#[derive(Deserialize)]
struct Content {
    #[serde(rename = "m.relates_to")]
    relates_to: Option<Relation>,
    body: Option<String>,
}

#[derive(Deserialize)]
struct Relation {
    rel_type: Option<String>,
    event_id: Option<OwnedEventId>,
    key: Option<String>,
    #[serde(rename = "m.in_reply_to")]
    in_reply_to: Option<InReplyTo>,
}

#[derive(Deserialize)]
struct InReplyTo {
    event_id: OwnedEventId,
}

/// Reads an `m.reaction` event; `None` when it means nothing to the core
/// (malformed, or a relation other than an annotation or a reply).
pub(crate) fn read(raw: &Raw<OriginalSyncReactionEvent>) -> Option<Reacted> {
    let ev: Event = raw.deserialize_as_unchecked().ok()?;
    let rel = ev.content.relates_to?;
    let meaning = match (rel.rel_type.as_deref(), rel.event_id, rel.key, rel.in_reply_to) {
        (Some("m.annotation"), Some(to), Some(key), _) => Meaning::Reaction { key, to: to.to_string() },
        (_, _, key, Some(reply)) => Meaning::Reply { text: ev.content.body.or(key)?, to: reply.event_id.to_string() },
        _ => return None,
    };
    Some(Reacted { event_id: ev.event_id, sender: ev.sender, meaning })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn raw(relates_to: serde_json::Value) -> Raw<OriginalSyncReactionEvent> {
        let event = json!({
            "type": "m.reaction",
            "event_id": "$reaction:localhost",
            "sender": "@student1:localhost",
            "origin_server_ts": 1_700_000_000_000u64,
            "content": { "m.relates_to": relates_to },
        });
        Raw::from_json(serde_json::value::to_raw_value(&event).unwrap())
    }

    #[test]
    fn an_annotation_is_a_reaction() {
        let got = read(&raw(json!({"rel_type": "m.annotation", "event_id": "$notice:localhost", "key": "✅"})));
        let got = got.expect("an annotation is a reaction");
        assert_eq!(got.event_id, "$reaction:localhost");
        assert_eq!(got.sender, "@student1:localhost");
        assert_eq!(got.meaning, Meaning::Reaction { key: "✅".into(), to: "$notice:localhost".into() });
    }

    #[test]
    fn a_reference_with_a_key_is_not_a_reaction() {
        let got = read(&raw(json!({"rel_type": "m.reference", "event_id": "$notice:localhost", "key": "✅"})));
        assert_eq!(got, None, "only m.annotation relations are reactions");
    }

    #[test]
    fn other_or_missing_relations_are_ignored() {
        for relates_to in [
            json!({"event_id": "$notice:localhost", "key": "✅"}),
            json!({"rel_type": "m.replace", "event_id": "$notice:localhost", "key": "✅"}),
            json!({"rel_type": "m.thread", "event_id": "$notice:localhost", "key": "✅"}),
            json!({"rel_type": "m.annotation", "event_id": "$notice:localhost"}),
            json!({"rel_type": "m.annotation", "key": "✅"}),
            json!({"rel_type": "m.annotation", "event_id": "not-an-event-id", "key": "✅"}),
            json!(null),
        ] {
            assert_eq!(read(&raw(relates_to.clone())), None, "{relates_to}");
        }
    }

    #[test]
    fn a_reply_relation_is_a_reply() {
        let got = read(&raw(json!({"m.in_reply_to": {"event_id": "$notice:localhost"}, "key": "✅"})));
        assert_eq!(got.map(|r| r.meaning), Some(Meaning::Reply { text: "✅".into(), to: "$notice:localhost".into() }));
    }
}
