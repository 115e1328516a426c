//! Information services (资讯服务, 特色服务): an org (a school or above)
//! runs services such as 学习资讯, 就业招聘, 文体活动 for its subtree.
//! People of the subtree subscribe in a private chat (`/subscribe`), from
//! a deep link, or by mail (`subscribe+ID@…`, confirmed by replying: double
//! opt-in); the service's editors publish items (`/publish`, now or at a
//! time) that reach each subscriber privately through the outbox, never in
//! quiet hours, or once a morning in a bundle. Mail copies carry the
//! subscriber's own `List-Unsubscribe`.

mod commands;
mod deliver;
pub mod store;

#[cfg(test)]
mod tests;

use treecast_wire::Inbound;

use crate::catalogue::{msg, Msg};
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::msgref::MsgRef;
use crate::registry::{CommandSpec, Cx, Declaration, Feature, Handled, Invocation, Who};
use crate::schedule::{self, Job};
use crate::store::Writes;
use crate::tree::people::Person;
use store::Service;

pub use crate::config::services::Settings;

const SEND_JOB: &str = "services.send";
const BUNDLE_JOB: &str = "services.bundle";
/// Replies to a subscription confirmation mail come back as this kind.
const CONFIRM_MAIL: &str = "service-sub";
pub const MAX_ITEM: usize = 2000;

fn acts(args: &[String]) -> bool {
    matches!(args.first().map(String::as_str), Some("new" | "新建" | "editor" | "编辑"))
}

const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "services",
        aliases: &["资讯服务", "服务列表"],
        usage: "",
        help: "可订阅的资讯服务 / the information services you can subscribe to",
        who: Who::Members,
        changes_state: crate::registry::never,
    },
    CommandSpec {
        name: "service",
        aliases: &["资讯"],
        usage: "new 名称 [@ORG] | editor 名称 add|remove platform:user | 名称",
        help: "开设资讯服务、指定编辑、查看订阅数据 / run a service: create, editors, its counts",
        who: Who::Officials,
        changes_state: acts,
    },
    CommandSpec {
        name: "subscribe",
        aliases: &["订阅"],
        usage: "名称 [daily]",
        help: "订阅资讯服务（daily 每天早上一次汇总） / subscribe (daily: one bundle each morning)",
        who: Who::Members,
        changes_state: crate::registry::always,
    },
    CommandSpec {
        name: "unsubscribe",
        aliases: &["退订"],
        usage: "名称",
        help: "退订资讯服务 / unsubscribe",
        who: Who::Members,
        changes_state: crate::registry::always,
    },
    CommandSpec {
        name: "publish",
        aliases: &["发布资讯"],
        usage: "名称 [2026-12-01T08:00] + 内容",
        help: "编辑发布资讯（可定时） / an editor publishes an item (now or at a time)",
        who: Who::Members,
        changes_state: crate::registry::always,
    },
];

pub struct Services;

impl Feature for Services {
    fn declare(&self) -> Declaration {
        Declaration {
            name: "services",
            commands: COMMANDS,
            deep_links: &["svc"],
            mail_tags: &["subscribe", "unsubscribe"],
            replies: &[CONFIRM_MAIL],
            jobs: &[SEND_JOB, BUNDLE_JOB],
            admin: commands::OPS,
            module: Some("资讯服务"),
            ..Declaration::default()
        }
    }

    fn start(&self, cx: &Ctx) -> Result<()> {
        if schedule::due_at(cx.store(), BUNDLE_JOB)?.is_none() {
            let at = deliver::next_at(cx.now(), cx.config.services.bundle_at);
            schedule::schedule(cx.store(), at * 1000, &Job::new(BUNDLE_JOB, BUNDLE_JOB, Vec::new()))?;
        }
        Ok(())
    }

    fn command(&self, cx: &Cx, ev: &Inbound, inv: &Invocation) -> Result<Handled> {
        let p = cx.need_person(ev)?;
        match inv.name {
            "services" => commands::list(cx, ev, &p),
            "subscribe" => commands::subscribe(cx, ev, &p, inv),
            "unsubscribe" => commands::unsubscribe(cx, ev, &p, inv),
            "publish" => commands::publish(cx, ev, &p, inv),
            _ => commands::service(cx, ev, &p, inv),
        }
    }

    fn deep_link(&self, cx: &Cx, ev: &Inbound, payload: &str) -> Result<Handled> {
        let p = cx.need_person(ev)?;
        let id = payload.trim_start_matches("svc").parse().map_err(|_| Error::invalid(Msg::ServiceUsage.text()))?;
        let s = require(cx, id)?;
        commands::subscribe_to(cx, ev, &p, &s, store::Mode::Each)
    }

    fn mail(&self, cx: &Cx, ev: &Inbound, tag: &str, arg: &str) -> Result<Handled> {
        if tag.eq_ignore_ascii_case("unsubscribe") {
            return commands::unsubscribe_by_token(cx, ev, arg);
        }
        let p = cx.need_person(ev)?;
        let id: u64 = arg.parse().map_err(|_| Error::invalid(Msg::ServiceUsage.text()))?;
        let s = require(cx, id)?;
        commands::ask_to_confirm(cx, ev, &p, &s)
    }

    fn reply(&self, cx: &Cx, ev: &Inbound, to: MsgRef) -> Result<Handled> {
        let MsgRef::Owned { data, .. } = to else { return Ok(Handled::none()) };
        commands::confirmed(cx, ev, &data)
    }

    fn run_job(&self, cx: &Ctx, job: &Job) -> Result<Writes> {
        match job.kind.as_str() {
            SEND_JOB => deliver::send(cx, crate::store::keys::read_u64_at(&job.payload, 0, &job.key)?),
            BUNDLE_JOB => deliver::bundle(cx),
            _ => Ok(Writes::default()),
        }
    }

    fn admin(&self, cx: &Ctx, op: &str, args: serde_json::Value) -> Result<crate::admin::Reply> {
        commands::admin(cx, op, args)
    }

    fn personal_data(&self, cx: &Ctx, p: &Person) -> Result<Vec<String>> {
        let n = store::subscriptions(cx.store(), p.id)?.len();
        Ok(if n > 0 { vec![msg(Msg::MyDataSubscriptions, &[("n", &n)])] } else { Vec::new() })
    }

    /// Their subscriptions end; the items they published stay the service's.
    fn forget(&self, cx: &Ctx, p: &Person, w: &mut Writes) -> Result<()> {
        for s in store::subscriptions(cx.store(), p.id)? {
            if let Some(sub) = store::sub(cx.store(), s, p.id)? {
                store::remove_sub(w, s, p.id, &sub);
            }
        }
        Ok(())
    }
}

fn require(cx: &Ctx, id: u64) -> Result<Service> {
    store::service(cx.store(), id)?.ok_or_else(|| Error::not_found(msg(Msg::ServiceUnknownId, &[("id", &id)])))
}
