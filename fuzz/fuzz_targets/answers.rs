//! Answers typed into a conversation: every question kind and typed field.
#![no_main]
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use treecast::features::surveys::def::{self, Definition};

/// The sample definition uses every question type.
fn definition() -> &'static Definition {
    static D: OnceLock<Definition> = OnceLock::new();
    D.get_or_init(|| {
        let src = include_str!("../../config/surveys/sixiang-dongtai.toml");
        def::parse("sixiang-dongtai.toml", src).unwrap()
    })
}

fuzz_target!(|input: &str| {
    for q in &definition().questions {
        let _ = q.read(None, input);
    }
    use treecast::conversation::Field;
    for f in [Field::Name, Field::Mobile, Field::Landline, Field::Email, Field::Qq, Field::Date] {
        let _ = f.read(input);
    }
});
