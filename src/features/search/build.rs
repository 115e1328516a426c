//! The queries the index answers: every term required (grams, long grams,
//! jieba's words, an org's initials), the filter (kinds, subtree, what the
//! reader sees, dates), the bonus that re-ranks the best, and the phrase
//! checks for long words.

use tantivy::query::{
    BooleanQuery, BoostQuery, EnableScoring, Occur, PhraseQuery, Query, Scorer, TermQuery, TermSetQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocAddress, DocSet, Term};

use super::engine::{facet, io, Engine, Filter};
use super::query::Parsed;
use super::text;
use crate::error::Result;

impl Engine {
    /// Every term must match (in title or body, or an org's initials); no
    /// excluded term may. Only required clauses: an optional one is looked
    /// up in every matching document (see `bonus` for what counts after).
    pub(super) fn query(&self, q: &Parsed, filter: &Filter, strict: bool) -> Box<dyn Query> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for term in &q.must {
            clauses.push((Occur::Must, self.term_query(term, strict)));
        }
        for term in &q.not {
            clauses.push((Occur::MustNot, self.term_query(term, true)));
        }
        if !filter.kinds.is_empty() {
            let kinds = filter.kinds.iter().map(|k| Term::from_field_text(self.f.kind, k));
            clauses.push((Occur::Must, Box::new(TermSetQuery::new(kinds))));
        }
        if !filter.within.is_empty() {
            let within = filter.within.iter().map(|p| Term::from_facet(self.f.orgs, &facet(p)));
            clauses.push((Occur::Must, Box::new(TermSetQuery::new(within))));
        }
        if let Some(sees) = &filter.sees {
            let mut any: Vec<(Occur, Box<dyn Query>)> = vec![(
                Occur::Should,
                Box::new(TermQuery::new(Term::from_field_text(self.f.public, "1"), IndexRecordOption::Basic)),
            )];
            if !sees.within.is_empty() {
                let within = sees.within.iter().map(|p| Term::from_facet(self.f.orgs, &facet(p)));
                any.push((Occur::Should, Box::new(TermSetQuery::new(within.clone()))));
                // The asker's own subtree first.
                let own: Box<dyn Query> = Box::new(TermSetQuery::new(within));
                clauses.push((Occur::Should, Box::new(BoostQuery::new(own, 0.5))));
            }
            if !sees.on_path.is_empty() {
                let on_path = sees.on_path.iter().map(|id| Term::from_field_text(self.f.reach, &id.to_string()));
                any.push((Occur::Should, Box::new(TermSetQuery::new(on_path))));
            }
            clauses.push((Occur::Must, Box::new(BooleanQuery::new(any))));
        }
        if let Some(since) = filter.since {
            let range = tantivy::query::RangeQuery::new(
                std::ops::Bound::Included(Term::from_field_i64(self.f.at, since as i64)),
                std::ops::Bound::Unbounded,
            );
            clauses.push((Occur::Must, Box::new(range)));
        }
        Box::new(BooleanQuery::new(clauses))
    }

    /// What lifts a candidate among the best: each term in the title, and
    /// jieba's words of the terms as words of the text (a match standing
    /// as a word, not across two).
    pub(super) fn bonus(&self, q: &Parsed) -> Box<dyn Query> {
        let mut any: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for term in &q.must {
            if let Some(title) = self.exact(term, self.f.title_g, self.f.title_k, true) {
                any.push((Occur::Should, Box::new(BoostQuery::new(title, 2.0))));
            }
        }
        let mut words: Vec<String> = q.must.iter().flat_map(|t| self.words(t)).collect();
        words.sort();
        words.dedup();
        for w in words {
            let q = TermQuery::new(Term::from_field_text(self.f.text_j, &w), IndexRecordOption::WithFreqs);
            any.push((Occur::Should, Box::new(q)));
        }
        Box::new(BooleanQuery::new(any))
    }

    /// `query`'s score for each of `addrs` (None where it does not match),
    /// each segment's scorer sought forward through its candidates.
    pub(super) fn scores(
        &self,
        searcher: &tantivy::Searcher,
        query: &dyn Query,
        addrs: &[DocAddress],
    ) -> Result<Vec<Option<f32>>> {
        let weight = query.weight(EnableScoring::enabled_from_searcher(searcher)).map_err(io)?;
        let mut order: Vec<usize> = (0..addrs.len()).collect();
        order.sort_by_key(|&i| (addrs[i].segment_ord, addrs[i].doc_id));
        let mut out = vec![None; addrs.len()];
        let mut current: Option<(u32, Box<dyn Scorer>)> = None;
        for i in order {
            let a = addrs[i];
            if current.as_ref().map(|c| c.0) != Some(a.segment_ord) {
                current =
                    Some((a.segment_ord, weight.scorer(searcher.segment_reader(a.segment_ord), 1.0).map_err(io)?));
            }
            let Some((_, scorer)) = current.as_mut() else { continue };
            if scorer.doc() < a.doc_id {
                scorer.seek(a.doc_id);
            }
            if scorer.doc() == a.doc_id {
                out[i] = Some(scorer.score());
            }
        }
        Ok(out)
    }

    /// A typed term as a substring of the title or body, or as initials.
    fn term_query(&self, term: &str, strict: bool) -> Box<dyn Query> {
        let text = self.exact(term, self.f.text_g, self.f.text_k, strict);
        let norm = text::normalize(term);
        let initials = (norm.chars().all(|c| c.is_ascii_alphanumeric()) && norm.len() >= 2).then(|| {
            let q = TermQuery::new(Term::from_field_text(self.f.initials, &norm), IndexRecordOption::Basic);
            Box::new(BoostQuery::new(Box::new(q), 2.0)) as Box<dyn Query>
        });
        match (text, initials) {
            (Some(t), None) => t,
            (None, Some(i)) => i,
            (Some(t), Some(i)) => Box::new(BooleanQuery::new(vec![(Occur::Should, t), (Occur::Should, i)])),
            (None, None) => Box::new(tantivy::query::EmptyQuery),
        }
    }

    /// `term` as a substring of field `grams` (positional) or `long`
    /// (3- and 4-character Han substrings): one term to look up when it
    /// can be, a phrase of its grams when it must.
    fn exact(&self, term: &str, grams: Field, long: Field, strict: bool) -> Option<Box<dyn Query>> {
        let norm = text::normalize(term);
        let n = text::han_len(&norm).unwrap_or(0);
        if (3..=4).contains(&n) {
            let q = TermQuery::new(Term::from_field_text(long, &norm), IndexRecordOption::WithFreqs);
            return Some(Box::new(q));
        }
        if n > 4 {
            // Its overlapping 4-character pieces, no positions read; strict,
            // the phrase too (positions read in every document with the pieces).
            let chars: Vec<char> = norm.chars().collect();
            let mut all: Vec<(Occur, Box<dyn Query>)> = chars
                .windows(4)
                .map(|w| {
                    let t = Term::from_field_text(long, &w.iter().collect::<String>());
                    (Occur::Must, Box::new(TermQuery::new(t, IndexRecordOption::WithFreqs)) as Box<dyn Query>)
                })
                .collect();
            if strict {
                all.push((Occur::Must, self.phrase(term, grams)?));
            }
            return Some(Box::new(BooleanQuery::new(all)));
        }
        self.phrase(term, grams)
    }

    /// `term` as its grams in sequence in field `grams` (one gram: a term).
    fn phrase(&self, term: &str, grams: Field) -> Option<Box<dyn Query>> {
        let g = text::query_grams(term);
        match g.len() {
            0 => None,
            1 => Some(Box::new(TermQuery::new(Term::from_field_text(grams, &g[0].1), IndexRecordOption::WithFreqs))),
            _ => Some(Box::new(PhraseQuery::new_with_offset(
                g.iter().map(|(p, t)| (*p, Term::from_field_text(grams, t))).collect(),
            ))),
        }
    }

    /// The phrases a loose search left unchecked: every required Han term
    /// longer than four characters, in sequence.
    pub(super) fn checks(&self, q: &Parsed) -> Option<Box<dyn Query>> {
        let long: Vec<(Occur, Box<dyn Query>)> = q
            .must
            .iter()
            .filter(|t| text::han_len(&text::normalize(t)).is_some_and(|n| n > 4))
            .filter_map(|t| self.phrase(t, self.f.text_g))
            .map(|p| (Occur::Must, p))
            .collect();
        (!long.is_empty()).then(|| Box::new(BooleanQuery::new(long)) as Box<dyn Query>)
    }

    /// Jieba's words of `term`.
    fn words(&self, term: &str) -> Vec<String> {
        use tantivy::tokenizer::TokenStream;
        let norm = text::normalize(term);
        let mut out = Vec::new();
        if let Ok(mut t) = self.index.tokenizer_for_field(self.f.text_j) {
            let mut s = t.token_stream(&norm);
            while s.advance() {
                out.push(s.token().text.clone());
            }
        }
        out
    }
}
