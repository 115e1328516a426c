//! `treecast demo --web`: after the story, the demo's gateway keeps running
//! with the web console on 127.0.0.1. A 广东 official posts a notice of
//! their own (so a 湖南 official has something they may not see), then the
//! national official asks for a sign-in link in chat and the 湖南 official
//! by mail; the console adapter prints both, as their chats would show them.

use std::future::Future;

use treecast_wire::{Address, Inbound, Platform, Shutdown};

use super::acts::Show;
use super::{handle, official_mail, step};
use crate::error::Result;
use crate::notice::Draft;
use crate::tree::people::Role;

/// The national official's private chat, shown when the console runs.
pub const NATIONAL_CHAT: &str = "wang.national";

impl Show {
    pub async fn web_console(&self, shutdown: Shutdown, until: impl Future<Output = ()>) -> Result<()> {
        step(21, "网页工作台 The web console: sign in with a one-time link (/web), then status, charts and posting in the browser");
        let tree = &self.tree;
        let gd = tree.add_person("广东省团委学校部 黄老师")?;
        tree.add_identity(gd.id, Platform::Console, "gd.official")?;
        tree.grant(gd.id, &tree.require("44")?, Role::Official)?;
        let n = tree.post(
            gd.id,
            Draft {
                issuer_code: "44".into(),
                title: "广东省高校团组织工作例会通知".into(),
                body: "请各高校团委书记于周三参加例会。".into(),
                ack_required: true,
                ..Draft::default()
            },
            &self.app.ctx.rules(),
        )?;
        self.app.ctx.waker.wake();
        println!("广东省团委学校部 posted notice #{}", n.id);
        let console = crate::web::start(self.app.ctx.clone(), self.app.registry.clone(), shutdown).await?;
        let Some(console) = console else { return Ok(()) };
        let url = crate::web::base_url(&self.app.ctx);
        let national = Inbound::text(Address::direct(Platform::Console, NATIONAL_CHAT), NATIONAL_CHAT, "/web");
        handle(&self.gw, &national).await?;
        handle(&self.gw, &official_mail("/web")).await?;
        self.app.settle().await?;
        println!("\nweb console ready: {url} (listening on {})", console.address);
        println!("网页工作台已启动：打开上面私聊或邮件里的登录链接。按 Ctrl-C 结束。 Open a sign-in link above; Ctrl-C ends the demo.");
        until.await;
        Ok(())
    }
}
