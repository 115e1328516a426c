//! Help text, built from the command list.

use super::NAMES;

/// The /help answer.
pub fn help_text() -> String {
    let lines = [
        ("help", "list the commands / 查看命令"),
        ("whoami", "who the bot thinks you are / 我的身份"),
        ("link [CODE]", "link another account / 关联另一个账号"),
        ("bind CODE", "bind this group to an org / 绑定本群"),
        ("invite [ORG]", "officials: get a bind code / 获取绑定码"),
        ("tree [ORG]", "show an org / 查看组织"),
        ("notice [@ORG] TITLE", "officials: post a notice, body on the next lines / 发布通知"),
        ("status ID [ORG]", "officials: delivery and acknowledgements / 查看回执"),
        ("remind ID", "officials: remind those who have not acknowledged / 提醒未确认"),
        ("ack [ID]", "acknowledge a notice / 确认收到"),
        ("survey …", "micro-surveys: launch, answer, results / 微调查"),
    ];
    let mut s = String::from("treecast commands (Chinese aliases in brackets):\n");
    for (usage, what) in lines {
        let name = usage.split_whitespace().next().unwrap_or(usage);
        let aliases = NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, a)| a.iter().map(|x| format!("/{x}")).collect::<Vec<_>>().join(" "))
            .unwrap_or_default();
        s.push_str(&format!("/{usage} ({aliases}) - {what}\n"));
    }
    s.push_str("Reply 收到 to a notice, or press its button, to acknowledge it. Reply with anything else to answer its author privately.");
    s
}
