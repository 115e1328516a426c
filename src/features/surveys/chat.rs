//! The private-chat entry points: answers (text or button), `/start`, `/survey` subcommands,
//! `/back` `/skip` `/cancel`, and batches of chat events routed to them.

use treecast_wire::{ChatKind, Inbound, InboundKind};

use super::{commands, parse_survey_id, say, unknown_person, Surveys, BUTTON_TAG};
use crate::catalogue::{msg, Msg};
use crate::conversation::{parse_button, Input, Pick};
use crate::error::{Error, Result};
use crate::registry::{reply_to, Handled};
use crate::store::survey_keys as keys;
use crate::tree::people::Person;

impl Surveys {
    /// A free-text message in a private chat, if it answers a survey question.
    pub fn answer_text(&self, ev: &Inbound, person: &Option<Person>) -> Result<Option<Handled>> {
        let Some(p) = person else { return Ok(None) };
        if ev.chat.kind != ChatKind::Direct {
            return Ok(None);
        }
        let Some(id) = self.active(p.id)? else { return Ok(None) };
        let Some(c) = self.conversation(id, p.id)? else {
            self.tree.store.surveys.remove(keys::active(p.id))?;
            return Ok(None);
        };
        let s = self.load(id)?;
        self.step(ev, p, &s, c, Input::Text(&ev.text)).map(Some)
    }

    /// A button press, if it answers a survey question (data `sv:ID:Q:CHOICE`).
    pub fn answer_button(&self, ev: &Inbound, person: &Option<Person>, data: &str) -> Result<Option<Handled>> {
        let Some((id, q, pick)) = survey_button(data) else { return Ok(None) };
        let Some(p) = person else { return Err(unknown_person()) };
        let s = self.load(id)?;
        let Some(c) = self.conversation(id, p.id)? else {
            return Ok(Some(say(
                ev,
                msg(Msg::NotAnsweringThis, &[("title", &s.def().title), ("payload", &s.survey.payload())]),
            )));
        };
        if self.active(p.id)? != Some(id) {
            self.tree.store.surveys.insert(keys::active(p.id), &id.to_be_bytes())?;
        }
        self.step(ev, p, &s, c, Input::Pick { q, pick }).map(Some)
    }

    /// `/start PAYLOAD` from a deep link: `s<ID>` begins or resumes survey ID.
    pub fn start(&self, ev: &Inbound, person: &Option<Person>, payload: &str) -> Result<Handled> {
        let id = parse_survey_id(payload).ok_or_else(|| Error::invalid(msg(Msg::BadLink, &[("payload", &payload)])))?;
        self.begin(ev, person, id)
    }

    /// `/survey …`: list, launch NAME [ORG], results ID [ORG], close ID, or an ID to answer.
    pub fn command(&self, ev: &Inbound, person: &Option<Person>, args: &[String]) -> Result<Handled> {
        let sub = args.first().map(|s| s.to_lowercase()).unwrap_or_default();
        let arg = |i: usize| args.get(i).map(String::as_str);
        match sub.as_str() {
            "" | "list" | "列表" => self.list(ev, person),
            "launch" | "发布" => {
                let p = person.as_ref().ok_or_else(unknown_person)?;
                let name = arg(1).ok_or_else(|| Error::invalid(Msg::SurveyLaunchNeedsName.text()))?;
                let l = self.launch_named(p.id, name, arg(2))?;
                Ok(say(ev, l.to_text()))
            }
            "results" | "结果" => {
                let p = person.as_ref().ok_or_else(unknown_person)?;
                let id =
                    arg(1).and_then(parse_survey_id).ok_or_else(|| Error::invalid(Msg::SurveyResultsNeedsId.text()))?;
                let r = self.results_in(Some(p.id), id, arg(2))?;
                Ok(say(ev, r.to_text(12)))
            }
            "close" | "结束" => {
                let p = person.as_ref().ok_or_else(unknown_person)?;
                let id =
                    arg(1).and_then(parse_survey_id).ok_or_else(|| Error::invalid(Msg::SurveyCloseNeedsId.text()))?;
                let s = self.close(Some(p.id), id)?;
                Ok(say(ev, msg(Msg::SurveyClosedNow, &[("id", &s.id), ("title", &s.def.title)])))
            }
            _ => match parse_survey_id(&sub) {
                Some(id) => self.begin(ev, person, id),
                None => Err(Error::invalid(Msg::SurveyUsage.text())),
            },
        }
    }

    /// `/back`, `/skip`, `/cancel` (`input` is one of those three).
    pub fn control(&self, ev: &Inbound, person: &Option<Person>, input: Input) -> Result<Handled> {
        let p = person.as_ref().ok_or_else(unknown_person)?;
        let active = self.active(p.id)?;
        let conv = match active {
            Some(id) => self.conversation(id, p.id)?.map(|c| (id, c)),
            None => None,
        };
        let Some((id, c)) = conv else {
            return Ok(say(ev, Msg::NotAnsweringAny.text()));
        };
        let s = self.load(id)?;
        self.step(ev, p, &s, c, input)
    }

    /// Handles a batch of private-chat events (answers, button presses,
    /// /start, /back, /skip, /cancel) and makes all their state durable with
    /// one flush before returning the replies: the group commit the gateway
    /// does per event batch, for callers outside the gateway and the bench.
    pub fn answer_batch(&self, events: &[(Inbound, Option<Person>)]) -> Result<Vec<Handled>> {
        let mut out = Vec::with_capacity(events.len());
        for (ev, person) in events {
            let h = match self.route(ev, person) {
                Ok(h) => h,
                Err(e @ (Error::Store(_) | Error::Corrupt(_) | Error::Io(_))) => return Err(e),
                Err(e) => Handled { replies: vec![reply_to(ev, e.to_string())], rejected: Some(e.to_string()) },
            };
            out.push(h);
        }
        self.commit_pending()?;
        self.tree.store.flush()?;
        Ok(out)
    }

    fn route(&self, ev: &Inbound, person: &Option<Person>) -> Result<Handled> {
        if let InboundKind::Button { data } = &ev.kind {
            return Ok(self.answer_button(ev, person, data)?.unwrap_or_default());
        }
        let Some((name, args)) = commands::parse(&ev.text) else {
            return Ok(self.answer_text(ev, person)?.unwrap_or_default());
        };
        match name {
            "start" if !args.is_empty() => self.start(ev, person, &args[0]),
            "survey" => self.command(ev, person, &args),
            "back" => self.control(ev, person, Input::Back),
            "skip" => self.control(ev, person, Input::Skip),
            "cancel" => self.control(ev, person, Input::Cancel),
            _ => Ok(Handled::default()),
        }
    }
}

/// Reads survey button data `sv:ID:Q:CHOICE` (CHOICE a number or `ok`).
fn survey_button(data: &str) -> Option<(u64, u16, Pick)> {
    let (key, q, pick) = parse_button(data, BUTTON_TAG)?;
    Some((key.parse().ok()?, q, pick))
}
