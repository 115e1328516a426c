//! The controls of every private-chat conversation (`/back`, `/skip`,
//! `/cancel`): one set of commands, handed to whichever feature has a
//! conversation under way with the sender (a survey, an interview question,
//! a form).

use std::sync::Arc;

use treecast_wire::Inbound;

use crate::catalogue::Msg;
use crate::conversation::Input;
use crate::error::Result;
use crate::registry::{CommandSpec, Cx, Declaration, Feature, Handled, Invocation, Who};

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "back",
        aliases: &["上一题"],
        usage: "",
        help: "回到上一题 / back to the previous question",
        who: Who::Anyone,
        changes_state: crate::registry::never,
    },
    CommandSpec {
        name: "skip",
        aliases: &["跳过"],
        usage: "",
        help: "跳过本题 / skip this question",
        who: Who::Anyone,
        changes_state: crate::registry::never,
    },
    CommandSpec {
        name: "cancel",
        aliases: &["取消"],
        usage: "",
        help: "放弃作答或提问 / stop answering or asking",
        who: Who::Anyone,
        changes_state: crate::registry::never,
    },
];

pub struct Conversations {
    /// Every other feature: the one with a conversation under way answers.
    sources: Vec<Arc<dyn Feature>>,
}

impl Conversations {
    pub fn new(sources: Vec<Arc<dyn Feature>>) -> Conversations {
        Conversations { sources }
    }
}

impl Feature for Conversations {
    fn declare(&self) -> Declaration {
        Declaration { name: "conversations", commands: COMMANDS, ..Declaration::default() }
    }

    fn command(&self, cx: &Cx, ev: &Inbound, inv: &Invocation) -> Result<Handled> {
        let input = match inv.name {
            "back" => Input::Back,
            "skip" => Input::Skip,
            _ => Input::Cancel,
        };
        for f in &self.sources {
            if let Some(h) = f.control(cx, ev, input)? {
                return Ok(h);
            }
        }
        Ok(Handled::say(ev, Msg::NotAnsweringAny.text()))
    }
}
