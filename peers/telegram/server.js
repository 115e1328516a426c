// treecast's Telegram test peer: telegram-test-api behind a compatibility layer.
//
// The inner `TelegramServer` (npm telegram-test-api) keeps its own store and
// user-side API on INNER; it allocates message ids and records what the bot
// sent. The outer Express app on OUTER speaks the Bot API the way Telegram
// does (shapes, error bodies, getUpdates offset/long-poll semantics, chat
// membership, 403/400 cases) so teloxide 0.17 works against it, and offers a
// test-only control API under /_control. See docs/adapters/telegram.md.
'use strict';

const crypto = require('crypto');
const http = require('http');
const express = require('express');
const TelegramServer = require('telegram-test-api');

const HOST = process.env.TG_HOST || '127.0.0.1';
const OUTER = Number(process.env.TG_PORT || 8081);
const INNER = Number(process.env.TG_INNER_PORT || 8082);
const DEFAULT_USERNAME = process.env.TG_BOT_USERNAME || 'treecast_test_bot';
// Seconds; the inner store purges unread items after this (kept below 2^31 ms).
const STORE_TIMEOUT = 86400;

const inner = new TelegramServer({ host: HOST, port: INNER, storeTimeout: STORE_TIMEOUT });

// ---------------------------------------------------------------- helpers

const now = () => Math.floor(Date.now() / 1000);
const utf16len = (s) => s.length; // JS strings are UTF-16 already

class ApiError extends Error {
  constructor(code, description, parameters) {
    super(description);
    this.code = code;
    this.description = description;
    this.parameters = parameters;
  }
}

const badRequest = (what) => new ApiError(400, `Bad Request: ${what}`);

function parseJsonField(v) {
  if (typeof v !== 'string') return v;
  try { return JSON.parse(v); } catch (_) { return v; }
}

// ---------------------------------------------------------------- per-bot state

const bots = new Map();

function botFor(token) {
  let b = bots.get(token);
  if (!b) {
    const id = Number(String(token).split(':')[0]);
    b = {
      token,
      user: {
        id: Number.isFinite(id) && id > 0 ? id : 1,
        is_bot: true,
        first_name: 'Treecast Test Bot',
        username: DEFAULT_USERNAME,
      },
      privacy: false,
      updates: [], // pending (unconfirmed) updates, ascending update_id
      nextUpdateId: 1,
      waiter: null, // the one long-polling getUpdates
      allowed: null,
      webhook: null, // { url, secret }
      chats: new Map(), // group id -> { chat, status, migratedTo }
      users: new Map(), // user id -> { user, started, blocked }
      messages: new Map(), // "chat:id" -> Message (what Telegram stores)
      html: new Map(), // "chat:id" -> text as the bot sent it
      order: [], // "chat:id" keys of bot messages, in send order
      callbacks: new Map(), // callback id -> record
      commands: [],
      sentAt: new Map(), // chat id -> arrival times (ms) of its sendMessage calls, while the limits are on
      files: new Map(), // file_id -> { path, bytes } of documents users sent
    };
    bots.set(token, b);
  }
  return b;
}

function publicUser(u) {
  const out = { id: Number(u.id), is_bot: !!u.is_bot, first_name: u.first_name || `User${u.id}` };
  if (u.last_name) out.last_name = u.last_name;
  if (u.username) out.username = u.username;
  if (u.language_code) out.language_code = u.language_code;
  return out;
}

function groupType(id) {
  return String(id).startsWith('-100') && String(id).length > 10 ? 'supergroup' : 'group';
}

function ensureGroup(bot, id, title, type) {
  const key = String(Number(id));
  let g = bot.chats.get(key);
  if (!g) {
    g = {
      chat: { id: Number(id), type: type || groupType(id), title: title || `Group ${id}` },
      status: 'member',
      migratedTo: null,
    };
    bot.chats.set(key, g);
  }
  return g;
}

function ensureUser(bot, from) {
  const key = String(Number(from.id));
  let u = bot.users.get(key);
  if (!u) {
    u = { user: publicUser(from), started: false, blocked: false };
    bot.users.set(key, u);
  }
  return u;
}

function privateChat(user) {
  const c = { id: user.id, type: 'private', first_name: user.first_name };
  if (user.last_name) c.last_name = user.last_name;
  if (user.username) c.username = user.username;
  return c;
}

// The chat a bot may post to, or the error Telegram would give.
function chatForBot(bot, chatId) {
  const id = Number(chatId);
  if (!Number.isFinite(id) || id === 0) throw badRequest('chat not found');
  if (id > 0) {
    const u = bot.users.get(String(id));
    if (!u || !u.started) throw new ApiError(403, "Forbidden: bot can't initiate conversation with a user");
    if (u.blocked) throw new ApiError(403, 'Forbidden: bot was blocked by the user');
    return privateChat(u.user);
  }
  const g = bot.chats.get(String(id));
  if (!g) throw badRequest('chat not found');
  if (g.migratedTo) {
    throw new ApiError(400, 'Bad Request: group chat was upgraded to a supergroup chat',
      { migrate_to_chat_id: g.migratedTo });
  }
  if (g.status === 'kicked') throw new ApiError(403, `Forbidden: bot was kicked from the ${g.chat.type} chat`);
  if (g.status === 'left') throw new ApiError(403, `Forbidden: bot is not a member of the ${g.chat.type} chat`);
  return g.chat;
}

// The group record of a group chat id, if the bot knows it.
function groupOf(bot, chatId) {
  return Number(chatId) < 0 ? bot.chats.get(String(Number(chatId))) : undefined;
}

// A group the bot may brand: in it, and granted "Change Group Info".
function brandable(bot, chatId, what) {
  const chat = chatForBot(bot, chatId);
  if (chat.type === 'private') throw badRequest(`Bad Request: can't change ${what} of a private chat`);
  const g = groupOf(bot, chatId);
  if (g.canChangeInfo === false) throw badRequest(`Bad Request: not enough rights to change chat ${what}`);
  return g;
}

// ---------------------------------------------------------------- HTML parse mode

const TAGS = {
  b: 'bold', strong: 'bold', i: 'italic', em: 'italic', u: 'underline', ins: 'underline',
  s: 'strikethrough', strike: 'strikethrough', del: 'strikethrough', code: 'code', pre: 'pre',
  a: 'text_link', 'tg-spoiler': 'spoiler', blockquote: 'blockquote', span: 'spoiler',
};
const NAMED = { lt: '<', gt: '>', amp: '&', quot: '"' };

// Parses Telegram's HTML subset into { text, entities } (offsets in UTF-16 units).
function parseHtml(src) {
  let text = '';
  const entities = [];
  const stack = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === '<') {
      const end = src.indexOf('>', i);
      if (end < 0) throw badRequest(`can't parse entities: Unclosed start tag at byte offset ${i}`);
      const raw = src.slice(i + 1, end).trim();
      const closing = raw.startsWith('/');
      const m = /^\/?([a-zA-Z][a-zA-Z0-9-]*)\s*(.*)$/s.exec(raw);
      if (!m) throw badRequest(`can't parse entities: Unsupported start tag "${raw}" at byte offset ${i}`);
      const name = m[1].toLowerCase();
      if (!TAGS[name]) throw badRequest(`can't parse entities: Unsupported start tag "${name}" at byte offset ${i}`);
      if (closing) {
        const top = stack.pop();
        if (!top || top.name !== name) {
          throw badRequest(`can't parse entities: Unexpected end tag at byte offset ${i}`);
        }
        const length = text.length - top.offset;
        if (length > 0) {
          const e = { offset: top.offset, length, type: TAGS[name] };
          if (top.url) e.url = top.url;
          entities.push(e);
        }
      } else {
        const item = { name, offset: text.length };
        if (name === 'a') {
          const h = /href\s*=\s*"([^"]*)"|href\s*=\s*'([^']*)'/.exec(m[2]);
          item.url = h ? decodeEntities(h[1] || h[2] || '') : '';
        }
        stack.push(item);
      }
      i = end + 1;
    } else if (c === '&') {
      const m = /^&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/.exec(src.slice(i, i + 12));
      if (m) {
        const d = decodeEntity(m[1]);
        text += d === null ? m[0] : d;
        i += m[0].length;
      } else {
        text += '&';
        i += 1;
      }
    } else {
      text += c;
      i += 1;
    }
  }
  if (stack.length) throw badRequest(`can't parse entities: Can't find end tag corresponding to start tag "${stack[0].name}"`);
  entities.sort((a, b) => a.offset - b.offset || b.length - a.length);
  return { text, entities };
}

function decodeEntity(body) {
  if (body.startsWith('#x')) return String.fromCodePoint(parseInt(body.slice(2), 16));
  if (body.startsWith('#')) return String.fromCodePoint(parseInt(body.slice(1), 10));
  return Object.prototype.hasOwnProperty.call(NAMED, body) ? NAMED[body] : null;
}

function decodeEntities(s) {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (all, b) => {
    const d = decodeEntity(b);
    return d === null ? all : d;
  });
}

// Bot commands at the start of a user's text, as Telegram marks them.
function commandEntities(text) {
  const m = /^\/[A-Za-z0-9_]+(@[A-Za-z0-9_]+)?/.exec(text || '');
  return m ? [{ offset: 0, length: m[0].length, type: 'bot_command' }] : undefined;
}

// ---------------------------------------------------------------- updates

function pushUpdate(bot, body) {
  const update = { update_id: bot.nextUpdateId++, ...body };
  bot.updates.push(update);
  if (bot.webhook) {
    flushWebhook(bot);
    return update;
  }
  if (bot.waiter) bot.waiter.wake();
  return update;
}

function updateKind(u) {
  return Object.keys(u).find((k) => k !== 'update_id');
}

function deliverable(bot) {
  return bot.updates.filter((u) => !bot.allowed || bot.allowed.includes(updateKind(u)));
}

let flushing = new Set();
async function flushWebhook(bot) {
  if (flushing.has(bot.token)) return;
  flushing.add(bot.token);
  try {
    while (bot.webhook && bot.updates.length) {
      const u = bot.updates[0];
      const headers = { 'content-type': 'application/json' };
      if (bot.webhook.secret) headers['x-telegram-bot-api-secret-token'] = bot.webhook.secret;
      let ok = false;
      try {
        const r = await fetch(bot.webhook.url, { method: 'POST', headers, body: JSON.stringify(u) });
        ok = r.status >= 200 && r.status < 300;
      } catch (_) { ok = false; }
      if (ok) bot.updates.shift();
      else await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    flushing.delete(bot.token);
  }
}

function messageKey(chatId, messageId) {
  return `${Number(chatId)}:${Number(messageId)}`;
}

function stripReply(m) {
  if (!m) return m;
  const { reply_to_message: _r, ...rest } = m;
  return rest;
}

// A user's message: stored through the inner server, reshaped, queued as an update.
async function userMessage(bot, { chat, from, text, reply_to_message_id, extra }) {
  await inner.addUserMessage({ botToken: bot.token, from, chat, text: text || '' });
  const raw = inner.getUpdates(bot.token).pop();
  const message = {
    message_id: raw.message.message_id,
    from: publicUser(from),
    chat,
    date: now(),
    ...(text !== undefined ? { text } : {}),
    ...(extra || {}),
  };
  const ents = text !== undefined ? commandEntities(text) : undefined;
  if (ents) message.entities = ents;
  if (reply_to_message_id) {
    const replied = bot.messages.get(messageKey(chat.id, reply_to_message_id));
    if (!replied) throw badRequest('message to be replied not found');
    message.reply_to_message = stripReply(replied);
  }
  bot.messages.set(messageKey(chat.id, message.message_id), message);
  if (!privacyLets(bot, message)) return { message, update: null };
  const update = pushUpdate(bot, { message });
  return { message, update };
}

// Privacy mode: in groups the bot sees commands, mentions and replies to itself.
function privacyLets(bot, m) {
  if (!bot.privacy || m.chat.type === 'private' || m.text === undefined) return true;
  if (m.text.startsWith('/')) return true;
  if (m.text.includes(`@${bot.user.username}`)) return true;
  return !!(m.reply_to_message && m.reply_to_message.from && m.reply_to_message.from.id === bot.user.id);
}

function memberUpdate(bot, chat, from, oldStatus, newStatus) {
  return pushUpdate(bot, {
    my_chat_member: {
      chat,
      from: publicUser(from),
      date: now(),
      old_chat_member: { user: bot.user, status: oldStatus },
      new_chat_member: newStatus === 'kicked'
        ? { user: bot.user, status: 'kicked', until_date: 0 }
        : { user: bot.user, status: newStatus },
    },
  });
}

// ---------------------------------------------------------------- fault injection

let faults = []; // { method, token, chat_id, count, status, description, parameters }

function takeFault(method, token, params) {
  const i = faults.findIndex((f) => f.method.toLowerCase() === method.toLowerCase()
    && (!f.token || f.token === token)
    && (f.chat_id === undefined || String(f.chat_id) === String(params.chat_id)));
  if (i < 0) return null;
  const f = faults[i];
  if (f.skip > 0) {
    f.skip -= 1;
    return null;
  }
  f.count -= 1;
  if (f.count <= 0) faults.splice(i, 1);
  return new ApiError(f.status, f.description, f.parameters);
}

// ---------------------------------------------------------------- flood limits (test-only, off by default)
//
// Telegram's published bot limits, enforced the way Telegram answers them:
// more than `per_bot` sendMessage calls of one token in any second, more
// than `per_chat` into one chat in any second, or more than
// `per_group_per_minute` into one group in any minute gets HTTP 429 with
// `retry_after` (whole seconds, as Telegram gives it). A call is counted
// when it arrives; `latency_ms` delays every Bot API answer after that,
// like a real round trip. Every refusal is counted
// by the limit it broke; `GET /_control/quota` reports them.

let quota = null; // { perBot, perChat, perGroup, latencyMs }
// How late this process's event loop ran while the limits were on: a late
// loop stamps arrivals late, so sends spaced out by the sender can be
// counted closer together than they were sent.
const loopDelay = require('perf_hooks').monitorEventLoopDelay({ resolution: 5 });
let quotaStats = null;
const windows = new Map(); // key -> ascending receipt times (ms) within the window

function resetQuotaStats() {
  loopDelay.reset();
  loopDelay.enable();
  quotaStats = {
    sends: 0, accepted: 0, abandoned: 0, arrivals: [], limited: { bot: 0, chat: 0, group: 0 }, tokens: new Set(), first: null,
    // Refusals by whole second since the first send, for finding when they happen.
    bySecond: {},
  };
  windows.clear();
}
resetQuotaStats();

// Receipt times under `key` still inside `spanMs`; the oldest first.
function recent(key, t, spanMs) {
  let w = windows.get(key);
  if (!w) { w = []; windows.set(key, w); }
  let i = 0;
  while (i < w.length && t - w[i] >= spanMs) i += 1;
  if (i) w.splice(0, i);
  return w;
}

// Throws the 429 Telegram would give, or records the send (returned, so
// its answer time can be noted).
function checkQuota(token, chatId) {
  if (!quota) return;
  const t = Date.now();
  quotaStats.sends += 1;
  quotaStats.tokens.add(token);
  if (quotaStats.first === null) quotaStats.first = t;
  const isGroup = Number(chatId) < 0;
  const checks = [
    ['bot', `b|${token}`, 1000, quota.perBot],
    ['chat', `c|${token}|${chatId}`, 1000, quota.perChat],
    ['group', `g|${token}|${chatId}`, 60000, isGroup ? quota.perGroup : 0],
  ];
  for (const [kind, key, span, limit] of checks) {
    if (!limit) continue;
    const w = recent(key, t, span);
    if (w.length >= limit) {
      quotaStats.limited[kind] += 1;
      const sec = Math.floor((t - quotaStats.first) / 1000);
      quotaStats.bySecond[sec] = (quotaStats.bySecond[sec] || 0) + 1;
      const retryAfter = Math.max(1, Math.ceil((w[w.length - limit] + span - t) / 1000));
      throw new ApiError(429, `Too Many Requests: retry after ${retryAfter}`, { retry_after: retryAfter });
    }
  }
  for (const [, key, span, limit] of checks) if (limit) recent(key, t, span).push(t);
  quotaStats.accepted += 1;
  const call = { arrived: t, answered: Infinity, token };
  quotaStats.arrivals.push(call);
  return call;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function defaultDescription(status, retryAfter) {
  if (status === 429) return `Too Many Requests: retry after ${retryAfter || 1}`;
  return http.STATUS_CODES[status] || 'Error';
}

// ---------------------------------------------------------------- Bot API methods

function botMessage(bot, chat, params) {
  const key = String(params.parse_mode || '').toLowerCase();
  let parsed = { text: String(params.text ?? ''), entities: parseJsonField(params.entities) };
  if (key === 'html') parsed = parseHtml(parsed.text);
  if (!parsed.text.trim()) throw badRequest('message text is empty');
  if (utf16len(parsed.text) > 4096) throw badRequest('message is too long');
  const markup = parseJsonField(params.reply_markup);
  const reply = parseJsonField(params.reply_parameters)
    || (params.reply_to_message_id ? { message_id: Number(params.reply_to_message_id) } : null);
  let replied = null;
  if (reply && reply.message_id) {
    replied = bot.messages.get(messageKey(reply.chat_id ?? chat.id, reply.message_id));
    if (!replied && !reply.allow_sending_without_reply && !params.allow_sending_without_reply) {
      throw badRequest('message to be replied not found');
    }
  }
  const stored = inner.addBotMessage({
    chat_id: chat.id, text: parsed.text, reply_markup: markup,
  }, bot.token);
  const m = { message_id: stored.message_id, from: bot.user, chat, date: now(), text: parsed.text };
  if (parsed.entities && parsed.entities.length) m.entities = parsed.entities;
  if (replied) m.reply_to_message = stripReply(replied);
  if (markup && markup.inline_keyboard) m.reply_markup = { inline_keyboard: markup.inline_keyboard };
  return m;
}

const methods = {
  // A file users sent, for the bot to download from /file/bot<token>/<file_path>.
  getFile: (bot, p) => {
    const f = bot.files.get(String(p.file_id));
    if (!f) throw badRequest('Bad Request: invalid file_id');
    return { file_id: String(p.file_id), file_unique_id: `u${p.file_id}`, file_size: f.bytes.length, file_path: f.path };
  },

  getMe: (bot) => ({
    ...bot.user,
    can_join_groups: true,
    can_read_all_group_messages: !bot.privacy,
    supports_inline_queries: false,
    can_connect_to_business: false,
    has_main_web_app: false,
  }),

  getUpdates: (bot, p, res) => {
    if (bot.webhook) {
      throw new ApiError(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first");
    }
    const offset = p.offset !== undefined ? Number(p.offset) : undefined;
    if (offset !== undefined && offset < 0) {
      bot.updates = bot.updates.slice(Math.max(0, bot.updates.length + offset));
    } else if (offset) {
      bot.updates = bot.updates.filter((u) => u.update_id >= offset);
    }
    const allowed = parseJsonField(p.allowed_updates);
    if (Array.isArray(allowed) && allowed.length) bot.allowed = allowed;
    const limit = Math.min(Math.max(Number(p.limit || 100), 1), 100);
    const timeout = Math.max(Number(p.timeout || 0), 0);
    const ready = () => deliverable(bot).slice(0, limit);
    if (ready().length || timeout === 0) return ready();
    if (bot.waiter) bot.waiter.conflict();
    return new Promise((resolve, reject) => {
      const waiter = {
        wake: () => finish(() => resolve(ready())),
        conflict: () => finish(() => reject(new ApiError(409,
          'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running'))),
      };
      const timer = setTimeout(() => waiter.wake(), timeout * 1000);
      function finish(f) {
        clearTimeout(timer);
        if (bot.waiter === waiter) bot.waiter = null;
        f();
      }
      res.on('close', () => { if (bot.waiter === waiter) finish(() => resolve([])); });
      bot.waiter = waiter;
    });
  },

  sendMessage: (bot, p, res, arrivedAt) => {
    const chat = chatForBot(bot, p.chat_id);
    const m = botMessage(bot, chat, p);
    const key = messageKey(chat.id, m.message_id);
    bot.messages.set(key, m);
    bot.html.set(key, String(p.text ?? ''));
    bot.order.push(key);
    if (quota) {
      const times = bot.sentAt.get(String(chat.id)) || [];
      times.push(arrivedAt);
      bot.sentAt.set(String(chat.id), times);
    }
    return m;
  },

  editMessageText: (bot, p) => {
    const chat = chatForBot(bot, p.chat_id);
    const key = messageKey(chat.id, p.message_id);
    const old = bot.messages.get(key);
    if (!old || !bot.html.has(key)) throw badRequest('message to edit not found');
    const fresh = botMessage(bot, chat, { ...p, reply_parameters: undefined });
    inner.deleteMessage(Number(chat.id), fresh.message_id);
    const m = { ...old, text: fresh.text, edit_date: now() };
    if (fresh.entities) m.entities = fresh.entities; else delete m.entities;
    if (fresh.reply_markup) m.reply_markup = fresh.reply_markup; else delete m.reply_markup;
    inner.editMessageText({ chat_id: chat.id, message_id: old.message_id, text: fresh.text });
    bot.messages.set(key, m);
    bot.html.set(key, String(p.text ?? ''));
    return m;
  },

  editMessageReplyMarkup: (bot, p) => {
    const key = messageKey(p.chat_id, p.message_id);
    const old = bot.messages.get(key);
    if (!old || !bot.html.has(key)) throw badRequest('message to edit not found');
    const markup = parseJsonField(p.reply_markup);
    const m = { ...old, edit_date: now() };
    if (markup && markup.inline_keyboard) m.reply_markup = markup; else delete m.reply_markup;
    bot.messages.set(key, m);
    return m;
  },

  deleteMessage: (bot, p) => {
    const key = messageKey(p.chat_id, p.message_id);
    if (!bot.messages.has(key)) throw badRequest('message to delete not found');
    bot.messages.delete(key);
    bot.html.delete(key);
    bot.order = bot.order.filter((k) => k !== key);
    inner.deleteMessage(Number(p.chat_id), Number(p.message_id));
    return true;
  },

  answerCallbackQuery: (bot, p) => {
    const cb = bot.callbacks.get(String(p.callback_query_id));
    if (!cb || cb.answered) throw badRequest('query is too old and response timeout expired or query ID is invalid');
    Object.assign(cb, { answered: true, text: p.text ?? null, show_alert: !!p.show_alert });
    return true;
  },

  sendChatAction: (bot, p) => { chatForBot(bot, p.chat_id); return true; },

  // Branding: the bot needs the admin right "Change Group Info" (can_change_info),
  // which `POST /_control/group` sets (granted unless it says false).
  setChatPhoto: (bot, p) => {
    const g = brandable(bot, p.chat_id, 'photo');
    // The file is the part itself, or another part named by `attach://<name>` (as teloxide sends it).
    const ref = typeof p.photo === 'string' && p.photo.startsWith('attach://') ? p[p.photo.slice(9)] : p.photo;
    if (!ref || !ref.bytes) throw badRequest('Bad Request: there is no photo in the request');
    const bytes = ref.bytes;
    g.photo = { size: bytes.length, sha256: crypto.createHash('sha256').update(bytes).digest('hex'), hex: bytes.toString('hex'), at: now() };
    return true;
  },
  setChatDescription: (bot, p) => {
    const g = brandable(bot, p.chat_id, 'description');
    const d = String(p.description ?? '');
    if (d.length > 255) throw badRequest('Bad Request: chat description is too long');
    if ((g.description ?? '') === d) throw badRequest('Bad Request: chat description is not modified');
    g.description = d;
    return true;
  },

  getChat: (bot, p) => ({
    ...chatForBot(bot, p.chat_id),
    ...(groupOf(bot, p.chat_id)?.description ? { description: groupOf(bot, p.chat_id).description } : {}),
    accent_color_id: 0,
    max_reaction_count: 11,
    accepted_gift_types: { unlimited_gifts: false, limited_gifts: false, unique_gifts: false, premium_subscription: false },
  }),

  getChatMember: (bot, p) => {
    chatForBot(bot, p.chat_id);
    if (Number(p.user_id) === bot.user.id) return { user: bot.user, status: 'member' };
    const u = bot.users.get(String(Number(p.user_id)));
    if (!u) throw badRequest('user not found');
    return { user: u.user, status: 'member' };
  },

  getWebhookInfo: (bot) => ({
    url: bot.webhook ? bot.webhook.url : '',
    has_custom_certificate: false,
    pending_update_count: bot.updates.length,
  }),

  setWebhook: (bot, p) => {
    if (!p.url) return methods.deleteWebhook(bot, p);
    if (parseJsonField(p.drop_pending_updates)) bot.updates = [];
    bot.webhook = { url: String(p.url), secret: p.secret_token };
    const allowed = parseJsonField(p.allowed_updates);
    if (Array.isArray(allowed) && allowed.length) bot.allowed = allowed;
    if (bot.waiter) bot.waiter.conflict();
    flushWebhook(bot);
    return true;
  },

  deleteWebhook: (bot, p) => {
    bot.webhook = null;
    if (parseJsonField(p.drop_pending_updates)) bot.updates = [];
    return true;
  },

  setMyCommands: (bot, p) => { bot.commands = parseJsonField(p.commands) || []; return true; },
  deleteMyCommands: (bot) => { bot.commands = []; return true; },
  getMyCommands: (bot) => bot.commands,
  logOut: () => true,
  close: () => true,
};

// ---------------------------------------------------------------- outer app

const app = express();
app.use(express.json({ limit: '10mb' }));
app.use(express.urlencoded({ extended: true }));
app.use(express.raw({ type: 'multipart/form-data', limit: '50mb' }));
app.use((req, _res, next) => {
  const m = /boundary=(?:"([^"]+)"|([^;]+))/.exec(req.headers['content-type'] || '');
  if (m && Buffer.isBuffer(req.body)) req.body = parseMultipart(req.body, m[1] || m[2]);
  next();
});

// Text fields of a multipart/form-data body (teloxide sends setWebhook and
// uploads this way); file parts are kept as { filename, size, bytes }.
function parseMultipart(buf, boundary) {
  const out = {};
  const parts = buf.toString('latin1').split(`--${boundary}`);
  for (const part of parts) {
    const sep = part.indexOf('\r\n\r\n');
    if (sep < 0) continue;
    const head = part.slice(0, sep);
    const name = /name="([^"]*)"/.exec(head);
    if (!name) continue;
    const raw = part.slice(sep + 4).replace(/\r\n$/, '');
    const file = /filename="([^"]*)"/.exec(head);
    out[name[1]] = file
      ? { filename: file[1], size: raw.length, bytes: Buffer.from(raw, 'latin1') }
      : Buffer.from(raw, 'latin1').toString('utf8');
  }
  return out;
}

function sendError(res, e) {
  const code = e instanceof ApiError ? e.code : 500;
  const description = e instanceof ApiError ? e.description : `Internal Server Error: ${e.message}`;
  const body = { ok: false, error_code: code, description };
  if (e.parameters) body.parameters = e.parameters;
  res.status(code).json(body);
}

// Downloads of files users sent (Telegram serves them at /file/bot<token>/<path>).
app.get('/file/bot:token/*', (req, res) => {
  const bot = bots.get(req.params.token);
  const path = req.params[0];
  const f = bot && [...bot.files.values()].find((x) => x.path === path);
  if (!f) return sendError(res, new ApiError(404, 'Not Found'));
  res.type('application/octet-stream').send(f.bytes);
});

app.all('/bot:token/:method', async (req, res) => {
  const token = req.params.token;
  const name = req.params.method;
  const method = Object.keys(methods).find((k) => k.toLowerCase() === name.toLowerCase());
  const params = { ...req.query, ...(req.body || {}) };
  log(`bot ${name} ${JSON.stringify(params).slice(0, 300)}`);
  if (!method) return sendError(res, new ApiError(404, 'Not Found: method not found'));
  const bot = botFor(token);
  try {
    // Counted when the call arrives, as Telegram counts it; answered a
    // round trip later (refusals too).
    let limited = null;
    let call = null;
    const arrivedAt = Date.now();
    if (method === 'sendMessage') {
      try { call = checkQuota(token, params.chat_id); } catch (e) { limited = e; }
    }
    if (quota && quota.latencyMs && method !== 'getUpdates') await sleep(quota.latencyMs);
    if (limited) throw limited;
    // The sender is gone (killed) before hearing the answer: this message
    // still posts, and a sender that re-sends it makes a duplicate.
    if (quota && method === 'sendMessage' && req.socket.destroyed) quotaStats.abandoned += 1;
    const fault = takeFault(method, token, params);
    if (fault) throw fault;
    const result = await methods[method](bot, params, res, arrivedAt);
    if (call) call.answered = Date.now();
    if (!res.headersSent && !res.writableEnded) res.json({ ok: true, result });
  } catch (e) {
    if (!(e instanceof ApiError)) log(`error in ${name}: ${e.stack}`);
    if (!res.headersSent && !res.writableEnded) sendError(res, e);
  }
});

// ---------------------------------------------------------------- control API (tests only)

const control = express.Router();

function needBot(body) {
  if (!body.token) throw badRequest('control: token is required');
  return botFor(String(body.token));
}

function defaultUser(from) {
  return from && from.id ? from : { id: 10001, first_name: '测试同学' };
}

// The user as given, filled in from what the peer already knows of them.
function knownUser(bot, from) {
  const f = defaultUser(from);
  const u = bot.users.get(String(Number(f.id)));
  return publicUser(u && !f.first_name ? { ...u.user, ...f, first_name: u.user.first_name } : f);
}

const controls = {
  // Bot identity and privacy mode: { token, username?, first_name?, privacy? }
  'POST /bot': (b) => {
    const bot = needBot(b);
    if (b.username) bot.user.username = b.username;
    if (b.first_name) bot.user.first_name = b.first_name;
    if (b.privacy !== undefined) bot.privacy = !!b.privacy;
    return { user: bot.user, privacy: bot.privacy };
  },
  // Adds the bot to a group: { token, chat_id, title?, type?, from? }
  'POST /group': (b) => {
    const bot = needBot(b);
    const g = ensureGroup(bot, b.chat_id, b.title, b.type);
    if (b.can_change_info !== undefined) g.canChangeInfo = !!b.can_change_info;
    const was = g.status;
    g.status = 'member';
    g.migratedTo = null;
    if (was !== 'member' || b.announce) memberUpdate(bot, g.chat, defaultUser(b.from), was === 'member' ? 'left' : was, 'member');
    return g.chat;
  },
  // A user who knows the bot but never started it: { token, user }
  'POST /user': (b) => {
    const bot = needBot(b);
    const u = ensureUser(bot, defaultUser(b.user));
    if (b.started !== undefined) u.started = !!b.started;
    return { user: u.user, started: u.started, blocked: u.blocked };
  },
  // A user speaks: { token, chat_id?, from, text, reply_to_message_id?, document? };
  // no chat_id = private chat. A document { file_name, mime_type, base64 }
  // goes with the text as its caption, as Telegram clients send files.
  'POST /message': async (b) => {
    const bot = needBot(b);
    const from = knownUser(bot, b.from);
    const u = ensureUser(bot, from);
    let chat;
    if (!b.chat_id || Number(b.chat_id) === from.id) {
      u.started = true;
      u.blocked = false;
      chat = privateChat(from);
    } else {
      if (Number(b.chat_id) > 0) throw badRequest('control: a private chat_id must equal from.id');
      const g = ensureGroup(bot, b.chat_id, b.title, b.type);
      if (g.status !== 'member' || g.migratedTo) throw badRequest('control: the bot is not in that chat');
      chat = g.chat;
    }
    let text = String(b.text ?? '');
    let extra;
    if (b.document) {
      const bytes = Buffer.from(String(b.document.base64 || ''), 'base64');
      const id = `doc${bot.files.size + 1}x${Date.now()}`;
      bot.files.set(id, { path: `documents/${id}`, bytes });
      const document = { file_id: id, file_unique_id: `u${id}`, file_name: b.document.file_name, file_size: bytes.length };
      if (b.document.mime_type) document.mime_type = b.document.mime_type;
      extra = { document, ...(text ? { caption: text } : {}) };
      text = undefined;
    }
    const { message, update } = await userMessage(bot, {
      chat, from, text, reply_to_message_id: b.reply_to_message_id, extra,
    });
    return { message, update_id: update ? update.update_id : null };
  },
  // A user edits their own message: { token, chat_id, message_id, from, text };
  // the bot gets an edited_message update (privacy mode permitting), as Telegram sends.
  'POST /edit': async (b) => {
    const bot = needBot(b);
    const key = messageKey(b.chat_id, b.message_id);
    const old = bot.messages.get(key);
    if (!old || !old.from || old.from.is_bot) throw badRequest('control: no user message there');
    const from = knownUser(bot, b.from);
    if (old.from.id !== from.id) throw badRequest('control: only its sender edits a message');
    const message = { ...old, text: String(b.text ?? ''), edit_date: now() };
    const ents = commandEntities(message.text);
    if (ents) message.entities = ents; else delete message.entities;
    bot.messages.set(key, message);
    if (!privacyLets(bot, message)) return { message, update_id: null };
    const update = pushUpdate(bot, { edited_message: message });
    return { message, update_id: update.update_id };
  },
  // A group's picture and description as members see them: { token, chat_id }
  'GET /chat': (b) => {
    const bot = needBot(b);
    const g = groupOf(bot, b.chat_id);
    if (!g) throw badRequest('control: no such group');
    return { title: g.chat.title, description: g.description ?? null, photo: g.photo ?? null };
  },
  // A user presses an inline button: { token, chat_id, message_id, from?, data? }
  'POST /press': async (b) => {
    const bot = needBot(b);
    const key = messageKey(b.chat_id, b.message_id);
    const m = bot.messages.get(key);
    if (!m || !m.reply_markup) throw badRequest('control: no message with buttons there');
    const buttons = m.reply_markup.inline_keyboard.flat().filter((x) => x.callback_data !== undefined);
    const button = b.data !== undefined ? buttons.find((x) => x.callback_data === b.data) : buttons[0];
    if (!button) throw badRequest('control: no such callback button');
    const from = knownUser(bot, b.from);
    await inner.addUserCallback({ botToken: bot.token, from, message: m, data: button.callback_data });
    const raw = inner.getUpdates(bot.token).pop();
    const id = raw.callback_query.id;
    const callback_query = {
      id, from, message: m, chat_instance: `ci${String(m.chat.id).replace('-', 'm')}`,
      data: button.callback_data,
    };
    bot.callbacks.set(id, { id, data: button.callback_data, chat_id: m.chat.id, message_id: m.message_id, answered: false });
    const update = pushUpdate(bot, { callback_query });
    return { callback_query_id: id, update_id: update.update_id };
  },
  // Adds the bot to many groups at once: { token, chat_ids: [..] } (benchmarks)
  'POST /groups': (b) => {
    const bot = needBot(b);
    for (const id of b.chat_ids || []) {
      const g = ensureGroup(bot, id, `团支部 ${id}`, 'supergroup');
      g.status = 'member';
      g.migratedTo = null;
    }
    return (b.chat_ids || []).length;
  },
  // Turns the flood limits on ({ per_bot?, per_chat?, per_group_per_minute?,
  // latency_ms? }, Telegram's 30 / 1 / 20 by default) or off ({ off: true });
  // either way the counts start again.
  'POST /quota': (b) => {
    resetQuotaStats();
    quota = b.off ? null : {
      perBot: Number(b.per_bot ?? 30),
      perChat: Number(b.per_chat ?? 1),
      perGroup: Number(b.per_group_per_minute ?? 20),
      latencyMs: Number(b.latency_ms ?? 0),
      // No log line per call while the limits are on: a synchronous write
      // per call made this loop run late at 900 calls a second.
      quiet: b.quiet === undefined ? true : !!b.quiet,
    };
    return quota;
  },
  // What the flood limits saw since they were turned on; with
  // ?in_flight_at=MS also how many accepted sends had arrived but were not
  // yet answered at that moment (of the bots in ?tokens=a,b if given).
  'GET /quota': (q) => ({
    in_flight_at: q.in_flight_at === undefined ? undefined : quotaStats.arrivals.filter(
      (c) => c.arrived <= Number(q.in_flight_at) && c.answered > Number(q.in_flight_at)
        && (!q.tokens || String(q.tokens).split(',').includes(c.token))).length,
    on: !!quota, ...quota, sends: quotaStats.sends, accepted: quotaStats.accepted, abandoned: quotaStats.abandoned,
    limited: quotaStats.limited, tokens: quotaStats.tokens.size, limited_by_second: quotaStats.bySecond,
    loop_delay_ms: { p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 },
  }),
  // Arrival times (ms) of the sends to chats that got more than one: ?token=
  'GET /repeats': (q) => {
    const out = {};
    for (const [chat, times] of needBot(q).sentAt) if (times.length > 1) out[chat] = times;
    return out;
  },
  // How many messages the bot sent to each chat: ?token=
  'GET /sent_counts': (q) => {
    const counts = {};
    for (const k of needBot(q).order) {
      const chat = k.slice(0, k.indexOf(':'));
      counts[chat] = (counts[chat] || 0) + 1;
    }
    return counts;
  },
  // Callback queries and how the bot answered them: ?token=
  'GET /callbacks': (q) => [...needBot(q).callbacks.values()],
  // What the bot sent to a chat, oldest first: ?token=&chat_id=
  'GET /sent': (q) => {
    const bot = needBot(q);
    return bot.order
      .filter((k) => k.startsWith(`${Number(q.chat_id)}:`))
      .map((k) => ({ ...bot.messages.get(k), html: bot.html.get(k) }));
  },
  // Pending (unconfirmed) updates: ?token=
  'GET /updates': (q) => needBot(q).updates,
  // Removes the bot from a group: { token, chat_id, from? }
  'POST /kick': (b) => {
    const bot = needBot(b);
    const g = bot.chats.get(String(Number(b.chat_id)));
    if (!g) throw badRequest('control: unknown group');
    const was = g.status;
    g.status = 'kicked';
    const update = memberUpdate(bot, g.chat, defaultUser(b.from), was, g.chat.type === 'supergroup' ? 'kicked' : 'left');
    return { update_id: update.update_id };
  },
  // The user blocks the bot: { token, user_id }
  'POST /block': (b) => {
    const bot = needBot(b);
    const u = ensureUser(bot, { id: b.user_id });
    u.blocked = true;
    const update = memberUpdate(bot, privateChat(u.user), u.user, 'member', 'kicked');
    return { update_id: update.update_id };
  },
  // Upgrades a group to a supergroup: { token, chat_id, new_chat_id?, from? }
  'POST /migrate': async (b) => {
    const bot = needBot(b);
    const g = bot.chats.get(String(Number(b.chat_id)));
    if (!g || g.chat.type !== 'group') throw badRequest('control: not a basic group');
    const newId = Number(b.new_chat_id || `-100${String(Math.abs(Number(b.chat_id))).padStart(10, '0')}`);
    const from = knownUser(bot, b.from);
    const sg = ensureGroup(bot, newId, g.chat.title, 'supergroup');
    sg.status = 'member';
    await userMessage(bot, { chat: g.chat, from, extra: { migrate_to_chat_id: newId } });
    g.migratedTo = newId;
    await userMessage(bot, { chat: sg.chat, from, extra: { migrate_from_chat_id: Number(b.chat_id) } });
    return { new_chat_id: newId };
  },
  // Fails calls (after letting `skip` pass): { method, count?, skip?, status?, retry_after?, description?, migrate_to_chat_id?, token?, chat_id? }
  'POST /fail': (b) => {
    if (!b.method) throw badRequest('control: method is required');
    const status = Number(b.status || 429);
    const parameters = {};
    if (b.retry_after !== undefined) parameters.retry_after = Number(b.retry_after);
    if (status === 429 && parameters.retry_after === undefined) parameters.retry_after = 1;
    if (b.migrate_to_chat_id !== undefined) parameters.migrate_to_chat_id = Number(b.migrate_to_chat_id);
    const f = {
      method: String(b.method), token: b.token, chat_id: b.chat_id, count: Number(b.count || 1), status,
      skip: Number(b.skip || 0),
      description: b.description || defaultDescription(status, parameters.retry_after),
      parameters: Object.keys(parameters).length ? parameters : undefined,
    };
    faults.push(f);
    return f;
  },
  // Forgets injected faults (and, with token, that bot's whole state): { token? }
  'POST /reset': (b) => {
    faults = b.token ? faults.filter((f) => f.token !== b.token) : [];
    if (b.token) bots.delete(String(b.token));
    return true;
  },
  'GET /health': () => ({ inner: `http://${HOST}:${INNER}`, bots: bots.size }),
};

for (const [route, fn] of Object.entries(controls)) {
  const [verb, path] = route.split(' ');
  control[verb.toLowerCase()](path, async (req, res) => {
    try {
      const result = await fn(verb === 'GET' ? req.query : (req.body || {}));
      res.json({ ok: true, result });
    } catch (e) {
      if (!(e instanceof ApiError)) log(`control error: ${e.stack}`);
      sendError(res, e);
    }
  });
}
app.use('/_control', control);

app.use((req, res) => sendError(res, new ApiError(404, 'Not Found')));

function log(line) {
  if (process.env.TG_QUIET || (quota && quota.quiet)) return;
  process.stdout.write(`${new Date().toISOString()} ${line}\n`);
}

async function main() {
  await inner.start();
  const server = app.listen(OUTER, HOST, () => log(`telegram peer ready on http://${HOST}:${OUTER} (inner ${INNER})`));
  server.keepAliveTimeout = 75000;
  server.headersTimeout = 76000;
  server.requestTimeout = 0;
  const stop = async () => {
    server.close();
    await inner.stop();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((e) => {
  process.stderr.write(`telegram peer failed to start: ${e.stack}\n`);
  process.exit(1);
});
