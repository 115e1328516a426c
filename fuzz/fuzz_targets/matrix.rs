//! Matrix inbound conversion: a room event as JSON text (message, reaction
//! or membership, chosen by the first byte with the room's flags) ->
//! `Inbound`, as the sync loop converts them.
#![no_main]
use libfuzzer_sys::fuzz_target;
use treecast_matrix::convert::{self, RoomView};
use treecast_matrix::matrix_sdk::ruma::events::reaction::OriginalSyncReactionEvent;
use treecast_matrix::matrix_sdk::ruma::events::room::member::OriginalSyncRoomMemberEvent;
use treecast_matrix::matrix_sdk::ruma::events::room::message::OriginalSyncRoomMessageEvent;
use treecast_matrix::matrix_sdk::ruma::serde::Raw;

fuzz_target!(|raw: &[u8]| {
    let Some((&flags, rest)) = raw.split_first() else { return };
    let Ok(json) = std::str::from_utf8(rest) else { return };
    let room = RoomView {
        own_user: "@bot:localhost".into(),
        room_id: "!branch:localhost".into(),
        joined: flags & 1 == 0,
        direct: flags & 2 != 0,
    };
    let event = match (flags >> 2) % 3 {
        0 => serde_json::from_str::<OriginalSyncRoomMessageEvent>(json).ok().and_then(|ev| convert::message(&ev, &room)),
        1 => Raw::<OriginalSyncReactionEvent>::from_json_string(json.to_owned())
            .ok()
            .and_then(|raw| convert::reaction(&raw, &room)),
        _ => serde_json::from_str::<OriginalSyncRoomMemberEvent>(json).ok().and_then(|ev| convert::removal(&ev, &room)),
    };
    if let Some(ev) = event {
        assert_ne!(ev.sender.id, "@bot:localhost", "the bot's own events are not events");
        assert!(!ev.message_id.is_empty(), "every event names its message");
    }
    let _ = convert::strip_quotes(json, flags & 16 != 0);
});
