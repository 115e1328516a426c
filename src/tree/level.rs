//! Levels of the tree (national, province, school, branch by default) and
//! their naming rules.

use regex::Regex;
use serde::Deserialize;

use crate::catalogue::{msg, Msg};
use crate::error::{Error, Result};

/// One level as configured.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelSpec {
    /// Short English key used in CSV files and commands, e.g. `branch`.
    pub key: String,
    /// The organisation's own word, e.g. 团支部.
    pub name: String,
    /// A regex every org name at this level must match.
    #[serde(default)]
    pub naming: Option<String>,
    /// Shown when a name breaks the rule, e.g. "a branch name must end in 团支部".
    #[serde(default)]
    pub naming_hint: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Level {
    pub key: String,
    pub name: String,
    naming: Option<Regex>,
    hint: String,
}

/// The ordered levels, top first. An org's level is its index here.
#[derive(Debug, Clone)]
pub struct Levels {
    levels: Vec<Level>,
}

impl Levels {
    pub fn from_specs(specs: &[LevelSpec]) -> Result<Levels> {
        if specs.is_empty() || specs.len() > 16 {
            return Err(Error::invalid(Msg::LevelCount.text()));
        }
        let mut levels = Vec::new();
        for (i, s) in specs.iter().enumerate() {
            if levels.iter().any(|l: &Level| l.key == s.key) {
                return Err(Error::invalid(msg(Msg::LevelKeyTwice, &[("i", &i), ("key", &format!("{:?}", s.key))])));
            }
            let naming = match &s.naming {
                Some(re) => Some(
                    Regex::new(re).map_err(|e| Error::invalid(msg(Msg::LevelBadRegex, &[("i", &i), ("error", &e)])))?,
                ),
                None => None,
            };
            let hint = s.naming_hint.clone().unwrap_or_else(|| match &s.naming {
                Some(re) => msg(Msg::NamingMustMatch, &[("level", &s.name), ("key", &s.key), ("re", re)]),
                None => String::new(),
            });
            levels.push(Level { key: s.key.clone(), name: s.name.clone(), naming, hint });
        }
        Ok(Levels { levels })
    }

    /// National -> province -> school -> branch, with the League's naming.
    pub fn default_specs() -> Vec<LevelSpec> {
        let spec = |key: &str, name: &str, naming: &str, hint: Msg| LevelSpec {
            key: key.into(),
            name: name.into(),
            naming: Some(naming.into()),
            naming_hint: Some(hint.text().into()),
        };
        vec![
            spec("national", "全国", r"\S", Msg::NamingNational),
            spec("province", "省级", r"(学校部|学校工作部|团委)$", Msg::NamingProvince),
            spec("school", "高校团委", r"团委$", Msg::NamingSchool),
            spec("branch", "团支部", r"团支部$", Msg::NamingBranch),
        ]
    }

    pub fn default_levels() -> Levels {
        Levels::from_specs(&Levels::default_specs()).expect("default levels are valid")
    }

    pub fn len(&self) -> usize {
        self.levels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.levels.is_empty()
    }

    pub fn get(&self, i: u8) -> Option<&Level> {
        self.levels.get(i as usize)
    }

    /// Finds a level by key or by its Chinese name.
    pub fn find(&self, word: &str) -> Option<u8> {
        let w = word.trim();
        self.levels.iter().position(|l| l.key.eq_ignore_ascii_case(w) || l.name == w).map(|i| i as u8)
    }

    /// The level's name as users read it (`省级团委`), "" past the last.
    pub fn name(&self, i: u8) -> &str {
        self.get(i).map(|l| l.name.as_str()).unwrap_or("")
    }

    pub fn key(&self, i: u8) -> &str {
        self.get(i).map(|l| l.key.as_str()).unwrap_or("?")
    }

    pub fn iter(&self) -> impl Iterator<Item = (u8, &Level)> {
        self.levels.iter().enumerate().map(|(i, l)| (i as u8, l))
    }

    /// What the naming rule of `level` asks for, in one sentence (empty if none).
    pub fn hint(&self, level: u8) -> &str {
        self.get(level).map(|l| l.hint.as_str()).unwrap_or_default()
    }

    /// Checks `name` against the rule of `level`; the error is one sentence.
    pub fn check_name(&self, level: u8, name: &str) -> Result<()> {
        let name = name.trim();
        if name.is_empty() {
            return Err(Error::invalid(Msg::NameEmpty.text()));
        }
        if name.chars().count() > 100 {
            return Err(Error::invalid(Msg::NameTooLong.text()));
        }
        let Some(l) = self.get(level) else {
            return Err(Error::invalid(msg(Msg::NoLevelNumber, &[("level", &level)])));
        };
        match &l.naming {
            Some(re) if !re.is_match(name) => {
                Err(Error::invalid(msg(Msg::NameBreaksRule, &[("name", &format!("{name:?}")), ("hint", &l.hint)])))
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn branch_names_must_end_in_tuanzhibu() {
        let l = Levels::default_levels();
        let branch = l.find("branch").unwrap();
        assert!(l.check_name(branch, "计算机科学与技术2023级1班团支部").is_ok());
        let err = l.check_name(branch, "计算机2023级1班").unwrap_err().to_string();
        assert!(err.contains("must end in 团支部"), "{err}");
        assert_eq!(l.find("团支部"), Some(branch));
    }

    #[test]
    fn a_bad_regex_names_the_key() {
        let mut specs = Levels::default_specs();
        specs[2].naming = Some("(".into());
        let err = Levels::from_specs(&specs).unwrap_err().to_string();
        assert!(err.contains("levels[2].naming"), "{err}");
    }
}
