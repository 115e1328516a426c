//! A person's mail client against the email peer: SMTP out on port 2525,
//! IMAP in on 1143, and just enough MIME to read what the bot wrote. Written
//! on plain TCP so the scenario checks the bot's mail with code of its own.

use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use super::{env_port, poll};

/// The peer's mail domain (mailboxes `NAME@example.test`, password `NAMEpass`).
pub const DOMAIN: &str = "example.test";

fn smtp_port() -> u16 {
    env_port("TREECAST_TEST_SMTP_PORT", 2525)
}

pub fn imap_port() -> u16 {
    env_port("TREECAST_TEST_IMAP_PORT", 1143)
}

/// One mail as a person writes it (plain UTF-8 text).
pub struct Draft<'a> {
    pub from: &'a str,
    pub to: &'a str,
    pub subject: &'a str,
    pub text: &'a str,
    /// The mail this one answers (its Message-ID without brackets).
    pub in_reply_to: Option<&'a str>,
}

fn submission_port() -> u16 {
    env_port("TREECAST_TEST_SUBMISSION_PORT", 2587)
}

/// Sends `d` through Postfix; returns its Message-ID (without brackets).
pub async fn send(d: &Draft<'_>) -> String {
    let (id, data) = compose(d, d.from);
    smtp(d.from, d.to, &data, None).await;
    id
}

/// Sends `d` as a mail client with an account on the peer does: logged in
/// (SMTP AUTH on the submission port) as the mailbox `d.from` names, From
/// showing `name`. The peer stamps it `Authentication-Results: mail.example.test;
/// auth=pass smtp.auth=<d.from>`, its proof of the sender. Returns its Message-ID.
pub async fn send_signed_in(d: &Draft<'_>, name: &str) -> String {
    let user = d.from.split('@').next().unwrap_or_default();
    let (id, data) = compose(d, &format!("=?UTF-8?B?{}?= <{}>", b64(name.as_bytes()), d.from));
    smtp(d.from, d.to, &data, Some(user)).await;
    id
}

/// A Message-ID and the mail's text, From `from` (a header value).
fn compose(d: &Draft<'_>, from: &str) -> (String, String) {
    let id = format!("{}@{DOMAIN}", super::unique("m"));
    // Postfix adds the Date header.
    let mut head = format!(
        "From: {from}\r\nTo: {}\r\nSubject: =?UTF-8?B?{}?=\r\nMessage-ID: <{id}>\r\n",
        d.to,
        b64(d.subject.as_bytes())
    );
    if let Some(parent) = d.in_reply_to {
        head.push_str(&format!("In-Reply-To: <{parent}>\r\nReferences: <{parent}>\r\n"));
    }
    head.push_str(
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n",
    );
    let body = d.text.replace("\r\n", "\n").replace('\n', "\r\n");
    (id, format!("{head}{body}\r\n"))
}

/// One SMTP session: (AUTH PLAIN as `login`, on the submission port,)
/// MAIL, RCPT, DATA (dot-stuffed), QUIT.
async fn smtp(from: &str, to: &str, data: &str, login: Option<&str>) {
    let port = if login.is_some() { submission_port() } else { smtp_port() };
    let tcp = TcpStream::connect(("127.0.0.1", port)).await.expect("SMTP port; is the email peer running?");
    let mut s = BufReader::new(tcp);
    expect(&mut s, "220").await;
    let auth = login.map(|u| (format!("AUTH PLAIN {}", b64(format!("\0{u}\0{u}pass").as_bytes())), "235"));
    for (cmd, code) in [("EHLO scenario.test".to_owned(), "250")].into_iter().chain(auth).chain([
        (format!("MAIL FROM:<{from}>"), "250"),
        (format!("RCPT TO:<{to}>"), "250"),
        ("DATA".to_owned(), "354"),
    ]) {
        s.get_mut().write_all(format!("{cmd}\r\n").as_bytes()).await.unwrap();
        expect(&mut s, code).await;
    }
    let stuffed: String =
        data.split("\r\n").map(|l| if l.starts_with('.') { format!(".{l}\r\n") } else { format!("{l}\r\n") }).collect();
    s.get_mut().write_all(format!("{stuffed}.\r\nQUIT\r\n").as_bytes()).await.unwrap();
    expect(&mut s, "250").await;
}

/// Reads one (possibly multi-line) SMTP reply and checks its code.
async fn expect(s: &mut BufReader<TcpStream>, code: &str) {
    loop {
        let mut line = String::new();
        s.read_line(&mut line).await.unwrap();
        assert!(line.starts_with(code), "SMTP: wanted {code}, got {line:?}");
        if line.as_bytes().get(3) != Some(&b'-') {
            return;
        }
    }
}

/// An IMAP session of one mailbox user.
struct Imap {
    s: BufReader<TcpStream>,
    tag: u32,
}

impl Imap {
    async fn login(user: &str) -> Imap {
        let tcp = TcpStream::connect(("127.0.0.1", imap_port())).await.expect("IMAP port; is the email peer running?");
        let mut imap = Imap { s: BufReader::new(tcp), tag: 0 };
        let mut greeting = String::new();
        imap.s.read_line(&mut greeting).await.unwrap();
        imap.run(&format!("LOGIN {user} {user}pass")).await;
        imap
    }

    /// Runs one command; returns its untagged lines and the literals in them.
    async fn run(&mut self, cmd: &str) -> (Vec<String>, Vec<Vec<u8>>) {
        self.tag += 1;
        let tag = format!("a{}", self.tag);
        self.s.get_mut().write_all(format!("{tag} {cmd}\r\n").as_bytes()).await.unwrap();
        let (mut lines, mut literals) = (Vec::new(), Vec::new());
        loop {
            let mut raw = Vec::new();
            self.s.read_until(b'\n', &mut raw).await.unwrap();
            assert!(!raw.is_empty(), "IMAP connection closed during {cmd}");
            let line = String::from_utf8_lossy(&raw).trim_end().to_owned();
            if let Some(rest) = line.strip_prefix(&format!("{tag} ")) {
                assert!(rest.starts_with("OK"), "IMAP {cmd}: {line}");
                return (lines, literals);
            }
            if let Some(n) =
                line.strip_suffix('}').and_then(|l| l.rsplit_once('{')).and_then(|(_, n)| n.parse::<usize>().ok())
            {
                let mut lit = vec![0; n];
                self.s.read_exact(&mut lit).await.unwrap();
                literals.push(lit);
            }
            lines.push(line);
        }
    }

    /// Selects the inbox; returns how many messages it holds.
    async fn inbox(&mut self) -> usize {
        let (lines, _) = self.run("SELECT INBOX").await;
        lines.iter().find_map(|l| l.strip_prefix("* ")?.strip_suffix(" EXISTS")?.parse().ok()).unwrap_or(0)
    }
}

/// Empties `user`'s inbox (mail left over from an earlier run).
pub async fn reset(user: &str) {
    let mut imap = Imap::login(user).await;
    if imap.inbox().await > 0 {
        imap.run("STORE 1:* +FLAGS.SILENT (\\Deleted)").await;
        imap.run("EXPUNGE").await;
    }
    imap.run("LOGOUT").await;
}

/// Every mail in `user`'s inbox, oldest first, read without marking it seen.
pub async fn inbox(user: &str) -> Vec<Mail> {
    let mut imap = Imap::login(user).await;
    let mut out = Vec::new();
    if imap.inbox().await > 0 {
        let (_, literals) = imap.run("FETCH 1:* (BODY.PEEK[])").await;
        out = literals.iter().map(|raw| Mail::parse(raw)).collect();
    }
    imap.run("LOGOUT").await;
    out
}

/// Waits for a mail in `user`'s inbox that `pick` accepts.
pub async fn wait_for(user: &str, what: &str, pick: impl Fn(&Mail) -> bool) -> Mail {
    let pick = &pick;
    poll(what, Duration::from_secs(30), || async move { inbox(user).await.into_iter().find(|m| pick(m)) }).await
}

/// A received mail: its headers (unfolded, encoded words decoded) and its
/// text/plain content.
#[derive(Debug, Clone)]
pub struct Mail {
    pub headers: Vec<(String, String)>,
    pub text: String,
}

impl Mail {
    pub fn parse(raw: &[u8]) -> Mail {
        let (headers, body) = split(raw);
        let mut text = String::new();
        plain_parts(&headers, body, &mut text);
        let headers = headers.into_iter().map(|(k, v)| (k, decode_words(&v))).collect();
        Mail { headers, text }
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str()).unwrap_or_default()
    }

    pub fn subject(&self) -> &str {
        self.header("Subject")
    }

    /// The Message-ID without angle brackets.
    pub fn id(&self) -> String {
        self.header("Message-ID").trim().trim_matches(['<', '>']).to_owned()
    }

    /// The parent's Message-ID without angle brackets.
    pub fn in_reply_to(&self) -> String {
        self.header("In-Reply-To").trim().trim_matches(['<', '>']).to_owned()
    }

    /// The text a mail client quotes under a reply.
    pub fn quoted(&self) -> String {
        let mut q = format!("在 2024年1月1日 08:00，{} 写道：\n", self.header("From"));
        for l in self.text.lines() {
            q.push_str(&format!("> {l}\n"));
        }
        q
    }
}

/// Headers (unfolded) and body of one MIME entity.
fn split(raw: &[u8]) -> (Vec<(String, String)>, &[u8]) {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n").map(|i| (i, i + 4));
    let end = end.or_else(|| raw.windows(2).position(|w| w == b"\n\n").map(|i| (i, i + 2)));
    let (head_end, body_start) = end.unwrap_or((raw.len(), raw.len()));
    let head = String::from_utf8_lossy(&raw[..head_end]).replace("\r\n", "\n");
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some(last) = headers.last_mut() {
                last.1.push(' ');
                last.1.push_str(line.trim());
            }
        } else if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_owned(), v.trim().to_owned()));
        }
    }
    (headers, &raw[body_start..])
}

fn value<'a>(headers: &'a [(String, String)], name: &str) -> &'a str {
    headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str()).unwrap_or_default()
}

/// Appends the decoded text/plain parts of an entity to `out`.
fn plain_parts(headers: &[(String, String)], body: &[u8], out: &mut String) {
    let ctype = value(headers, "Content-Type");
    let lower = ctype.to_ascii_lowercase();
    if lower.starts_with("multipart/") {
        let boundary = ctype
            .split(';')
            .filter_map(|p| p.trim().split_once('='))
            .find(|(k, _)| k.eq_ignore_ascii_case("boundary"))
            .map(|(_, v)| v.trim_matches('"').to_owned())
            .unwrap_or_default();
        let body = String::from_utf8_lossy(body).into_owned();
        for part in body.split(&format!("--{boundary}")).skip(1) {
            if part.starts_with("--") {
                break;
            }
            let part = part.trim_start_matches(['\r', '\n']).as_bytes();
            let (h, b) = split(part);
            plain_parts(&h, b, out);
        }
    } else if lower.is_empty() || lower.starts_with("text/plain") {
        let cte = value(headers, "Content-Transfer-Encoding").to_ascii_lowercase();
        let bytes = match cte.as_str() {
            "base64" => unb64(&String::from_utf8_lossy(body)),
            "quoted-printable" => unqp(&String::from_utf8_lossy(body)),
            _ => body.to_vec(),
        };
        out.push_str(&String::from_utf8_lossy(&bytes).replace("\r\n", "\n"));
    }
}

/// RFC 2047 encoded words (`=?utf-8?b?…?=`, `=?utf-8?q?…?=`) as text;
/// adjacent words are joined before decoding (a character may span two).
fn decode_words(v: &str) -> String {
    let (mut out, mut pending, mut rest) = (String::new(), Vec::new(), v);
    while let Some(start) = rest.find("=?") {
        let mut it = rest[start + 2..].splitn(3, '?');
        let (Some(_charset), Some(enc), Some(tail)) = (it.next(), it.next(), it.next()) else { break };
        let Some(end) = tail.find("?=") else { break };
        let between = &rest[..start];
        if !between.trim().is_empty() || pending.is_empty() {
            out.push_str(&String::from_utf8_lossy(&std::mem::take(&mut pending)));
            out.push_str(between);
        }
        let text = &tail[..end];
        pending.extend(if enc.eq_ignore_ascii_case("b") { unb64(text) } else { unqp(&text.replace('_', " ")) });
        rest = &tail[end + 2..];
    }
    out.push_str(&String::from_utf8_lossy(&pending));
    out.push_str(rest);
    out
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub fn b64(data: &[u8]) -> String {
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            out.push(if i <= chunk.len() { B64[(n >> (18 - 6 * i)) as usize & 63] as char } else { '=' });
        }
    }
    out
}

fn unb64(text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in text.bytes() {
        let Some(v) = B64.iter().position(|b| *b == c) else { continue };
        acc = (acc << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

fn unqp(text: &str) -> Vec<u8> {
    let text = text.replace("=\r\n", "").replace("=\n", "");
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match (b[i], b.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok())) {
            (b'=', Some(v)) => {
                out.push(v);
                i += 3;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

#[test]
fn mime_helpers_read_what_they_write() {
    assert_eq!(unb64(&b64("精彩微博团，青春心连心".as_bytes())), "精彩微博团，青春心连心".as_bytes());
    assert_eq!(unqp("=E6=94=B6=E5=88=B0 ok=\r\n!"), "收到 ok!".as_bytes());
    let s = format!("=?utf-8?b?{}?= =?utf-8?b?{}?= x", b64("回复".as_bytes()), b64("通知".as_bytes()));
    assert_eq!(decode_words(&s), "回复通知 x");
    let raw = "Subject: hi\r\nContent-Type: multipart/alternative; boundary=\"B\"\r\n\r\n--B\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=E6=94=B6=E5=88=B0\r\n--B\r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n--B--\r\n";
    let m = Mail::parse(raw.as_bytes());
    assert_eq!(m.text.trim(), "收到");
    assert_eq!(m.subject(), "hi");
}
