//! Search (信息搜索, issue 18). Built so far: the engine (tantivy, jieba
//! words for ranking beside positional character grams for recall,
//! traditional characters found as simplified, org names by pinyin
//! initials), the query syntax, and the recall test over labelled queries.
//! Indexing from the event log, who may see what, `/search`, the command
//! line and the API are not built yet, so the feature is not in
//! `features::all`.

pub mod engine;
pub mod query;
pub mod text;

#[cfg(test)]
mod recall;
