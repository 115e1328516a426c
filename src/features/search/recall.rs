//! The recall test: labelled queries over a small realistic corpus of orgs
//! and work information, each expected document found (in the top three
//! where labelled), with the pitfalls the issue names: substrings inside
//! dictionary words (农业 in 中国农业发展银行, 简单 in 安装简单), two-character
//! words (团委, 招聘), phrases, traditional characters, pinyin initials.

use super::engine::{Doc, Engine, Filter};
use super::query::parse;

/// (id, kind, title, body, org path)
const CORPUS: &[(&str, &str, &str, &str, &[u32])] = &[
    ("org:cn", "org", "共青团中央学校部", "", &[1]),
    ("org:43", "org", "共青团湖南省委学校部", "", &[1, 2]),
    ("org:42", "org", "共青团湖北省委学校部", "", &[1, 3]),
    ("org:hnu", "org", "湖南大学团委", "", &[1, 2, 4]),
    ("org:csu", "org", "中南大学团委", "", &[1, 2, 5]),
    ("org:xtu", "org", "湘潭大学团委", "", &[1, 2, 6]),
    ("org:hunau", "org", "湖南农业大学团委", "", &[1, 2, 7]),
    ("org:whu", "org", "武汉大学团委", "", &[1, 3, 8]),
    ("org:hzau", "org", "华中农业大学团委", "", &[1, 3, 9]),
    ("org:cs1", "org", "计算机科学与技术2023级1班团支部", "", &[1, 2, 4, 10]),
    ("org:se1", "org", "软件工程2023级1班团支部", "", &[1, 2, 4, 11]),
    ("org:se2", "org", "软件工程2023级2班团支部", "", &[1, 2, 4, 12]),
    (
        "n1",
        "notice",
        "关于开展“青春心向党”主题团日活动的通知",
        "各高校团委：请组织各团支部于本月内开展主题团日活动。精彩微博团，青春心连心",
        &[1],
    ),
    ("n2", "notice", "2024届毕业生招聘会通知", "校园招聘会将于12月5日在体育馆举行，欢迎各专业毕业生参加。", &[1, 2, 4]),
    ("n3", "letter", "志愿服务周报", "本周全校开展志愿服务300人次，李明同学获评优秀志愿者。", &[1, 2, 4]),
    (
        "n4",
        "notice",
        "中国农业发展银行湖南省分行校园招聘",
        "中国农业发展银行招聘管理培训生，面向2024届毕业生。",
        &[1, 2],
    ),
    ("n5", "notice", "信息系统使用说明", "新版报送系统安装简单，三步完成，遇到问题请联系团委办公室。", &[1, 2]),
    (
        "n6",
        "letter",
        "关于2023级软件工程1班团支部换届的报告",
        "2023级软件工程1班团支部已完成换届选举，新任团支书王芳。",
        &[1, 2, 4, 11],
    ),
    ("n7", "notice", "團員教育評議工作通知", "請各團支部於月底前完成團員教育評議。", &[1, 2]),
    ("n8", "notice", "湖北省大学生“三下乡”社会实践活动", "湖北各高校团委组织开展文化科技卫生三下乡社会实践。", &[1, 3]),
    ("n9", "notice", "网络安全宣传周活动", "开展网络安全知识竞赛，增强同学们的防范意识。", &[1, 2, 5]),
    ("n10", "notice", "团费收缴工作提醒", "请各团支部及时收缴团费，并于月底前报送台账。", &[1, 2]),
    ("n11", "notice", "关于推荐优秀共青团员的通知", "请推荐优秀共青团员和优秀团干部各一名。", &[1, 2]),
    ("n12", "notice", "Python编程入门培训", "计算机学院举办Python编程入门培训，名额50人，报名从速。", &[1, 2, 4]),
    ("n13", "letter", "“学习强国”学习情况通报", "本月全省学习强国积分排名已出，请各校督促。", &[1, 2]),
    ("n14", "notice", "2025年寒假社会实践安排", "寒假期间组织返乡社会实践，开学后提交实践报告。", &[1, 2, 6]),
];

/// (query, every document it must find, the one that must be in the top three)
const LABELLED: &[(&str, &[&str], Option<&str>)] = &[
    ("团委", &["org:hnu", "org:csu", "org:whu", "n1", "n5"], None),
    ("招聘", &["n2", "n4"], None),
    ("志愿服务", &["n3"], Some("n3")),
    ("2023级软件工程1班", &["n6"], Some("n6")),
    ("湖南大学", &["org:hnu"], Some("org:hnu")),
    ("hndx", &["org:hnu"], Some("org:hnu")),
    ("青春心连心", &["n1"], Some("n1")),
    ("團委", &["org:hnu", "n1"], None),
    ("\"主题团日活动\"", &["n1"], Some("n1")),
    ("李明", &["n3"], Some("n3")),
    ("农业", &["n4", "org:hunau", "org:hzau"], None),
    ("简单", &["n5"], Some("n5")),
    ("評議", &["n7"], Some("n7")),
    ("评议", &["n7"], Some("n7")),
    ("三下乡", &["n8"], Some("n8")),
    ("网络安全", &["n9"], Some("n9")),
    ("团费", &["n10"], Some("n10")),
    ("优秀共青团员", &["n11"], Some("n11")),
    ("python", &["n12"], Some("n12")),
    ("PYTHON", &["n12"], Some("n12")),
    ("ＰＹＴＨＯＮ", &["n12"], Some("n12")),
    ("学习强国", &["n13"], Some("n13")),
    ("寒假 社会实践", &["n14"], Some("n14")),
    ("社会实践", &["n8", "n14"], None),
    ("湘潭", &["org:xtu"], Some("org:xtu")),
    ("zndx", &["org:csu"], Some("org:csu")),
    ("whdx", &["org:whu"], Some("org:whu")),
    ("中国农业发展银行", &["n4"], Some("n4")),
    ("发展银行", &["n4"], Some("n4")),
    ("培训", &["n4", "n12"], None),
    ("12月5日", &["n2"], Some("n2")),
    ("300人次", &["n3"], Some("n3")),
    ("学校部", &["org:cn", "org:43", "org:42"], None),
    ("计算机", &["org:cs1", "n12"], None),
    ("团日", &["n1"], Some("n1")),
    ("换届选举", &["n6"], Some("n6")),
    ("推荐", &["n11"], Some("n11")),
    ("“安装简单”", &["n5"], Some("n5")),
    ("武汉", &["org:whu"], Some("org:whu")),
    ("防范意识", &["n9"], Some("n9")),
    ("毕业生", &["n2", "n4"], None),
    ("积分排名", &["n13"], Some("n13")),
    ("管理培训生", &["n4"], Some("n4")),
    ("王芳", &["n6"], Some("n6")),
    ("团支部 2班", &["org:se2"], Some("org:se2")),
    ("軟件工程", &["org:se1", "org:se2", "n6"], None),
];

fn engine() -> Engine {
    let e = Engine::open(None).unwrap();
    let docs: Vec<Doc> = CORPUS
        .iter()
        .enumerate()
        .map(|(i, (id, kind, title, body, path))| Doc {
            id: (*id).into(),
            kind: (*kind).into(),
            title: (*title).into(),
            body: (*body).into(),
            orgs: vec![path.to_vec()],
            public: *kind == "org",
            at: 1_760_000_000 + i as u64 * 86_400,
            initials_of: (*kind == "org").then(|| title.to_string()),
            ..Doc::default()
        })
        .collect();
    e.put(&docs).unwrap();
    e.commit("test").unwrap();
    e
}

fn ids(e: &Engine, q: &str, f: &Filter) -> Vec<String> {
    let (hits, _) = e.search(&parse(q).unwrap(), f, 0, 50).unwrap();
    hits.into_iter().map(|h| h.id).collect()
}

#[test]
fn every_labelled_query_finds_what_it_should() {
    assert!(LABELLED.len() >= 40);
    let e = engine();
    let mut misses = Vec::new();
    for (q, want, top) in LABELLED {
        let got = ids(&e, q, &Filter::default());
        for w in *want {
            if !got.iter().any(|g| g == w) {
                misses.push(format!("{q}: {w} not found in {got:?}"));
            }
        }
        if let Some(t) = top {
            if !got.iter().take(3).any(|g| g == t) {
                misses.push(format!("{q}: {t} not in the top 3 of {got:?}"));
            }
        }
    }
    assert!(misses.is_empty(), "{} of {} queries missed:\n{}", misses.len(), LABELLED.len(), misses.join("\n"));
}

#[test]
fn exclusions_kinds_subtrees_and_dates_narrow_it() {
    let e = engine();
    let all = ids(&e, "团支部", &Filter::default());
    assert!(all.contains(&"n6".to_owned()));
    assert!(!ids(&e, "团支部 -换届", &Filter::default()).contains(&"n6".to_owned()));
    let letters = Filter { kinds: vec!["letter".into()], ..Filter::default() };
    assert_eq!(ids(&e, "团支部", &letters), ["n6"]);
    // Within 湖北 (path 1/3): 湖北's own orgs and notices only.
    let hubei = Filter { within: vec![vec![1, 3]], ..Filter::default() };
    let mut got = ids(&e, "团委", &hubei);
    got.sort();
    assert_eq!(got, ["n8", "org:hzau", "org:whu"]);
    let recent = Filter { since: Some(1_760_000_000 + 20 * 86_400), ..Filter::default() };
    assert_eq!(ids(&e, "社会实践", &recent), ["n14"]);
}

#[test]
fn a_hit_has_its_title_and_a_marked_snippet() {
    let e = engine();
    let (hits, more) = e.search(&parse("志愿服务").unwrap(), &Filter::default(), 0, 5).unwrap();
    assert_eq!((hits.len(), more), (1, false));
    assert_eq!(hits[0].title, "志愿服务周报");
    assert!(hits[0].snippet.contains("【志愿服务】"), "{}", hits[0].snippet);
}

#[test]
fn a_long_word_is_found_as_a_phrase_never_by_its_pieces_apart() {
    // 青年大学 and 年大学习 both, but not 青年大学习: a decoy.
    for decoys in [3, 150] {
        let e = Engine::open(None).unwrap();
        let mut docs: Vec<Doc> = (0..decoys)
            .map(|i| Doc {
                id: format!("decoy{i}"),
                kind: "notice".into(),
                title: "通知".into(),
                body: "青年大学生与少年大学习惯".into(),
                at: 1_760_000_000,
                ..Doc::default()
            })
            .collect();
        docs.push(Doc {
            id: "real".into(),
            kind: "notice".into(),
            title: "通知".into(),
            body: "请各支部完成青年大学习".into(),
            at: 1_750_000_000,
            ..Doc::default()
        });
        e.put(&docs).unwrap();
        e.commit("test").unwrap();
        assert_eq!(ids(&e, "青年大学习", &Filter::default()), ["real"], "with {decoys} decoys");
        assert_eq!(ids(&e, "青年大学习 通知", &Filter::default()), ["real"], "with {decoys} decoys");
        assert_eq!(ids(&e, "通知 -青年大学习", &Filter::default()).len(), decoys.min(50));
    }
}

#[test]
fn an_index_of_an_earlier_layout_is_made_again_and_one_of_this_layout_kept() {
    let dir = tempfile::tempdir().unwrap();
    let at = dir.path().join("search");
    let doc = Doc { id: "n1".into(), kind: "notice".into(), title: "团委通知".into(), ..Doc::default() };
    {
        let e = Engine::open(Some(&at)).unwrap();
        e.put(std::slice::from_ref(&doc)).unwrap();
        e.commit("7").unwrap();
    }
    {
        let e = Engine::open(Some(&at)).unwrap();
        assert_eq!((e.len(), e.payload().unwrap()), (1, "7".to_owned()), "the same layout is kept");
    }
    // As an earlier treecast left it: another layout, or none named.
    for earlier in [Some("1"), None] {
        {
            let e = Engine::open(Some(&at)).unwrap();
            e.put(std::slice::from_ref(&doc)).unwrap();
            e.commit("7").unwrap();
        }
        match earlier {
            Some(v) => std::fs::write(at.join("treecast-layout"), v).unwrap(),
            None => std::fs::remove_file(at.join("treecast-layout")).unwrap(),
        }
        let e = Engine::open(Some(&at)).unwrap();
        assert!(e.is_empty() && e.payload().unwrap().is_empty(), "{earlier:?}: a new index to fill from the store");
    }
}

#[test]
fn equal_scores_come_in_id_order_whatever_order_they_were_written_in() {
    let doc = |id: &str| Doc {
        id: id.into(),
        kind: "org".into(),
        title: "团支部".into(),
        body: "共青团湖南省委学校部 湖南大学团委".into(),
        at: 1_760_000_000,
        ..Doc::default()
    };
    let mut orders = Vec::new();
    for written in [["org:3", "org:1", "org:2"], ["org:2", "org:3", "org:1"]] {
        let e = Engine::open(None).unwrap();
        for id in written {
            // One commit each: three segments, the docs' addresses in this order.
            e.put(&[doc(id)]).unwrap();
            e.commit("test").unwrap();
        }
        orders.push(ids(&e, "团支部", &Filter::default()));
    }
    assert_eq!(orders[0], ["org:1", "org:2", "org:3"]);
    assert_eq!(orders[0], orders[1]);
}
