//! Who is looking: the session behind the cookie, the person (or the
//! operator) it is for, and the language. Forms are checked here too: a
//! POST without the session's CSRF token changes nothing.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use serde::de::DeserializeOwned;

use super::page::{error_with, Chrome, Lang, Nav};
use super::session::{self, Holder, Session};
use super::Web;
use crate::catalogue::Msg;
use crate::error::Result;
use crate::tree::people::{Person, Role};
use crate::tree::Org;

pub const SESSION_COOKIE: &str = "tc_session";
pub const LANG_COOKIE: &str = "tc_lang";
/// Before sign-in: the double-submit token of the sign-in forms.
pub const PRE_COOKIE: &str = "tc_pre";

/// The language a request asks for: `?lang=` first, then the cookie.
pub fn lang_of(parts: &Parts) -> Lang {
    let q = parts.uri.query().unwrap_or("");
    let asked = q.split('&').find_map(|kv| kv.strip_prefix("lang="));
    let jar = CookieJar::from_headers(&parts.headers);
    match asked.or_else(|| jar.get(LANG_COOKIE).map(|c| c.value())) {
        Some("en") => Lang::En,
        _ => Lang::Zh,
    }
}

/// A signed-in viewer.
#[derive(Debug, Clone)]
pub struct Viewer {
    /// None for the operator signed in with the admin token.
    pub person: Option<Person>,
    pub session: Session,
    pub lang: Lang,
    /// May see the operator's page.
    pub operator: bool,
    /// The orgs the person is an official of.
    pub orgs: Vec<Org>,
}

impl Viewer {
    /// A form's CSRF token (its `csrf` field, or htmx's header) is this session's.
    pub fn check_csrf(&self, given: &str) -> Result<()> {
        if given.is_empty() || !session::same_secret(given, &self.session.csrf) {
            return Err(crate::error::Error::denied(Msg::WebCsrf.text()));
        }
        Ok(())
    }

    pub fn person_id(&self) -> Option<u64> {
        self.person.as_ref().map(|p| p.id)
    }

    pub fn name(&self) -> String {
        match &self.person {
            Some(p) => p.name.clone(),
            None => self.lang.t("运维人员", "operator").to_owned(),
        }
    }

    /// The page frame, with the navigation from every feature's declaration.
    pub fn chrome(&self, web: &Web, here: &str) -> Chrome {
        let mut nav = vec![Nav { href: "/", label: self.lang.t("概览", "Overview").to_owned(), here: here == "/" }];
        for (href, zh, en) in web.site.nav() {
            nav.push(Nav { href, label: self.lang.t(zh, en).to_owned(), here: here == href });
        }
        if self.operator {
            nav.push(Nav {
                href: "/ops",
                label: self.lang.t("运行状态", "Operations").to_owned(),
                here: here == "/ops",
            });
        }
        Chrome {
            lang: self.lang,
            who: self.name(),
            csrf: self.session.csrf.clone(),
            nav,
            operator: self.operator,
            flash: String::new(),
        }
    }

    /// The org this viewer acts for: the one named (if they are an official
    /// of it or above it, which the feature's own check decides), else their first.
    pub fn org(&self, tree: &crate::tree::Tree, code: Option<&str>) -> Result<Org> {
        match code.filter(|c| !c.is_empty()) {
            Some(c) => tree.require(c),
            None => self.orgs.first().cloned().ok_or_else(|| crate::error::Error::denied(Msg::NotAnOfficial.text())),
        }
    }
}

fn is_operator(web: &Web, p: &Person) -> bool {
    p.identities.iter().any(|i| web.ctx.config.web.operators.iter().any(|(pl, u)| *pl == i.platform && *u == i.user))
}

/// Reads the session; a page asked without one goes to the sign-in page.
fn viewer_of(parts: &Parts, web: &Web) -> Result<Option<Viewer>> {
    let jar = CookieJar::from_headers(&parts.headers);
    let Some(sid) = jar.get(SESSION_COOKIE).map(|c| c.value().to_owned()) else { return Ok(None) };
    let Some(session) = session::session(web.ctx.store(), &sid, web.ctx.now())? else { return Ok(None) };
    let lang = lang_of(parts);
    let (person, operator, orgs) = match session.holder {
        Holder::Operator => (None, true, Vec::new()),
        Holder::Person(id) => {
            let Some(p) = web.ctx.tree.person(id)? else { return Ok(None) };
            let orgs: Vec<Org> = web
                .ctx
                .tree
                .roles_of(p.id)?
                .into_iter()
                .filter(|(_, r)| *r == Role::Official)
                .map(|(o, _)| o)
                .collect();
            let op = is_operator(web, &p);
            if orgs.is_empty() && !op {
                // No longer an official: the session stops.
                return Ok(None);
            }
            (Some(p), op, orgs)
        }
    };
    Ok(Some(Viewer { person, session, lang, operator, orgs }))
}

impl FromRequestParts<Web> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, web: &Web) -> std::result::Result<Viewer, Response> {
        let lang = lang_of(parts);
        let web2 = web.clone();
        let parts2 = parts.clone();
        let found = tokio::task::spawn_blocking(move || viewer_of(&parts2, &web2)).await;
        match found {
            Ok(Ok(Some(v))) => Ok(v),
            Ok(Ok(None)) => {
                if parts.method == axum::http::Method::GET && parts.headers.get("hx-request").is_none() {
                    let back = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
                    let to = format!("/login?{}", serde_urlencoded::to_string([("next", back)]).unwrap_or_default());
                    Err(Redirect::to(&to).into_response())
                } else {
                    Err(error_with(lang, StatusCode::UNAUTHORIZED, Msg::WebSignInFirst.text()))
                }
            }
            Ok(Err(e)) => Err(super::page::error_page(lang, &e)),
            Err(e) => Err(error_with(lang, StatusCode::INTERNAL_SERVER_ERROR, &e.to_string())),
        }
    }
}

/// A posted form from a signed-in viewer, its CSRF token checked: `csrf`
/// in the form (or the `x-csrf-token` header htmx sends) must be the session's.
pub struct Checked<T>(pub Viewer, pub T);

#[derive(serde::Deserialize)]
struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

impl<T: DeserializeOwned + Send> FromRequest<Web> for Checked<T> {
    type Rejection = Response;

    async fn from_request(req: Request, web: &Web) -> std::result::Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let viewer = Viewer::from_request_parts(&mut parts, web).await?;
        let lang = viewer.lang;
        let bytes = axum::body::to_bytes(body, 1 << 20)
            .await
            .map_err(|e| error_with(lang, StatusCode::BAD_REQUEST, &e.to_string()))?;
        let header = parts.headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or("");
        let field = serde_urlencoded::from_bytes::<CsrfOnly>(&bytes).map(|c| c.csrf).unwrap_or_default();
        let given = if field.is_empty() { header } else { field.as_str() };
        if let Err(e) = viewer.check_csrf(given) {
            tracing::warn!(target: "treecast::web", path = %parts.uri.path(), "form refused: no or wrong CSRF token");
            return Err(super::page::error_page(lang, &e));
        }
        let form = serde_urlencoded::from_bytes::<T>(&bytes).map_err(|e| {
            error_with(lang, StatusCode::BAD_REQUEST, &crate::catalogue::msg(Msg::WebBadForm, &[("error", &e)]))
        })?;
        Ok(Checked(viewer, form))
    }
}

/// The session cookie: HttpOnly, SameSite=Lax, Secure behind TLS.
pub fn session_cookie(web: &Web, sid: String) -> Cookie<'static> {
    let mut c = Cookie::new(SESSION_COOKIE, sid);
    c.set_http_only(true);
    c.set_same_site(SameSite::Lax);
    c.set_secure(web.ctx.config.web.secure());
    c.set_path("/");
    c
}

pub fn removal(name: &'static str) -> Cookie<'static> {
    let mut c = Cookie::from(name);
    c.set_path("/");
    c
}
