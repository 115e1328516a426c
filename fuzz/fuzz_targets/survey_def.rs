//! Survey definitions (TOML) as officials write them.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|src: &str| {
    let _ = treecast::features::surveys::def::parse("fuzz.toml", src);
});
