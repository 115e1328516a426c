//! Reminders before a survey closes, only to members who have not answered.

use treecast_wire::{Address, Button, ButtonAction, Outbound};

use super::{clock, Survey, Surveys};
use crate::error::Result;
use crate::outbox::queue::Queued;
use crate::tree::people::{Person, Role};

impl Surveys {
    /// Private reminders due at `now`: for each open survey within its
    /// `remind_before_hours` of closing and not yet reminded, one message to
    /// every member of the audience who has not answered. The surveys are
    /// marked reminded here, so the caller (a periodic tick) must enqueue
    /// what it gets (`Store::enqueue`) before its next flush.
    pub fn due_reminders(&self, now: u64) -> Result<Vec<Queued>> {
        let mut out = Vec::new();
        for mut s in self.all()? {
            let before = s.def.remind_before_hours as u64 * 3600;
            if s.reminded || before == 0 || now < s.opens || now >= s.closes || now + before < s.closes {
                continue;
            }
            for p in self.not_answered(&s)? {
                if let Some(q) = reminder(&s, &p) {
                    out.push(q);
                }
            }
            s.reminded = true;
            self.put_survey(&s)?;
        }
        Ok(out)
    }

    /// Members of the audience's branches who have no finished response.
    pub fn not_answered(&self, s: &Survey) -> Result<Vec<Person>> {
        let org = self.tree.require_id(s.org)?;
        let branch_level = (self.tree.levels.len() - 1) as u8;
        let mut out = Vec::new();
        for o in self.tree.subtree(&org) {
            let o = o?;
            if o.level != branch_level {
                continue;
            }
            for p in self.tree.holders(o.id, Role::Member)? {
                if !self.has_answered(s, p.id)? {
                    out.push(p);
                }
            }
        }
        Ok(out)
    }
}

fn reminder(s: &Survey, p: &Person) -> Option<Queued> {
    let i = p.preferred_identity()?;
    let t = clock::show(s.closes);
    let text = format!(
        "【微调查提醒】《{}》将于 {t} 截止，你还没有作答。请发送 /start {} 开始（共 {} 题）。\nReminder: the survey \"{}\" closes at {t} (China time) and you have not answered yet. Send /start {} to begin.",
        s.def.title, s.payload(), s.def.questions.len(), s.def.title, s.payload()
    );
    let mut msg = Outbound::reply(format!("sr{}-{}", s.id, p.id), Address::direct(i.platform, i.user.clone()), text);
    msg.kind = treecast_wire::OutboundKind::Private;
    msg.buttons = vec![Button { label: "开始作答 Answer".into(), action: ButtonAction::StartPrivate(s.payload()) }];
    Some(Queued::new(msg))
}
