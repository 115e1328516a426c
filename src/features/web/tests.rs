//! `/web` through the gateway: a link for an official in private, by
//! private message when asked in a group, a student refused, a used link
//! refused, and `/web logout all`.

use treecast_wire::Inbound;

use crate::catalogue::Msg;
use crate::notice::tests::{bed, Bed};
use crate::web::session;

fn dm(user: &str, text: &str) -> Inbound {
    Inbound::text(Bed::dm(user), user, text)
}

/// The token at the end of the link in `text`.
fn token_in(text: &str) -> String {
    let at = text.find("/login/").expect("a sign-in link") + "/login/".len();
    text[at..].split_whitespace().next().unwrap().to_owned()
}

#[tokio::test]
async fn an_official_gets_a_link_that_works_once() {
    let b = bed().await;
    let answer = b.ask(dm("hnu", "/web")).await;
    assert!(answer.starts_with("团组织工作台登录链接"), "{answer}");
    assert!(answer.contains("Your sign-in link"), "{answer}");
    let t = token_in(&answer);
    let store = b.app.ctx.store();
    let now = b.app.ctx.now();
    let (sid, s) = session::redeem_link(store, &t, now, 3600).unwrap();
    assert_eq!(s.holder, session::Holder::Person(b.people["hnu"]));
    assert!(session::session(store, &sid, now).unwrap().is_some());
    let again = session::redeem_link(store, &t, now, 3600).unwrap_err().to_string();
    assert_eq!(again, Msg::WebLinkUsed.text());
    // The Chinese alias does the same.
    assert!(b.ask(dm("hnu", "/工作台")).await.contains("/login/"));
}

#[tokio::test]
async fn asked_in_a_group_the_link_goes_privately() {
    let b = bed().await;
    let group = Bed::group("4143010533");
    let answer = b.ask(Inbound::text(group.clone(), "hnu", "/web")).await;
    assert_eq!(answer, Msg::WebLinkSentHere.text());
    let private = b.to(&Bed::dm("hnu"));
    assert!(private.iter().any(|m| m.body.contains("/login/")), "the link came privately");
    assert!(b.to(&group).iter().all(|m| !m.body.contains("/login/")), "never into the group");
}

#[tokio::test]
async fn a_student_is_refused_with_one_sentence() {
    let b = bed().await;
    let answer = b.ask(dm("li", "/web")).await;
    assert_eq!(answer, Msg::WebOfficialsOnly.text());
    assert!(b.to(&Bed::dm("li")).iter().all(|m| !m.body.contains("/login/")));
}

#[tokio::test]
async fn logout_all_ends_every_session() {
    let b = bed().await;
    let t = token_in(&b.ask(dm("hnu", "/web")).await);
    let unused = token_in(&b.ask(dm("hnu", "/web")).await);
    let store = b.app.ctx.store();
    let now = b.app.ctx.now();
    let (sid, _) = session::redeem_link(store, &t, now, 3600).unwrap();
    let answer = b.ask(dm("hnu", "/web logout all")).await;
    assert!(answer.starts_with("已让你的所有网页登录"), "{answer}");
    assert_eq!(session::session(store, &sid, now).unwrap(), None);
    assert_eq!(session::redeem_link(store, &unused, now, 3600).unwrap_err().to_string(), Msg::WebLinkRevoked.text());
    assert_eq!(b.ask(dm("hnu", "/web nonsense")).await, Msg::WebUsage.text());
}
