//! Personal data stays out of the logs: every line written goes through
//! `mask`, which keeps enough to tell entries apart and debug a domain
//! (`l***@hnu.edu.cn`, `138****5678`, `@l***:example.org`) and no more.
//! Masking at the writer catches every log call, ours and our libraries'
//! (an SMTP error quoting a rejected recipient); the few platform ids that
//! look like any number (Telegram user ids) are masked where they are logged,
//! with `treecast_wire::Address::for_logs`.

use std::borrow::Cow;
use std::io::{self, Write};
use std::sync::LazyLock;

use regex::{Captures, Regex};

static EMAIL: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"([\w.%+\-]+)@([\w\-]+(?:\.[\w\-]+)*\.\w{2,})").unwrap());
/// A mainland mobile number not inside a longer run of digits.
static PHONE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(^|[^0-9])(1[3-9][0-9])([0-9]{4})([0-9]{4})($|[^0-9])").unwrap());
/// A Matrix user id (`@local:server`), after emails are masked.
static MXID: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"@([A-Za-z0-9._=/+\-]+):([A-Za-z0-9.\-]+)").unwrap());

fn first_char(s: &str) -> &str {
    s.char_indices().nth(1).map_or(s, |(i, _)| &s[..i])
}

/// `text` with email addresses, mobile numbers and Matrix user ids masked.
pub fn mask(text: &str) -> Cow<'_, str> {
    if !text.contains('@') && !text.bytes().any(|b| b.is_ascii_digit()) {
        return Cow::Borrowed(text);
    }
    let t = EMAIL.replace_all(text, |c: &Captures| format!("{}***@{}", first_char(&c[1]), &c[2]));
    let t = match PHONE.replace_all(&t, "$1$2****$4$5") {
        Cow::Borrowed(_) => t,
        Cow::Owned(s) => Cow::Owned(s),
    };
    let t = match MXID.replace_all(&t, |c: &Captures| format!("@{}***:{}", first_char(&c[1]), &c[2])) {
        Cow::Borrowed(_) => t,
        Cow::Owned(s) => Cow::Owned(s),
    };
    match t {
        Cow::Borrowed(_) => Cow::Borrowed(text),
        Cow::Owned(s) => Cow::Owned(s),
    }
}

/// A writer that masks each write (the log formatter writes a line at a
/// time) before passing it on.
pub struct Masked<W>(pub W);

impl<W: Write> Write for Masked<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match std::str::from_utf8(buf) {
            Ok(s) => self.0.write_all(mask(s).as_bytes())?,
            Err(_) => self.0.write_all(buf)?,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// Standard error, masked: for `tracing_subscriber::fmt().with_writer(..)`.
pub fn stderr() -> Masked<io::Stderr> {
    Masked(io::stderr())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_phones_and_matrix_ids_are_masked_and_the_rest_kept() {
        let line = "delivery to email:dm:li.ming@hnu.edu.cn failed: 550 <zhang-san+1@mail.example.com.cn> rejected; \
                    电话13812345678，学号202312345678901，@li.ming:matrix.example.org 邀请 room !abc:example.org";
        let m = mask(line);
        assert_eq!(
            m,
            "delivery to email:dm:l***@hnu.edu.cn failed: 550 <z***@mail.example.com.cn> rejected; \
             电话138****5678，学号202312345678901，@l***:matrix.example.org 邀请 room !abc:example.org"
        );
        for kept in ["notice 12 delivered to 3 chats", "精彩微博团，青春心连心", "2026-11-29T10:00:00Z"] {
            assert_eq!(mask(kept), kept);
        }
        // A Chinese name before an address stays; one in the address goes.
        assert_eq!(mask("王芳 <王芳@例子.中国> wf@x.cn"), "王芳 <王***@例子.中国> w***@x.cn");
    }

    #[test]
    fn the_writer_masks_what_passes_through() {
        let mut w = Masked(Vec::new());
        writeln!(w, "from hunan.official@example.test to 13912345678").unwrap();
        assert_eq!(String::from_utf8(w.0).unwrap(), "from h***@example.test to 139****5678\n");
    }
}
