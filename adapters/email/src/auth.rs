//! Sender proof from trusted `Authentication-Results` headers (RFC 8601).
//!
//! A header counts only when its authserv-id is in `trusted_authserv_ids`,
//! and only a pass aligned with the From domain counts: `dkim=pass` with
//! `header.d` (or `header.i`), `spf=pass` with `smtp.mailfrom`, or
//! `dmarc=pass` with `header.from`; or `auth=pass` with `smtp.auth` equal to
//! the From address itself (RFC 8601 SMTP AUTH: the sender logged in to the
//! trusted server as that address). The receiving MTA must strip incoming
//! headers that claim its own authserv-id (see docs/adapters/email.md).

/// Whether any trusted header proves `from` (a lowercased address).
pub fn verified<'a>(headers: impl Iterator<Item = &'a str>, from: &str, trusted: &[String]) -> bool {
    let Some((_, from_domain)) = from.rsplit_once('@') else {
        return false;
    };
    let from = Proven { address: from.trim().to_ascii_lowercase(), domain: from_domain.trim().to_ascii_lowercase() };
    headers.into_iter().any(|h| header_proves(h, &from, trusted))
}

/// The From address a result must match.
struct Proven {
    address: String,
    domain: String,
}

fn header_proves(value: &str, from: &Proven, trusted: &[String]) -> bool {
    let value = strip_comments(&value.replace(['\r', '\n'], " "));
    let mut parts = value.split(';');
    let id = parts.next().unwrap_or_default().split_whitespace().next().unwrap_or_default();
    if id.is_empty() || id.contains('=') || !trusted.iter().any(|t| t.eq_ignore_ascii_case(id)) {
        return false;
    }
    parts.any(|res| result_proves(res, from))
}

fn result_proves(res: &str, from: &Proven) -> bool {
    let mut tokens = res.split_whitespace();
    let Some((method, result)) = tokens.next().and_then(|t| t.split_once('=')) else {
        return false;
    };
    if !result.eq_ignore_ascii_case("pass") {
        return false;
    }
    let props: Vec<(String, String)> = tokens
        .filter_map(|t| t.split_once('='))
        .map(|(k, v)| (k.to_ascii_lowercase(), v.trim_matches('"').to_ascii_lowercase()))
        .collect();
    let prop = |k: &str| props.iter().find(|(pk, _)| pk == k).map(|(_, v)| v.as_str());
    let domain_of = |v: &str| v.rsplit_once('@').map(|(_, d)| d.to_owned()).unwrap_or_else(|| v.to_owned());
    let claimed = match method.to_ascii_lowercase().as_str() {
        "dkim" => prop("header.d").map(str::to_owned).or_else(|| prop("header.i").map(domain_of)),
        "spf" => prop("smtp.mailfrom").map(domain_of),
        "dmarc" => prop("header.from").map(domain_of),
        // SMTP AUTH proves the one address logged in, not its domain.
        "auth" => return prop("smtp.auth").is_some_and(|a| a == from.address),
        _ => None,
    };
    claimed.is_some_and(|d| aligned(&from.domain, &d))
}

/// The From domain is the authenticated domain or a subdomain of it.
fn aligned(from_domain: &str, authenticated: &str) -> bool {
    let d = authenticated.trim_end_matches('.');
    !d.is_empty() && d.contains('.') && (from_domain == d || from_domain.ends_with(&format!(".{d}")))
}

fn strip_comments(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut depth = 0u32;
    let mut quoted = false;
    for c in s.chars() {
        match c {
            '"' if depth == 0 => {
                quoted = !quoted;
                out.push(c);
            }
            '(' if !quoted => depth += 1,
            ')' if !quoted && depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::verified;

    fn trusted() -> Vec<String> {
        vec!["mx.example.test".to_owned()]
    }

    fn check(header: &str, from: &str) -> bool {
        verified([header].into_iter(), from, &trusted())
    }

    #[test]
    fn trusted_dkim_pass_for_from_domain_verifies() {
        assert!(check("mx.example.test; dkim=pass (2048-bit key) header.d=gov.test header.s=s1", "official@gov.test"));
        assert!(check("mx.example.test 1; spf=pass smtp.mailfrom=official@gov.test", "official@gov.test"));
        assert!(check("MX.example.test;\r\n\tdkim=pass header.i=@gov.test", "a@mail.gov.test"));
        assert!(check("mx.example.test; dmarc=pass header.from=gov.test", "a@gov.test"));
    }

    #[test]
    fn forged_header_from_untrusted_authserv_id_stays_unverified() {
        assert!(!check("evil.test; dkim=pass header.d=gov.test", "official@gov.test"));
        assert!(!check("mx.example.test.evil.test; dkim=pass header.d=gov.test", "official@gov.test"));
        assert!(!check("dkim=pass header.d=gov.test", "official@gov.test"));
    }

    #[test]
    fn forged_from_with_pass_for_another_domain_stays_unverified() {
        assert!(!check(
            "mx.example.test; dkim=pass header.d=evil.test; spf=pass smtp.mailfrom=x@evil.test",
            "official@gov.test"
        ));
        assert!(!check("mx.example.test; dkim=pass header.d=gov.test.evil.test", "official@gov.test"));
        assert!(!check("mx.example.test; dkim=pass header.d=test", "official@gov.test"));
        assert!(!check("mx.example.test; dkim=pass header.d=sub.gov.test", "official@gov.test"));
    }

    #[test]
    fn smtp_auth_pass_for_the_from_address_verifies() {
        assert!(check("mx.example.test; auth=pass smtp.auth=official@gov.test", "official@gov.test"));
        assert!(check("mx.example.test;\r\n\tauth=pass (SASL PLAIN) smtp.auth=Official@GOV.test", "official@gov.test"));
        assert!(check("mx.example.test; dkim=none; auth=pass smtp.auth=\"official@gov.test\"", "official@gov.test"));
        // rspamd's form (milter_headers authentication-results).
        let rspamd = "mx.example.test;\r\n\tauth=pass smtp.auth=official@gov.test smtp.mailfrom=official@gov.test";
        assert!(check(rspamd, "official@gov.test"));
    }

    #[test]
    fn smtp_auth_of_another_address_or_from_an_untrusted_id_proves_nothing() {
        assert!(!check("mx.example.test; auth=pass smtp.auth=student1@gov.test", "official@gov.test"));
        assert!(!check("mx.example.test; auth=pass smtp.auth=official", "official@gov.test"));
        assert!(!check("mx.example.test; auth=pass smtp.auth=official@gov.test.evil.test", "official@gov.test"));
        assert!(!check("evil.test; auth=pass smtp.auth=official@gov.test", "official@gov.test"));
        assert!(!check("mx.example.test; auth=fail smtp.auth=official@gov.test", "official@gov.test"));
        assert!(!check("mx.example.test; auth=pass smtp.mailfrom=official@gov.test", "official@gov.test"));
        assert!(!check("mx.example.test; auth=pass (smtp.auth=official@gov.test)", "official@gov.test"));
    }

    #[test]
    fn failures_and_comments_do_not_verify() {
        assert!(!check(
            "mx.example.test; dkim=fail header.d=gov.test; spf=softfail smtp.mailfrom=gov.test",
            "a@gov.test"
        ));
        assert!(!check("mx.example.test; dkim=none (dkim=pass header.d=gov.test)", "a@gov.test"));
        assert!(!check("mx.example.test; none", "a@gov.test"));
        assert!(!verified(std::iter::empty(), "a@gov.test", &trusted()));
        assert!(!verified(["mx.example.test; dkim=pass header.d=gov.test"].into_iter(), "a@gov.test", &[]));
    }
}
