//! Cutting quoted history off a reply, as Chinese and Western clients write it.

/// The reply's own words: everything above the first history marker, without
/// `>` lines or a `-- ` signature.
pub fn strip_quoted(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let end = history_start(&lines).unwrap_or(lines.len());
    let mut kept: Vec<&str> = lines[..end]
        .iter()
        .take_while(|l| l.trim_end() != "--")
        .filter(|l| !l.trim_start().starts_with('>'))
        .map(|l| l.trim_end())
        .collect();
    while kept.last().is_some_and(|l| l.trim().is_empty()) {
        kept.pop();
    }
    while kept.first().is_some_and(|l| l.trim().is_empty()) {
        kept.remove(0);
    }
    kept.join("\n")
}

/// Index of the first line that opens quoted history.
fn history_start(lines: &[&str]) -> Option<usize> {
    (0..lines.len()).find(|&i| opens_history(lines, i))
}

fn opens_history(lines: &[&str], i: usize) -> bool {
    let line = lines[i].trim();
    let next = lines.get(i + 1).map(|l| l.trim()).unwrap_or_default();
    let stripped: String = line.chars().filter(|c| *c != '-' && *c != ' ').collect();
    // -----原始邮件----- / -----Original Message----- / QQ's "------------------ 原始邮件 ------------------"
    if line.starts_with("---")
        && (stripped == "原始邮件" || stripped.eq_ignore_ascii_case("OriginalMessage") || stripped == "回复的原邮件")
    {
        return true;
    }
    // Foxmail, QQ and NetEase header blocks: 发件人: / 发件人：
    if line.starts_with("发件人:") || line.starts_with("发件人：") {
        return true;
    }
    // 在 2024年5月1日 10:00，张三 <a@b.c> 写道：
    if line.starts_with('在') && (ends_with_wrote_zh(line) || ends_with_wrote_zh(next)) {
        return true;
    }
    // On Mon, 1 May 2024, Ann <a@b.c> wrote:  (sometimes wrapped onto two lines)
    if line.starts_with("On ") && (line.ends_with("wrote:") || next.ends_with("wrote:")) {
        return true;
    }
    // Outlook: an optional ____ rule, then From: ... Sent: ...
    if line.starts_with("____") && lines.get(i + 1).is_some_and(|l| is_outlook_from(lines, i + 1, l)) {
        return true;
    }
    is_outlook_from(lines, i, line)
}

fn ends_with_wrote_zh(line: &str) -> bool {
    let l = line.trim_end();
    l.ends_with("写道：") || l.ends_with("写道:") || l.ends_with("写道")
}

fn is_outlook_from(lines: &[&str], i: usize, line: &str) -> bool {
    let line = line.trim();
    let from = line.starts_with("From:") || line.starts_with("*From:*");
    from && lines.iter().skip(i + 1).take(4).any(|l| {
        let l = l.trim().trim_start_matches('*');
        l.starts_with("Sent:") || l.starts_with("Date:") || l.starts_with("发送时间")
    })
}

#[cfg(test)]
mod tests {
    use super::strip_quoted;

    fn check(marker_block: &str) {
        let mail = format!("收到，按时参加。\n\n{marker_block}\n旧的通知内容\n更多历史");
        assert_eq!(strip_quoted(&mail), "收到，按时参加。", "marker not cut: {marker_block}");
    }

    #[test]
    fn gt_lines_dropped() {
        assert_eq!(strip_quoted("好的\n> 原文\n>> 更早\n谢谢"), "好的\n谢谢");
    }

    #[test]
    fn chinese_original_mail_marker() {
        check("-----原始邮件-----\n发件人: 团委 <bot@example.test>");
        check("------------------ 原始邮件 ------------------");
    }

    #[test]
    fn chinese_sender_block() {
        check("发件人：团委 <bot@example.test>\n发送时间：2024年5月1日\n收件人：我");
        check("发件人: bot@example.test");
    }

    #[test]
    fn chinese_wrote_line() {
        check("在 2024年5月1日 10:00，团委 <bot@example.test> 写道：");
        check("在 2024年5月1日 10:00，团委 <bot@example.test>\n写道:");
    }

    #[test]
    fn outlook_block() {
        check("From: 团委 <bot@example.test>\nSent: Monday, May 1, 2024 10:00\nTo: me");
        check("________________________________\nFrom: bot@example.test\nSent: Monday");
        check("-----Original Message-----\nFrom: bot@example.test");
    }

    #[test]
    fn on_wrote_line() {
        check("On Mon, 1 May 2024 at 10:00, Bot <bot@example.test> wrote:");
        check("On Mon, 1 May 2024 at 10:00, Bot\n<bot@example.test> wrote:");
    }

    #[test]
    fn signature_dropped_and_plain_text_kept() {
        assert_eq!(strip_quoted("第一行\n第二行\n-- \n张三"), "第一行\n第二行");
        assert_eq!(strip_quoted("From: here we start a sentence"), "From: here we start a sentence");
    }
}
