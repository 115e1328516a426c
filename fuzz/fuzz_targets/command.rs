//! The chat command parser, through the real registry of every feature.
#![no_main]
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use treecast::app::App;
use treecast::clock::Clock;
use treecast::config::Config;
use treecast::store::Store;
use treecast::tree::{Levels, Tree};

fn app() -> &'static App {
    static APP: OnceLock<App> = OnceLock::new();
    APP.get_or_init(|| {
        let tree = Tree::new(Store::temporary().unwrap(), Levels::default_levels()).unwrap();
        App::new(tree, Config::default(), Clock::fixed(1_700_000_000)).unwrap()
    })
}

fuzz_target!(|text: &str| {
    let _ = app().registry.parse(text);
    let _ = treecast::gateway::posting_tag(text);
});
