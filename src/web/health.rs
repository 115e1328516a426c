//! The operator's page: each platform's adapter (connected, deliveries,
//! the last error, 429s in the last hour, queue depth), the event log's and
//! the scheduler's lag, and the store's size: what `/metrics` exports, for
//! a person to read.

use treecast_wire::Platform;

use super::page::{num, time, Lang};
use crate::context::Ctx;
use crate::error::Result;

/// One row of the operator's page.
pub struct Gauge {
    pub what: String,
    pub value: String,
    pub bad: bool,
}

/// Rows of the adapters' table (platform, connected, delivered, failed,
/// retried, 429s in the last hour, queued, last error) and the gauges.
pub fn read(cx: &Ctx, subscribers: &[&str], lang: Lang) -> Result<(Vec<Vec<String>>, Vec<Gauge>)> {
    let store = cx.store();
    let now_ms = cx.clock.now_ms();
    let mut depth = std::collections::BTreeMap::<Platform, usize>::new();
    for (_, q) in store.queued()? {
        *depth.entry(q.msg.to.platform).or_default() += 1;
    }
    let mut adapters = Vec::new();
    for p in Platform::ALL {
        let connected = cx.caps.connected(p);
        let h = crate::metrics::health::of(p);
        let queued = depth.get(&p).copied().unwrap_or(0);
        if !connected && queued == 0 && h.delivered == 0 && h.failed == 0 {
            continue;
        }
        let last_error = match &h.last_error {
            Some((at, why)) => format!("{} {why}", time(lang, *at)),
            None => "–".to_owned(),
        };
        adapters.push(vec![
            p.as_str().to_owned(),
            lang.t(if connected { "已连接" } else { "未连接" }, if connected { "connected" } else { "not connected" })
                .to_owned(),
            num(h.delivered as i64),
            num(h.failed as i64),
            num(h.retried as i64),
            num(h.limited.len() as i64),
            num(queued as i64),
            last_error,
        ]);
    }
    let mut gauges = Vec::new();
    let last = store.last_event();
    for name in subscribers {
        let lag = last.saturating_sub(store.position(name)?);
        gauges.push(Gauge {
            what: format!("{} {name}", lang.t("事件日志滞后", "event log lag")),
            value: num(lag as i64),
            bad: lag > 10_000,
        });
    }
    let due = crate::schedule::next_due(store)?.map_or(0, |at| now_ms.saturating_sub(at));
    gauges.push(Gauge {
        what: lang.t("调度滞后（秒）", "scheduler lag (s)").to_owned(),
        value: format!("{:.1}", due as f64 / 1000.0),
        bad: due > 60_000,
    });
    gauges.push(Gauge {
        what: lang.t("正在发送的通知", "notices sending").to_owned(),
        value: num(store.active_notices()?.len() as i64),
        bad: false,
    });
    gauges.push(Gauge {
        what: lang.t("数据库大小（MB）", "store size (MB)").to_owned(),
        value: format!("{:.1}", store.size_on_disk()? as f64 / 1e6),
        bad: false,
    });
    Ok((adapters, gauges))
}
