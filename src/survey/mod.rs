//! Micro-surveys (微调查) as bot conversations. Placeholder until the survey
//! engine lands: every entry point answers that surveys are not available.

use treecast_wire::Inbound;

use crate::commands::Command;
use crate::error::{Error, Result};
use crate::gateway::Handled;
use crate::tree::people::Person;
use crate::tree::Tree;

#[derive(Clone)]
pub struct Surveys {
    #[allow(dead_code)]
    tree: Tree,
}

fn unavailable() -> Error {
    Error::invalid("micro-surveys are not available yet on this server")
}

impl Surveys {
    pub fn new(tree: Tree) -> Surveys {
        Surveys { tree }
    }

    /// A free-text message in a private chat, if it answers a survey question.
    pub fn answer_text(&self, _ev: &Inbound, _person: &Option<Person>) -> Result<Option<Handled>> {
        Ok(None)
    }

    /// A button press, if it answers a survey question.
    pub fn answer_button(&self, _ev: &Inbound, _person: &Option<Person>, _data: &str) -> Result<Option<Handled>> {
        Ok(None)
    }

    /// `/start PAYLOAD` from a deep link.
    pub fn start(&self, _ev: &Inbound, _person: &Option<Person>, _payload: &str) -> Result<Handled> {
        Err(unavailable())
    }

    /// `/survey …`.
    pub fn command(&self, _ev: &Inbound, _person: &Option<Person>, _args: &[String]) -> Result<Handled> {
        Err(unavailable())
    }

    /// `/back`, `/skip`, `/cancel`.
    pub fn control(&self, _ev: &Inbound, _person: &Option<Person>, _cmd: &Command) -> Result<Handled> {
        Err(unavailable())
    }
}
