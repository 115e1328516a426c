//! The adapters this build has, made from the config: the only place
//! concrete adapter crates are named.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::bail;
use treecast::config::Config;
use treecast_wire::{Adapter, Platform};

/// Builds the adapter for each enabled platform.
pub async fn adapters(cfg: &Config) -> anyhow::Result<HashMap<Platform, Arc<dyn Adapter>>> {
    let mut out: HashMap<Platform, Arc<dyn Adapter>> = HashMap::new();
    for p in Platform::ALL {
        if !cfg.enabled(p) {
            continue;
        }
        let table = cfg.adapter_table(p);
        let bad = |e: toml::de::Error| anyhow::anyhow!("{}: [{p}] {}", cfg.source.display(), e.message());
        let adapter: Arc<dyn Adapter> = match p {
            #[cfg(feature = "console")]
            Platform::Console => Arc::new(treecast_console::ConsoleAdapter::new(table.try_into().map_err(bad)?)?),
            #[cfg(feature = "telegram")]
            Platform::Telegram => {
                Arc::new(treecast_telegram::TelegramAdapter::new(table.try_into().map_err(bad)?).await?)
            }
            #[cfg(feature = "email")]
            Platform::Email => Arc::new(treecast_email::EmailAdapter::new(table.try_into().map_err(bad)?)?),
            #[cfg(feature = "matrix")]
            Platform::Matrix => {
                Arc::new(treecast_matrix::MatrixAdapter::connect(table.try_into().map_err(bad)?).await?)
            }
            #[allow(unreachable_patterns)]
            _ => bail!(
                "{}: [{p}] is enabled but this build lacks the {p} adapter; rebuild with --features {p}",
                cfg.source.display()
            ),
        };
        out.insert(p, adapter);
    }
    if out.is_empty() {
        bail!(
            "{}: no adapter is enabled; add a [console], [email], [matrix] or [telegram] section",
            cfg.source.display()
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    /// Every adapter section of the example config is what that adapter reads.
    #[test]
    fn the_example_config_parses_for_every_adapter_built() {
        let cfg = Config::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("config/treecast.example.toml")).unwrap();
        let mut checked = 0;
        #[cfg(feature = "console")]
        {
            let _: treecast_console::Settings = cfg.adapter_table(Platform::Console).try_into().unwrap();
            checked += 1;
        }
        #[cfg(feature = "email")]
        {
            let s: treecast_email::Settings = cfg.adapter_table(Platform::Email).try_into().unwrap();
            assert_eq!(s.max_recipients, 500);
            checked += 1;
        }
        #[cfg(feature = "telegram")]
        {
            let s: treecast_telegram::Settings = cfg.adapter_table(Platform::Telegram).try_into().unwrap();
            assert_eq!(s.poll_timeout_secs, 10);
            checked += 1;
        }
        #[cfg(feature = "matrix")]
        {
            let s: treecast_matrix::Settings = cfg.adapter_table(Platform::Matrix).try_into().unwrap();
            assert_eq!(s.user_id, "@treecast:example.edu.cn");
            checked += 1;
        }
        assert!(checked >= 1, "at least the console adapter is built by default");
        assert!(cfg.enabled(Platform::Console) && !cfg.enabled(Platform::Email) && !cfg.enabled(Platform::Matrix));
    }
}
