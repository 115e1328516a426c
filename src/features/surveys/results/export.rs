//! Exports of survey results: one row per response as CSV or .xlsx, with a participation sheet per org.

use std::path::Path;

use super::super::answer::{letter, number, Answer};
use super::super::def::Kind;
use super::super::{clock, Response};
use super::MIN_ANONYMOUS_GROUP;
use super::{Results, Tally};
use crate::catalogue::{msg, Msg};
use crate::error::{Error, Result};

impl Results {
    /// Column headers of the exports.
    pub fn header(&self) -> Vec<String> {
        let mut h = vec!["#".to_owned()];
        if !self.survey.def.anonymous {
            h.extend(["person_id", "name", "submitted"].map(str::to_owned));
        }
        for k in self.level_keys.iter().skip(1) {
            h.push(format!("{k}_code"));
            h.push(format!("{k}_name"));
        }
        for (i, q) in self.survey.def.questions.iter().enumerate() {
            h.push(format!("Q{} {}", i + 1, q.text));
        }
        h
    }

    /// Anonymous results over fewer than MIN_ANONYMOUS_GROUP responses are
    /// not exported: the rows would be the few people's answers.
    fn must_show_answers(&self) -> Result<()> {
        if self.answers_shown() {
            return Ok(());
        }
        Err(crate::error::Error::denied(msg(
            Msg::TooFewToExport,
            &[("org", &self.scope.name), ("n", &MIN_ANONYMOUS_GROUP)],
        )))
    }

    /// One export row per response, as strings.
    pub fn rows(&self) -> Vec<Vec<String>> {
        self.responses.iter().enumerate().map(|(n, r)| self.row(n, r)).collect()
    }

    fn row(&self, n: usize, r: &Response) -> Vec<String> {
        let mut row = vec![(n + 1).to_string()];
        if !self.survey.def.anonymous {
            let p = r.person.unwrap_or(0);
            row.push(p.to_string());
            row.push(self.names.get(&p).cloned().unwrap_or_default());
            row.push(r.at.map(clock::show).unwrap_or_default());
        }
        let mut cols = vec![None; self.level_keys.len()];
        if let Some(b) = self.by_id.get(&r.branch) {
            for o in b.path.iter().filter_map(|id| self.by_id.get(id)) {
                // Anonymous: an org shared by fewer than MIN_ANONYMOUS_GROUP
                // respondents would point at them; its column stays empty
                // and the row shows only the levels above.
                let below_scope = o.is_within(&self.scope) && o.id != self.scope.id;
                if self.survey.def.anonymous && below_scope && self.responses_in(o.id) < MIN_ANONYMOUS_GROUP {
                    break;
                }
                if let Some(c) = cols.get_mut(o.level as usize) {
                    *c = Some(o);
                }
            }
        }
        for o in cols.iter().skip(1) {
            row.push(o.map(|o| o.code.clone()).unwrap_or_default());
            row.push(o.map(|o| o.name.clone()).unwrap_or_default());
        }
        for (q, a) in self.survey.def.questions.iter().zip(&r.answers) {
            row.push(a.as_ref().map(|a| export_value(a, q)).unwrap_or_default());
        }
        row
    }

    pub fn write_csv(&self, path: &Path) -> Result<()> {
        let bytes = self.csv_bytes(path)?;
        std::fs::write(path, bytes).map_err(|e| io(path, e))
    }

    /// The CSV export (one row per response); `path` names it in errors.
    pub fn csv_bytes(&self, path: &Path) -> Result<Vec<u8>> {
        self.must_show_answers()?;
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(self.header()).map_err(|e| io(path, e))?;
        for row in self.rows() {
            w.write_record(row).map_err(|e| io(path, e))?;
        }
        w.into_inner().map_err(|e| io(path, e))
    }

    pub fn write_xlsx(&self, path: &Path) -> Result<()> {
        let bytes = self.xlsx_bytes(path)?;
        std::fs::write(path, bytes).map_err(|e| io(path, e))
    }

    /// An .xlsx workbook: sheet 答卷 (one row per response) and sheet 参与率
    /// (participation and tallies per org); `path` names it in errors.
    pub fn xlsx_bytes(&self, path: &Path) -> Result<Vec<u8>> {
        self.must_show_answers()?;
        use rust_xlsxwriter::{Format, Workbook};
        let x = |e: rust_xlsxwriter::XlsxError| io(path, e);
        let mut wb = Workbook::new();
        let bold = Format::new().set_bold();
        let sheet = wb.add_worksheet().set_name("答卷 Responses").map_err(x)?;
        for (c, h) in self.header().iter().enumerate() {
            sheet.write_string_with_format(0, c as u16, h, &bold).map_err(x)?;
        }
        let first_answer = self.header().len() - self.survey.def.questions.len();
        for (r, row) in self.rows().iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                let numeric = c >= first_answer
                    && matches!(
                        self.survey.def.questions[c - first_answer].kind,
                        Kind::Number { .. } | Kind::Rating { .. }
                    );
                match v.parse::<f64>() {
                    Ok(n) if numeric || c == 0 => sheet.write_number(r as u32 + 1, c as u16, n).map_err(x)?,
                    _ => sheet.write_string(r as u32 + 1, c as u16, v).map_err(x)?,
                };
            }
        }
        let sheet = wb.add_worksheet().set_name("参与率 Participation").map_err(x)?;
        let mut head =
            vec!["code".to_owned(), "name".into(), "level".into(), "members".into(), "responses".into(), "rate".into()];
        for (i, q) in self.survey.def.questions.iter().enumerate() {
            head.extend(tally_heads(i, &q.kind));
        }
        for (c, h) in head.iter().enumerate() {
            sheet.write_string_with_format(0, c as u16, h, &bold).map_err(x)?;
        }
        for (r, o) in self.orgs.iter().enumerate() {
            let r = r as u32 + 1;
            sheet.write_string(r, 0, &o.org.code).map_err(x)?;
            sheet.write_string(r, 1, &o.org.name).map_err(x)?;
            sheet
                .write_string(r, 2, self.level_keys.get(o.org.level as usize).map(String::as_str).unwrap_or(""))
                .map_err(x)?;
            sheet.write_number(r, 3, o.members as f64).map_err(x)?;
            sheet.write_number(r, 4, o.responses as f64).map_err(x)?;
            if o.members > 0 {
                sheet.write_number(r, 5, o.responses as f64 / o.members as f64).map_err(x)?;
            }
            let mut c = 6u16;
            for t in &o.tallies {
                for v in tally_values(t) {
                    sheet.write_number(r, c, v).map_err(x)?;
                    c += 1;
                }
            }
        }
        wb.save_to_buffer().map_err(x)
    }
}

fn tally_heads(i: usize, kind: &Kind) -> Vec<String> {
    match kind {
        Kind::Single { choices } | Kind::Multi { choices, .. } => {
            (0..choices.len()).map(|k| format!("Q{} {}", i + 1, letter(k as u8))).collect()
        }
        Kind::Rating { .. } => (1..=5).map(|k| format!("Q{} {k}★", i + 1)).collect(),
        Kind::Number { .. } => vec![format!("Q{} n", i + 1), format!("Q{} mean", i + 1)],
        Kind::Text { .. } | Kind::Field(_) => vec![format!("Q{} answers", i + 1)],
    }
}

fn tally_values(t: &Tally) -> Vec<f64> {
    match t {
        Tally::Counts(v) => v.iter().map(|n| *n as f64).collect(),
        Tally::Numbers { count, sum, .. } => vec![*count as f64, if *count > 0 { sum / *count as f64 } else { 0.0 }],
        Tally::Texts(n) => vec![*n as f64],
    }
}

/// An answer as an export cell: choice letters and texts, numbers plain.
fn export_value(a: &Answer, q: &super::super::Question) -> String {
    match a {
        Answer::Number(n) => number(*n),
        Answer::Rating(r) => r.to_string(),
        _ => a.show(q.kind.choices()),
    }
}

fn io(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::invalid(msg(Msg::ExportWriteFailed, &[("path", &path.display()), ("error", &e)]))
}
