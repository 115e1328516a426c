//! The message rate limit the homeserver applies to the bot, asked once at
//! start, so that operators learn it before a fan-out meets it. Sends still
//! honour `M_LIMIT_EXCEEDED` and `retry_after_ms` whatever is learned here.

use std::time::Duration;

use matrix_sdk::ruma::UserId;
use matrix_sdk::Client;

/// The message rate the homeserver allows the bot, as far as the adapter
/// could learn it at start (Synapse's admin API answers server admins only).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RateLimitInfo {
    /// The bot is exempt from the message rate limit.
    Exempt,
    /// The bot is an application service's user: not rate limited where it
    /// sends with the service's token (rooms that are not encrypted, joins).
    AppService,
    /// A per-user override: `per_second` messages a second, bursts of `burst`.
    Overridden { per_second: f64, burst: u32 },
    /// No override: the homeserver's `rc_message` applies. Its value is not
    /// visible to clients (Synapse ships 0.2 messages a second, burst 10).
    HomeserverDefault,
    /// The homeserver did not say (the bot is no server admin, the server is
    /// not Synapse, or it could not be reached).
    Unknown,
}

impl RateLimitInfo {
    /// Whether the bot may send without the homeserver's message limit.
    pub fn is_exempt(&self) -> bool {
        matches!(self, RateLimitInfo::Exempt)
    }
}

/// Why the rate limit is unknown, for the log line.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Why {
    NotAdmin,
    NoAdminApi,
    Status(u16),
    OddAnswer,
    Unreachable(String),
}

impl Why {
    fn zh(&self) -> String {
        match self {
            Why::NotAdmin => "机器人不是服务器管理员，无权查询".to_owned(),
            Why::NoAdminApi => "该地址没有 Synapse 管理接口".to_owned(),
            Why::Status(s) => format!("主服务器回答 HTTP {s}"),
            Why::OddAnswer => "回答的格式无法识别".to_owned(),
            Why::Unreachable(e) => format!("请求失败：{e}"),
        }
    }

    fn en(&self) -> String {
        match self {
            Why::NotAdmin => "the bot is not a server admin, so it may not ask".to_owned(),
            Why::NoAdminApi => "there is no Synapse admin API at this address".to_owned(),
            Why::Status(s) => format!("the homeserver answered HTTP {s}"),
            Why::OddAnswer => "the answer had an unexpected shape".to_owned(),
            Why::Unreachable(e) => format!("the request failed: {e}"),
        }
    }
}

/// Asks the homeserver and logs one line with the answer.
/// With `via_service` (an application service's user) there is nothing to
/// ask: the service's token is not rate limited.
pub(crate) async fn learn(client: &Client, user: &UserId, via_service: bool) -> RateLimitInfo {
    if via_service {
        let info = RateLimitInfo::AppService;
        tracing::info!("{}", describe(info, None, user, ""));
        return info;
    }
    let url = override_url(client, user);
    let (info, why) = match ask(client, &url).await {
        Ok((status, body)) => from_answer(status, &body),
        Err(e) => (RateLimitInfo::Unknown, Some(Why::Unreachable(e.to_string()))),
    };
    tracing::info!("{}", describe(info, why.as_ref(), user, &url));
    info
}

/// Synapse's admin endpoint for `user`'s rate-limit override.
fn override_url(client: &Client, user: &UserId) -> String {
    let base = client.homeserver().to_string();
    format!("{}/_synapse/admin/v1/users/{}/override_ratelimit", base.trim_end_matches('/'), path_segment(user.as_str()))
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
/// Percent-encodes one URL path segment (a user or room id).
pub(crate) fn path_segment(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn ask(client: &Client, url: &str) -> Result<(u16, Vec<u8>), matrix_sdk::reqwest::Error> {
    let mut req = client.http_client().get(url).timeout(Duration::from_secs(10));
    if let Some(token) = client.access_token() {
        req = req.bearer_auth(token);
    }
    let resp = req.send().await?;
    let status = resp.status().as_u16();
    Ok((status, resp.bytes().await?.to_vec()))
}

/// Reads the admin API's answer: the info, and why it is unknown if it is.
pub(crate) fn from_answer(status: u16, body: &[u8]) -> (RateLimitInfo, Option<Why>) {
    match status {
        200 => {}
        403 => return (RateLimitInfo::Unknown, Some(Why::NotAdmin)),
        404 => return (RateLimitInfo::Unknown, Some(Why::NoAdminApi)),
        other => return (RateLimitInfo::Unknown, Some(Why::Status(other))),
    }
    // Synapse answers `{}` without an override; an exemption is an override
    // of 0 (or null) messages a second, whatever its burst.
    let Ok(serde_json::Value::Object(map)) = serde_json::from_slice::<serde_json::Value>(body) else {
        return (RateLimitInfo::Unknown, Some(Why::OddAnswer));
    };
    if map.is_empty() {
        return (RateLimitInfo::HomeserverDefault, None);
    }
    let per_second = match map.get("messages_per_second") {
        None | Some(serde_json::Value::Null) => Some(0.0),
        Some(v) => v.as_f64(),
    };
    let burst = match map.get("burst_count") {
        None | Some(serde_json::Value::Null) => Some(0),
        Some(v) => v.as_u64().and_then(|b| u32::try_from(b).ok()),
    };
    match (per_second, burst) {
        (Some(0.0), _) => (RateLimitInfo::Exempt, None),
        (Some(per_second), Some(burst)) if per_second > 0.0 => (RateLimitInfo::Overridden { per_second, burst }, None),
        _ => (RateLimitInfo::Unknown, Some(Why::OddAnswer)),
    }
}

const EXEMPT_BODY: &str = r#"{"messages_per_second":0,"burst_count":0}"#;

/// The one INFO line: the rate in force and, unless the bot is exempt, how
/// to exempt it. Chinese first, then English.
pub(crate) fn describe(info: RateLimitInfo, why: Option<&Why>, user: &UserId, url: &str) -> String {
    let how_zh =
        format!("免除限速：由服务器管理员 POST {url}，内容 {EXEMPT_BODY}（其他办法见 docs/adapters/matrix.md）。");
    let how_en = format!(
        "To exempt the bot, a server admin sends POST {url} with {EXEMPT_BODY} (other ways: docs/adapters/matrix.md)."
    );
    // What a homeserver without an override allows is not visible to clients.
    let shipped_zh = "若仍是 Synapse 出厂的每秒 0.2 条、突发 10 条，大批通知会排队等待";
    let shipped_en = "if it is still Synapse's shipped 0.2 messages a second, burst 10, a large fan-out will queue";
    match info {
        RateLimitInfo::Exempt => format!(
            "Matrix 主服务器已免除机器人 {user} 的发送限速。 / The homeserver exempts {user} from its message rate limit."
        ),
        RateLimitInfo::AppService => format!(
            "Matrix 机器人 {user} 通过应用服务（application service）发送：未加密房间的消息和加入房间不受 Synapse 速率限制；\
             加密房间的消息仍受 rc_message 限制。 / The Matrix bot {user} sends through an application service: \
             Synapse does not rate-limit its messages into unencrypted rooms or its joins; messages into \
             encrypted rooms are still under rc_message."
        ),
        RateLimitInfo::Overridden { per_second, burst } => format!(
            "Matrix 主服务器为机器人 {user} 单独设定的发送限速为每秒 {per_second} 条、突发 {burst} 条；\
             [outbox.limits.matrix] per_second 不应高于此值。{how_zh} / \
             The homeserver limits {user} to {per_second} messages a second, burst {burst} (a per-user override); \
             keep [outbox.limits.matrix] per_second at or below it. {how_en}"
        ),
        RateLimitInfo::HomeserverDefault => format!(
            "Matrix 主服务器没有为机器人 {user} 单独设定发送限速，适用服务器的 rc_message（{shipped_zh}）。{how_zh} / \
             The homeserver has no override for {user}, so its rc_message limit applies ({shipped_en}). {how_en}"
        ),
        RateLimitInfo::Unknown => {
            let (why_zh, why_en) = why.map_or_else(|| (String::new(), String::new()), |w| (w.zh(), w.en()));
            format!(
                "无法得知 Matrix 主服务器对机器人 {user} 的发送限速（{why_zh}）；{shipped_zh}。{how_zh} / \
                 Could not learn the homeserver's message rate limit for {user} ({why_en}); {shipped_en}. {how_en}"
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use matrix_sdk::ruma::user_id;

    use super::{describe, from_answer, path_segment, RateLimitInfo, Why};

    #[test]
    fn an_override_of_zero_messages_a_second_is_an_exemption() {
        let (info, why) = from_answer(200, br#"{"messages_per_second": 0, "burst_count": 0}"#);
        assert_eq!(info, RateLimitInfo::Exempt);
        assert_eq!(why, None);
    }

    #[test]
    fn an_override_with_a_rate_is_that_rate() {
        let (info, _) = from_answer(200, br#"{"messages_per_second": 5, "burst_count": 20}"#);
        assert_eq!(info, RateLimitInfo::Overridden { per_second: 5.0, burst: 20 });
        let (info, _) = from_answer(200, br#"{"messages_per_second": 0.5, "burst_count": 0}"#);
        assert_eq!(info, RateLimitInfo::Overridden { per_second: 0.5, burst: 0 });
    }

    #[test]
    fn no_override_is_the_homeservers_default() {
        assert_eq!(from_answer(200, b"{}"), (RateLimitInfo::HomeserverDefault, None));
    }

    #[test]
    fn refusals_and_odd_answers_are_unknown_with_a_reason() {
        let bodies: [(u16, &[u8]); 5] = [
            (403, br#"{"errcode": "M_FORBIDDEN", "error": "You are not a server admin"}"#),
            (404, br#"{"errcode": "M_UNRECOGNIZED", "error": "Unrecognized request"}"#),
            (500, b"oops"),
            (200, b"not json"),
            (200, br#"{"messages_per_second": "fast"}"#),
        ];
        for (status, body) in bodies {
            let (info, why) = from_answer(status, body);
            assert_eq!(info, RateLimitInfo::Unknown, "{status}");
            assert!(why.is_some(), "{status}: a reason for the log");
        }
    }

    #[test]
    fn the_log_line_says_the_rate_and_how_to_exempt_chinese_first() {
        let user = user_id!("@treecast:league.example");
        let url = "https://hs/_synapse/admin/v1/users/%40treecast%3Aleague.example/override_ratelimit";
        let exempt = describe(RateLimitInfo::Exempt, None, user, url);
        assert!(exempt.starts_with("Matrix 主服务器已免除机器人 @treecast:league.example"), "{exempt}");
        assert!(!exempt.contains("POST"), "an exempt bot needs no advice: {exempt}");
        let limited = [
            (RateLimitInfo::Overridden { per_second: 2.5, burst: 20 }, None, "每秒 2.5 条"),
            (RateLimitInfo::HomeserverDefault, None, "rc_message"),
            (RateLimitInfo::Unknown, Some(Why::NotAdmin), "机器人不是服务器管理员"),
        ];
        for (info, why, says) in limited {
            let line = describe(info, why.as_ref(), user, url);
            let (zh, en) = line.split_once(" / ").expect("Chinese, then English");
            assert!(zh.contains(says), "{line}");
            for part in [zh, en] {
                assert!(part.contains(&format!("POST {url}")), "{part}");
                assert!(part.contains(r#"{"messages_per_second":0,"burst_count":0}"#), "{part}");
            }
            assert!(!line.contains('\n'), "one line: {line}");
        }
    }

    #[test]
    fn the_user_id_is_escaped_in_the_path() {
        assert_eq!(path_segment("@bot:localhost"), "%40bot%3Alocalhost");
        assert_eq!(path_segment("@a.b_c-d:x.org"), "%40a.b_c-d%3Ax.org");
    }
}
