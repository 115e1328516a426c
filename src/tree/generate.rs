//! `tree generate`: the national tree from the real list of 2,756
//! universities, with generated class branches (class branches are not
//! public data).

use std::fmt::Write as _;
use std::path::Path;

use crate::catalogue::{msg, Msg};
use crate::error::{Error, Result};

const MAJORS_UNDERGRAD: &[&str] = &[
    "计算机科学与技术",
    "软件工程",
    "电子信息工程",
    "机械设计制造及其自动化",
    "土木工程",
    "汉语言文学",
    "英语",
    "数学与应用数学",
    "物理学",
    "化学",
    "生物科学",
    "临床医学",
    "法学",
    "经济学",
    "金融学",
    "会计学",
    "工商管理",
    "新闻学",
    "历史学",
    "思想政治教育",
];
const MAJORS_COLLEGE: &[&str] = &[
    "计算机应用技术",
    "软件技术",
    "电子商务",
    "会计",
    "护理",
    "机电一体化技术",
    "建筑工程技术",
    "汽车检测与维修技术",
    "学前教育",
    "市场营销",
    "物流管理",
    "数控技术",
];

/// One school from universities.csv.
#[derive(Debug, Clone)]
pub struct School {
    pub code: String,
    pub name: String,
    pub province_code: String,
    pub province: String,
    pub undergraduate: bool,
}

/// The real list of 2,756 universities, built into the binary so the demo and
/// `tree generate` work from any directory.
pub const UNIVERSITIES_CSV: &str = include_str!("../../config/universities.csv");

/// Reads a school list file, or the built-in one when `path` is None.
pub fn schools(path: Option<&Path>) -> Result<Vec<School>> {
    match path {
        Some(p) => read_schools(p),
        None => parse_schools(UNIVERSITIES_CSV, Path::new("<built-in universities.csv>")),
    }
}

/// Reads the school list (columns: code, name, …, province_code, province, …, level).
pub fn read_schools(path: &Path) -> Result<Vec<School>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::invalid(msg(Msg::SchoolListUnreadable, &[("path", &path.display()), ("error", &e)])))?;
    parse_schools(&text, path)
}

pub fn parse_schools(text: &str, path: &Path) -> Result<Vec<School>> {
    let mut rdr = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let h = rdr
        .headers()
        .map_err(|e| Error::invalid(msg(Msg::CsvError, &[("place", &format!("{}:1", path.display())), ("error", &e)])))?
        .clone();
    let col = |n: &str| {
        h.iter().position(|x| x == n).ok_or_else(|| {
            Error::invalid(msg(Msg::NoColumn, &[("place", &format!("{}:1", path.display())), ("column", &n)]))
        })
    };
    let (c, n, pc, p, l) = (col("code")?, col("name")?, col("province_code")?, col("province")?, col("level")?);
    let mut out = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| Error::invalid(msg(Msg::CsvError, &[("place", &path.display()), ("error", &e)])))?;
        out.push(School {
            code: rec[c].to_owned(),
            name: rec[n].to_owned(),
            province_code: rec[pc].to_owned(),
            province: rec[p].to_owned(),
            undergraduate: &rec[l] == "本科",
        });
    }
    Ok(out)
}

/// Class branch names for one school, `n` of them, unique within the school.
pub fn branch_names(school: &School, n: usize) -> Vec<String> {
    let majors = if school.undergraduate { MAJORS_UNDERGRAD } else { MAJORS_COLLEGE };
    let seed = school.code.bytes().fold(0usize, |a, b| a.wrapping_mul(31).wrapping_add(b as usize));
    let years = if school.undergraduate { 4 } else { 3 };
    let per_major = years * 3;
    (0..n)
        .map(|i| {
            let major = majors[(seed + i / per_major) % majors.len()];
            let year = 2022 + (i % years);
            let class = (i / years) % 3 + 1;
            let round = i / (per_major * majors.len());
            let class = class + 3 * round;
            format!("{major}{year}级{class}班团支部")
        })
        .collect()
}

/// The import CSV for national -> provinces -> schools -> `branches` each.
pub fn national_csv(schools: &[School], branches: usize) -> String {
    let mut out = String::with_capacity(schools.len() * (branches + 1) * 80);
    out.push_str("code,name,level,parent_code\n");
    out.push_str("CN,共青团中央学校部,national,\n");
    let mut provinces: Vec<(&str, &str)> =
        schools.iter().map(|s| (s.province_code.as_str(), s.province.as_str())).collect();
    provinces.sort();
    provinces.dedup();
    for (code, name) in provinces {
        let _ = writeln!(out, "{code},共青团{name}委学校部,province,CN");
    }
    for s in schools {
        let _ = writeln!(out, "{},{}团委,school,{}", s.code, s.name, s.province_code);
        for (i, name) in branch_names(s, branches).into_iter().enumerate() {
            let _ = writeln!(out, "{}-{:03},{name},branch,{}", s.code, i + 1, s.code);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn branch_names_are_unique_and_realistic() {
        let s = School {
            code: "4143010533".into(),
            name: "湖南大学".into(),
            province_code: "43".into(),
            province: "湖南省".into(),
            undergraduate: true,
        };
        let names = branch_names(&s, 300);
        let set: std::collections::HashSet<_> = names.iter().collect();
        assert_eq!(set.len(), 300);
        assert!(names.iter().all(|n| n.ends_with("班团支部") && n.contains("级")), "{:?}", &names[..3]);
    }
}
