//! The email ingest path: raw MIME as it arrives -> `Inbound` (charsets,
//! encoded words, HTML to text, quote stripping, sender proof).
#![no_main]
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use treecast_email::Settings;

fn settings() -> &'static Settings {
    static S: OnceLock<Settings> = OnceLock::new();
    S.get_or_init(|| {
        toml::from_str(
            "address = \"bot@example.test\"\nimap_host = \"127.0.0.1\"\nsmtp_host = \"127.0.0.1\"\nsecurity = \"plain\"\ntrusted_authserv_ids = [\"mail.example.test\"]\n",
        )
        .unwrap()
    })
}

fuzz_target!(|raw: &[u8]| {
    let _ = treecast_email::read(raw, settings());
    if let Ok(text) = std::str::from_utf8(raw) {
        let _ = treecast_email::strip_quoted(text);
        let _ = treecast_email::html_to_text(text);
    }
});
