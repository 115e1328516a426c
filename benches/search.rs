//! Search benchmark: DOCS synthetic Chinese notices (default 1,000,000;
//! realistic lengths, the League's vocabulary and the real school names,
//! generated here from a fixed seed) indexed by treecast's engine and, as
//! the yardstick in the same run, by SQLite FTS5 (bigrams made in Rust into
//! a unicode61 column, as the issue asks). Reports build time, index size,
//! peak RSS, and query latency p50/p99 over 1,000 queries of 1-4 words.
//! treecast's queries run in a fresh process that only opens the index and
//! serves (as `serve` would), so its RSS is the serving RSS, not the build's.
//! Each engine answers 200 other queries first, untimed (a server is warm).
//! Plain `fn main`: `cargo bench --bench search [-- DOCS]`.

use std::path::Path;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use treecast::features::search::engine::{Doc, Engine, Filter};
use treecast::features::search::query::parse;
use treecast::features::search::text::{grams, is_han, normalize, query_grams};

#[path = "support/rss.rs"]
mod rss;

const WORDS: &[&str] = &[
    "团委",
    "团支部",
    "志愿服务",
    "主题团日",
    "青年大学习",
    "社会实践",
    "招聘",
    "评议",
    "团员",
    "发展",
    "培训",
    "学习",
    "活动",
    "通知",
    "报送",
    "竞赛",
    "创新创业",
    "科技",
    "文化",
    "体育",
    "网络安全",
    "心理健康",
    "资助",
    "奖学金",
    "毕业生",
    "就业",
    "实习",
    "宣讲",
    "典型",
    "榜样",
    "表彰",
    "优秀",
    "组织",
    "工作",
    "会议",
    "材料",
    "截止",
    "提交",
    "各高校",
    "学院",
    "班级",
    "团费",
    "换届",
    "选举",
    "推荐",
    "评选",
    "暑期",
    "寒假",
    "返乡",
    "调研",
    "报告",
    "总结",
    "计划",
    "安排",
    "考核",
    "检查",
    "整改",
    "落实",
    "宣传",
    "新媒体",
    "微博",
    "微信",
    "公众号",
    "直播",
    "讲座",
    "座谈",
    "交流",
    "合作",
    "共建",
    "基层",
    "团干部",
    "团课",
    "入团",
    "积极分子",
    "青春",
    "奋斗",
    "理想",
    "信念",
    "教育",
    "实践",
    "服务",
    "社区",
    "乡村振兴",
    "支教",
    "环保",
    "献血",
    "义诊",
    "防疫",
    "安全教育",
    "消防",
    "演练",
    "运动会",
    "文艺",
    "晚会",
    "合唱",
    "比赛",
    "征文",
    "摄影",
    "书法",
];
const VERBS: &[&str] = &["开展", "组织", "做好", "推进", "加强", "举办", "启动", "完成", "部署", "参加"];

fn sentence(rng: &mut StdRng, schools: &[String]) -> String {
    let n = rng.random_range(3..8);
    let mut s = String::new();
    if rng.random_bool(0.3) {
        s.push_str(schools.choose(rng).unwrap());
    }
    for i in 0..n {
        if i % 2 == 0 {
            s.push_str(VERBS.choose(rng).unwrap());
        }
        s.push_str(WORDS.choose(rng).unwrap());
    }
    if rng.random_bool(0.2) {
        s.push_str(&format!("{}月{}日前", rng.random_range(1..13), rng.random_range(1..29)));
    }
    s.push('。');
    s
}

fn notice(rng: &mut StdRng, schools: &[String], i: usize) -> Doc {
    let title =
        format!("关于{}{}{}的通知", VERBS.choose(rng).unwrap(), WORDS.choose(rng).unwrap(), WORDS.choose(rng).unwrap());
    let mut body = String::new();
    // 80 to 500 characters, as notices are.
    let target = rng.random_range(80..500);
    while body.chars().count() < target {
        body.push_str(&sentence(rng, schools));
    }
    Doc {
        id: format!("notice:{i}"),
        kind: "notice".into(),
        title,
        body,
        orgs: vec![vec![1, rng.random_range(2..33)]],
        at: 1_700_000_000 + i as u64 * 30,
        ..Doc::default()
    }
}

fn query(rng: &mut StdRng, schools: &[String]) -> String {
    let n = rng.random_range(1..5);
    let mut words: Vec<String> = (0..n).map(|_| WORDS.choose(rng).unwrap().to_string()).collect();
    if rng.random_bool(0.1) {
        words[0] = schools.choose(rng).unwrap().chars().take(4).collect();
    }
    words.join(" ")
}

/// Bigrams of Han runs (a lone character itself), other words whole,
/// space-separated: FTS5's unicode61 input, with a phrase of bigrams as
/// consecutive tokens just as in treecast's grams.
fn bigram_text(s: &str) -> String {
    let g = grams(&normalize(s));
    let pair_at = |p: usize| g.iter().any(|(t, q, _, _)| *q == p && t.chars().count() == 2 && t.chars().all(is_han));
    let keep = |t: &str, p: usize| {
        let han = t.chars().all(is_han);
        !han || t.chars().count() == 2 || (!pair_at(p) && (p == 0 || !pair_at(p - 1)))
    };
    let tokens: Vec<&str> = g.iter().filter(|(t, p, _, _)| keep(t, *p)).map(|(t, _, _, _)| t.as_str()).collect();
    tokens.join(" ")
}

/// An FTS5 MATCH for the words: each word a phrase of its bigrams, all required.
fn fts_query(q: &str) -> String {
    let phrase = |w: &str| query_grams(w).into_iter().map(|(_, t)| t).collect::<Vec<_>>().join(" ");
    q.split_whitespace().map(|w| format!("\"{}\"", phrase(w))).collect::<Vec<_>>().join(" AND ")
}

fn dir_bytes(p: &Path) -> u64 {
    std::fs::read_dir(p)
        .map(|d| {
            d.flatten()
                .map(|e| e.metadata().map(|m| if m.is_dir() { dir_bytes(&e.path()) } else { m.len() }).unwrap_or(0))
                .sum()
        })
        .unwrap_or(0)
}

fn percentiles(mut t: Vec<Duration>) -> (f64, f64) {
    t.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    (ms(t[t.len() / 2]), ms(t[t.len() * 99 / 100]))
}

/// The serving side: open the index at `dir`, run the queries, print
/// latency and the process's memory.
fn serve(dir: &Path, queries: &[String], warm_up: &[String]) {
    let engine = Engine::open(Some(dir)).unwrap();
    // A serving process is warm: other queries first (not timed).
    for q in warm_up {
        engine.search(&parse(q).unwrap(), &Filter::default(), 0, 10).unwrap();
    }
    let mut times = Vec::new();
    let mut found = 0;
    for q in queries {
        let t = Instant::now();
        let (hits, _) = engine.search(&parse(q).unwrap(), &Filter::default(), 0, 10).unwrap();
        times.push(t.elapsed());
        found += usize::from(!hits.is_empty());
    }
    if std::env::var_os("SEARCH_BENCH_DEBUG").is_some() {
        let mut slow: Vec<(Duration, &String)> = times.iter().copied().zip(queries).collect();
        slow.sort();
        for (t, q) in slow.iter().rev().take(15) {
            eprintln!("slow: {:.1} ms {q}", t.as_secs_f64() * 1000.0);
        }
    }
    if std::env::var_os("SEARCH_BENCH_DEBUG").is_some() {
        // Resident pages per mapped index file, largest first.
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap_or_default();
        let mut files: Vec<(u64, String)> = Vec::new();
        let mut name = String::new();
        for l in smaps.lines() {
            if l.contains(" r--s ") || l.contains(" rw-p ") || l.contains(" r--p ") || l.contains(" r-xp ") {
                name = l.split_whitespace().nth(5).unwrap_or("").to_owned();
            } else if let Some(kb) = l.strip_prefix("Rss:") {
                let kb: u64 = kb.trim().trim_end_matches(" kB").trim().parse().unwrap_or(0);
                if name.contains("tantivy") {
                    files.push((kb, name.rsplit('/').next().unwrap_or("").to_owned()));
                }
            }
        }
        let mut by_ext: std::collections::BTreeMap<String, u64> = Default::default();
        for (kb, f) in &files {
            *by_ext.entry(f.rsplit('.').next().unwrap_or("").to_owned()).or_default() += kb;
        }
        eprintln!(
            "resident MB by index file kind: {:?}",
            by_ext.iter().map(|(k, v)| (k, v / 1024)).collect::<Vec<_>>()
        );
    }
    let (p50, p99) = percentiles(times);
    println!("latency p50 {p50:>6.2} ms  p99 {p99:>6.2} ms  ({found} with results)");
    println!(
        "rss peak {:.0} MB, now {:.0} MB (anonymous {:.0} MB, mapped index files {:.0} MB)",
        rss::peak_rss_mb(),
        rss::status_mb("VmRSS:"),
        rss::status_mb("RssAnon:"),
        rss::status_mb("RssFile:")
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let docs: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(1_000_000);
    let schools: Vec<String> =
        treecast::tree::generate::read_schools(&Path::new(env!("CARGO_MANIFEST_DIR")).join("config/universities.csv"))
            .unwrap()
            .into_iter()
            .map(|s| s.name)
            .collect();
    let dir = tempfile::tempdir().unwrap();
    let mut rng = StdRng::seed_from_u64(17);
    let queries: Vec<String> = (0..1000).map(|_| query(&mut rng, &schools)).collect();
    // Other queries to warm each engine up with (not timed).
    let mut rng = StdRng::seed_from_u64(99);
    let warm_up: Vec<String> = (0..200).map(|_| query(&mut rng, &schools)).collect();
    if let Some(at) = args.iter().position(|a| a == "--serve") {
        return serve(Path::new(&args[at + 1]), &queries, &warm_up);
    }

    // treecast's engine.
    let engine = Engine::open(Some(&dir.path().join("tantivy"))).unwrap();
    let mut rng = StdRng::seed_from_u64(1);
    let t = Instant::now();
    let mut batch = Vec::with_capacity(10_000);
    for i in 0..docs {
        batch.push(notice(&mut rng, &schools, i));
        if batch.len() == 10_000 {
            engine.put(&batch).unwrap();
            batch.clear();
        }
    }
    engine.put(&batch).unwrap();
    engine.commit("bench").unwrap();
    engine.wait_merges().unwrap();
    let build = t.elapsed();
    let size = dir_bytes(&dir.path().join("tantivy"));
    let rss_after_build = rss::peak_rss_mb();
    println!("docs {docs}, 1000 queries of 1-4 words");
    let served = std::process::Command::new(std::env::current_exe().unwrap())
        .arg("--serve")
        .arg(dir.path().join("tantivy"))
        .output()
        .unwrap();
    assert!(served.status.success(), "{}", String::from_utf8_lossy(&served.stderr));
    eprint!("{}", String::from_utf8_lossy(&served.stderr));
    let served = String::from_utf8_lossy(&served.stdout).into_owned();
    let line = |key: &str| served.lines().find_map(|l| l.strip_prefix(key)).unwrap_or("?").to_owned();
    println!(
        "treecast (tantivy)  build {:>7.1} s  index {:>7.1} MB  {}  (10 hits with snippets)",
        build.as_secs_f64(),
        size as f64 / 1e6,
        line("latency ")
    );
    println!("                    peak RSS while building {rss_after_build:.0} MB; serving process: {}", line("rss "));
    if std::env::var_os("SEARCH_BENCH_KEEP").is_some() {
        eprintln!("index kept at {}", dir.keep().join("tantivy").display());
        return;
    }
    if std::env::var("SEARCH_BENCH_SKIP_FTS5").is_ok() {
        return; // while tuning only: reported figures come with the yardstick
    }

    // The yardstick: SQLite FTS5, same corpus, same queries.
    let db = rusqlite::Connection::open(dir.path().join("fts.db")).unwrap();
    db.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; CREATE VIRTUAL TABLE n USING fts5(id UNINDEXED, title, body, tokenize='unicode61');").unwrap();
    let mut rng = StdRng::seed_from_u64(1);
    let t = Instant::now();
    let tx = db.unchecked_transaction().unwrap();
    {
        let mut ins = tx.prepare("INSERT INTO n(id, title, body) VALUES (?1, ?2, ?3)").unwrap();
        for i in 0..docs {
            let d = notice(&mut rng, &schools, i);
            ins.execute((&d.id, bigram_text(&d.title), bigram_text(&d.body))).unwrap();
        }
    }
    tx.commit().unwrap();
    let fts_build = t.elapsed();
    let fts_size = std::fs::metadata(dir.path().join("fts.db")).map(|m| m.len()).unwrap_or(0)
        + std::fs::metadata(dir.path().join("fts.db-wal")).map(|m| m.len()).unwrap_or(0);
    let mut stmt =
        db.prepare("SELECT id, title FROM n WHERE n MATCH ?1 ORDER BY bm25(n, 0.0, 3.0, 1.0) LIMIT 10").unwrap();
    for q in &warm_up {
        stmt.query_map([fts_query(q)], |r| r.get::<_, String>(0)).unwrap().for_each(drop);
    }
    let mut times = Vec::new();
    let mut found = 0;
    for q in &queries {
        let t = Instant::now();
        let rows: Vec<String> = stmt.query_map([fts_query(q)], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
        times.push(t.elapsed());
        found += usize::from(!rows.is_empty());
        if rows.is_empty() && std::env::var_os("SEARCH_BENCH_DEBUG").is_some() {
            eprintln!("FTS5 found nothing for {q:?} as {}", fts_query(q));
        }
    }
    let (p50, p99) = percentiles(times);
    println!(
        "SQLite FTS5         build {:>7.1} s  index {:>7.1} MB  p50 {p50:>6.2} ms  p99 {p99:>6.2} ms  (10 ids and titles; {found} with results)",
        fts_build.as_secs_f64(),
        fts_size as f64 / 1e6
    );
    println!("peak RSS overall {:.0} MB", rss::peak_rss_mb());
}
