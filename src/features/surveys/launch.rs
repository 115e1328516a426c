//! Launching a survey: read and check the definition, check the launcher's
//! right, store the survey, announce it as a notice with an "answer
//! privately" button to the audience's group chats.

use std::path::Path;

use treecast_wire::{Button, ButtonAction};

use super::def::{self, Closes, Definition};
use super::{clock, Survey, Surveys};
use crate::catalogue::{msg, Msg};
use crate::error::{Error, Result};
use crate::notice::Draft;
use crate::tree::auth::Action;
use crate::tree::Org;

/// What a launch did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launched {
    pub id: u64,
    pub title: String,
    pub org_code: String,
    pub org_name: String,
    /// The announcement notice (its fan-out is under way).
    pub notice: u64,
    /// `/start` payload of the private-chat link.
    pub payload: String,
    pub opens: u64,
    pub closes: u64,
}

impl Launched {
    pub fn to_text(&self) -> String {
        msg(
            Msg::SurveyLaunched,
            &[
                ("id", &self.id),
                ("title", &self.title),
                ("code", &self.org_code),
                ("org", &self.org_name),
                ("notice", &self.notice),
                ("closes", &clock::show(self.closes)),
            ],
        )
    }
}

impl Surveys {
    /// Reads and checks a definition file without launching it; errors read
    /// `FILE:LINE: what is wrong`, one per line.
    pub fn check_file(path: &Path) -> Result<Definition> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::invalid(msg(Msg::SurveyFileUnreadable, &[("path", &path.display()), ("error", &e)])))?;
        Ok(def::parse(&path.display().to_string(), &text)?)
    }

    /// `treecast survey launch FILE --org CODE`: launches the definition in
    /// `path` to `org_code`'s subtree (None: the file's `[audience] org`).
    pub fn launch_file(&self, by: u64, path: &Path, org_code: Option<&str>) -> Result<Launched> {
        let def = Self::check_file(path)?;
        let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        self.launch_def(by, &name, def, org_code)
    }

    /// `/survey launch NAME [ORG]`: launches `NAME.toml` from the surveys dir.
    pub fn launch_named(&self, by: u64, name: &str, org_code: Option<&str>) -> Result<Launched> {
        let name = name.trim().trim_end_matches(".toml");
        if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
            return Err(Error::invalid(msg(Msg::NotASurveyName, &[("name", &format!("{name:?}"))])));
        }
        let dir = self.inner.dir.read().unwrap_or_else(|e| e.into_inner()).clone();
        let path = dir.join(format!("{name}.toml"));
        if !path.exists() {
            return Err(Error::not_found(msg(Msg::NoSurveyDefinition, &[("name", &name), ("path", &path.display())])));
        }
        self.launch_file(by, &path, org_code)
    }

    /// Launches a definition given as text (`file` names it in errors).
    pub fn launch_text(&self, by: u64, file: &str, text: &str, org_code: Option<&str>) -> Result<Launched> {
        let def = def::parse(file, text)?;
        let name = Path::new(file).file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        self.launch_def(by, &name, def, org_code)
    }

    fn launch_def(&self, by: u64, name: &str, def: Definition, org_code: Option<&str>) -> Result<Launched> {
        let (org, levels) = self.audience(by, &def, org_code)?;
        let now = self.now();
        let (opens, closes) = window(&def, now)?;
        let survey = Survey {
            id: self.tree.store.next_number("survey")?,
            name: name.to_owned(),
            org: org.id,
            launched_by: by,
            opens,
            closes,
            notice: None,
            reminded: false,
            salt: rand::random(),
            def,
        };
        self.put_survey(&survey)?;
        let notice = self.announce(by, &survey, &org, levels, now)?;
        let mut survey = survey;
        survey.notice = Some(notice);
        self.put_survey(&survey)?;
        self.schedule_jobs(&survey)?;
        Ok(Launched {
            id: survey.id,
            title: survey.def.title.clone(),
            org_code: org.code,
            org_name: org.name,
            notice,
            payload: survey.payload(),
            opens: survey.opens,
            closes: survey.closes,
        })
    }

    /// The audience org (`org_code`, else the file's) if `by` may run a
    /// survey there, and the announcement's level keys (`[audience] level`,
    /// which must lie below it; empty: every level).
    fn audience(&self, by: u64, def: &Definition, org_code: Option<&str>) -> Result<(Org, Vec<String>)> {
        let code = org_code.or(def.org.as_deref()).ok_or_else(|| Error::invalid(Msg::SurveyNeedsAudience.text()))?;
        let org = self.tree.require(code)?;
        self.tree.check(by, Action::RunSurvey, &org)?;
        let levels = match &def.level {
            Some(l) => {
                let lv =
                    self.tree.levels.find(l).ok_or_else(|| {
                        Error::invalid(msg(Msg::AudienceNoSuchLevel, &[("level", &format!("{l:?}"))]))
                    })?;
                if lv <= org.level {
                    return Err(Error::invalid(msg(
                        Msg::AudienceLevelNotBelow,
                        &[("level", &l), ("code", &org.code), ("name", &org.name)],
                    )));
                }
                vec![l.clone()]
            }
            None => Vec::new(),
        };
        Ok((org, levels))
    }

    /// Posts the announcement notice of a stored survey and returns its id;
    /// if the post fails the survey is removed again.
    fn announce(&self, by: u64, survey: &Survey, org: &Org, levels: Vec<String>, now: u64) -> Result<u64> {
        let draft = Draft {
            issuer_code: org.code.clone(),
            title: format!("【微调查】{}", survey.def.title),
            body: announcement(survey, now),
            levels,
            ack_required: false,
            buttons: vec![Button {
                label: "私聊作答 Answer privately".into(),
                action: ButtonAction::StartPrivate(survey.payload()),
            }],
            ..Draft::default()
        };
        let rules = self.inner.rules.read().unwrap_or_else(|e| e.into_inner()).clone();
        match self.tree.post_even_unreachable(by, draft, &rules) {
            Ok(n) => Ok(n.id),
            Err(e) => {
                self.tree.store.surveys.remove(crate::store::survey_keys::survey(survey.id))?;
                Err(e)
            }
        }
    }
}

/// When a survey launched `now` opens and closes (`days` count from the
/// later of the two); refused when it would already be closed.
fn window(def: &Definition, now: u64) -> Result<(u64, u64)> {
    let opens = def.opens.unwrap_or(now);
    let closes = match def.closes {
        Closes::At(t) => t,
        Closes::After(days) => opens.max(now) + days as u64 * 86400,
    };
    if closes <= now {
        return Err(Error::invalid(msg(Msg::SurveyClosesInPast, &[("closes", &clock::show(closes))])));
    }
    Ok((opens, closes))
}

fn announcement(s: &Survey, now: u64) -> String {
    let mut b = String::new();
    if !s.def.intro.is_empty() {
        b.push_str(&s.def.intro);
        b.push_str("\n\n");
    }
    let n = s.def.questions.len();
    b.push_str(&format!("共 {n} 题，请于 {} 前作答", clock::show(s.closes)));
    if s.opens > now {
        b.push_str(&format!("（{} 开始）", clock::show(s.opens)));
    }
    b.push_str(if s.def.anonymous { "；匿名调查。" } else { "；实名调查。" });
    b.push_str(&format!(
        "\n请点击下方按钮与机器人私聊作答，或私聊机器人发送 /start {}。\n{n} questions, open until {} (China time){}. Answer in a private chat with the bot: press the button, or send /start {} to the bot.",
        s.payload(),
        clock::show(s.closes),
        if s.def.anonymous { ", anonymous" } else { "" },
        s.payload()
    ));
    b
}
