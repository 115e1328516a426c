//! Text as the index and the queries see it: one normal form (simplified
//! characters, half-width letters and digits, lower case) and the tokens of
//! the recall field: every Han character alone and with the next one, at
//! real positions, so a phrase of any length is a phrase of bigrams.
//!
//! Hand-written because tantivy's `NgramTokenizer` puts every gram at
//! position 0 (phrase queries break), and dictionary segmentation alone
//! loses substrings (农业 in 中国农业发展银行): jieba tokens serve ranking,
//! these serve recall.

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

pub use crate::text::normalize;

/// `normalize(s)` made character by character, with the byte offset in `s`
/// of each byte of the result (and one past the end): a snippet found in the
/// normal form is shown in the text as written (its ，and 「」 kept).
pub fn normalize_mapped(s: &str) -> (String, Vec<usize>) {
    let mut out = String::with_capacity(s.len());
    let mut at = Vec::with_capacity(s.len() + 1);
    let mut buf = [0u8; 4];
    for (b, c) in s.char_indices() {
        let n = normalize(c.encode_utf8(&mut buf));
        at.extend(std::iter::repeat_n(b, n.len()));
        out.push_str(&n);
    }
    at.push(s.len());
    (out, at)
}

/// How many characters `norm` has when all are Han (None otherwise): what
/// decides how a typed word is looked up.
pub fn han_len(norm: &str) -> Option<usize> {
    norm.chars().all(is_han).then(|| norm.chars().count())
}

/// Whether `c` is a Han character (CJK unified ideographs and extension A).
pub fn is_han(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}')
}

/// The recall tokens of normalized `text`: (text, position, byte range).
/// A Han character gives itself and, when a Han character follows, the
/// pair, both at its position; a run of other letters and digits is one
/// token; anything else separates.
pub fn grams(text: &str) -> Vec<(String, usize, usize, usize)> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let end = |j: usize| chars.get(j).map_or(text.len(), |(b, _)| *b);
    let mut out = Vec::new();
    let (mut pos, mut i) = (0, 0);
    while i < chars.len() {
        let (at, c) = chars[i];
        if is_han(c) {
            out.push((c.to_string(), pos, at, end(i + 1)));
            if let Some(&(_, next)) = chars.get(i + 1).filter(|(_, n)| is_han(*n)) {
                out.push((format!("{c}{next}"), pos, at, end(i + 2)));
            }
            pos += 1;
            i += 1;
        } else if c.is_alphanumeric() {
            while i < chars.len() && chars[i].1.is_alphanumeric() && !is_han(chars[i].1) {
                i += 1;
            }
            out.push((text[at..end(i)].to_owned(), pos, at, end(i)));
            pos += 1;
        } else {
            i += 1;
        }
    }
    out
}

/// The tokens a query term must match in sequence: (position, token). A
/// run of Han characters is its bigrams (a single character itself); a run
/// of letters and digits is itself.
pub fn query_grams(term: &str) -> Vec<(usize, String)> {
    let all = grams(&normalize(term));
    let pair_at = |p: usize| all.iter().any(|(t, q, _, _)| *q == p && t.chars().count() == 2 && t.chars().all(is_han));
    let mut out = Vec::new();
    for (t, p, _, _) in &all {
        let han = t.chars().all(is_han);
        let n = t.chars().count();
        let keep = match (han, n) {
            (true, 2) => true,
            // A character standing alone: no pair starts at it or ends on it.
            (true, _) => !pair_at(*p) && (*p == 0 || !pair_at(*p - 1)),
            (false, _) => true,
        };
        if keep {
            out.push((*p, t.clone()));
        }
    }
    out
}

/// Every 3- and 4-character substring of each Han run in normalized
/// `text`, with its position and byte range: a 3- or 4-character query
/// word is then one term (no positions to check).
pub fn long_grams(text: &str) -> Vec<(String, usize, usize, usize)> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let end = |j: usize| chars.get(j).map_or(text.len(), |(b, _)| *b);
    let mut out = Vec::new();
    for i in 0..chars.len() {
        for n in 3..=4 {
            if i + n <= chars.len() && chars[i..i + n].iter().all(|(_, c)| is_han(*c)) {
                out.push((text[chars[i].0..end(i + n)].to_owned(), i, chars[i].0, end(i + n)));
            }
        }
    }
    out
}

/// The long grams' tokenizer (registered as [`LONG_GRAMS`]).
#[derive(Clone, Default)]
pub struct LongGrams;

/// Its name in the index.
pub const LONG_GRAMS: &str = "treecast_long_grams";

impl Tokenizer for LongGrams {
    type TokenStream<'a> = Tokens;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Tokens {
        Tokens::new(to_tokens(long_grams(&normalize(text))))
    }
}

fn to_tokens(grams: Vec<(String, usize, usize, usize)>) -> Vec<Token> {
    grams
        .into_iter()
        .map(|(text, position, from, to)| Token {
            offset_from: from,
            offset_to: to,
            position,
            text,
            position_length: 1,
        })
        .collect()
}

/// The recall field's tokenizer (registered as [`GRAMS`]).
#[derive(Clone, Default)]
pub struct Grams;

/// Its name in the index.
pub const GRAMS: &str = "treecast_grams";

/// Tokens made up front, handed out one by one.
pub struct Tokens {
    tokens: Vec<Token>,
    at: usize,
}

impl Tokens {
    pub fn new(tokens: Vec<Token>) -> Tokens {
        Tokens { tokens, at: 0 }
    }
}

impl Tokenizer for Grams {
    type TokenStream<'a> = Tokens;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Tokens {
        Tokens::new(to_tokens(grams(&normalize(text))))
    }
}

impl TokenStream for Tokens {
    fn advance(&mut self) -> bool {
        self.at += 1;
        self.at <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.at - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.at - 1]
    }
}

/// Pinyin initials an org name can be typed as (`hndx` for 湖南大学团委):
/// every run of two initials or more (letters and digits stand for themselves).
pub fn initials(name: &str) -> Vec<String> {
    use pinyin::ToPinyin;
    let letters: Vec<char> = normalize(name)
        .chars()
        .filter_map(|c| match c.to_pinyin() {
            Some(p) => p.first_letter().chars().next(),
            None => c.is_ascii_alphanumeric().then_some(c),
        })
        .collect();
    let mut out = Vec::new();
    for start in 0..letters.len() {
        for end in start + 2..=letters.len() {
            out.push(letters[start..end].iter().collect::<String>());
        }
    }
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_normal_form_for_traditional_full_width_and_capitals() {
        assert_eq!(normalize("團委 ＡＢＣ２０２３　Xin"), "团委 abc2023 xin");
    }

    #[test]
    fn grams_keep_positions_and_queries_are_their_bigrams() {
        let g: Vec<(String, usize)> = grams("2023级软件工程").into_iter().map(|(t, p, _, _)| (t, p)).collect();
        let want = [
            ("2023", 0),
            ("级", 1),
            ("级软", 1),
            ("软", 2),
            ("软件", 2),
            ("件", 3),
            ("件工", 3),
            ("工", 4),
            ("工程", 4),
            ("程", 5),
        ];
        assert_eq!(g, want.map(|(t, p)| (t.to_owned(), p)));
        let q = query_grams("2023级软件工程1班");
        let want = [(0, "2023"), (1, "级软"), (2, "软件"), (3, "件工"), (4, "工程"), (6, "1"), (7, "班")];
        assert_eq!(q, want.map(|(p, t)| (p, t.to_owned())));
        assert_eq!(query_grams("团"), [(0, "团".to_owned())]);
        assert_eq!(query_grams("團委"), [(0, "团委".to_owned())]);
    }

    #[test]
    fn the_normal_form_maps_back_to_the_text_as_written() {
        let s = "團委，ＡＢ「志願」";
        let (n, at) = normalize_mapped(s);
        assert_eq!(n, normalize(s));
        let from = n.find("志愿").unwrap();
        let to = from + "志愿".len();
        assert_eq!(&s[at[from]..at[to]], "志願");
        assert_eq!(&s[at[0]..at[n.find(',').unwrap() + 1]], "團委，");
    }

    #[test]
    fn long_grams_are_every_three_and_four_character_han_run() {
        let g: Vec<String> = long_grams("青年大学习a志愿").into_iter().map(|(t, _, _, _)| t).collect();
        assert_eq!(g, ["青年大", "青年大学", "年大学", "年大学习", "大学习"]);
    }

    #[test]
    fn org_names_are_found_by_their_initials() {
        let i = initials("湖南大学团委");
        assert!(i.contains(&"hndx".to_owned()) && i.contains(&"hndxtw".to_owned()) && i.contains(&"dx".to_owned()));
        assert!(!i.contains(&"h".to_owned()), "one letter is too little");
    }
}
