//! Every sentence a user can read from the core, in one plain table: Chinese
//! first, then English, in one string. `{name}` marks a value filled in by
//! [`msg`]; an entry without values is used as `Msg::X.text()`.
//!
//! Users read the Chinese first, so each entry starts with a Chinese sentence
//! and repeats it in English; the tests below walk every entry and check both.

use std::fmt::Display;

/// Declares the table once: the `Msg` enum, `Msg::ALL` (for the tests) and
/// `Msg::text`, so an entry cannot be listed without its text or vice versa.
macro_rules! catalogue {
    ($($name:ident => $text:literal,)*) => {
        /// One user-facing sentence (or a few that always go together).
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Msg {
            $($name,)*
        }

        impl Msg {
            /// Every entry, in table order.
            pub const ALL: &'static [Msg] = &[$(Msg::$name,)*];

            /// The entry's text, placeholders unfilled (`const`, so it can name a `const`).
            pub const fn text(self) -> &'static str {
                match self {
                    $(Msg::$name => $text,)*
                }
            }
        }
    };
}

catalogue! {
    // Campaigns (工作部署): src/features/campaigns.
    MayNotFillForm => "只有 {code} {name} 的团干部（或其上级团干部）可以为它填表。 Only officials of {code} {name} (or of an org above it) may fill in its forms.",
    MayNotBridge => "只有 {code} {name} 的团干部（或其上级团干部）可以开关它的群间互通。 Only officials of {code} {name} (or of an org above it) may turn its bridging on or off.",
    MayNotFollowUp => "只有 {code} {name} 的团干部（或其上级团干部）可以标记其下级的完成情况。 Only officials of {code} {name} (or of an org above it) may mark its children's steps.",
    CampaignUsage => "用法：/campaign launch 名称 [@组织代码]（团干部发起），/campaign 编号（本单位各步骤），/campaign status 编号 [组织代码]（完成情况），/campaign fill 编号 [@组织代码]（填表，可在下方逐行写“1. 姓名：张三”一次填完），/campaign mark 编号 步骤号 组织代码…（上级标记人工步骤完成），/campaign unmark 编号 步骤号 组织代码，/campaign export 编号 [form|status] [组织代码]（导出 XLSX 和 CSV）。 Usage: /campaign launch NAME [@CODE] (officials), /campaign ID (your org's steps), /campaign status ID [CODE] (compliance), /campaign fill ID [@CODE] (fill in the form; lines like \"1. 姓名：张三\" below fill it at once), /campaign mark ID STEP CODE… (the parent marks a manual step done), /campaign unmark ID STEP CODE, /campaign export ID [form|status] [CODE] (XLSX and CSV files).",
    CampaignUnknown => "没有编号为 #{id} 的工作部署。 There is no campaign #{id}.",
    CampaignBadName => "{name} 不是工作部署的名称：请写 config/campaigns 下的文件名（不带 .toml）。 {name} is not a campaign name: give the name of a file in the campaigns folder, without .toml.",
    CampaignNoDefinition => "没有名为 {name} 的工作部署定义（{path}）。 There is no campaign definition named {name} ({path}).",
    CampaignNeedsOrg => "请指明发起的组织：/campaign launch 名称 @组织代码，或在定义的 [target] 中写 org。 Name the launching org: /campaign launch NAME @CODE, or `org` in the definition's [target].",
    CampaignDuePast => "步骤“{step}”的截止时间 {due} 已过，未发起。 The deadline of step \"{step}\", {due}, has passed; nothing was launched.",
    CampaignNoTargets => "{org} 下没有 {level} 级的组织，未发起。 There is no org at level {level} under {org}; nothing was launched.",
    CampaignLaunched => "已发起工作部署 #{id}《{title}》（{org}，{n} 个单位），公告为通知 #{notice}；发起前已完成的步骤 {done} 项。查看完成情况：/campaign status {id}。 Campaign #{id} \"{title}\" is launched by {org} to {n} orgs; its announcement is notice #{notice}; {done} steps were done already. Compliance: /campaign status {id}.",
    CampaignChecked => "{path}：《{title}》，{n} 个步骤，没有问题。 {path}: 《{title}》, {n} steps, no problems.",
    CampaignHowForm => "\n请各单位团干部点击下方“填写”按钮私聊机器人填表，或私聊机器人发送 /start {payload}；邮件用户发送 /campaign fill {id} 即收到表格。发送 /campaign {id} 查看本单位进度。\nOfficials: press \"Fill in\" below to fill in the form in a private chat, or send /start {payload} to the bot; by mail, send /campaign fill {id} to get the form. /campaign {id} shows your org's steps.",
    CampaignHowSteps => "\n发送 /campaign {id} 查看本单位各步骤的完成情况。 Send /campaign {id} to see where your org stands on each step.",
    CampaignStatusHead => "【工作部署 #{id}】《{title}》{scope} 完成情况：{n} 个单位（截至 {now}） Campaign #{id} compliance in {scope}, orgs: {n} (as of {now})",
    CampaignStatusBreakdown => "下级 By org below（✓ 完成 done，✗ 逾期 late，… 未到期 open）：",
    CampaignMoreRows => "……另有 {n} 个单位，见导出（/campaign export）。 …and {n} more orgs: see the export (/campaign export).",
    CampaignLateList => "逾期未完成 Late —— {step}：{names}",
    CampaignNotAForm => "第 {step} 步不是表单。 Step {step} is not a form.",
    CampaignNoForm => "工作部署 #{id} 没有表单。 Campaign #{id} has no form.",
    CampaignNotTarget => "{org} 不在工作部署 #{id} 的范围内。 {org} is not one of the orgs of campaign #{id}.",
    CampaignNotYours => "你不属于 {org}，不能替它的成员填表。 You are not in {org}, so you cannot fill in its members' forms.",
    CampaignNotForYou => "工作部署 #{id}《{title}》不需要你所在的单位填写；上级团干部请用 @组织代码 指明代哪个单位填写。 Campaign #{id} \"{title}\" asks nothing of your orgs; an official above them names the org with @CODE.",
    CampaignFormLead => "“{title}”——{org}（截止 {due}）。逐项回复即可，也可一次发送多行“1. 姓名：张三”。 \"{title}\" for {org} (due {due}). Answer each item, or send several lines like \"1. 姓名：张三\" at once.",
    CampaignFormCancelled => "已取消填写，未提交的内容没有保存，已提交的表单不变。 Filling was cancelled: what was not submitted is not kept, and a form submitted before is unchanged.",
    CampaignFormClosed => "表单已于 {due} 截止，不能再修改。 The form closed at {due} and can no longer be changed.",
    CampaignFormLate => "（逾期提交 submitted late）",
    CampaignFormSaved => "已提交“{title}”（{org}）{late}：{summary}\n截止 {due} 前可随时修改：/campaign fill {id}。 \"{title}\" for {org} is submitted; change it until {due} with /campaign fill {id}.",
    CampaignFormNoField => "“{label}”不是表中的项目：请用题号，如“1. 姓名：张三”。 \"{label}\" is not an item of the form: start the line with its number, e.g. \"1. 姓名：张三\".",
    CampaignFieldRequired => "必填，请填写。 Required: please fill it in.",
    CampaignFormProblems => "有 {n} 处需要修改（其余已保留）： {n} items need changing (the rest are kept):\n{list}",
    CampaignFormByMail => "“{title}”——{org}，截止 {due}。请直接回复本邮件，在每项冒号后填写，选择题写字母。 \"{title}\" for {org}, due {due}. Reply to this mail with each item filled in after its colon; for a choice write its letter.",
    CampaignFormNotYours => "这份表格是发给另一位团干部的，你的回复没有保存。 This form was sent to another official; your reply was not saved.",
    CampaignFormEmptyReply => "回复中没有找到填写的项目：请在每项冒号后填写，如“1. 姓名：张三”。 No filled-in items were found in the reply: write each after its colon, e.g. \"1. 姓名：张三\".",
    CampaignNotManual => "步骤“{step}”会根据实际情况自动完成，不能手动标记。 Step \"{step}\" completes by itself from what is done; it cannot be marked by hand.",
    CampaignMarked => "已标记“{step}”完成：{names}。 \"{step}\" is marked done for {names}.",
    CampaignUnmarked => "已撤销“{step}”的完成标记：{names}。 The mark on \"{step}\" is taken back for {names}.",
    CampaignExported => "工作部署 #{id} 在 {org} 的 {rows} 行已导出为 XLSX 和 CSV（见附件）。 {rows} rows of campaign #{id} in {org} are attached as XLSX and CSV.",
    CampaignMineHead => "【工作部署 #{id}】《{title}》 Campaign #{id}: your orgs' steps",
    CampaignFillHint => "填表：/start {payload} 或 /campaign fill {id}。 Fill in the form: /start {payload} or /campaign fill {id}.",
    CampaignAllDue => "全部截止 all deadlines passed",
    CampaignNone => "目前没有与你相关的工作部署。 No campaign concerns you at the moment.",
    CampaignListHead => "工作部署 Campaigns（/campaign 编号 查看 see one）：",
    CampaignReminder => "【工作部署提醒】#{id}《{title}》的“{step}”将于 {due} 截止，{org} 尚未完成。 Reminder: \"{step}\" of campaign #{id} is due {due} and {org} has not done it yet.{how}",
    CampaignEscalation => "【工作部署催办】#{id}《{title}》的“{step}”已于 {due} 截止，{parent} 下属有 {n} 个单位未完成： Follow-up: \"{step}\" of campaign #{id} was due {due}; {n} orgs under {parent} have not done it:\n{names}\n查看完成情况 Compliance: /campaign status {id} {code}",
    CampaignAndMore => "……另有 {n} 个 and {n} more",
    DigestCampaigns => "待完成的工作部署 Campaign steps to do",
    DigestCampaignStep => "#{id}《{title}》“{step}”（{org}）截止 due {due}",
    MyDataCampaignForms => "工作部署表单：{n} 份 Campaign forms: {n}",
    // Information services (资讯服务): src/features/services.
    ServicesConfigBad => "配置 [services] 有误：{error}（quiet 写作 \"22:00-07:30\"，bundle_at 写作 \"08:00\"）。 [services] in the config is wrong: {error} (quiet as \"22:00-07:30\", bundle_at as \"08:00\").",
    ServiceUsage => "用法：/services（可订阅的服务），/subscribe 名称 [daily]，/unsubscribe 名称；团干部：/service new 名称 [@组织代码]（第二行起为介绍），/service editor 名称 add|remove platform:账号，/service 名称（订阅数据）；编辑：/publish 名称 [2026-12-01T08:00] 内容。 Usage: /services (what you can join), /subscribe NAME [daily], /unsubscribe NAME; officials: /service new NAME [@CODE] (an introduction below), /service editor NAME add|remove platform:account, /service NAME (its counts); editors: /publish NAME [2026-12-01T08:00] text.",
    ServiceUnknownId => "没有编号为 #{id} 的资讯服务。 There is no information service #{id}.",
    ServiceUnknown => "没有名为“{name}”的资讯服务：发送 /services 查看可订阅的服务。 There is no information service named \"{name}\": send /services for those you can join.",
    ServiceAmbiguous => "有多个名为“{name}”的服务，请指明：{choices}。 Several services are named \"{name}\"; name one: {choices}.",
    ServiceListHead => "可订阅的资讯服务 Information services you can join:",
    ServiceSubscribed => "已订阅 subscribed",
    ServiceNotSubscribed => "未订阅 not subscribed",
    ServiceNone => "目前没有你可订阅的资讯服务。 There is no information service for you yet.",
    ServiceExists => "{org} 已有名为“{name}”的服务。 {org} already has a service named \"{name}\".",
    ServiceCreated => "已开设资讯服务“{name}”（{org}，#{id}）。订阅：私聊机器人发送 /subscribe {name} 或 /start svc{id}，邮件发往 subscribe+{id}@ 机器人的域名。 The information service \"{name}\" of {org} (#{id}) is open. Subscribe: /subscribe {name} or /start svc{id} to the bot, or mail subscribe+{id}@ the bot's domain.",
    ServiceEditorAdded => "{who} 现在可以在“{name}”发布资讯。 {who} may now publish in \"{name}\".",
    ServiceEditorRemoved => "{who} 不再是“{name}”的编辑。 {who} no longer publishes in \"{name}\".",
    ServiceStats => "“{name}”（{org}）：订阅 {subs} 人，已发布 {items} 条，送出 {delivered} 条消息，退订 {gone} 人（其中发布后一天内 {after} 人）。 \"{name}\" of {org}: {subs} subscribers, {items} items, {delivered} messages sent, {gone} unsubscribed ({after} within a day of an item).",
    ServiceNotForYou => "“{name}”面向 {org} 及其下级，你不在其中。 \"{name}\" is for {org} and the orgs below it, and you are not among them.",
    ServiceEach => "每条资讯单独私信给你，{from} 至 {to}（北京时间）之间的会等到早上再发。 Each item comes to you privately; those published between {from} and {to} China time wait for the morning.",
    ServiceEachAnytime => "每条资讯发布后即私信给你。 Each item comes to you privately as it is published.",
    ServiceDaily => "每天 {at}（北京时间）把前一天的资讯汇总成一条发给你。 Each day at {at} China time the items of the day before come to you as one message.",
    ServiceJoined => "已订阅“{name}”（{org}）。{how} 退订：/unsubscribe {name}。 You have subscribed to \"{name}\" ({org}). Unsubscribe with /unsubscribe {name}.",
    ServiceLeft => "已退订“{name}”，不会再收到它的资讯。 You have unsubscribed from \"{name}\" and will get no more of its items.",
    ServiceTokenUnknown => "这个退订链接已失效，可能已经退订过了。 This unsubscribe link is no longer valid; you may have unsubscribed already.",
    ServiceConfirm => "请直接回复本邮件，确认订阅“{name}”（{org}）；不回复则不会订阅。 Reply to this mail to confirm your subscription to \"{name}\" ({org}); without a reply nothing is subscribed.",
    ServiceNoAttachments => "资讯目前只发文字：请把附件放到网盘或网站，在正文中附上链接后再发布，本条未发布。 Items are text only: put the file online and publish again with its link; this item was not published.",
    ServiceNotEditor => "你不是“{name}”的编辑，不能发布；请该服务所属组织的团干部用 /service editor 添加你。 You do not edit \"{name}\", so you cannot publish in it; an official of its org can add you with /service editor.",
    ServiceEmptyItem => "资讯内容是空的，未发布。 The item is empty; nothing was published.",
    ServiceItemTooLong => "资讯太长（{n} 字），请不超过 {max} 字，未发布。 The item is too long ({n} characters; at most {max}); nothing was published.",
    ServicePublished => "已发布到“{name}”（#{id}），正发给 {n} 位订阅者（选择每日汇总的在早上收到）。 Item #{id} is published in \"{name}\" and going to {n} subscribers (those on the daily bundle get it in the morning).",
    ServicePublishedLater => "已发布到“{name}”（#{id}），将于 {at} 发给 {n} 位订阅者（定时或夜间免打扰时段之后）。 Item #{id} of \"{name}\" goes to {n} subscribers at {at} (scheduled, or after the quiet hours).",
    ServiceItem => "【{name}】{org}\n{text}\n\n退订 Unsubscribe: /unsubscribe {name}",
    ServiceBundle => "【资讯汇总 Your daily items】共 {n} 条 items:\n\n{items}\n\n退订请发送 /unsubscribe 名称。 Send /unsubscribe NAME to stop one.",
    // Modules per org (src/registry/modules.rs, src/features/modules).
    ModuleOff => "「{module}」模块在 {org} 未开启：该组织或其上级的团干部可以发送 /modules on {module} 开启。 The {module} module is off for {org}: an official of it, or of an org above, can turn it on with /modules on {module}.",
    ModuleOffAbove => "「{module}」模块已被 {above} 在其下级全部关闭，{org} 无法使用；请联系 {above} 的团干部。 The {module} module was switched off for everything below {above}, so {org} cannot use it; ask {above}'s officials.",
    ModulesConfigBad => "配置 [modules] 中 {name} 的值有误：应为 \"on\"、\"off\"，或从最高一级起每级一个的列表。 In [modules], {name} must be \"on\", \"off\", or a list of those, one per level from the top.",
    ModulesUnknownInConfig => "配置 [modules] 中的 {name} 不是可开关的模块；可用的有：{all}。 {name} in [modules] is not a module that can be switched; these are: {all}.",
    ModulesUsage => "用法：/modules [@组织代码] 查看；/modules on|off 模块 [@组织代码]；/modules off 模块 下级（整个下级一并关闭）；/modules default 模块 on|off 级别（全国团组织）。 Usage: /modules [@ORG] to list; /modules on|off MODULE [@ORG]; /modules off MODULE all (its whole subtree); /modules default MODULE on|off LEVEL (the national org).",
    ModulesUnknown => "没有名为“{name}”的模块；可开关的有：{all}。 There is no module called \"{name}\"; these can be switched: {all}.",
    ModulesHeader => "{org} 的功能模块 Modules of {org}:",
    ModulesLineOn => "· {module}：开启 on{why}",
    ModulesLineOff => "· {module}：关闭 off{why}",
    ModulesWhyDefault => "（{level}默认 default）",
    ModulesWhyOwn => "（本组织设置 set here）",
    ModulesWhyAbove => "（{above} 已在下级全部关闭 switched off below {above}）",
    ModulesWhyBelow => "（本组织及全部下级关闭 off here and below）",
    ModulesSwitched => "已{state} {org} 的「{module}」模块。 {module} is now {en} for {org}.",
    ModulesDefaultSet => "{level}的「{module}」模块默认{state}（未单独设置的组织）。 {module} is now {en} by default at the {level} level (for orgs that did not choose).",
    ModulesDefaultOnlyNational => "只有全国团组织的团干部可以改变模块的默认设置。 Only officials of the national org may change a module's default.",
    MayNotSwitchModules => "只有 {code} {name} 的团干部（或其上级团干部）可以开关它的功能模块。 Only officials of {code} {name} (or of an org above it) may switch its modules.",
    // Branding of bound chats (src/features/branding).
    BrandingQueued => "正在为 {org} 的 {n} 个群和房间设置团徽头像和口号简介。 Setting the emblem and slogan on {n} chats of {org}.",
    BrandingNeedsRight => "无法为 {org} 的群 {chat} 设置团徽头像和简介 / The emblem and description could not be set on {org}'s chat {chat}:\n{reason}\n完成后在群里发送 /brand 重试。 Then send /brand in the chat to try again.",
    BrandingConfigBad => "配置 [branding] 有误：{error} The [branding] config is wrong: {error}",
    BrandingEmblemUnreadable => "无法读取团徽图片 {path}：{error}。 Cannot read the emblem {path}: {error}.",
    BrandingEmblemNotPng => "团徽图片 {path} 不是 PNG 文件。 The emblem {path} is not a PNG file.",
    // Bridging one org's chats (src/features/bridge).
    BridgeUsage => "用法：/bridge on|off|status [@组织代码]，在本组织绑定的群里发送，或私聊时加 @组织代码。 Usage: /bridge on|off|status [@ORG], sent in one of the org's bound chats, or privately with @ORG.",
    BridgeOn => "{code} {name} 的群间互通已开启：以下 {n} 个群、房间和邮件列表的消息会互相转发（命令、通知、回执和问卷不转发），关闭请发 /bridge off。 Bridging is on for {code} {name}: messages in these {n} chats are shared among them (commands, notices, acknowledgements and surveys are not); /bridge off stops it.",
    BridgeOff => "{code} {name} 的群间互通未开启（已绑定 {n} 个群、房间和邮件列表），开启请发 /bridge on。 Bridging is off for {code} {name} ({n} chats bound); /bridge on starts it.",
    BridgeTooFew => "目前不足两个，暂时没有可以转发的地方：请先在其他平台的群里用 /bind 绑定。 There are fewer than two, so nothing is shared yet: bind the org's chats on other platforms with /bind first.",
    BridgeNotListMember => "你不在这个邮件列表中（或发件人未能验证），邮件未转发到各群。 You are not on this mailing list (or your sender could not be verified), so your mail was not carried to the chats.",
    BridgeFileNotCarried => "（附件“{name}”{kb} KB 超过转发上限，未转发 / attachment \"{name}\" ({kb} KB) is over the limit and was not carried）",
    BridgeFileTooLarge => "附件“{name}”超过 {mb} MB，只转发了文字：请把文件放到网盘，发链接到群里。 The attachment \"{name}\" is over {mb} MB, so only the text was carried: share the file as a link instead.",
    BridgeListFooter => "回复本邮件即可发到 {org} 的各个群。 Reply to this mail to write to {org}'s chats.",
    BridgeMerged => "（以上 {n} 条消息合并发送，以免超过本群每分钟的消息上限 / {n} messages merged to stay under this chat's per-minute limit）",
    BridgeCorrection => "【更正 Correction】",
    MyDataSubscriptions => "资讯服务订阅：{n} 个 Information services subscribed: {n}",
    // Errors of the core (src/error.rs).
    StoreFailed => "存储出错：{error}。 Storage error: {error}.",
    StoreCorrupt => "无法读取存储中的数据（{error}），数据可能已损坏。 The data in the store could not be read ({error}); it may be damaged.",
    SchemaTooNew => "{path} 中的存储版本为 {found}，高于本程序支持的版本（{supported}），请升级 treecast。 The store at {path} has schema version {found}, newer than this treecast understands ({supported}); upgrade treecast.",
    UnknownOrg => "没有代码为 {code} 的组织。 No org has the code {code}.",
    ConfigError => "配置文件 {path} 有误：{message} Config file {path}: {message}",
    IoError => "读写文件出错：{error}。 File error: {error}.",

    // Permissions (src/tree/auth.rs, src/registry.rs).
    MayNotPost => "你无权向 {code} {name} 发布通知：只有该组织或其上级组织的团干部可以。 You may not post notices to {code} {name}: only its officials or those of an org above it may.",
    MayNotViewStatus => "你无权查看 {code} {name} 的通知进度：只有该组织或其上级组织的团干部可以。 You may not see the status of {code} {name}: only its officials or those of an org above it may.",
    MayNotRemind => "你无权为 {code} {name} 的通知发送提醒：只有该组织或其上级组织的团干部可以。 You may not send reminders for {code} {name}'s notices: only its officials or those of an org above it may.",
    MayNotBind => "你无权为 {code} {name} 绑定群：只有该组织或其上级组织的团干部可以。 You may not bind chats to {code} {name}: only its officials or those of an org above it may.",
    MayNotRunSurvey => "你无权为 {code} {name} 发起或查看调查：只有该组织或其上级组织的团干部可以。 You may not run surveys for {code} {name}: only its officials or those of an org above it may.",
    MayNotAcknowledge => "你无权代表 {code} {name} 确认通知：只有该团支部的成员或其团干部可以。 You may not acknowledge for {code} {name}: only its members or officials may.",
    MayNotAnswerSurvey => "你不在 {code} {name} 的调查对象之中，不能作答。 You may not answer surveys for {code} {name}: you are not in its audience.",
    NotAnOfficial => "只有团干部可以这样做，而你未登记为团干部。 Only League officials may do this, and you are not registered as one.",
    SeveralOrgs => "你是多个组织的团干部（{codes}），请指明一个，例如 @{first}。 You are an official of several orgs; name one, e.g. @{first}",
    UnknownPerson => "我还不认识你：请联系团干部登记，或用 /link 关联已登记的账号。 I do not know you yet: ask your League official to register you, or link this account with /link CODE.",
    NotAvailable => "/{command} 暂不可用。 /{command} is not available.",
    NoJobRunner => "系统内部错误：没有处理 {kind} 类任务的功能。 Internal error: no feature runs jobs of kind {kind}.",
    DuplicateClaim => "功能 {first} 和 {second} 都声明了 {key}。 Features {first} and {second} both claim {key}.",

    // The gateway (src/gateway.rs).
    SystemBusy => "系统繁忙，请稍后再试。 Sorry, something went wrong on our side; please try again later.",
    UnknownCommand => "未知命令 /{command}，发送 /帮助 查看可用命令。 Sorry, I do not know the command /{command}. Send /help for the list.",
    NotUnderstood => "没有看懂。要答复通知发布人，请回复转来的那条消息；发送 /帮助 查看命令。 I did not understand that. To answer a notice's author, reply to the forwarded message; send /help for the commands.",
    ConfirmWhatCommand => "执行命令：{line} / run the command: {line}",

    // Codes and confirmations (src/store/codes.rs, src/confirm.rs).
    CodeUnknown => "该码无效或已被使用。 That code is unknown or was already used.",
    CodeExpired => "该码已过期，请重新获取。 That code has expired; ask for a new one.",
    ConfirmRequest => "请直接回复本邮件以确认{what}（确认码 {code}）。如果这不是你发的，请忽略本邮件：没有你的回复，什么都不会发生。\nReply to this mail to confirm (code {code}). If you did not send it, ignore this mail: nothing happens without your reply.\n\n收到的邮件全文 The mail as received:\n----------\n{mail}\n----------",
    ConfirmAttachments => "\n附件 Attachments: {names}",
    AwaitingConfirmation => "发件人未经邮件系统验证，等待确认。 The sender was not proven by the mail system; awaiting confirmation.",
    OnlySenderConfirms => "只有发出请求的人才能确认。 Only the person who sent it can confirm.",
    NotAConfirmation => "这不是确认码。 That is not a confirmation.",
    ConfirmedNoCommand => "确认的邮件中没有命令。 The confirmed mail holds no command.",

    // Accounts, binding and linking (src/features/account/**).
    Welcome => "你好！这里是 treecast 团组织通知机器人。 This is treecast, the League's notice bot.\n\n{help}",
    BindNeedsCode => "/bind 需要团干部给你的绑定码：/bind CODE。 /bind needs the code an official gave you: /bind CODE",
    NotAccountCommand => "/{command} 不是账号命令。 /{command} is not an account command.",
    BadLink => "链接无效。 The link {payload} is not one this bot knows.",
    NotRegisteredWhoami => "你尚未登记：{platform} 上的 {user}。 You are {user} on {platform}, not registered with treecast.",
    NameAnOrgForTree => "请指明组织：/tree 代码。 Name an org: /tree CODE",
    BindCodeIssued => "{code_org} {name} 的绑定码：{code}\n请把机器人拉进要绑定的群、房间或邮件列表，并在其中发送 /bind {code}\nBind code for {name}: add the bot to the group, room or list and post: /bind {code}",
    BindInPrivate => "请在要绑定的群或房间中发送 /bind，而不是私聊。 Send /bind in the group or room you want to bind, not in a private chat.",
    NotABindCode => "这不是绑定码。 That code is not a bind code.",
    ChatBound => "本群已绑定到 {code} {name}，今后将在此收到通知。 This chat is now bound to {name} and will receive its notices.",
    ChatTitleBreaksRule => "群名“{title}”不符合命名规则：{hint} 建议改为与组织名称一致，例如“{name}”。 The chat's title \"{title}\" does not follow the naming rule (see above); rename it after the org, e.g. \"{name}\".",
    ChatBoundToOfficial => "{name} 的群 ({chat}) 已完成绑定。 A chat ({chat}) was bound to {name}.",
    LinkCodeIssued => "请在一小时内在另一账号中发送 /link {code}。 Send /link {code} from your other account within an hour.",
    NotALinkCode => "这不是关联码。 That code is not a link code.",
    AccountTaken => "这个账号已属于别人。 This account already belongs to someone else.",
    Linked => "已关联：{name} 今后也可以在这里（{platform}）收到消息。 Linked: {name} now also reaches you here ({platform}).",
    HelpHeading => "命令一览（括号内为中文别名） treecast commands (Chinese aliases in brackets):",
    HelpForMembers => "团员 members: ",
    HelpForOfficials => "团干部 officials: ",
    HelpFooter => "回复通知“收到”或点按钮即确认收到；回复其他内容将私下转给发布人。 Reply 收到 to a notice, or press its button, to acknowledge it. Reply with anything else to answer its author privately.",
    WhoamiAccounts => "账号 Accounts:",
    WhoamiRoles => "角色 Roles:",
    RoleOfficial => "{code} {name} 的团干部 official of {code} {name}",
    RoleMember => "{code} {name} 的团员 member of {code} {name}",

    // Notices (src/features/notices/**, src/notice/**).
    NoticeNeedsTitle => "/notice 第一行写标题，下面写正文：/notice 关于……的通知。 /notice needs a title on its first line and the body below.",
    NoticeInGroup => "请在与机器人的私聊中发布通知，不要在群里。 Post notices in a private chat with the bot, not in a group.",
    NoticePosted => "通知 #{id} 已发布，正在发往 {channels} 个渠道。 Notice #{id} is going out to {channels} channels. /status {id} shows its progress.",
    NoticePostedByMail => "通知 #{id} 《{title}》已发布，正在发往 {channels} 个渠道。 Notice #{id} is going out to {channels} channels; send /status {id} to the bot for its progress.",
    SenderNotRegistered => "{sender} 未在 treecast 登记，不能发布通知。 {sender} is not registered with treecast, so it cannot post notices.",
    ConfirmWhatPost => "发布通知《{title}》到 {org} / post the notice \"{title}\" to {org}",
    StatusNeedsId => "/status 需要通知编号：/status 42。 /status needs a notice number: /status 42",
    RemindNeedsId => "/remind 需要通知编号：/remind 42。 /remind needs a notice number: /remind 42",
    ReminderQueued => "提醒 #{reminder} 已排队，只发给尚未确认的组织。 Reminder queued for those who have not acknowledged notice #{id}.",
    NotNoticeCommand => "/{command} 不是通知命令。 /{command} is not a notice command.",
    ReplyPassedOn => "已转给通知发布人。 Your reply was passed to the notice's author.",
    NotANoticeId => "{text} 不是通知编号。 {text} is not a notice number.",
    OnlyMembersAnswer => "只有 {org} 的成员才能答复或确认这条通知。 Only members of {org} can answer or acknowledge this notice.",
    ChatNoLongerBound => "该群已不再绑定。 That chat is no longer bound.",
    ChatNotBound => "本群未绑定任何组织。 This chat is not bound to any org.",
    AckHow => "请回复通知 /ack，或写明编号：/ack 42。 Reply /ack to the notice, or give its number: /ack 42",
    AckUnknownPerson => "我还不认识你，请在团支部群里确认。 I do not know you yet; acknowledge in your branch's group instead.",
    AckNeedsId => "请写明通知编号：/ack 42。 Give the notice's number: /ack 42",
    AckOnlyMembers => "只有团支部成员可以私下确认。 Only a branch member can acknowledge from a private chat.",
    Acknowledged => "✅ {org} 已确认收到通知 #{id}。 Acknowledged.",
    AlreadyAcknowledged => "{org} 已确认过通知 #{id}。 Already acknowledged.",
    NoNotice => "没有编号为 #{id} 的通知。 There is no notice #{id}.",
    NoticeNoTitle => "通知需要标题（第一行）。 A notice needs a title (the first line).",
    NoticeTitleTooLong => "标题超过 200 字，请把其余内容写进正文。 The title is longer than 200 characters; put the rest in the body.",
    AttachmentsTooBig => "附件共 {size} KB，超过了 {limit} KB 的上限。 The attachments come to {size} KB, over the limit of {limit} KB.",
    NoChannels => "没有可以收到这条通知的渠道：{org} 及其下级尚未绑定群、房间或邮件列表（可用 /invite 获取绑定码）。 No chat would receive this notice: {org} and the orgs below it have no bound group, room or list (get a bind code with /invite).",
    NoReplyThread => "回复线程 #{id} 已不存在。 Reply thread #{id} is gone.",
    AuthorGone => "通知发布人已不存在。 The notice's author is gone.",
    AuthorUnreachable => "通知发布人没有可以私下联系的地址。 The notice's author has no private address to reach.",
    ChannelGone => "该渠道已不存在。 That channel is gone.",
    NoSuchLevel => "没有层级 {level}。 There is no level {level}.",
    LevelNotBelow => "{level} 不在 {org} 之下。 {level} is not below {org}.",
    OrgNotBelow => "{code} {name} 不在 {org} 之下。 {code} {name} is not below {org}.",
    NoticeNotSentTo => "通知 #{id} 没有发给 {org}。 Notice #{id} was not sent to {org}.",

    // A notice's status and its author's summary (src/notice/status.rs, src/features/notices/summary.rs).
    StatusHeading => "通知 Notice #{id} 《{title}》",
    StillSending => "（发送中 still being sent）",
    StatusRow => "{org} [{level}] 已送达 delivered {delivered}/{channels} · 已确认 acknowledged {acked}/{orgs} · 失败 failed {failed}",
    StatusMoreRows => "… 另有 {n} 个，发送 /status {id} 代码 查看其中一个。 … and {n} more; /status {id} CODE shows one of them.",
    StatusNotAcked => "未确认 Not yet acknowledged ({n}):",
    StatusFailed => "发送失败 Failed:",
    AndMore => "… 另有 {n} 个 and {n} more",
    FanoutSummary => "通知 #{id} 《{title}》发送完毕：{delivered} 个渠道已送达，{failed} 个失败。 Notice #{id} sent: {delivered} delivered, {failed} failed.",
    FanoutSummaryTitle => "发送完毕 Sent: {title}",

    // Surveys (src/features/surveys/**).
    SurveyNotOpenYet => "《{title}》将于 {opens} 开始。 This survey opens at {opens} (China time).",
    SurveyClosed => "《{title}》已于 {closes} 截止，不再接受回答。 This survey closed at {closes} (China time); answers are no longer accepted.",
    AnswerInPrivate => "请在与机器人的私聊中作答。 Please answer in a private chat with the bot.",
    SurveyNotForYou => "本调查面向 {org} 的团员，你不在其中。 This survey is for League members of {org}; you are not registered as one of them.",
    SurveyForBranchMembers => "本调查面向 {org} 的团支部成员。 This survey is for branch members of {org}.",
    AnonymousAlreadyAnswered => "你已提交过这份匿名调查；匿名答案不与你关联，提交后不能修改。 You have already answered this anonymous survey; anonymous answers are not linked to you, so they cannot be changed.",
    PickingUp => "继续上次的作答。 Picking up where you left off.",
    NoOpenSurveys => "目前没有你可以参与的调查。 There are no open surveys for you.",
    OpenSurveys => "进行中的调查：\nOpen surveys:\n{list}",
    SurveyUnknownPerson => "我还不认识你：请联系团支部登记，或用 /link 关联已登记的账号。 I do not know you yet: ask your League official to register you, or link this account with /link CODE.",
    NoSurvey => "没有编号为 {id} 的调查。 There is no survey #{id}.",
    NotAnsweringThis => "你没有正在作答的《{title}》。发送 /start {payload} 开始。 You are not answering this survey now; send /start {payload} to begin.",
    NotAnsweringAny => "你当前没有正在作答的调查或正在写的提问；发送 /survey 查看进行中的调查。 You are not answering a survey or writing a question right now; /survey lists the open surveys.",
    SurveyLaunchNeedsName => "请写明调查文件名：/survey launch 名称 [组织代码]。 Name the survey file: /survey launch NAME [ORG]",
    SurveyResultsNeedsId => "请写明调查编号：/survey results 12。 Give the survey number: /survey results 12",
    SurveyCloseNeedsId => "请写明调查编号：/survey close 12。 Give the survey number: /survey close 12",
    SurveyClosedNow => "微调查 #{id} 《{title}》已结束收集。 Survey #{id} is closed.",
    SurveyUsage => "用法：/survey [list] · /survey 编号 · /survey launch 名称 [组织代码] · /survey results 编号 [组织代码] · /survey close 编号。 Usage: /survey [list] · /survey ID · /survey launch NAME [ORG] · /survey results ID [ORG] · /survey close ID",
    SurveyFileUnreadable => "{path}：无法读取调查文件（{error}）。 {path}: cannot read the survey file: {error}",
    NotASurveyName => "{name} 不是调查名称，请写不带 .toml 的文件名。 {name} is not a survey name; use the file name without .toml.",
    NoSurveyDefinition => "没有名为 {name} 的调查定义。 There is no survey definition {name} ({path}).",
    SurveyNeedsAudience => "请指明调查对象组织：--org 代码、/survey launch 名称 组织代码，或在文件的 [audience] org 中写明。 Name the audience org: --org CODE, /survey launch NAME ORG, or [audience] org in the file.",
    AudienceNoSuchLevel => "调查对象层级 [audience] level 有误：没有层级 {level}。 [audience] level: there is no level {level}.",
    AudienceLevelNotBelow => "调查对象层级 [audience] level 有误：{level} 不在 {code} {name} 之下。 [audience] level: {level} is not below {code} {name}.",
    SurveyClosesInPast => "调查的截止时间 {closes} 已经过去。 The survey's closing time {closes} has already passed.",
    OutsideAudience => "{code} {name} 不在本调查的对象 {audience} 之内。 {code} {name} is outside the survey's audience {audience}.",
    TooFewToExport => "{org} 范围内回答少于 {n} 份，为保护匿名不能导出。 Fewer than {n} responses in {org}: not exported, to keep the answers anonymous.",
    ExportWriteFailed => "{path}：无法写入导出文件（{error}）。 {path}: could not write the export: {error}",
    SurveyLaunched => "微调查 #{id} 《{title}》已发布到 {code} {org}，通知 #{notice}，截止 {closes}。\nSurvey #{id} is launched to {org}; announcement notice #{notice}; open until {closes} (China time).\n查看结果 Results: /survey results {id}",
    ResultsHeading => "微调查 #{id} 《{title}》 · {scope} · {state}（截止 {closes}）\n参与 Participation: {responses}/{members} ({share})",
    ResultsOpen => "进行中 open",
    ResultsClosed => "已截止 closed",
    ResultsByUnit => "按下级 By unit:",
    ResultsHidden => "此范围内回答少于 {n} 份，为保护匿名不显示答案。 Fewer than {n} responses here: the answers are not shown, to keep them anonymous.",
    ResultsNoNumbers => "0 个回答 0 answers",
    ResultsNumbers => "{count} 个回答 answers · 平均 mean {mean} · 最小 min {min} · 最大 max {max}",
    ResultsMean => "平均 mean {mean}",
    ResultsTexts => "{n} 条文字回答，见导出文件。 {n} text answers (see the export).",

    // The org tree (src/tree/**): orgs, people, levels, channels, imports.
    AlreadyBoundElsewhere => "本群已绑定到 {code} {name}；如需改绑，请该组织的负责人先在本群发送 /unbind。 This chat is already bound to {code} {name}; to bind it elsewhere, an official of that org first sends /unbind here.",
    PrivateChatNotChannel => "私聊不能作为组织的渠道，请绑定群、房间或邮件列表。 A private chat cannot be an org's channel; bind a group, room or list.",
    NoChannel => "没有编号为 #{id} 的渠道。 There is no channel #{id}.",
    NoBoundList => "{org} 没有绑定邮件列表 {list}。 {org} has no bound mailing list {list}.",
    ListChannelGone => "该邮件列表的渠道已不存在。 The list's channel is gone.",
    OrgGone => "组织 #{id} 已不存在。 Org #{id} is gone.",
    MoveUnderOwnSubtree => "{code} 不能移到它自己的下级之下。 {code} cannot move under its own subtree.",
    ParentLevelTooLow => "{code}（{level}）不能隶属于 {parent}（{parent_level}）：上级组织的层级必须更高。 {code} ({level}) cannot sit under {parent} ({parent_level}): a parent must be of a higher level.",
    HasChildren => "{code} {name} 下有 {count} 个下级组织，请先删除它们，或加上 --cascade。 {code} {name} has {count} child orgs; delete them first or pass --cascade.",
    SchoolListUnreadable => "{path}：无法读取学校名单（{error}）。 {path}: cannot read the school list ({error}).",
    CsvError => "{place}：表格有误（{error}）。 {place}: the table is malformed ({error}).",
    NoColumn => "{place}：缺少列 {column}。 {place}: no column {column}.",
    FileUnreadable => "{path}：无法读取文件（{error}）。 {path}: cannot read ({error}).",
    NotUtf8 => "{path}：不是 UTF-8 编码（第 {byte} 字节），请另存为 UTF-8。 {path}: not UTF-8 (byte {byte}); save the file as UTF-8.",
    HeaderUnreadable => "{file}:1：无法读取表头（{error}）。 {file}:1: cannot read the header ({error}).",
    HeaderColumns => "{file}:1：表头须包含 code、name、level、parent_code 四列。 {file}:1: the header must name the columns code, name, level, parent_code.",
    ImportReport => "新建 {created} 个，更新 {updated} 个，移动 {moved} 个，未变 {unchanged} 个。 {created} created, {updated} updated, {moved} moved, {unchanged} unchanged.",
    RowNotCsv => "不是有效的 CSV 行（{error}）。 Not a valid CSV row ({error}).",
    RowColumns => "应有 {want} 列，实有 {found} 列。 Expected {want} columns, found {found}.",
    RowBadCode => "代码 {code} 须为 1 到 64 个字符，且不含空格或逗号。 The code {code} must be 1-64 characters with no spaces or commas.",
    RowUnknownLevel => "未知层级 {level}（可用：{known}）。 Unknown level {level} (known: {known}).",
    RowLevelChange => "{code} 在存储中是 {old}，不能改为 {new}。 {code} is a {old} in the store and cannot become a {new}.",
    RowCodeTwice => "代码 {code} 已在第 {line} 行出现。 The code {code} already appears on line {line}.",
    RowNoParent => "只有 {root} 可以没有 parent_code。 Only a {root} may have no parent_code.",
    RowParentMissing => "上级 {parent} 既不在本文件中，也不在组织树中。 The parent {parent} is neither in this file nor in the tree.",
    RowLeafParent => "{level} 必须直接隶属于 {above}（{parent} 是 {parent_level}）。 A {level} must sit directly under a {above} ({parent} is a {parent_level}).",
    RowParentTooLow => "{level} 不能隶属于 {parent_level}（{parent}）。 A {level} cannot sit under a {parent_level} ({parent}).",
    OrgParents => "上级 Parents: {names}",
    OrgChildren => "下级 Children ({n}):",
    OrgChannels => "渠道 Channels:",
    OrgChannelsCount => "已绑定 {n} 个渠道（群、房间或邮件列表的地址仅团干部可见） {n} bound chat(s), room(s) or list(s) (their addresses are for officials only)",
    ChannelDead => "（已失效 dead: {note}）",
    InjectedFault => "测试注入的故障。 Injected fault (tests only): the import stops here.",
    IdentityNeedsUser => "账号需要用户 ID。 An identity needs a user id.",
    IdentityTaken => "{identity} 已属于别人。 {identity} already belongs to someone else.",
    NoPerson => "没有编号为 #{id} 的人员。 There is no person #{id}.",
    NoIdentityOn => "{name} 没有 {platform} 账号。 {name} has no {platform} identity.",
    MembersBelongToLeaves => "团员只能属于{leaf}；{code} 是{level}。 Members belong to a {leaf}; {code} is a {level}.",
    LevelCount => "层级配置 levels 有误：需要 1 到 16 个层级。 levels: between 1 and 16 levels are needed.",
    LevelKeyTwice => "层级配置 levels[{i}].key 有误：{key} 出现了两次。 levels[{i}].key: {key} appears twice.",
    LevelBadRegex => "层级配置 levels[{i}].naming 有误：不是有效的正则表达式（{error}）。 levels[{i}].naming: not a valid regex ({error}).",
    NameEmpty => "名称为空。 The name is empty.",
    NameTooLong => "名称超过 100 字。 The name is longer than 100 characters.",
    NoLevelNumber => "没有第 {level} 层级。 There is no level {level}.",
    NameBreaksRule => "名称 {name} 不合要求：{hint} The name {name} breaks its level's naming rule.",
    NamingMustMatch => "{level}名称须匹配 {re}（a {key} name must match {re}）。",
    NamingNational => "全国组织需要名称（a national org needs a name）。",
    NamingProvince => "省级组织名称须以“学校部”或“团委”结尾（a province name must end in 学校部 or 团委）。",
    NamingSchool => "高校团委名称须以“团委”结尾（a school name must end in 团委）。",
    NamingBranch => "团支部名称须以“团支部”结尾（a branch name must end in 团支部）。",

    // The operator's command line (src/cli.rs, src/bin/treecast).
    TreeExported => "已将 {orgs} 个组织写入 {path}。 Wrote {orgs} orgs to {path}.",
    GeneratedCsv => "已写入 {path}（{schools} 所学校，每校 {branches} 个团支部）。 Wrote {path} ({schools} schools, {branches} branches each).",
    GeneratedTree => "全国组织树（{schools} 所学校，每校 {branches} 个团支部） National tree ({schools} schools, {branches} branches each): {report}",
    StatsTotal => "合计 total",
    IdentityForm => "{text}：账号请写成 平台:用户，例如 email:li@example.edu.cn。 {text}: write an identity as platform:user, e.g. email:li@example.edu.cn.",
    NotAPlatform => "{name} 不是平台（可用：console、email、matrix、telegram）。 {name} is not a platform (console, email, matrix, telegram).",
    NoIdentity => "没有人使用账号 {identity}。 Nobody has the identity {identity}.",
    PersonSaved => "已保存 {name}（#{id}）。 Saved {name} (#{id}).",
    ConsoleChatsBound => "已绑定 {n} 个控制台群。 {n} console group chats bound.",
    ListBound => "邮件列表 {list}（{n} 个地址）已绑定到 {org}，渠道 #{id}。 Mailing list {list} ({n} addresses) bound to {org} as channel #{id}.",
    NotAnAddress => "{place}：{address} 不是邮件地址。 {place}: {address} is not an email address.",
    ListMembers => "{org} 的邮件列表 {list} 现有 {n} 个地址。 Mailing list {list} of {org} now has {n} addresses.",
    DeadlineForm => "{text}：截止时间请写成 YYYY-MM-DD HH:MM（北京时间）。 {text}: write the deadline as YYYY-MM-DD HH:MM (Beijing time).",
    NoticePostedCli => "通知 #{id} 已由 {author} 以 {issuer} 名义发布：{channels} 个渠道，{orgs} 个组织，由 `treecast serve` 发送。 Notice #{id} posted by {author} for {issuer}: {channels} channels in {orgs} orgs; `treecast serve` delivers it.",
    SurveyChecked => "{path}：《{title}》，{n} 道题，没有问题。 {path}: 《{title}》, {n} questions, no problems.",
    ServeDelivers => "由 `treecast serve` 发出公告。 `treecast serve` delivers the announcement.",
    SurveyAnonymous => "，匿名 anonymous",
    NoSurveysYet => "还没有调查。 No surveys yet.",
    FileWritten => "已写入 written: {path}",
    SurveyClosedAt => "微调查 #{id} 《{title}》已于 {closes} 结束。 Survey #{id} 《{title}》 closed at {closes}.",
    OrgMoved => "已移动 moved: {org}",
    OrgRenamed => "已改名 renamed: {name}",
    OrgsDeleted => "已删除 {n} 个组织。 Deleted {n} orgs.",
    Serving => "正在服务，数据目录 {path}（按 Ctrl-C 停止）。 Serving from {path} (Ctrl-C to stop).",
    Stopping => "正在停止。 Stopping.",
    NoConsoleAdapter => "此版本没有控制台适配器，请加 --features console 构建。 This build has no console adapter; build with --features console.",
    NoClusterFeature => "配置中有 [cluster]，但此版本不含集群功能，请加 --features cluster 构建。 The config has a [cluster] section but this build lacks it; build with --features cluster.",
    WorkerNotBuilt => "此版本不含投递工作进程，请加 --features cluster 构建。 This build has no delivery worker; build with --features cluster.",
    WorkerNeedsCluster => "投递工作进程（treecast worker）需要配置 [cluster]，写明 nats = \"nats://...\"。 treecast worker needs a [cluster] section with nats = \"nats://...\".",
    NatsTrouble => "消息队列 NATS 出错（{what}）：{error}。 NATS: {what}: {error}.",
    WorkerRunning => "投递工作进程 {id} 已连接 {nats}（按 Ctrl-C 停止）。 Delivery worker {id} connected to {nats} (Ctrl-C to stop).",

    // Internal failures a user may be told of (src/app.rs, src/store/tx.rs, src/demo).
    OutboxNotSettled => "发件箱一分钟内未处理完。 The outbox did not settle within a minute.",
    OutboxWorkerFailed => "发件箱工作进程出错：{error}。 Outbox worker: {error}.",
    KeyspaceNotInWrite => "内部错误：键空间 {keyspace} 不在本次写入之中。 Internal error: keyspace {keyspace} is not part of this write.",
    SurveyNotLaunched => "调查未能发起。 The survey was not launched.",

    // Conversations' answers that could not be read (src/conversation/**).
    FieldNameErr => "请输入姓名，如 张伟 或 Zhang Wei。 Please enter a name, e.g. 张伟 or Zhang Wei.",
    FieldMobileErr => "请输入 11 位手机号码。 Please enter an 11-digit mobile number.",
    FieldLandlineErr => "请输入带区号的座机号码，如 0731-88888888。 Please enter a landline number with its area code, e.g. 0731-88888888.",
    FieldEmailErr => "请输入有效的电子邮箱地址，如 name@example.com。 Please enter a valid email address, e.g. name@example.com.",
    FieldQqErr => "请输入 5 到 11 位、不以 0 开头的 QQ 号。 Please enter a QQ number of 5 to 11 digits, not starting with 0.",
    FieldDateErr => "请输入日期，如 2026-11-25 或 2026年11月25日。 Please enter a date, e.g. 2026-11-25.",
    FieldJobTitleErr => "请输入职务（2 到 30 个字），如 团委副书记。 Please enter a job title of 2 to 30 characters, e.g. 团委副书记 (deputy secretary).",
    FieldNoSuchDay => "没有这一天，请检查年月日。 There is no such day; please check the year, month and day.",
    StaleQuestion => "这道题不是当前题目，请回答下面这题。 That button belongs to another question; here is the current one.",
    StaleButton => "这个按钮已失效。 That button no longer applies.",
    FirstQuestion => "已经是第一题。 This is the first question.",
    BackOne => "回到上一题。 Back one question.",
    CannotSkip => "此题为必答题，不能跳过。 This question must be answered; it cannot be skipped.",
    AnswerEmpty => "请回答本题。 Please answer the question.",
    PickOne => "请回复选项字母或序号，如 A 或 1（共 {count} 项）。 Reply with one letter or number, e.g. A or 1.",
    PickLetters => "请回复选项字母，可多选，如 A,C 或 AC。 Reply with letters, e.g. A,C or AC.",
    RatingRange => "请回复 1 到 5 的评分（5 为最好）。 Reply with a rating from 1 to 5 (5 is best).",
    TextTooLong => "回答太长（{n} 字），请不超过 {max} 字。 Too long: at most {max} characters.",
    TextWrongForm => "格式不符合要求，请按题目说明填写。 That does not have the expected form; see the question.",
    NotANumber => "请回复一个数字，如 3 或 2.5。 Reply with a number, e.g. 3 or 2.5.",
    NotWhole => "请回复一个整数。 Reply with a whole number.",
    NumberRange => "请回复 {lo} 到 {hi} 之间的数字。 Reply with a number from {lo} to {hi}.",
    PickAtLeast => "请至少选择 {min} 项。 Pick at least {min}.",
    PickAtMost => "最多选择 {max} 项。 Pick at most {max}.",

    // The admin API and the command line beside a running server (src/admin/**).
    AdminUnknownOp => "没有管理操作 {op}。 There is no admin operation {op}.",
    AdminBadArguments => "管理操作 {op} 的参数有误：{error} The arguments of admin operation {op} are wrong: {error}",
    AdminNoToken => "未提供管理令牌或令牌不对。 The admin token is missing or wrong.",
    AdminOff => "管理接口未开启：启动 treecast serve 前请设置环境变量 TREECAST_ADMIN_TOKEN。 The admin API is off: set TREECAST_ADMIN_TOKEN before starting treecast serve.",
    AdminServerRunning => "服务（treecast serve）正在使用 {path} 的存储；请设置与服务相同的 TREECAST_ADMIN_TOKEN，命令即通过管理接口执行。 treecast serve is using the store at {path}; set TREECAST_ADMIN_TOKEN to the server's token and the command runs through its admin API.",
    AdminStoreInUse => "存储 {path} 正被使用（treecast serve 是否在运行？），且没有可用的管理接口；请停止它，或在设置 TREECAST_ADMIN_TOKEN 后重启它。 The store at {path} is in use (is treecast serve running?) and no admin API answers; stop it, or restart it with TREECAST_ADMIN_TOKEN set.",
    AdminUnreachable => "无法连接管理接口 {socket}：{error} Cannot reach the admin API at {socket}: {error}",
    AdminBadAnswer => "管理接口的回答无法读取：{error} The admin API's answer could not be read: {error}",
    AdminCannotListen => "管理接口无法监听 {address}：{error} The admin API cannot listen on {address}: {error}",
    MetricsOff => "本进程未启用指标记录。 Metrics are not recorded in this process.",
    NotAChat => "聊天地址 {chat} 有误；请写成 平台:编号，如 telegram:-1001234、matrix:!room:example.org、email:list@example.edu.cn。 {chat} is not a chat; write platform:id, e.g. telegram:-1001234, matrix:!room:example.org, email:list@example.edu.cn.",
    BindCodesIssued => "已为 {code} {name} 下的 {n} 个 {level} 组织各生成一个绑定码，有效期至 {until}。 {n} bind codes issued, one per {level} org under {code} {name}, valid until {until}.",
    NoChannelYet => "无渠道 no channel",
    ChannelDeadMark => "已失效 dead",
    ChannelCoverage => "共 {total} 个组织：{with} 个已有渠道，{without} 个没有。 {total} orgs: {with} with a channel, {without} without.",
    BindListWithBindList => "邮件列表请用 org bind-list 绑定。 Bind a mailing list with org bind-list.",
    ChatBoundById => "已将 {chat} 绑定到 {code} {name}（渠道 #{id}）。 {chat} is bound to {code} {name} as channel #{id}.",
    ChatIdNotBound => "聊天 {chat} 没有绑定到任何组织。 {chat} is not bound to any org.",
    ChatUnbound => "已解除 {chat} 与 {code} {name} 的绑定。 {chat} is no longer bound to {code} {name}.",
    InviteWhich => "请给出一个组织代码，或同时给出 --under 和 --level（可加 --csv）。 Give one org code, or both --under and --level (and optionally --csv).",
    UnbindInPrivate => "请在要解绑的群里发送 /unbind。 Send /unbind in the group to unbind.",
    UnboundHere => "本群已与 {code} {name} 解除绑定，不再接收其通知；可用新的绑定码重新绑定。 This chat is no longer bound to {code} {name} and gets no more of its notices; a new bind code binds it again.",
    StatsLegend => "各列：组织数、有渠道的组织数、覆盖率。 Columns: orgs, orgs with a channel, coverage.",
    NoSuchProgress => "没有编号为 {id} 的进行中请求。 No request {id} is running.",
    StatusAcked => "已确认 / Acknowledged ({n}):",
    StatusUnreached => "无渠道、未送达 / No channel, not reached ({n}):",
    NoticeListRow => "#{id} 《{title}》{what} {code} {name} {at} · 已送达 delivered {delivered}/{channels} · 已确认 acknowledged {acked}/{orgs}",
    NoticeListReminder => "（提醒 reminder of #{of}）",
    NoNoticesYet => "还没有通知。 No notices yet.",
    OutFileUnwritable => "无法写入 {path}：{error} Cannot write {path}: {error}",

    // Org mailboxes (src/features/mailbox/).
    MailboxConfigBad => "配置 [mailbox] 有误：{error}（方向可选 own、up、down、sibling、parent、elsewhere）。 [mailbox] is wrong: {error} (directions: own, up, down, sibling, parent, elsewhere).",
    MailboxNoRecipient => "请写明收信组织：组织代码（多个用逗号分开），或 @parent（上级）、@children（全部下级）。 Name the org(s) to write to: org codes (separated by commas), or @parent, or @children.",
    SearchNothing => "没有找到与“{q}”相符的内容。 Nothing matches \"{q}\".",
    SearchHead => "搜索“{q}”，第 {page} 页： Results for \"{q}\", page {page}:",
    SearchMore => "更多结果：/search {q} p{next} More: /search {q} p{next}",
    SearchPrivateOnly => "搜索请在与机器人的私聊中进行，结果不在群里显示。 Search in a private chat with the bot: results are never shown in a group.",
    SearchRebuilt => "搜索索引已重建，共 {n} 条。 The search index was rebuilt: {n} documents.",
    SearchBadDate => "看不懂日期“{text}”，请写作 2026-11-01。 \"{text}\" is not a date; write it as 2026-11-01.",
    SearchBadKind => "没有“{kind}”这种类型，可选：{kinds}。 There is no kind \"{kind}\": use one of {kinds}.",
    SearchEmpty => "请输入要搜索的词（排除某词用 -词，整句用引号）。 Type words to search for (-word leaves one out, quotes keep a phrase whole).",
    SearchTooLong => "搜索词有 {n} 个字，最多 {max} 个。 The query has {n} characters; at most {max} are taken (too long).",
    SearchUnclosedQuote => "引号没有配对：整句要用一对引号括起来。 A quote is not closed: put a phrase between a pair of quotes.",
    SearchControl => "搜索词里有控制字符，请只输入文字。 The query holds control characters; type text only.",
    MailboxNoOrgNamed => "没有代码为“{text}”或名称含“{text}”的组织。 No org has the code or a name containing \"{text}\".",
    MailboxSeveralNamed => "名称含“{text}”的有 {n} 个组织：{choices}，请写组织代码或更完整的名称。 {n} orgs have \"{text}\" in their name ({choices}); give the code or the name more precisely.",
    MailboxNoChildren => "{code} {name} 没有下级组织。 {code} {name} has no child orgs.",
    MailboxNoParent => "{code} {name} 没有上级组织。 {code} {name} has no parent org.",
    MailboxOfficialNotAllowed => "{from} 不能给 {to} 写信：组织只能写给上级及更上级、本组织的全部下级，以及同一上级下的兄弟组织。 {from} may not write to {to}: an org writes to its parent and ancestors, to its own subtree and to its siblings under the same parent.",
    MailboxMemberNotAllowed => "你不能给 {to} 写信：团员只能写给自己的团支部和所在学校。 You may not write to {to}: a member writes to their own branch and its school only.",
    MayNotRead => "你无权查看 {code} {name} 的这项信息：只有该组织或其上级组织的团干部可以。 You may not read this about {code} {name}: only its officials or those of an org above it may.",
    MayNotUseMailbox => "你不是 {code} {name} 或其上级的团干部，不能代表它读信、写信或答复。 You are not an official of {code} {name} or above it, so you may not read, write or answer letters for it.",
    MailboxEmpty => "信件内容为空，没有发送。 The letter is empty; nothing was sent.",
    MailboxTooLarge => "附件共 {size} KB，超过上限 {limit} KB，没有发送。 The attachments come to {size} KB, over the limit of {limit} KB; nothing was sent.",
    MailboxCopy => "{from} · {author} 发来{kind}《{title}》（#{id}）：\n\n{body}\n\n—— 直接回复这条消息即以 {to} 的名义答复；/read {id} 查看全部往来。 {from} · {author} sent {a_kind_en} \"{title}\" (#{id}). Reply to this message to answer as {to}; /read {id} shows the whole thread.",
    MailboxCopyToMember => "{from} · {author} 答复您《{title}》（#{id}）：\n\n{body}\n\n—— 直接回复这条消息即可继续。 {from} · {author} answered you on \"{title}\" (#{id}). Reply to this message to go on.",
    MailboxForwardedChain => "\n（转发经过 forwarded along: {chain}）",
    MailboxFilesLine => "\n附件 Attachments: {names}",
    MailboxReadBy => "（{name} 已读 read {at}）",
    MailboxUnreadMark => "（未读 unread）",
    MailboxInboxEmpty => "{org} 的信箱里还没有信件。 The mailbox of {org} is empty.",
    MailboxInboxHead => "{org} 信箱：未读 {unread} 封。 Mailbox of {org}: {unread} unread.",
    MailboxRecentHead => "最近往来 Recent:",
    MailboxInboxFoot => "用 /read 编号 查看往来并标为已读。 Use /read ID to see a thread and mark it read.",
    MailboxThreadHead => "往来 #{thread}《{title}》：{a} ↔ {b} Thread #{thread} \"{title}\"",
    MailboxWeekHead => "{org} 本周（{since} 起）收到的工作信息报送。 Work reports to {org} this week (since {since}).",
    MailboxWeekChildren => "下级已报送 {done}/{all}。 {done} of {all} child orgs reported.",
    MailboxWeekReported => " ✓ {name}：{n} 份 report(s) {ids}",
    MailboxWeekMissing => " ✗ {name}：未报送 none yet",
    MailboxWeekPerLevel => "各级本周向上级报送 Orgs per level that reported to their parent this week:",
    MailboxWeekLevel => " {level}：{done}/{all} 已报送 reported",
    MailboxSenderUnknown => "{sender} 未在 treecast 登记，不能写信。 {sender} is not registered with treecast, so it cannot send letters.",
    MailboxConfirmWhat => "以 {from} 的名义把《{title}》发给 {to} / send \"{title}\" to {to} as {from}",
    MailboxAlreadySent => "这条消息已作为 #{id} 发送过，没有再发。 This message was already sent as #{id}; it was not sent again.",
    MailboxSent => "已把{kind}《{title}》（#{id}）发给 {to}，{copies} 位团干部收到。 Sent the {kind_en} \"{title}\" (#{id}) to {to}; {copies} official(s) were sent a copy.",
    MailboxUnattended => "\n{orgs} 尚无登记的团干部：信件保存在其信箱中，有人登记后即可查看。 {orgs} have no registered officials yet: the letter waits in their mailbox.",
    MailboxMsgUsage => "用法：/msg 组织代码 内容（多个组织用逗号分开，或写 @parent 上级、@children 全部下级）。 Usage: /msg ORG TEXT (several orgs separated by commas, or @parent, @children).",
    MailboxReportUsage => "用法：/report 标题，正文写在下一行起。 Usage: /report TITLE, with the body on the next lines.",
    MailboxForwardUsage => "用法：/forward 信件编号 [@parent 或组织代码]。 Usage: /forward ID [@parent or org codes].",
    MailboxReadNeedsId => "请写明信件编号，例如 /read 12。 Give the letter number, e.g. /read 12.",
    MailboxNoLetter => "没有你能查看的 #{id} 号信件。 There is no letter #{id} that you may see.",
    MailboxReportGoesUp => "工作信息报送只能由团干部发给本组织的上级：{org} 的上级组织代码才是 report+ 后面应写的。 A work report goes from an official to their org's parent only: after report+ write the code of {org}'s parent.",
    MailboxPrivateOnly => "信件只在与机器人的私聊或邮件中查看，不在群里显示。 Letters are shown only in a private chat with the bot or by mail, never in a group.",
    PrivacyConfigBad => "配置 [privacy] 有误：{error}（audit_days、survey_names_days 写作大于 0 的天数）。 [privacy] is wrong: {error} (audit_days and survey_names_days are numbers of days above 0).",
    MyDataHead => "平台保存的你的个人信息 What treecast holds about you: {name} (#{id})",
    MyDataPreferred => "私信发往 Private messages go to: {platform}",
    MyDataFoot => "这些信息只用于向你转发通知、收集你所在组织发起的调查和信件。发送 /forget 可删除你的个人信息（匿名统计和以团支部名义的确认会保留）。 This is used only to bring you notices, your orgs' surveys and letters. Send /forget to delete your personal data (anonymous counts and acknowledgements made for your branch stay).",
    MyDataNothing => "平台没有保存你的个人信息：你在这里还没有登记。 treecast holds nothing about you: you are not registered here.",
    ForgetAsk => "删除后：你的姓名和所有关联账号将被删除，你将不再收到私信、通知提醒和每日摘要；你写过的信件不再显示你的姓名；实名调查答卷变为匿名；匿名统计和以团支部名义的确认会保留。确定删除请发送 /forget 确认 。 After deletion: your name and every linked account are deleted, you get no more private messages, reminders or digests; your letters no longer show your name; your named survey answers become anonymous; anonymous counts and acknowledgements made for your branch stay. To go ahead, send /forget confirm .",
    ForgetUsage => "看不懂“{text}”：确定删除请发送 /forget 确认 。 \"{text}\" is not understood: to delete, send /forget confirm .",
    Forgotten => "你的个人信息已删除。此后你在这里是陌生人；若要再次使用，请重新登记。 Your personal data is deleted. From now on treecast does not know you; to use it again, register anew.",
    ForgottenAuthor => "（已删除的用户）(deleted person)",
    MyDataDigest => "每日摘要：{state} Daily digest: {state}",
    MyDataLetters => "你写的信件和报送：{n} 封 Letters and reports you wrote: {n}",
    MyDataNotices => "你发布的通知和提醒：{n} 条 Notices and reminders you posted: {n}",
    MyDataTopicPosts => "话题发言：{n} 条 Topic posts: {n}",
    MyDataSurveys => "实名调查答卷 {named} 份，进行中的调查 {open} 个 Named survey answers: {named}; surveys in progress: {open}",
    TopicUsage => "用法：/topic new #话题# 说明 [截止日期 YYYY-MM-DD]（团干部发起），/topic post #话题# 内容（发言），/topic #话题#（查看），/topics（热门话题）。 Usage: /topic new #tag# about [YYYY-MM-DD] (officials), /topic post #tag# words, /topic #tag# to see one, /topics for the hot list.",
    TopicTagTooLong => "话题太长：最多 {max} 个字。 The tag is too long: {max} characters at most.",
    TopicBadDate => "“{date}”不是以后的日期：截止日期写作 2026-12-31。 \"{date}\" is not a date to come: write the end date as 2026-12-31.",
    TopicAlreadyOpen => "{name} 已有进行中的话题 #{tag}#。 {name} already has the topic #{tag}# open.",
    TopicAnnouncement => "{about}\n\n参与方式：在已绑定的群里发言时带上 #{tag}#，或私聊机器人发送 /topic post #{tag}# 你的内容。截止 {until}。\nTo take part, write #{tag}# in a bound group, or privately send /topic post #{tag}# and your words. Until {until}.",
    TopicOpened => "已发起话题 #{tag}#（{name}，截止 {until}），公告为通知 #{notice}。 Topic #{tag}# is open for {name} until {until}; its announcement is notice #{notice}.",
    TopicPosted => "已发布到话题 #{tag}#。 Posted to #{tag}#.",
    TopicUnknown => "没有你能参与的进行中的话题 #{tag}#：发送 /topics 查看可参与的话题。 There is no open topic #{tag}# you take part in: send /topics for those you do.",
    TopicNoOrg => "你还不属于任何组织，不能参与话题。 You belong to no org yet, so you cannot take part in topics.",
    TopicsNone => "暂无你能参与的话题。 There is no topic you take part in yet.",
    TopicsHead => "热门话题（最近 7 天，按参与团支部数） Hot topics (last 7 days, by branches taking part):",
    TopicsLevel => "【{level}发起】 opened at {level} level",
    TopicStanding => "{branches} 个组织参与，活跃度 {activity} {branches} orgs, activity {activity}",
    TopicUntil => "截止 {until} until {until}",
    TopicClosed => "已结束 closed",
    TopicTotals => "共 {branches} 个组织参与，{posts} 条发言 {branches} orgs took part, {posts} posts",
    TopicNoPosts => "还没有发言。 No posts yet.",
    TopicLatest => "最新发言 Latest:",
    TopicTopBranches => "最活跃的组织 Most active orgs:",
    TopicPostCount => "{n} 条 {n} posts",
    ColumnUsage => "用法：/column new 名称 说明（团干部建专栏），/column post 名称 内容（投稿，可带图片或文件），/column pending，/column approve 编号 [announce]，/column reject 编号 理由，/column 名称（查看）；/feature 编号 [fanout]（上级推荐）。 Usage: /column new NAME about (officials), /column post NAME words (with images or files), /column pending, /column approve ID [announce], /column reject ID reason, /column NAME to see one; /feature ID [fanout] (an org above).",
    ColumnNameTooLong => "专栏名称太长：最多 {max} 个字。 The column's name is too long: {max} characters at most.",
    ColumnExists => "{org} 已有专栏“{column}”。 {org} already has a column \"{column}\".",
    ColumnCreated => "已创建专栏“{column}”（{org}）：成员发送 /column post {column} 内容 投稿。 Column \"{column}\" is created for {org}: members submit with /column post {column} and their words.",
    ColumnUnknown => "没有你所在组织或其上级的专栏“{column}”。 There is no column \"{column}\" of your org or one above it.",
    ColumnSubmitted => "已投稿 #{id} 到专栏“{column}”（{org}），等待团干部审核。 Submitted #{id} to the column \"{column}\" of {org}; its officials will review it.",
    ColumnHead => "专栏“{column}”（{org}）{about} Column \"{column}\" of {org}:",
    ShowcaseFileTooLarge => "文件“{name}”超过 {mb} MB，未投稿：请压缩后再发。 The file \"{name}\" is over {mb} MB, so nothing was submitted: send a smaller one.",
    ShowcaseNoPost => "没有编号为 #{id} 的专栏文章。 There is no column post #{id}.",
    ShowcaseNotPending => "#{id} 已审核过。 #{id} has been reviewed already.",
    ShowcaseNotApproved => "#{id} 尚未通过审核，不能推荐。 #{id} is not approved, so it cannot be featured.",
    ShowcaseApproved => "#{id} 已通过，刊登在专栏“{column}”。 #{id} is approved and appears in the column \"{column}\".",
    ShowcaseRejected => "#{id} 已退回。 #{id} was sent back.",
    ShowcaseAnnounced => "已作为通知 #{notice} 发出。 Sent as notice #{notice}.",
    ShowcaseMayNotFeature => "只有 {org} 的上级组织的团干部可以推荐它的文章。 Only officials of an org above {org} may feature its posts.",
    ShowcaseAlreadyFeatured => "{org} 已推荐过 #{id}。 {org} has featured #{id} already.",
    ShowcaseFeatured => "#{id} 已列入 {org} 的精彩展示。 #{id} is in the showcase of {org}.",
    ShowcaseNoticeBody => "{text}\n\n—— 来自 {from}·专栏“{column}”，作者 {author}\nFrom {from}, column \"{column}\", by {author}",
    ShowcaseEmpty => "暂无文章。 No posts yet.",
    ShowcaseHead => "{org} 的精彩展示 Showcase of {org}:",
    ShowcasePendingHead => "{org} 待审核的专栏文章 Posts of {org} awaiting review:",
    ShowcaseNameAnOrg => "请指明组织：/showcase 组织代码。 Name an org: /showcase CODE.",
    MyDataColumnPosts => "专栏投稿：{n} 篇 Column posts: {n}",
    InterviewUsage => "用法：/interview new [@组织代码] 嘉宾 开始 结束 标题 [实名]（团干部安排，嘉宾写作 platform:账号，时间写作 2026-12-01T19:00，第二行起为介绍），/interview 编号（查看），/interview pending 编号，/interview approve 问题号，/interview reject 问题号 理由，/interview publish 编号（立即发布已有回答）；/ask 编号 问题，/vote 问题号，/answer 问题号 回答（嘉宾）。 Usage: /interview new [@CODE] GUEST START END title [named] (officials; the guest as platform:account, times as 2026-12-01T19:00, an introduction on the lines below), /interview ID to see one, /interview pending ID, /interview approve QUESTION, /interview reject QUESTION reason, /interview publish ID (send the answers now); /ask ID question, /vote QUESTION, /answer QUESTION words (the guest).",
    InterviewBadTime => "“{text}”不是时间：写作 2026-12-01T19:00（北京时间）。 \"{text}\" is not a time: write it as 2026-12-01T19:00 (China time).",
    InterviewBadWindow => "结束时间须晚于开始时间，且在以后。 The end must come after the start, and be still to come.",
    InterviewTitleTooLong => "标题太长：最多 {max} 个字。 The title is too long: {max} characters at most.",
    InterviewCreated => "已安排微访谈 #{id}《{title}》（{org}，嘉宾 {guest}，{opens} 至 {closes}），公告为通知 #{notice}。提问需经审核：/interview pending {id}。 Interview #{id} \"{title}\" is scheduled for {org} with {guest}, {opens} to {closes}; its announcement is notice #{notice}. Questions wait for review: /interview pending {id}.",
    InterviewAnnouncement => "{about}\n\n嘉宾：{guest}　时间：{opens} 至 {closes}（北京时间）\n欢迎提问：点击下方按钮私聊机器人，或私聊机器人发送 /ask {id} 你的问题；问题经审核后由嘉宾回答，每人可为 {votes} 个问题投票（/vote 问题号）。{hidden}\nGuest: {guest}, {opens} to {closes} (China time). Ask privately: press the button below, or send /ask {id} and your question to the bot. Approved questions go to the guest; each person has {votes} votes (/vote QUESTION).",
    InterviewAskersHidden => "提问者姓名不公开。 Askers' names are not published.",
    InterviewAskersNamed => "提问者姓名将随回答公开。 Askers' names are published with the answers.",
    InterviewGuestInvited => "你受邀担任微访谈 #{id}《{title}》（{org}）的嘉宾，时间 {opens} 至 {closes}。届时发送 /interview {id} 查看已通过的问题（按票数排序），/answer 问题号 你的回答。 You are the guest of interview #{id} \"{title}\" ({org}), {opens} to {closes}. Then send /interview {id} for the approved questions (most votes first), and /answer QUESTION with your answer.",
    InterviewUnknown => "没有编号为 #{id} 的微访谈。 There is no interview #{id}.",
    InterviewOver => "微访谈 #{id} 已结束，不再收问题和回答。 Interview #{id} is over: it takes no more questions or answers.",
    InterviewNotAudience => "微访谈 #{id} 面向 {org} 及其下级，你不在其中。 Interview #{id} is for {org} and the orgs below it, and you are not among them.",
    InterviewQuestionTooLong => "问题太长：最多 {max} 个字，未提交。 The question is too long: {max} characters at most; nothing was submitted.",
    InterviewAskedTwice => "你已提过这个问题（#{q}）。 You asked this question already (#{q}).",
    InterviewSameQuestion => "已有相同的问题 #{q}：发送 /vote {q} 为它投票。 The same question was asked already as #{q}: send /vote {q} to vote for it.",
    InterviewAsked => "已提交问题 #{q}（微访谈 #{id}），审核通过后嘉宾可见。 Question #{q} of interview #{id} is submitted; the guest sees it once approved.",
    InterviewAskLead => "微访谈《{title}》：请发送你的问题（一条消息，最多 {max} 个字）。 Interview \"{title}\": send your question as one message ({max} characters at most).",
    InterviewAskCancelled => "已放弃提问。 The question was dropped.",
    InterviewNoQuestion => "没有编号为 #{q} 的微访谈问题。 There is no interview question #{q}.",
    InterviewNotSubmitted => "问题 #{q} 已审核过。 Question #{q} has been reviewed already.",
    InterviewApproved => "问题 #{q} 已通过，嘉宾可见。 Question #{q} is approved: the guest sees it.",
    InterviewRejected => "问题 #{q} 未通过。 Question #{q} was rejected.",
    InterviewTellApproved => "你在微访谈《{title}》的问题 #{q} 已通过审核，等待嘉宾回答。 Your question #{q} of \"{title}\" is approved and waits for the guest.",
    InterviewTellRejected => "你在微访谈《{title}》的问题 #{q} 未通过审核：{reason} Your question #{q} of \"{title}\" was not approved: {reason}",
    InterviewNotVotable => "问题 #{q} 不在待答问题中，不能投票。 Question #{q} is not waiting for an answer, so it takes no votes.",
    InterviewVotedTwice => "你已为问题 #{q} 投过票。 You voted for question #{q} already.",
    InterviewNoVotesLeft => "你在这场微访谈的 {max} 票已用完。 You have used your {max} votes in this interview.",
    InterviewVoted => "已为问题 #{q} 投票，还剩 {left} 票。 Voted for question #{q}; {left} votes left.",
    InterviewNotGuest => "只有微访谈 #{id} 的嘉宾可以回答。 Only the guest of interview #{id} answers its questions.",
    InterviewNotApproved => "问题 #{q} 尚未通过审核，不能回答。 Question #{q} is not approved, so it cannot be answered.",
    InterviewAnsweredAlready => "问题 #{q} 已回答过。 Question #{q} is answered already.",
    InterviewNotOpen => "微访谈 #{id} 在 {opens} 开始，届时才能回答。 Interview #{id} starts at {opens}; answers are taken from then.",
    InterviewAnswered => "已回答问题 #{q}，将于 {when} 随本批回答发布给听众。 Question #{q} is answered; it goes out to the audience with this batch at {when}.",
    InterviewHead => "微访谈 #{id}《{title}》（{org}，嘉宾 {guest}，{opens} 至 {closes}） Interview #{id} \"{title}\" ({org}, guest {guest}, {opens} to {closes})",
    InterviewWaiting => "待回答（按票数） Waiting for an answer (most votes first):",
    InterviewDone => "已回答 Answered:",
    InterviewVotes => "{n} 票 {n} votes",
    InterviewPendingHead => "微访谈 #{id} 待审核的问题（{n} 个） Questions of interview #{id} awaiting review ({n}):",
    InterviewNoQuestions => "暂无问题。 No questions yet.",
    InterviewListHead => "你可参与的微访谈 Interviews you take part in:",
    InterviewNone => "暂无你可参与的微访谈。 There is no interview you take part in.",
    InterviewAnonymous => "匿名 anonymous",
    InterviewBatchTitle => "【微访谈】{title}（第 {n} 批回答） Interview \"{title}\", answers {n}",
    InterviewQA => "问 Question #{q}（{asker}）：{question}\n答 Answer（{guest}）：{answer}",
    InterviewPublished => "已将微访谈 #{id} 的回答分 {n} 条发给听众。 The answers of interview #{id} went out to the audience in {n} messages.",
    InterviewNothingToPublish => "微访谈 #{id} 没有待发布的回答。 Interview #{id} has no answers waiting to go out.",
    InterviewClosedReport => "微访谈 #{id}《{title}》已结束：共 {asked} 个问题，{answered} 个已回答，已发布 {batches} 批。 Interview #{id} \"{title}\" is over: {asked} questions, {answered} answered, published in {batches} batches.",
    InterviewOpened => "微访谈 #{id}《{title}》开始了：{n} 个问题已通过审核，发送 /interview {id} 查看，/answer 问题号 回答。 Interview #{id} \"{title}\" has begun: {n} questions are approved; send /interview {id} to see them and /answer QUESTION to answer.",
    MigrateHeader => "{file}:1：表头须包含 code、platform、chat、name 四列。 {file}:1: the header must name the columns code, platform, chat, name.",
    MigrateUnreadable => "{file}:{line}：无法读取（{error}）；请另存为 UTF-8 编码的 CSV。 {file}:{line} cannot be read ({error}); save it as CSV in UTF-8.",
    MigrateMissing => "缺少 {column}。 The {column} is missing.",
    MigrateTelegramId => "电报群（Telegram）的编号是整数（群为负数，如 -1001234567890），不是“{id}”。 A Telegram chat id is a whole number (negative for a group, e.g. -1001234567890), not \"{id}\".",
    MigrateMatrixRoom => "房间（Matrix）写作 !房间号:服务器（如 !abc:example.org），不是“{id}”。 A Matrix room is written !id:server (e.g. !abc:example.org), not \"{id}\".",
    MigrateListAddress => "邮件列表须是完整的邮箱地址，不是“{id}”。 A mailing list is a whole mail address, not \"{id}\".",
    MigrateTwice => "与第 {other} 行是同一个群，却属于另一个组织。 The same chat as line {other}, for another org.",
    MigrateRefused => "{file}：{n} 行有误，未导入任何群。 {file}: {n} rows are wrong, so no chat was imported.",
    MigrateImported => "{file}：{rows} 行，新绑定 {added} 个群，{had} 个此前已绑定。 {file}: {rows} rows; {added} chats bound now, {had} bound already.",
    ArchiveFormat => "{file}：看不出是哪种导出（“{format}”）；请用 --format telegram、matrix 或 mbox。 {file}: not a known export (\"{format}\"); give --format telegram, matrix or mbox.",
    ArchiveUnreadable => "{file}:{line}：不是可读的 {format} 导出（{error}），未导入任何消息。 {file}:{line}: not a readable {format} export ({error}); nothing was imported.",
    ArchiveBadDate => "{file}：消息 {id} 的日期“{date}”读不懂，未导入任何消息。 {file}: message {id} has a date that cannot be read (\"{date}\"); nothing was imported.",
    ArchiveBadMail => "{file}:{line}：这封邮件读不懂（缺少日期或信头），未导入任何消息。 {file}:{line}: this mail cannot be read (no date or headers); nothing was imported.",
    ArchiveImported => "{file}（{format}）：{org} 的存档新增 {added} 条，{skipped} 条此前已导入。 {file} ({format}): {added} messages added to the archive of {org}, {skipped} imported before.",
    ArchiveTitle => "【存档】{org} · {author} Archive of {org}, {author}",
    RankNotYet => "排行榜尚未计算：每天 03:00 计算一次（运维人员可运行 treecast rank --recompute）。 The leaderboard is not computed yet: it is computed daily at 03:00 (an operator can run treecast rank --recompute).",
    RankNoChildren => "{org} 没有下级组织可比较。 {org} has no orgs below it to compare.",
    RankHead => "活跃度排行榜：{parent} 下的{level}（{n} 个，最近 {days} 天，{at} 计算） Activity leaderboard of the {level} under {parent} ({n}, last {days} days, computed {at}):",
    RankImproved => "进步最快 Most improved: {list}",
    RankLegend => "各项为比率：通知=按时确认/收到，调查=答卷/团员数，话题=是否参与，推荐=被上级推荐/投稿，报送=有报送的周数/4，渠道=有可用的群；得分=计入各项的平均×100；上级组织的得分为其下级得分的中位数；“—”为不计入。 Each part is a rate: notices acknowledged on time / received, survey responses / members, took part in a topic, column posts featured by an org above / submitted, weeks with a report upward / 4, has a working chat; the score is the mean of the parts that count × 100; an org with orgs below it scores the median of theirs; \"—\" does not count.",
    RankNameAnOrg => "请指明组织：/rank 组织代码。 Name an org: /rank CODE.",
    RankLevelNotAbove => "“{level}”不是你所在组织或其上级的层级。 \"{level}\" is not the level of your org or of one above it.",
    RankRecomputed => "已计算 {n} 个组织的活跃度。 Computed the activity of {n} orgs.",
    MyDataInterviewQuestions => "微访谈提问：{n} 个 Interview questions: {n}",
    MyDataInterviewVotes => "微访谈投票：{n} 场 Interviews voted in: {n}",
    AuditHead => "{code} {name} 的操作记录（最近 {n} 条） Audit log of {code} {name} (latest {n}):",
    AuditNone => "暂无记录。 Nothing recorded yet.",
    AuditOperator => "运维人员 the operator",
    AuditCodeHolder => "持绑定码者 a bind code's holder",
    AuditGonePerson => "已删除的用户 #{id} deleted person #{id}",
    AuditPosted => "发布通知 #{id} posted notice #{id}",
    AuditReminded => "发送提醒 #{id}（通知 #{of}） sent reminder #{id} of notice #{of}",
    AuditBound => "绑定渠道 #{id} bound chat #{id}",
    AuditUnbound => "解绑渠道 #{id} unbound chat #{id}",
    AuditReadPersonal => "查看个人信息：{what}，{rows} 人 read personal data: {what}, {rows} people",
    AuditExported => "导出 {what}，共 {rows} 行 exported {what}, {rows} rows",
    DigestConfigBad => "配置 [digest] 有误：{error}（时间写作 \"08:30\"）。 [digest] is wrong: {error} (write the time as \"08:30\").",
    DigestTitle => "每日摘要 Daily digest · {date}",
    DigestUrgentTitle => "24 小时内到期 Due within 24 hours",
    DigestUrgentHead => "以下事项 24 小时内到期，不等每日摘要先告诉你。 These fall due within 24 hours, so they are not held for the daily digest.\n",
    DigestIsOn => "每日摘要已开启，每天 {time}（北京时间）有事才发。 The daily digest is on: every day at {time} China time, only when something waits.",
    DigestIsOff => "每日摘要已关闭；/digest on 重新开启。 The daily digest is off; /digest on turns it back on.",
    DigestTurnedOff => "已关闭每日摘要（24 小时内到期的提醒也不再单独发送）；/digest on 重新开启。 The daily digest is off (and so are the alerts of items due within 24 hours); /digest on turns it back on.",
    DigestNothingNow => "现在没有待办事项。 Nothing waits for you now.",
    DigestNow => "此刻的摘要 The digest as it stands now:",
    DigestFoot => "关闭摘要用 /digest off，改时间用 /digest 07:30。 /digest off turns the digest off; /digest 07:30 changes its time.",
    DigestUsage => "看不懂“{text}”：请写 /digest off、/digest on 或时间如 /digest 07:30。 \"{text}\" is not understood: write /digest off, /digest on or a time such as /digest 07:30.",
    DigestLetters => "未读信件和报送 Unread letters and reports",
    DigestLettersLine => "{org}：{n} 封未读 unread — {latest}",
    DigestReplies => "待你答复的回复 Replies awaiting your answer",
    DigestReplyLine => "《{title}》：{org} · {name} —— 回复转来的那条消息即可答复 reply to the relayed message to answer",
    DigestNotices => "尚有组织未确认的通知 Your notices not yet acknowledged by all",
    DigestNoticeLine => "#{id}《{title}》：{missing}/{orgs} 个组织未确认 orgs have not acknowledged{due} — /status {id}, /remind {id}",
    DigestDue => "，截止 due {at}",
    DigestSurveys => "即将截止的调查 Surveys closing soon",
    DigestSurveyLine => "#{id}《{title}》截止 closes {at} — /survey results {id}",
    DigestInterviews => "待审核的微访谈提问 Interview questions to review",
    DigestInterviewLine => "#{id}《{title}》{n} 个问题待审核 {n} to review — /interview pending {id}",
    // The web console (团组织工作台): src/web, src/features/web.
    WebServing => "网页工作台：{url}（在聊天中发送 /web 获取登录链接）。 Web console: {url} (send /web in chat for a sign-in link).",
    WebOff => "网页工作台未开启（[web] listen 为空）。 The web console is off ([web] listen is empty).",
    WebCannotListen => "网页工作台无法在 {address} 监听：{error}。请在配置 [web] listen 中换一个地址。 The web console cannot listen on {address}: {error}. Set another address in [web] listen.",
    WebConfigBad => "配置 [web] 有误：{error} The [web] config is wrong: {error}",
    WebLinkMessage => "团组织工作台登录链接（{minutes} 分钟内有效，只能用一次）：\n{url}\n如果不是你本人申请的，请忽略本消息，并可发送 /web logout all 让所有登录失效。 Your sign-in link to the web console (valid for {minutes} minutes, once):\n{url}\nIf you did not ask for it, ignore this message; /web logout all ends every sign-in.",
    WebLinkSentHere => "登录链接已通过私聊发给你。 The sign-in link was sent to you in a private message.",
    WebLinkSentByMail => "登录链接已发到你的邮箱 {address}。 The sign-in link was sent to your mailbox {address}.",
    WebOfficialsOnly => "网页工作台只对各级团干部开放；学生请在聊天中使用机器人。 The web console is for League officials only; students use the bot in chat.",
    WebLoggedOutAll => "已让你的所有网页登录和未用的登录链接失效（共 {generation} 次）。 Every web sign-in and unused sign-in link of yours has ended.",
    WebUsage => "用法：/web（获取网页工作台的一次性登录链接），/web logout all（让所有登录失效）。 Usage: /web (a one-time sign-in link to the web console), /web logout all (end every sign-in).",
    WebTooManyLinks => "登录链接申请过于频繁，请 10 分钟后再试。 Too many sign-in link requests: try again in 10 minutes.",
    WebLinkUnknown => "这个登录链接无效，请重新获取（聊天中发送 /web）。 This sign-in link is not valid: ask for a new one (send /web in chat).",
    WebLinkUsed => "这个登录链接已经用过了，每个链接只能用一次，请重新获取。 This sign-in link was already used; each link works once, ask for a new one.",
    WebLinkExpired => "这个登录链接已过期，请重新获取。 This sign-in link has expired: ask for a new one.",
    WebLinkRevoked => "这个登录链接已因“退出所有登录”而失效，请重新获取。 This sign-in link ended with a \"log out everywhere\": ask for a new one.",
    WebLinkSent => "如果这是一位已登记团干部的身份，登录链接已经发过去了，请查看私聊或邮箱。 If this identity belongs to a registered official, the sign-in link is on its way: check your private chat or mailbox.",
    WebBadIdentity => "请填写邮箱地址、Matrix 账号（@名字:服务器）或 Telegram 数字账号。 Enter an email address, a Matrix ID (@name:server) or a numeric Telegram ID.",
    WebCsrf => "表单已过期或来源不明（缺少校验码），没有执行。请刷新页面后重试。 The form is stale or did not come from this site (no CSRF token): nothing was done. Reload the page and try again.",
    WebBadForm => "表单内容有误：{error} The form is not valid: {error}",
    WebSignInFirst => "请先登录网页工作台。 Sign in to the web console first.",
    WebNoSuchPage => "没有这个页面。 There is no such page.",
    WebOperatorsOnly => "只有运维人员可以查看运行状态页。 Only operators may see the operations page.",
    WebReminded => "已向尚未确认的组织发出提醒。 A reminder went to the orgs that have not acknowledged.",
    WebPosted => "通知已发布，正在送达各渠道。 The notice is posted and on its way to every chat.",
    WebQuestionApproved => "问题已通过，已告知提问人。 The question is approved; the asker was told.",
    WebQuestionRejected => "问题已退回，已告知提问人。 The question is rejected; the asker was told.",
    WebCodesIssued => "已为 {n} 个尚未绑定的下级组织生成绑定码，{hours} 小时内有效。 Bind codes for {n} orgs below without a chat, valid for {hours} hours.",
}

/// The text of `m` with each `{key}` replaced by its value, in one pass (a
/// value that itself contains `{…}` is left alone). A key with no value is
/// kept as written, which the tests catch.
pub fn msg(m: Msg, args: &[(&str, &dyn Display)]) -> String {
    let text = m.text();
    let mut out = String::with_capacity(text.len() + 32);
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}').map(|close| (&after[..close], close)) {
            Some((key, close)) if push_value(args, key, &mut out) => rest = &after[close + 1..],
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Appends the value of `key` to `out`; false when `args` has none.
fn push_value(args: &[(&str, &dyn Display)], key: &str, out: &mut String) -> bool {
    use std::fmt::Write;
    match args.iter().find(|(k, _)| *k == key) {
        Some((_, v)) => {
            let _ = write!(out, "{v}");
            true
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_cjk(c: char) -> bool {
        matches!(c, '\u{4e00}'..='\u{9fff}' | '\u{3400}'..='\u{4dbf}')
    }

    /// The text with `{placeholders}` and `/commands` blanked: both are ASCII
    /// in either language, so they say nothing about which language comes first.
    fn prose(text: &str) -> String {
        let mut out = String::new();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' => {
                    for d in chars.by_ref() {
                        if d == '}' {
                            break;
                        }
                    }
                    out.push(' ');
                }
                '/' if chars.peek().is_some_and(|d| d.is_ascii_alphabetic()) => {
                    while chars.peek().is_some_and(|d| d.is_ascii_alphanumeric()) {
                        chars.next();
                    }
                    out.push(' ');
                }
                _ => out.push(c),
            }
        }
        out
    }

    /// Every entry has Chinese, then English: the first Chinese character
    /// comes before the first English letter, and there is an English word after it.
    #[test]
    fn every_entry_is_chinese_first_then_english() {
        for m in Msg::ALL {
            let p = prose(m.text());
            let cjk = p.find(is_cjk).unwrap_or_else(|| panic!("{m:?} has no Chinese: {:?}", m.text()));
            let latin = p.find(|c: char| c.is_ascii_alphabetic());
            let latin = latin.unwrap_or_else(|| panic!("{m:?} has no English: {:?}", m.text()));
            assert!(cjk < latin, "{m:?} does not start in Chinese: {:?}", m.text());
            let english_word = p[cjk..].split(|c: char| !c.is_ascii_alphabetic()).any(|w| w.len() >= 2);
            assert!(english_word, "{m:?} has no English word after its Chinese: {:?}", m.text());
        }
    }

    /// Every `{` of an entry is closed, so [`msg`] sees each placeholder whole.
    #[test]
    fn placeholders_are_closed() {
        for m in Msg::ALL {
            let t = m.text();
            assert_eq!(t.matches('{').count(), t.matches('}').count(), "{m:?}: {t:?}");
        }
    }

    #[test]
    fn msg_fills_values_once() {
        let s = msg(Msg::NoNotice, &[("id", &999)]);
        assert_eq!(s, "没有编号为 #999 的通知。 There is no notice #999.");
        // A value that looks like a placeholder stays as it is.
        let s = msg(Msg::NotANoticeId, &[("text", &"{text}")]);
        assert_eq!(s, "{text} 不是通知编号。 {text} is not a notice number.");
        // A missing value leaves the placeholder visible.
        assert_eq!(msg(Msg::NoNotice, &[]), Msg::NoNotice.text());
    }
}

/// No sentence for a user is written outside the table: a plain text search
/// of the sources for the ways a sentence reaches a user, each followed
/// (after any line break) by a string literal or a `format!` of one.
#[cfg(test)]
mod no_sentences_elsewhere {
    use std::path::{Path, PathBuf};

    /// The calls whose text a user reads, and whether the text is their
    /// second argument (after the event answered) rather than their first.
    const CALLS: &[(&str, bool)] = &[
        ("Error::invalid(", false),
        ("Error::denied(", false),
        ("Error::not_found(", false),
        ("Error::Invalid(", false),
        ("Error::Denied(", false),
        ("Error::NotFound(", false),
        ("Handled::say(", true),
        ("Handled::reject(", true),
        ("reply_to(", true),
        // The surveys' own shorthand for `Handled::say`.
        (" say(", true),
        ("(say(", true),
    ];

    /// What a sentence written in place starts with.
    const LITERALS: &[&str] = &["\"", "r\"", "r#\"", "format!("];

    fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                rust_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    /// Test files, this table, and operator-only output (the CLI and the
    /// binary), which may stay as it is.
    fn skipped(rel: &str) -> bool {
        let name = rel.rsplit('/').next().unwrap_or(rel);
        name == "tests.rs"
            || name.starts_with("tests_")
            || rel.contains("/tests/")
            || rel == "catalogue.rs"
            || rel == "cli.rs"
            || rel.starts_with("bin/")
    }

    /// Every `file:line: call` with a literal sentence in `text` (the part
    /// before an inline `#[cfg(test)] mod`, whose sentences are tests').
    fn literal_calls(rel: &str, text: &str) -> Vec<String> {
        let code = text.find("#[cfg(test)]\nmod ").map_or(text, |i| &text[..i]);
        let mut found = Vec::new();
        for &(call, second) in CALLS {
            for (at, _) in code.match_indices(call) {
                let mut rest = code[at + call.len()..].trim_start();
                if second {
                    // Past the event argument (`ev`, `&ev`, `to`), formatted on one line or several.
                    let arg = rest.find(|c: char| !(c == '&' || c == '_' || c.is_ascii_alphanumeric()));
                    rest = match arg.map(|i| rest[i..].trim_start()) {
                        Some(r) if r.starts_with(',') => r[1..].trim_start(),
                        _ => continue,
                    };
                }
                if LITERALS.iter().any(|l| rest.starts_with(l)) {
                    let line = code[..at].matches('\n').count() + 1;
                    found.push(format!("{rel}:{line}: {}", call.trim()));
                }
            }
        }
        found
    }

    #[test]
    fn the_search_finds_a_sentence_written_in_place() {
        let hits = literal_calls("x.rs", "fn f() {\n    Err(Error::invalid(\n        \"no\"))\n}\n");
        assert_eq!(hits, ["x.rs:2: Error::invalid("]);
        let hits = literal_calls("x.rs", "Ok(Handled::say(ev, format!(\"{n}\")))");
        assert_eq!(hits, ["x.rs:1: Handled::say("]);
        let hits = literal_calls("x.rs", "Ok(Handled::say(\n    ev,\n    \"hi\",\n))");
        assert_eq!(hits, ["x.rs:1: Handled::say("]);
        assert!(literal_calls("x.rs", "pub fn reply_to(ev: &Inbound, text: impl Into<String>)").is_empty());
        assert!(literal_calls("x.rs", "Err(Error::invalid(Msg::NoNotice.text()))").is_empty());
        assert!(literal_calls("x.rs", "#[cfg(test)]\nmod tests { Error::invalid(\"t\") }").is_empty());
    }

    #[test]
    fn every_user_sentence_comes_from_the_catalogue() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        assert!(files.len() > 20, "the sources were found");
        let mut found = Vec::new();
        for path in files {
            let rel = path.strip_prefix(&src).unwrap().to_string_lossy().replace('\\', "/");
            if !skipped(&rel) {
                found.extend(literal_calls(&rel, &std::fs::read_to_string(&path).unwrap()));
            }
        }
        assert!(found.is_empty(), "sentences written in place, not in src/catalogue.rs:\n{}", found.join("\n"));
    }
}
