//! One normal form of Chinese text, for everything that compares what
//! people type: search, topic tags. Simplified characters (OpenCC's tables,
//! by `fast2s`), full-width ASCII made half-width, lower case: 團委 and 团委,
//! ＃青春＃ and #青春# are the same.

pub fn normalize(s: &str) -> String {
    let simplified = fast2s::convert(s);
    simplified
        .chars()
        .map(|c| match c {
            '\u{3000}' => ' ',
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// Whether `a` looks like a mail address (local@domain.tld, no spaces).
pub fn is_address(a: &str) -> bool {
    matches!(a.split_once('@'), Some((l, d)) if !l.is_empty() && d.contains('.') && !d.contains('@') && !a.contains(char::is_whitespace))
}
