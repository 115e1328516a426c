//! The index (tantivy): each document's title and body twice, once in
//! jieba's words (ranking) and once in positional character grams (recall:
//! any substring, any phrase), its org paths as a facet (the subtree filter
//! is one term), its kind, its date, and for orgs their pinyin initials.

use std::path::Path;
use std::sync::Mutex;

use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, BoostQuery, Occur, PhraseQuery, Query, TermQuery, TermSetQuery};
use tantivy::schema::{
    Facet, Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, FAST, INDEXED, STORED, STRING,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use super::query::Parsed;
use super::text::{self, Grams, GRAMS};
use crate::error::{Error, Result};

const JIEBA: &str = "treecast_jieba";
/// Candidates re-ranked by recency after BM25.
const RERANK: usize = 50;
/// Memory for the writer's buffer before it flushes a segment.
const WRITER_BYTES: usize = 50_000_000;

pub use crate::registry::SearchDoc as Doc;

/// One result.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub id: String,
    pub kind: String,
    pub title: String,
    /// A piece of the body with the matches in 【】.
    pub snippet: String,
    pub at: u64,
    pub score: f32,
}

/// What the asker restricts the search to.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only these kinds (empty: all).
    pub kinds: Vec<String>,
    /// Only documents of orgs within any of these subtrees (empty: anywhere).
    pub within: Vec<Vec<u32>>,
    /// Only documents dated at or after this (unix seconds).
    pub since: Option<u64>,
    /// What the asker may see (None: everything, for operators).
    pub sees: Option<Sees>,
}

/// What one person may see: public documents, those of orgs within the
/// subtrees they act for, and those sent down to an org on their path.
#[derive(Debug, Clone, Default)]
pub struct Sees {
    pub within: Vec<Vec<u32>>,
    pub on_path: Vec<u32>,
}

struct Fields {
    id: Field,
    kind: Field,
    title: Field,
    body: Field,
    title_g: Field,
    body_g: Field,
    title_j: Field,
    body_j: Field,
    initials: Field,
    orgs: Field,
    reach: Field,
    public: Field,
    at: Field,
}

pub struct Engine {
    index: Index,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    f: Fields,
}

fn io(e: impl std::fmt::Display) -> Error {
    Error::Io(std::io::Error::other(format!("search index: {e}")))
}

fn text_field(b: &mut tantivy::schema::SchemaBuilder, name: &str, tokenizer: &str, positions: bool) -> Field {
    let record = if positions { IndexRecordOption::WithFreqsAndPositions } else { IndexRecordOption::WithFreqs };
    let indexing = TextFieldIndexing::default().set_tokenizer(tokenizer).set_index_option(record);
    b.add_text_field(name, TextOptions::default().set_indexing_options(indexing))
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let f = Fields {
        id: b.add_text_field("id", STRING | STORED),
        kind: b.add_text_field("kind", STRING | STORED),
        title: b.add_text_field("title", STORED),
        body: b.add_text_field("body", STORED),
        title_g: text_field(&mut b, "title_g", GRAMS, true),
        body_g: text_field(&mut b, "body_g", GRAMS, true),
        title_j: text_field(&mut b, "title_j", JIEBA, false),
        body_j: text_field(&mut b, "body_j", JIEBA, false),
        initials: b.add_text_field("initials", STRING),
        orgs: b.add_facet_field("orgs", INDEXED),
        reach: b.add_text_field("reach", STRING),
        public: b.add_text_field("public", STRING),
        at: b.add_i64_field("at", INDEXED | FAST | STORED),
    };
    (b.build(), f)
}

/// The org path as a facet: `/1/5/77`.
fn facet(path: &[u32]) -> Facet {
    Facet::from_path(path.iter().map(|id| id.to_string()))
}

impl Engine {
    /// The index in `dir` (created if missing), or in memory.
    pub fn open(dir: Option<&Path>) -> Result<Engine> {
        let (schema, f) = schema();
        let index = match dir {
            Some(d) => {
                std::fs::create_dir_all(d)?;
                let d = tantivy::directory::MmapDirectory::open(d).map_err(io)?;
                Index::open_or_create(d, schema).map_err(io)?
            }
            None => Index::create_in_ram(schema),
        };
        index.tokenizers().register(GRAMS, Grams);
        // Jieba's words of the normal form, so 團委 and 团委 rank alike.
        let jieba = tantivy::tokenizer::TextAnalyzer::builder(Normalized(tantivy_jieba::JiebaTokenizer::new())).build();
        index.tokenizers().register(JIEBA, jieba);
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into().map_err(io)?;
        let writer = index.writer(WRITER_BYTES).map_err(io)?;
        Ok(Engine { index, reader, writer: Mutex::new(writer), f })
    }

    /// Adds (or replaces, by id) `docs`; visible after `commit`.
    pub fn put(&self, docs: &[Doc]) -> Result<()> {
        let w = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        for d in docs {
            w.delete_term(Term::from_field_text(self.f.id, &d.id));
            let mut doc = TantivyDocument::default();
            doc.add_text(self.f.id, &d.id);
            doc.add_text(self.f.kind, &d.kind);
            doc.add_text(self.f.title, &d.title);
            doc.add_text(self.f.body, &d.body);
            for (g, j, text) in [(self.f.title_g, self.f.title_j, &d.title), (self.f.body_g, self.f.body_j, &d.body)] {
                doc.add_text(g, text);
                doc.add_text(j, text);
            }
            for i in d.initials_of.as_deref().map(text::initials).unwrap_or_default() {
                doc.add_text(self.f.initials, i);
            }
            for p in &d.orgs {
                doc.add_facet(self.f.orgs, facet(p));
            }
            for r in &d.reach {
                doc.add_text(self.f.reach, r.to_string());
            }
            if d.public {
                doc.add_text(self.f.public, "1");
            }
            doc.add_i64(self.f.at, d.at as i64);
            w.add_document(doc).map_err(io)?;
        }
        Ok(())
    }

    /// Removes every document; visible after `commit`.
    pub fn clear(&self) -> Result<()> {
        let w = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        w.delete_all_documents().map_err(io)?;
        Ok(())
    }

    /// Removes the document with `id`; visible after `commit`.
    pub fn remove(&self, id: &str) {
        let w = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        w.delete_term(Term::from_field_text(self.f.id, id));
    }

    /// Makes everything put so far durable and searchable; `payload` is
    /// kept with the commit (the event log position indexed up to).
    pub fn commit(&self, payload: &str) -> Result<()> {
        let mut w = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let mut prepared = w.prepare_commit().map_err(io)?;
        prepared.set_payload(payload);
        prepared.commit().map_err(io)?;
        self.reader.reload().map_err(io)
    }

    /// The payload of the last commit ("" for a new index).
    pub fn payload(&self) -> Result<String> {
        let meta = self.index.load_metas().map_err(io)?;
        Ok(meta.payload.unwrap_or_default())
    }

    /// How many documents are searchable.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The best `limit` hits after `offset` for `q` within `filter`, and how many match in all.
    pub fn search(&self, q: &Parsed, filter: &Filter, offset: usize, limit: usize) -> Result<(Vec<Hit>, usize)> {
        let query = self.query(q, filter);
        let searcher = self.reader.searcher();
        // The best by BM25 (with block-max pruning), then lifted for recent
        // documents: a day-old one counts up to half again as much as one a
        // year old (undated ones, orgs, not at all). Re-ranking a few dozen
        // keeps the pruning that scoring every match would lose.
        let want = offset + limit;
        let (best, total) =
            searcher.search(&query, &(TopDocs::with_limit(want.max(RERANK)).order_by_score(), Count)).map_err(io)?;
        let now = crate::clock::now_unix() as i64;
        let mut lifted = Vec::with_capacity(best.len());
        for (score, addr) in best {
            let at = searcher.segment_reader(addr.segment_ord).fast_fields().i64("at").map_err(io)?;
            let t = at.first_or_default_col(0).get_val(addr.doc_id);
            let age_days = ((now - t).max(0) / 86_400) as f32;
            let lift = if t > 0 { 0.5 / (1.0 + age_days / 30.0) } else { 0.0 };
            lifted.push((score * (1.0 + lift), addr));
        }
        lifted.sort_by(|a, b| b.0.total_cmp(&a.0));
        let top: Vec<_> = lifted.into_iter().skip(offset).take(limit).collect();
        let snippets = SnippetGenerator::create(&searcher, &*query, self.f.body_g).map_err(io)?;
        let mut hits = Vec::new();
        for (score, addr) in top {
            let doc: TantivyDocument = searcher.doc(addr).map_err(io)?;
            let get = |f: Field| doc.get_first(f).and_then(|v| v.as_str()).unwrap_or_default().to_owned();
            let body = get(self.f.body);
            let snippet = snippets.snippet(&text::normalize(&body));
            hits.push(Hit {
                id: get(self.f.id),
                kind: get(self.f.kind),
                title: get(self.f.title),
                snippet: marked(snippet.fragment(), snippet.highlighted()),
                at: doc.get_first(self.f.at).and_then(|v| v.as_i64()).unwrap_or(0).max(0) as u64,
                score,
            });
        }
        Ok((hits, total))
    }

    /// Every term must match (its grams in title or body, or an org's
    /// initials); no excluded term may; jieba's words add to the score.
    fn query(&self, q: &Parsed, filter: &Filter) -> Box<dyn Query> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for term in &q.must {
            clauses.push((Occur::Must, self.term_query(term)));
        }
        for term in &q.not {
            clauses.push((Occur::MustNot, self.term_query(term)));
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

    /// One typed term: its grams in sequence in the title (counted thrice)
    /// or the body, or it as initials; jieba's words of it as a bonus.
    fn term_query(&self, term: &str) -> Box<dyn Query> {
        let grams = text::query_grams(term);
        let mut any: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (field, boost) in [(self.f.title_g, 3.0), (self.f.body_g, 1.0)] {
            let q: Box<dyn Query> = match grams.len() {
                0 => continue,
                1 => Box::new(TermQuery::new(Term::from_field_text(field, &grams[0].1), IndexRecordOption::WithFreqs)),
                _ => Box::new(PhraseQuery::new_with_offset(
                    grams.iter().map(|(p, t)| (*p, Term::from_field_text(field, t))).collect(),
                )),
            };
            any.push((Occur::Should, Box::new(BoostQuery::new(q, boost))));
        }
        let norm = text::normalize(term);
        if norm.chars().all(|c| c.is_ascii_alphanumeric()) && norm.len() >= 2 {
            let q = TermQuery::new(Term::from_field_text(self.f.initials, &norm), IndexRecordOption::Basic);
            any.push((Occur::Should, Box::new(BoostQuery::new(Box::new(q), 2.0))));
        }
        let required = BooleanQuery::new(any);
        let mut words: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for field in [self.f.title_j, self.f.body_j] {
            let mut stream = self.index.tokenizer_for_field(field).map(|mut t| {
                let mut out = Vec::new();
                let mut s = t.token_stream(&norm);
                while s.advance() {
                    out.push(s.token().text.clone());
                }
                out
            });
            for w in stream.iter_mut().flatten() {
                let q = TermQuery::new(Term::from_field_text(field, w), IndexRecordOption::WithFreqs);
                words.push((Occur::Should, Box::new(q)));
            }
        }
        let mut both: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, Box::new(required))];
        if !words.is_empty() {
            both.push((Occur::Should, Box::new(BooleanQuery::new(words))));
        }
        Box::new(BooleanQuery::new(both))
    }
}

/// `fragment` with each highlighted range in 【】.
fn marked(fragment: &str, ranges: &[std::ops::Range<usize>]) -> String {
    let mut out = String::new();
    let mut at = 0;
    for r in ranges {
        if r.start < at || r.end > fragment.len() {
            continue;
        }
        out.push_str(&fragment[at..r.start]);
        out.push('【');
        out.push_str(&fragment[r.clone()]);
        out.push('】');
        at = r.end;
    }
    out.push_str(&fragment[at..]);
    out
}

/// A tokenizer over the normal form of the text (simplified, lower case).
#[derive(Clone)]
struct Normalized<T>(T);

impl<T: tantivy::tokenizer::Tokenizer> tantivy::tokenizer::Tokenizer for Normalized<T> {
    type TokenStream<'a> = text::Tokens;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> text::Tokens {
        use tantivy::tokenizer::TokenStream;
        let norm = text::normalize(text);
        let mut tokens = Vec::new();
        let mut s = self.0.token_stream(&norm);
        while s.advance() {
            tokens.push(s.token().clone());
        }
        text::Tokens::new(tokens)
    }
}
