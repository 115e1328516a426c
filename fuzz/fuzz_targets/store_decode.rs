//! Store decoding of arbitrary bytes: a damaged value is an error, never a
//! panic, for every stored type.
#![no_main]
use libfuzzer_sys::fuzz_target;
use treecast::store::decode;

fuzz_target!(|bytes: &[u8]| {
    let _ = decode::<treecast::notice::Notice>(bytes);
    let _ = decode::<treecast::tree::Org>(bytes);
    let _ = decode::<treecast::tree::channels::Channel>(bytes);
    let _ = decode::<treecast::tree::people::Person>(bytes);
    let _ = decode::<treecast::notice::fanout::DeliveryRow>(bytes);
    let _ = decode::<treecast::outbox::queue::Queued>(bytes);
    let _ = decode::<treecast::msgref::MsgRef>(bytes);
    let _ = decode::<treecast::events::Event>(bytes);
    let _ = decode::<treecast::schedule::Job>(bytes);
    let _ = decode::<treecast::codes::Grant>(bytes);
});
