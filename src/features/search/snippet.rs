//! A hit's snippet as written: tantivy's fragment of the normal form
//! mapped back onto the body (its ，and traditional characters kept), the
//! matches in 【】.

/// The snippet `fragment` of normal form `norm` shown in `body` as written
/// (`at`: `norm`'s byte offsets in `body`), its matches in 【】.
pub(super) fn as_written(
    body: &str,
    norm: &str,
    at: &[usize],
    fragment: &str,
    ranges: &[std::ops::Range<usize>],
) -> String {
    let Some(from) = norm.find(fragment) else { return marked(fragment, ranges) };
    let base = at[from];
    let original = &body[base..at[from + fragment.len()]];
    let ranges: Vec<_> = ranges
        .iter()
        .filter(|r| r.end <= fragment.len())
        .map(|r| at[from + r.start] - base..at[from + r.end] - base)
        .collect();
    marked(original, &ranges)
}

/// `fragment` with each highlighted range in 【】.
fn marked(fragment: &str, ranges: &[std::ops::Range<usize>]) -> String {
    let mut out = String::new();
    let mut at = 0;
    // Overlapping grams (志愿, 愿服, 服务) marked as one run.
    let mut runs: Vec<std::ops::Range<usize>> = Vec::new();
    for r in ranges {
        match runs.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => runs.push(r.clone()),
        }
    }
    for r in &runs {
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
