//! The index (tantivy): each document's title and body in three forms:
//! jieba's words (ranking), positional character grams (recall: any
//! substring, any phrase) and, without positions, every 3- and 4-character
//! Han substring (so the common 3- and 4-character word is one term to look
//! up, not a phrase whose positions are checked in every matching document);
//! its org paths as a facet (the subtree filter is one term), its kind, its
//! date, and for orgs their pinyin initials.

use std::path::Path;
use std::sync::Mutex;

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    Facet, Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, FAST, INDEXED, STORED, STRING,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::{DocAddress, Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use super::query::Parsed;
use super::text::{self, Grams, LongGrams, GRAMS, LONG_GRAMS};
use crate::error::{Error, Result};

const JIEBA: &str = "treecast_jieba";
/// Candidates re-ranked by recency after BM25.
const RERANK: usize = 50;
/// The index's layout (fields, tokenizers, settings): an index on disk of
/// another layout is made again.
const LAYOUT: &str = "2";
const VERSION_FILE: &str = "treecast-layout";
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

pub(super) struct Fields {
    pub(super) id: Field,
    pub(super) kind: Field,
    pub(super) title: Field,
    pub(super) body: Field,
    /// The title's grams and long grams (for its bonus).
    pub(super) title_g: Field,
    pub(super) title_k: Field,
    /// Title and body together: grams, long grams, jieba's words.
    pub(super) text_g: Field,
    pub(super) text_k: Field,
    pub(super) text_j: Field,
    pub(super) initials: Field,
    pub(super) orgs: Field,
    pub(super) reach: Field,
    pub(super) public: Field,
    pub(super) at: Field,
}

pub struct Engine {
    pub(super) index: Index,
    pub(super) reader: IndexReader,
    writer: Mutex<IndexWriter>,
    pub(super) f: Fields,
}

pub(super) fn io(e: impl std::fmt::Display) -> Error {
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
        title_k: text_field(&mut b, "title_k", LONG_GRAMS, false),
        text_g: text_field(&mut b, "text_g", GRAMS, true),
        text_k: text_field(&mut b, "text_k", LONG_GRAMS, false),
        text_j: text_field(&mut b, "text_j", JIEBA, false),
        initials: b.add_text_field("initials", STRING),
        orgs: b.add_facet_field("orgs", INDEXED),
        reach: b.add_text_field("reach", STRING),
        public: b.add_text_field("public", STRING),
        at: b.add_i64_field("at", INDEXED | FAST | STORED),
    };
    (b.build(), f)
}

/// The org path as a facet: `/1/5/77`.
pub(super) fn facet(path: &[u32]) -> Facet {
    Facet::from_path(path.iter().map(|id| id.to_string()))
}

impl Engine {
    /// The index in `dir` (created if missing), or in memory.
    /// An index of an earlier layout is removed first: it is derived, and
    /// the caller fills a new one from the store (its payload is empty).
    pub fn open(dir: Option<&Path>) -> Result<Engine> {
        let (schema, f) = schema();
        let builder = Index::builder().schema(schema);
        let index = match dir {
            Some(d) => {
                let version = d.join(VERSION_FILE);
                if d.exists() && std::fs::read_to_string(&version).ok().as_deref() != Some(LAYOUT) {
                    tracing::warn!(dir = %d.display(), "the search index has an earlier layout: it is made again from the store");
                    std::fs::remove_dir_all(d)?;
                }
                std::fs::create_dir_all(d)?;
                std::fs::write(&version, LAYOUT)?;
                let d = super::dir::IndexDir::open(d).map_err(io)?;
                builder.open_or_create(d).map_err(io)?
            }
            None => builder.create_in_ram().map_err(io)?,
        };
        index.tokenizers().register(GRAMS, Grams);
        index.tokenizers().register(LONG_GRAMS, LongGrams);
        // Jieba's words of the normal form, so 團委 and 团委 rank alike.
        let jieba = tantivy::tokenizer::TextAnalyzer::builder(Normalized(tantivy_jieba::JiebaTokenizer::new())).build();
        index.tokenizers().register(JIEBA, jieba);
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into().map_err(io)?;
        let writer = index.writer(WRITER_BYTES).map_err(io)?;
        Ok(Engine { index, reader, writer: Mutex::new(writer), f })
    }

    /// Equal scores among the first `upto` in their documents' id order, so
    /// a tie reads the same however the documents were written (a rebuilt
    /// index and one kept up from the log order ties differently). Only tied
    /// runs read their ids.
    fn ties_by_id(&self, searcher: &tantivy::Searcher, ranked: &mut [(f32, DocAddress)], upto: usize) -> Result<()> {
        let mut i = 0;
        while i < upto.min(ranked.len()) {
            let mut j = i + 1;
            while j < ranked.len() && ranked[j].0 == ranked[i].0 {
                j += 1;
            }
            if j - i > 1 {
                let mut run = Vec::with_capacity(j - i);
                for &(score, addr) in &ranked[i..j] {
                    let doc: TantivyDocument = searcher.doc(addr).map_err(io)?;
                    let id = doc.get_first(self.f.id).and_then(|v| v.as_str()).unwrap_or_default().to_owned();
                    run.push((id, (score, addr)));
                }
                run.sort_by(|a, b| a.0.cmp(&b.0));
                for (k, (_, x)) in run.into_iter().enumerate() {
                    ranked[i + k] = x;
                }
            }
            i = j;
        }
        Ok(())
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
            doc.add_text(self.f.title_g, &d.title);
            doc.add_text(self.f.title_k, &d.title);
            // The title thrice: a match there counts for more (in BM25's
            // term frequency, at no cost per query).
            for text in [&d.title, &d.title, &d.title, &d.body] {
                doc.add_text(self.f.text_g, text);
                doc.add_text(self.f.text_k, text);
            }
            doc.add_text(self.f.text_j, &d.title);
            doc.add_text(self.f.text_j, &d.body);
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

    /// Waits for the merges a commit started (a benchmark measures the
    /// settled index), then closes the writer.
    pub fn wait_merges(self) -> Result<()> {
        let w = self.writer.into_inner().unwrap_or_else(|e| e.into_inner());
        w.wait_merging_threads().map_err(io)
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

    /// The best `limit` hits after `offset` for `q` within `filter`, and
    /// whether more follow. (No exact total: counting every match would
    /// visit every matching document, the pruning lost.)
    pub fn search(&self, q: &Parsed, filter: &Filter, offset: usize, limit: usize) -> Result<(Vec<Hit>, bool)> {
        let searcher = self.reader.searcher();
        let want = offset + limit;
        let mut best = self.candidates(&searcher, q, filter, want.max(RERANK) + 1)?;
        let more = best.len() > want;
        best = self.rerank(&searcher, q, best)?;
        self.ties_by_id(&searcher, &mut best, want)?;
        let top: Vec<_> = best.into_iter().skip(offset).take(limit).collect();
        Ok((self.hits(&searcher, q, top)?, more))
    }

    /// The best `fetch` matches by BM25. Long words are matched by their
    /// pieces first, their phrase checked in twice the candidates needed;
    /// only if too few pass, the strict search that checks it everywhere.
    fn candidates(
        &self,
        searcher: &tantivy::Searcher,
        q: &Parsed,
        filter: &Filter,
        fetch: usize,
    ) -> Result<Vec<(f32, DocAddress)>> {
        let top =
            |query: &dyn Query, n: usize| searcher.search(query, &TopDocs::with_limit(n).order_by_score()).map_err(io);
        let mut best = match self.checks(q) {
            None => top(&*self.query(q, filter, false), fetch)?,
            Some(check) => {
                let loose = top(&*self.query(q, filter, false), 2 * fetch)?;
                let addrs: Vec<DocAddress> = loose.iter().map(|(_, a)| *a).collect();
                let ok = self.scores(searcher, &*check, &addrs)?;
                let passed: Vec<_> = loose.iter().zip(ok).filter(|(_, ok)| ok.is_some()).map(|(h, _)| *h).collect();
                if passed.len() < fetch && loose.len() == 2 * fetch {
                    top(&*self.query(q, filter, true), fetch)?
                } else {
                    passed
                }
            }
        };
        best.truncate(fetch);
        Ok(best)
    }

    /// Among the best, a bonus for the terms in the title and as jieba's
    /// words, and a lift for recent documents: a day-old one counts up to
    /// half again as much as one a year old (undated ones, orgs, not at
    /// all). Re-ranking a few dozen keeps the cost to a few dozen lookups.
    fn rerank(
        &self,
        searcher: &tantivy::Searcher,
        q: &Parsed,
        best: Vec<(f32, DocAddress)>,
    ) -> Result<Vec<(f32, DocAddress)>> {
        let addrs: Vec<DocAddress> = best.iter().map(|(_, a)| *a).collect();
        let bonus = self.scores(searcher, &*self.bonus(q), &addrs)?;
        let now = crate::clock::now_unix() as i64;
        let mut lifted = Vec::with_capacity(best.len());
        for ((score, addr), bonus) in best.into_iter().zip(bonus) {
            let score = score + bonus.unwrap_or(0.0);
            let at = searcher.segment_reader(addr.segment_ord).fast_fields().i64("at").map_err(io)?;
            let t = at.first_or_default_col(0).get_val(addr.doc_id);
            let age_days = ((now - t).max(0) / 86_400) as f32;
            let lift = if t > 0 { 0.5 / (1.0 + age_days / 30.0) } else { 0.0 };
            lifted.push((score * (1.0 + lift), addr));
        }
        lifted.sort_by(|a, b| b.0.total_cmp(&a.0));
        Ok(lifted)
    }

    /// The documents of `top`, each with a snippet marking the query's
    /// grams in its body.
    fn hits(&self, searcher: &tantivy::Searcher, q: &Parsed, top: Vec<(f32, DocAddress)>) -> Result<Vec<Hit>> {
        let marks: Vec<(Occur, Box<dyn Query>)> = q
            .must
            .iter()
            .flat_map(|t| text::query_grams(t))
            .map(|(_, g)| {
                let q = TermQuery::new(Term::from_field_text(self.f.text_g, &g), IndexRecordOption::Basic);
                (Occur::Should, Box::new(q) as Box<dyn Query>)
            })
            .collect();
        let snippets = SnippetGenerator::create(searcher, &BooleanQuery::new(marks), self.f.text_g).map_err(io)?;
        let mut hits = Vec::new();
        for (score, addr) in top {
            let doc: TantivyDocument = searcher.doc(addr).map_err(io)?;
            let get = |f: Field| doc.get_first(f).and_then(|v| v.as_str()).unwrap_or_default().to_owned();
            let body = get(self.f.body);
            let (norm, at) = text::normalize_mapped(&body);
            let snippet = snippets.snippet(&norm);
            hits.push(Hit {
                id: get(self.f.id),
                kind: get(self.f.kind),
                title: get(self.f.title),
                snippet: super::snippet::as_written(&body, &norm, &at, snippet.fragment(), snippet.highlighted()),
                at: doc.get_first(self.f.at).and_then(|v| v.as_i64()).unwrap_or(0).max(0) as u64,
                score,
            });
        }
        Ok(hits)
    }
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
