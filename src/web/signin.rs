//! Signing in and out of the console: the one-time link asked for by
//! platform identity and sent through the bot, its confirmation page, the
//! session cookie (one device or all), the operator's sign-in with the admin
//! token, and the language switch. Forms before sign-in carry a pre-session
//! token against cross-site posts.

use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use treecast_wire::{Address, Platform};

use super::page::{error_with, render, Chrome};
use super::session::{self, same_secret};
use super::viewer::{lang_of, removal, session_cookie, Checked, LANG_COOKIE, PRE_COOKIE, SESSION_COOKIE};
use super::Web;
use crate::catalogue::Msg;
use crate::error::{Error, Result};
use crate::tree::people::Role;

#[derive(serde::Deserialize, Default)]
pub(super) struct Next {
    #[serde(default)]
    next: String,
}

/// Only a path on this site (never `//elsewhere`): where sign-in returns to.
fn safe_next(next: &str) -> String {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') {
        next.to_owned()
    } else {
        "/".to_owned()
    }
}

pub(super) async fn switch_lang(Path(code): Path<String>, Query(n): Query<Next>, jar: CookieJar) -> Response {
    let mut c = Cookie::new(LANG_COOKIE, if code == "en" { "en" } else { "zh" });
    c.set_path("/");
    c.set_same_site(SameSite::Lax);
    (jar.add(c), Redirect::to(&safe_next(&n.next))).into_response()
}

#[derive(Template)]
#[template(path = "web/templates/login.html")]
pub(super) struct LoginPage {
    c: Chrome,
    next: String,
    pre: String,
    sent: String,
    error: String,
}

/// The pre-sign-in token: the cookie's, or a new one set with the page.
fn pre_token(jar: &CookieJar) -> (String, Option<Cookie<'static>>) {
    match jar.get(PRE_COOKIE) {
        Some(c) if !c.value().is_empty() => (c.value().to_owned(), None),
        _ => {
            let t = session::token();
            let mut c = Cookie::new(PRE_COOKIE, t.clone());
            c.set_http_only(true);
            c.set_same_site(SameSite::Strict);
            c.set_path("/");
            (t, Some(c))
        }
    }
}

/// Whether a sign-in form's `pre` field is the browser's pre-sign-in cookie.
fn pre_ok(jar: &CookieJar, given: &str) -> bool {
    !given.is_empty() && jar.get(PRE_COOKIE).is_some_and(|c| same_secret(c.value(), given))
}

/// A page, with the pre-sign-in cookie set when the browser had none.
fn with_pre(jar: CookieJar, cookie: Option<Cookie<'static>>, page: Response) -> Response {
    match cookie {
        Some(c) => (jar.add(c), page).into_response(),
        None => page,
    }
}

pub(super) async fn login_page(parts: axum::http::request::Parts, jar: CookieJar, Query(n): Query<Next>) -> Response {
    let lang = lang_of(&parts);
    let (pre, cookie) = pre_token(&jar);
    let page = LoginPage {
        c: Chrome { lang, ..Chrome::default() },
        next: safe_next(&n.next),
        pre,
        sent: String::new(),
        error: String::new(),
    };
    with_pre(jar, cookie, render(&page))
}

#[derive(serde::Deserialize)]
pub(super) struct AskLink {
    identity: String,
    #[serde(default)]
    pre: String,
    #[serde(default)]
    next: String,
}

/// `email:a@b`, `a@b` (mail), `@user:server` (Matrix), `telegram:123` or a
/// bare number (Telegram).
pub fn parse_identity(s: &str) -> Option<(Platform, String)> {
    let s = s.trim();
    if let Some((p, id)) = s.split_once(':').and_then(|(p, id)| Some((Platform::parse(p)?, id))) {
        return (!id.trim().is_empty()).then(|| (p, id.trim().to_owned()));
    }
    if s.starts_with('@') && s.contains(':') {
        return Some((Platform::Matrix, s.to_owned()));
    }
    if s.contains('@') && !s.starts_with('@') {
        return Some((Platform::Email, s.to_lowercase()));
    }
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()) {
        return Some((Platform::Telegram, s.to_owned()));
    }
    None
}

/// The sign-in page's form: the link goes to that identity if it is an
/// official's; the answer is the same sentence either way, so the page does
/// not tell who is registered.
pub(super) async fn ask_link(
    State(web): State<Web>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    parts: axum::http::request::Parts,
    jar: CookieJar,
    Form(f): Form<AskLink>,
) -> Response {
    let lang = lang_of(&parts);
    let (pre, _) = pre_token(&jar);
    if !pre_ok(&jar, &f.pre) {
        return error_with(lang, StatusCode::FORBIDDEN, Msg::WebCsrf.text());
    }
    let page = |sent: &str, error: &str| LoginPage {
        c: Chrome { lang, ..Chrome::default() },
        next: safe_next(&f.next),
        pre: pre.clone(),
        sent: sent.to_owned(),
        error: error.to_owned(),
    };
    let Some((platform, user)) = parse_identity(&f.identity) else {
        return (StatusCode::BAD_REQUEST, render(&page("", &lang.sentence(Msg::WebBadIdentity.text()))))
            .into_response();
    };
    let limits = &web.ctx.sign_in;
    if !limits.may_try_from(peer.ip()) || !limits.may_request(&format!("{platform}:{user}")) {
        return (StatusCode::TOO_MANY_REQUESTS, render(&page("", &lang.sentence(Msg::WebTooManyLinks.text()))))
            .into_response();
    }
    let w = web.clone();
    let sent = tokio::task::spawn_blocking(move || send_link_to_identity(&w, platform, &user)).await;
    if let Ok(Err(e)) | Err(e) = sent.map_err(|e| Error::invalid(e.to_string())) {
        tracing::error!(error = %e, "sign-in link not sent");
    }
    render(&page(&lang.sentence(Msg::WebLinkSent.text()), ""))
}

fn send_link_to_identity(web: &Web, platform: Platform, user: &str) -> Result<()> {
    let cx = &web.ctx;
    let Some(p) = cx.tree.person_by_identity(platform, user)? else { return Ok(()) };
    let official = cx.tree.roles_of(p.id)?.iter().any(|(_, r)| *r == Role::Official);
    let operator = cx.config.web.operators.iter().any(|(pl, u)| *pl == platform && u == user);
    if !official && !operator {
        return Ok(());
    }
    let q = super::link_message(cx, &p, Address::direct(platform, user))?;
    cx.store().enqueue(vec![q])?;
    cx.waker.wake();
    Ok(())
}

#[derive(Template)]
#[template(path = "web/templates/confirm.html")]
pub(super) struct ConfirmPage {
    c: Chrome,
    token: String,
    pre: String,
    name: String,
}

/// The link's page asks to press a button: mail scanners that open links
/// do not use them up.
pub(super) async fn confirm_page(
    State(web): State<Web>,
    parts: axum::http::request::Parts,
    jar: CookieJar,
    Path(token): Path<String>,
) -> Response {
    let lang = lang_of(&parts);
    let (pre, cookie) = pre_token(&jar);
    let w = web.clone();
    let t = token.clone();
    let found = tokio::task::spawn_blocking(move || -> Result<String> {
        let link = session::peek_link(w.ctx.store(), &t, w.ctx.now())?;
        Ok(w.ctx.tree.person(link.person)?.map(|p| p.name).unwrap_or_default())
    })
    .await;
    let name = match found {
        Ok(Ok(n)) => n,
        Ok(Err(e)) => return super::page::error_page(lang, &e),
        Err(e) => return error_with(lang, StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    };
    let page = ConfirmPage { c: Chrome { lang, ..Chrome::default() }, token, pre, name };
    with_pre(jar, cookie, render(&page))
}

#[derive(serde::Deserialize)]
pub(super) struct PreOnly {
    #[serde(default)]
    pre: String,
}

pub(super) async fn redeem(
    State(web): State<Web>,
    parts: axum::http::request::Parts,
    jar: CookieJar,
    Path(token): Path<String>,
    Form(f): Form<PreOnly>,
) -> Response {
    let lang = lang_of(&parts);
    if !pre_ok(&jar, &f.pre) {
        return error_with(lang, StatusCode::FORBIDDEN, Msg::WebCsrf.text());
    }
    let w = web.clone();
    let done = tokio::task::spawn_blocking(move || {
        let ttl = w.ctx.config.web.session_ttl.as_secs();
        session::redeem_link(w.ctx.store(), &token, w.ctx.now(), ttl)
    })
    .await;
    match done {
        Ok(Ok((sid, s))) => {
            tracing::info!(target: "treecast::web", holder = ?s.holder, "signed in to the web console");
            (jar.add(session_cookie(&web, sid)).remove(removal(PRE_COOKIE)), Redirect::to("/")).into_response()
        }
        Ok(Err(e)) => super::page::error_page(lang, &e),
        Err(e) => error_with(lang, StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

#[derive(serde::Deserialize)]
pub(super) struct Nothing {}

pub(super) async fn logout(State(web): State<Web>, jar: CookieJar, Checked(_v, _): Checked<Nothing>) -> Response {
    if let Some(sid) = jar.get(SESSION_COOKIE).map(|c| c.value().to_owned()) {
        let w = web.clone();
        let _ = tokio::task::spawn_blocking(move || session::end_session(w.ctx.store(), &sid)).await;
    }
    (jar.remove(removal(SESSION_COOKIE)), Redirect::to("/login")).into_response()
}

/// Signs the viewer out everywhere (the same as `/web logout all` in chat).
pub(super) async fn logout_all(State(web): State<Web>, jar: CookieJar, Checked(v, _): Checked<Nothing>) -> Response {
    if let Some(p) = v.person_id() {
        let w = web.clone();
        let _ = tokio::task::spawn_blocking(move || session::end_all(w.ctx.store(), p)).await;
    }
    (jar.remove(removal(SESSION_COOKIE)), Redirect::to("/login")).into_response()
}

#[derive(Template)]
#[template(path = "web/templates/ops_login.html")]
pub(super) struct OpsLogin {
    c: Chrome,
    pre: String,
}

pub(super) async fn ops_login_page(parts: axum::http::request::Parts, jar: CookieJar) -> Response {
    let (pre, cookie) = pre_token(&jar);
    let page = OpsLogin { c: Chrome { lang: lang_of(&parts), ..Chrome::default() }, pre };
    with_pre(jar, cookie, render(&page))
}

#[derive(serde::Deserialize)]
pub(super) struct OpsToken {
    token: String,
    #[serde(default)]
    pre: String,
}

/// The operator signs in with the admin token (never logged).
pub(super) async fn ops_login(
    State(web): State<Web>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    parts: axum::http::request::Parts,
    jar: CookieJar,
    Form(f): Form<OpsToken>,
) -> Response {
    let lang = lang_of(&parts);
    if !pre_ok(&jar, &f.pre) {
        return error_with(lang, StatusCode::FORBIDDEN, Msg::WebCsrf.text());
    }
    if !web.ctx.sign_in.may_try_from(peer.ip()) {
        return error_with(lang, StatusCode::TOO_MANY_REQUESTS, Msg::WebTooManyLinks.text());
    }
    let ok = web.admin_token.is_some_and(|h| blake3::hash(f.token.trim().as_bytes()) == h);
    if !ok {
        tracing::warn!(target: "treecast::web", %peer, "operator sign-in refused: wrong token");
        return error_with(lang, StatusCode::UNAUTHORIZED, Msg::AdminNoToken.text());
    }
    let w = web.clone();
    let ttl = web.ctx.config.web.session_ttl.as_secs();
    match tokio::task::spawn_blocking(move || session::operator_session(w.ctx.store(), w.ctx.now(), ttl)).await {
        Ok(Ok((sid, _))) => {
            tracing::info!(target: "treecast::web", %peer, "operator signed in to the web console");
            (jar.add(session_cookie(&web, sid)).remove(removal(PRE_COOKIE)), Redirect::to("/ops")).into_response()
        }
        Ok(Err(e)) => super::page::error_page(lang, &e),
        Err(e) => error_with(lang, StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}
