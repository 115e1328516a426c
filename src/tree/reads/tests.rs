use super::*;
use crate::tree::tests::small_tree;

const ASKERS: [Asker; 12] = [
    Asker::Stranger,
    Asker::Member(Position::Own),
    Asker::Member(Position::Ancestor),
    Asker::Member(Position::Descendant),
    Asker::Member(Position::Sibling),
    Asker::Member(Position::Elsewhere),
    Asker::Official(Position::Own),
    Asker::Official(Position::Ancestor),
    Asker::Official(Position::Descendant),
    Asker::Official(Position::Sibling),
    Asker::Official(Position::Elsewhere),
    Asker::Operator,
];

/// The table written out by hand, one row a read, one column an asker in
/// the order of `ASKERS`: A all, F filtered, C count, - refused.
const EXPECTED: &[(Read, &str)] = &[
    //                       S  mO mA mD mS mE oO oA oD oS oE op
    (Read::OrgCard, "A A A A A A A A A A A A"),
    (Read::Children, "C A A A A A A A A A A A"),
    (Read::Channels, "- C - - - - A A - - - A"),
    (Read::ListMembers, "- - - - - - A A - - - A"),
    (Read::NoticeStatus, "- - - - - - A A - - - A"),
    (Read::SurveyResults, "- - - - - - A A - - - A"),
    (Read::OrgMessages, "- - - - - - A A - - - A"),
    (Read::SearchResults, "F F F F F F F F F F F A"),
    (Read::FormSubmissions, "- - - - - - A A - - - A"),
    (Read::AuditLog, "- - - - - - A A - - - A"),
    (Read::PersonalData, "- - - - - - A A - - - A"),
];

#[test]
fn every_read_by_every_role_at_every_position_is_as_written() {
    assert_eq!(EXPECTED.len(), READS.len());
    for (read, row) in EXPECTED {
        let cells: Vec<&str> = row.split(' ').collect();
        assert_eq!(cells.len(), ASKERS.len());
        for (asker, cell) in ASKERS.iter().zip(cells) {
            let want = match cell {
                "A" => Sight::All,
                "F" => Sight::Filtered,
                "C" => Sight::Count,
                _ => Sight::Refused,
            };
            assert_eq!(sight(*read, *asker), want, "{read:?} by {asker:?}");
        }
    }
}

#[test]
fn a_person_sees_by_the_most_any_of_their_roles_gives() {
    let t = small_tree();
    let org = |c: &str| t.require(c).unwrap();
    let hnu = org("4143010533");
    let branch = org("4143010533-001");
    // An official of 湖南 (ancestor of the branch), a member of the branch,
    // a member of its sibling, and a 湖北 official (elsewhere).
    let hunan = t.add_person("湘老师").unwrap();
    t.grant(hunan.id, &org("43"), Role::Official).unwrap();
    let student = t.add_person("李明").unwrap();
    t.grant(student.id, &branch, Role::Member).unwrap();
    let neighbour = t.add_person("王芳").unwrap();
    t.grant(neighbour.id, &org("4143010533-002"), Role::Member).unwrap();
    let hubei = t.add_person("鄂老师").unwrap();
    t.grant(hubei.id, &org("42"), Role::Official).unwrap();

    assert_eq!(t.sight(Some(hunan.id), Read::Channels, &branch).unwrap(), Sight::All);
    assert_eq!(t.sight(Some(student.id), Read::Channels, &branch).unwrap(), Sight::Count);
    assert_eq!(t.sight(Some(neighbour.id), Read::Channels, &branch).unwrap(), Sight::Refused);
    assert_eq!(t.sight(Some(hubei.id), Read::Channels, &branch).unwrap(), Sight::Refused);
    assert_eq!(t.sight(None, Read::Channels, &branch).unwrap(), Sight::Refused);
    assert_eq!(t.sight(None, Read::Children, &hnu).unwrap(), Sight::Count);
    assert_eq!(t.sight(None, Read::OrgCard, &hnu).unwrap(), Sight::All);
    // A second role adds to the first: the student made official of 湖南大学.
    t.grant(student.id, &hnu, Role::Official).unwrap();
    assert_eq!(t.sight(Some(student.id), Read::NoticeStatus, &branch).unwrap(), Sight::All);
    assert!(t.check_read(Some(student.id), Read::NoticeStatus, &branch).is_ok());
    let refused = t.check_read(Some(hubei.id), Read::NoticeStatus, &branch).unwrap_err().to_string();
    assert!(refused.contains("4143010533-001") && refused.contains("You may not"), "{refused}");
}

#[test]
fn every_command_operation_and_api_route_names_its_reads() {
    let app =
        crate::app::App::new(small_tree(), crate::config::Config::default(), crate::clock::Clock::fixed(0)).unwrap();
    let mut missing = Vec::new();
    for c in app.registry.commands() {
        let name = format!("/{}", c.name);
        if surface(&name).is_none() {
            missing.push(name);
        }
    }
    for op in app.registry.admin_ops() {
        let name = format!("op:{op}");
        if surface(&name).is_none() {
            missing.push(name);
        }
    }
    // The API's routes as the server declares them.
    let server = include_str!("../../api/server.rs");
    let mut routes = 0;
    for part in server.split(".route(\"").skip(1) {
        let path = &part[..part.find('"').unwrap()];
        let method = if part[..part.find(')').unwrap_or(part.len())].contains("post(") { "POST" } else { "GET" };
        routes += 1;
        let name = format!("{method} {path}");
        if surface(&name).is_none() {
            missing.push(name);
        }
    }
    assert!(routes >= 5, "the server's routes were not found in its source");
    // The web console's routes, from the shell and each feature's pages.
    let web = [
        include_str!("../../web/shell.rs"),
        include_str!("../../features/notices/web.rs"),
        include_str!("../../features/surveys/web.rs"),
        include_str!("../../features/campaigns/web.rs"),
        include_str!("../../features/orgs/web.rs"),
        include_str!("../../features/search/web.rs"),
        include_str!("../../features/leaderboard/web.rs"),
        include_str!("../../features/interviews/web.rs"),
        include_str!("../../features/topics/web.rs"),
        include_str!("../../features/showcase/web.rs"),
        include_str!("../../features/mailbox/web.rs"),
    ];
    let mut pages = 0;
    for file in web {
        for part in file.split(".route(\"").skip(1) {
            let path = &part[..part.find('"').unwrap()];
            let call = &part[..part.find(".route(").unwrap_or(part.len()).min(part.find("\n}").unwrap_or(part.len()))];
            for (method, word) in [("GET", "get("), ("POST", "post(")] {
                if call.contains(word) {
                    pages += 1;
                    let name = format!("{method} {path}");
                    if surface(&name).is_none() {
                        missing.push(name);
                    }
                }
            }
        }
    }
    assert!(pages >= 25, "the console's routes were not found in its source: {pages}");
    assert!(missing.is_empty(), "not in the read table (src/tree/reads.rs SURFACES): {missing:?}");
}

/// Someone treecast does not know, on each platform, asks about a branch, a
/// notice, a survey and searches: they get names, levels and parents, and
/// nothing private.
#[tokio::test]
async fn a_stranger_on_every_platform_sees_nothing_private() {
    use crate::notice::tests::{bed, draft_for, Bed};
    use treecast_wire::{Address, Inbound, Platform};

    let b = bed().await;
    let n = b.post("hnu", draft_for("4143010533", "关于开展主题团日活动的通知")).unwrap();
    let def = "title = \"团日活动调查\"\ndays = 3\n\n[[questions]]\nid = \"q1\"\ntype = \"single\"\ntext = \"参加过吗？\"\nchoices = [\"是\", \"否\"]\n";
    let survey = b.surveys().launch_text(b.people["hnu"], "t.toml", def, Some("4143010533")).unwrap();
    b.settle().await;
    let strangers = [
        Address::direct(Platform::Telegram, "900001"),
        Address::direct(Platform::Matrix, "@stranger:example.org"),
        Address::direct(Platform::Email, "stranger@example.com"),
        Address::direct(Platform::Console, "stranger"),
    ];
    for who in strangers {
        for ask in [
            "/tree 4143010533-001".to_owned(),
            "/tree 4143010533".to_owned(),
            format!("/status {}", n.id),
            format!("/survey results {}", survey.id),
            "/search 团日".to_owned(),
        ] {
            let before = b.to(&who).len();
            b.say(Inbound::text(who.clone(), &who.id, &ask)).await;
            b.settle().await;
            let said: Vec<String> = b.to(&who)[before..].iter().map(|m| m.body.to_string()).collect();
            let said = said.join("\n");
            assert!(!said.is_empty(), "{who:?} {ask}: no answer");
            for private in ["console:", "主题团日活动的通知", "已确认", "参加过吗"] {
                assert!(!said.contains(private), "{who:?} {ask} showed {private:?}:\n{said}");
            }
            if ask == "/tree 4143010533-001" {
                assert!(said.starts_with("4143010533-001 计算机科学与技术2023级1班团支部 ["), "{said}");
                assert!(said.contains("湖南大学团委"), "the parents are public: {said}");
            }
            if ask == "/tree 4143010533" {
                assert!(said.contains("下级 Children (2)") && !said.contains("软件工程"), "{said}");
            }
        }
    }
    // The branch's member sees how many chats, its school's official where they are.
    b.say(Inbound::text(Bed::dm("li"), "li", "/tree 4143010533-001")).await;
    b.settle().await;
    let member = b.to(&Bed::dm("li")).last().unwrap().body.to_string();
    assert!(member.contains("已绑定 1 个渠道") && !member.contains("console:"), "{member}");
    b.say(Inbound::text(Bed::dm("hnu"), "hnu", "/tree 4143010533-001")).await;
    b.settle().await;
    let official = b.to(&Bed::dm("hnu")).last().unwrap().body.to_string();
    assert!(official.contains("渠道 Channels:") && official.contains("4143010533-001"), "{official}");
}

#[test]
fn the_table_in_docs_privacy_md_is_the_table_in_the_code() {
    let doc = include_str!("../../../docs/PRIVACY.md");
    for (read, row) in EXPECTED {
        let name = format!("| {read:?} ");
        let line = doc.lines().find(|l| l.starts_with(&name)).unwrap_or_else(|| panic!("no row for {read:?}"));
        let cells: Vec<&str> = line.split('|').map(str::trim).filter(|c| !c.is_empty()).skip(1).collect();
        assert_eq!(cells.join(" "), *row, "docs/PRIVACY.md's row for {read:?}");
    }
}
