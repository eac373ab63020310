// Local Telegram chat: draws one simulated person's chat with the bot, or a group they are in
// (the operators' forum with its topics), and sends what they do there.
// Text arrives as plain text plus entities (as Telegram clients get it) and is drawn with DOM
// nodes only, so nothing the bot or another person sends can inject markup.
"use strict";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const AVATAR_COLORS = ["#e17076", "#7bc862", "#65aadd", "#a695e7", "#ee7aae", "#6ec9cb", "#faa774"];
const NAME_COLORS = ["#c03d33", "#4fad2d", "#d09306", "#168acd", "#8544d6", "#cd4073", "#2996ad"];
const GENERAL = 1;

let bot = null;
let users = [];
let groups = [];
let samples = [];
let inlinePlaceholder = null;
let currentId = Number(params.get("user")) || Number(localStorage.getItem("localchat.user")) || 0;
// What the page shows: the person's chat with the bot, or a topic of a group.
let view = params.get("group")
  ? { kind: "group", id: Number(params.get("group")), topic: Number(params.get("topic")) || GENERAL }
  : { kind: "bot" };
let version = -1;
let poll = null;
let chat = null;   // the person's chat with the bot, as the server describes it
let group = null;  // the open group, when view.kind is "group"
let keyboardOpen = true;
let startPayload = params.get("start");
let replyTo = null; // the message being answered
let pinnedIndex = 0;
const rendered = new Map(); // message_id -> {key, element}
let renderedFor = "";
let stickToBottom = true; // follow new messages unless the person scrolled up

function scrollToEnd() {
  if (stickToBottom) $("messages").scrollTop = $("messages").scrollHeight;
}

function initials(name) {
  return name.split(/\s+/).filter(Boolean).slice(0, 2).map((p) => p[0].toUpperCase()).join("");
}

function avatar(person, extraClass) {
  const el = document.createElement("div");
  el.className = "avatar" + (extraClass ? " " + extraClass : "");
  el.style.background = AVATAR_COLORS[Math.abs(person.id) % AVATAR_COLORS.length];
  el.textContent = initials(person.name || person.first_name || person.title || "?");
  el.setAttribute("aria-hidden", "true");
  return el;
}

function timeOf(unix) {
  const d = new Date(unix * 1000);
  return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

function safeHref(url) {
  return /^(https?:\/\/|tg:\/\/)/i.test(url) ? url : null;
}

// Images the page may load: the server's own files, or http(s) URLs the bot gave.
function safeSrc(url) {
  return typeof url === "string" && /^(https?:\/\/|\/chat\/files\/)/i.test(url) ? url : null;
}

function me() {
  return users.find((u) => u.id === currentId) || null;
}

function inGroup() {
  return view.kind === "group" && group !== null;
}

function topicOf(message) {
  return message.message_thread_id || GENERAL;
}

function currentTopic() {
  return inGroup() ? group.topics.find((t) => t.message_thread_id === view.topic) || null : null;
}

// --- text with entities ----------------------------------------------------------------------

function entityElement(entity, text) {
  const tags = {
    bold: "b", italic: "i", underline: "u", strikethrough: "s", code: "code", pre: "pre",
    blockquote: "blockquote", expandable_blockquote: "blockquote",
  };
  if (tags[entity.type]) return document.createElement(tags[entity.type]);
  if (entity.type === "text_link" || entity.type === "url") {
    const href = safeHref(entity.type === "url" ? text : entity.url);
    if (!href) return document.createElement("span");
    const a = document.createElement("a");
    a.href = href;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    return a;
  }
  if (entity.type === "spoiler") {
    const s = document.createElement("span");
    s.className = "spoiler";
    s.addEventListener("click", () => s.classList.add("revealed"));
    return s;
  }
  if (entity.type === "bot_command") {
    const s = document.createElement("span");
    s.className = "command";
    s.addEventListener("click", () => sendText(text));
    return s;
  }
  return document.createElement("span");
}

function renderEntities(text, entities) {
  const root = document.createDocumentFragment();
  const list = (entities || []).slice().sort((a, b) => a.offset - b.offset || b.length - a.length);
  // Offsets are UTF-16 code units, which is exactly how JavaScript indexes strings.
  function build(parent, start, end, items) {
    let pos = start;
    let i = 0;
    while (i < items.length) {
      const e = items[i];
      const eStart = Math.max(e.offset, pos);
      const eEnd = Math.min(e.offset + e.length, end);
      const inner = [];
      let j = i + 1;
      while (j < items.length && items[j].offset < e.offset + e.length) inner.push(items[j++]);
      i = j;
      if (eEnd <= eStart) continue;
      if (eStart > pos) parent.append(text.slice(pos, eStart));
      const el = entityElement(e, text.slice(eStart, eEnd));
      build(el, eStart, eEnd, inner);
      parent.append(el);
      pos = eEnd;
    }
    if (pos < end) parent.append(text.slice(pos, end));
  }
  build(root, 0, text.length, list);
  return root;
}

// --- messages --------------------------------------------------------------------------------

function nameOf(user) {
  return [user.first_name, user.last_name].filter(Boolean).join(" ");
}

// One line saying what a message is, for replies, pins and chat lists.
function preview(message) {
  if (!message) return "";
  if (message.text) return message.text;
  if (message.photo) return "🖼 Photo " + (message.caption || "");
  if (message.document) return "📄 " + (message.document.file_name || "File");
  if (message.voice) return "🎤 Voice message";
  if (message.sticker) return (message.sticker.emoji || "") + " Sticker";
  if (message.location) return "📍 Location";
  if (message.contact) return "👤 Contact";
  return message.caption || "";
}

function serviceText(message) {
  const who = nameOf(message.from);
  if (message.forum_topic_created) {
    return who + " created the topic “" + message.forum_topic_created.name + "”";
  }
  if (message.forum_topic_edited) {
    const name = message.forum_topic_edited.name;
    return who + (name ? " renamed the topic to “" + name + "”" : " changed the topic icon");
  }
  if (message.forum_topic_closed) return who + " closed the topic";
  if (message.forum_topic_reopened) return who + " reopened the topic";
  if (message.pinned_message) return who + " pinned “" + preview(message.pinned_message).slice(0, 60) + "”";
  return null;
}

function photoElement(message) {
  const img = document.createElement("img");
  img.className = "photo";
  img.alt = message.caption || "Photo";
  const src = safeSrc(message.media_src);
  if (src) img.src = src;
  img.addEventListener("load", scrollToEnd);
  img.addEventListener("error", () => {
    const box = document.createElement("div");
    box.className = "photo-missing";
    const icon = document.createElement("div");
    icon.className = "icon";
    icon.textContent = "🖼";
    const label = document.createElement("div");
    label.textContent = "Photo could not be loaded";
    const host = document.createElement("div");
    host.className = "host";
    try {
      host.textContent = new URL(message.media_src, location.href).host;
    } catch (err) {
      host.textContent = "";
    }
    box.append(icon, label, host);
    img.replaceWith(box);
    scrollToEnd();
  });
  if (!src) setTimeout(() => img.dispatchEvent(new Event("error")));
  return img;
}

function documentElement(message) {
  const doc = message.document;
  const box = document.createElement("a");
  box.className = "document";
  const src = safeSrc(message.media_src);
  if (src) {
    box.href = src;
    box.download = doc.file_name || "file";
  }
  const icon = document.createElement("span");
  icon.className = "document-icon";
  icon.textContent = "📄";
  const info = document.createElement("span");
  info.className = "document-info";
  const name = document.createElement("span");
  name.className = "document-name";
  name.textContent = doc.file_name || "File";
  const size = document.createElement("span");
  size.className = "document-size";
  size.textContent = doc.file_size ? (doc.file_size / 1024).toFixed(1) + " KB" : (doc.mime_type || "");
  info.append(name, size);
  box.append(icon, info);
  return box;
}

function voiceElement(message) {
  const box = document.createElement("div");
  box.className = "voice";
  const audio = document.createElement("audio");
  audio.controls = true;
  audio.preload = "none";
  const src = safeSrc(message.media_src);
  if (src) audio.src = src;
  const length = document.createElement("span");
  length.className = "voice-length";
  length.textContent = "🎤 " + (message.voice.duration || 0) + " s";
  box.append(audio, length);
  return box;
}

function stickerElement(message) {
  const img = document.createElement("img");
  img.className = "sticker";
  img.alt = message.sticker.emoji || "Sticker";
  const src = safeSrc(message.media_src);
  if (src) img.src = src;
  img.addEventListener("load", scrollToEnd);
  return img;
}

function locationElement(message) {
  const { latitude, longitude } = message.location;
  const a = document.createElement("a");
  a.className = "location";
  a.href = "https://www.openstreetmap.org/?mlat=" + latitude + "&mlon=" + longitude + "#map=16/" +
    latitude + "/" + longitude;
  a.target = "_blank";
  a.rel = "noopener noreferrer";
  const pin = document.createElement("span");
  pin.className = "location-pin";
  pin.textContent = "📍";
  const where = document.createElement("span");
  where.textContent = latitude.toFixed(5) + ", " + longitude.toFixed(5);
  a.append(pin, where);
  return a;
}

function contactElement(message) {
  const c = message.contact;
  const card = document.createElement("div");
  card.className = "contact";
  const name = [c.first_name, c.last_name].filter(Boolean).join(" ");
  card.append(avatar({ id: c.user_id || 0, name }));
  const info = document.createElement("div");
  const title = document.createElement("div");
  title.className = "contact-name";
  title.textContent = name;
  const phone = document.createElement("div");
  phone.textContent = c.phone_number.startsWith("+") ? c.phone_number : "+" + c.phone_number;
  info.append(title, phone);
  card.append(info);
  return card;
}

function quoteElement(replied) {
  const quote = document.createElement("button");
  quote.type = "button";
  quote.className = "quote";
  const who = document.createElement("div");
  who.className = "quote-name";
  who.textContent = nameOf(replied.from);
  const what = document.createElement("div");
  what.className = "quote-text";
  what.textContent = preview(replied) || serviceText(replied) || "Message";
  quote.append(who, what);
  quote.addEventListener("click", () => {
    const target = document.querySelector('.message[data-message-id="' + replied.message_id + '"]');
    if (target) {
      target.scrollIntoView({ block: "center" });
      target.classList.add("flash");
      setTimeout(() => target.classList.remove("flash"), 1200);
    }
  });
  return quote;
}

function inlineKeyboard(message) {
  const box = document.createElement("div");
  box.className = "inline-keyboard";
  appendButtonRows(box, message.reply_markup.inline_keyboard, "inline", (button, b) => {
    if (b.url) {
      button.classList.add("url");
      button.title = b.url;
    }
    button.addEventListener("click", () => pressInline(message, b, button));
  });
  return box;
}

// Rows of `<kind>-button`s in `<kind>-row`s; `dress` adds what differs between keyboards.
function appendButtonRows(box, rows, kind, dress) {
  for (const row of rows) {
    const line = document.createElement("div");
    line.className = kind + "-row";
    for (const b of row) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = kind + "-button";
      button.textContent = b.text;
      dress(button, b);
      line.append(button);
    }
    box.append(line);
  }
}

function serviceElement(message, text) {
  const wrap = document.createElement("div");
  wrap.className = "message service";
  wrap.dataset.messageId = message.message_id;
  const pill = document.createElement("div");
  pill.className = "service-text";
  pill.textContent = text;
  wrap.append(pill);
  return wrap;
}

function messageElement(message) {
  const service = serviceText(message);
  if (service) return serviceElement(message, service);
  const wrap = document.createElement("div");
  wrap.className = "message " + (message.outgoing ? "out" : "in");
  wrap.dataset.messageId = message.message_id;
  const bubble = document.createElement("div");
  bubble.className = "bubble";
  if (inGroup() && !message.outgoing) {
    const name = document.createElement("div");
    name.className = "sender";
    name.style.color = NAME_COLORS[Math.abs(message.from.id) % NAME_COLORS.length];
    name.textContent = nameOf(message.from) + (message.from.is_bot ? " · bot" : "");
    bubble.append(name);
  }
  if (message.forward_origin) {
    const from = message.forward_origin.sender_user;
    const header = document.createElement("div");
    header.className = "forwarded";
    header.textContent = "Forwarded from " + (from ? nameOf(from) : "a hidden user");
    bubble.append(header);
  }
  const explicitReply = message.reply_to_message &&
    !(message.is_topic_message && message.reply_to_message.message_id === message.message_thread_id);
  if (explicitReply) bubble.append(quoteElement(message.reply_to_message));
  const text = message.text ?? message.caption ?? "";
  const entities = message.text !== undefined ? message.entities : message.caption_entities;
  if (message.sticker) {
    wrap.classList.add("sticker-message");
    bubble.classList.add("bare");
    bubble.append(stickerElement(message));
  }
  if (message.photo) {
    bubble.classList.add("has-photo");
    if (!text) bubble.classList.add("photo-only");
    bubble.append(photoElement(message));
  }
  if (message.document) bubble.append(documentElement(message));
  if (message.voice) bubble.append(voiceElement(message));
  if (message.location) bubble.append(locationElement(message));
  if (message.contact) bubble.append(contactElement(message));
  const meta = document.createElement("span");
  meta.className = "meta";
  meta.textContent = (message.edit_date ? "edited " : "") + timeOf(message.date);
  if (text) {
    const body = document.createElement("div");
    body.className = "text";
    body.append(renderEntities(text, entities));
    body.append(meta);
    const clear = document.createElement("div");
    clear.className = "clear";
    body.append(clear);
    bubble.append(body);
  } else {
    bubble.append(meta);
    const clear = document.createElement("div");
    clear.className = "clear";
    bubble.append(clear);
  }
  if (message.via_bot) {
    const via = document.createElement("div");
    via.className = "via";
    via.textContent = "via @" + message.via_bot.username;
    bubble.prepend(via);
  }
  const reply = document.createElement("button");
  reply.type = "button";
  reply.className = "reply-action";
  reply.title = "Reply";
  reply.setAttribute("aria-label", "Reply");
  reply.textContent = "↩";
  reply.addEventListener("click", () => startReply(message));
  wrap.append(bubble, reply);
  if (message.reply_markup && message.reply_markup.inline_keyboard) {
    wrap.append(inlineKeyboard(message));
  }
  return wrap;
}

function shownMessages() {
  if (!inGroup()) return chat.messages;
  return group.messages.filter((m) => topicOf(m) === view.topic);
}

function emptyNote() {
  const empty = document.createElement("div");
  empty.className = "empty";
  const title = document.createElement("strong");
  const note = document.createElement("span");
  if (inGroup()) {
    title.textContent = "No messages in this topic yet";
    note.textContent = "Write here as " + me().name + ".";
  } else {
    title.textContent = chat.started ? "No messages here yet" : "What can this bot do?";
    note.textContent = chat.started
      ? "Send a message or a command."
      : "Press Start to begin, as " + chat.user.name + ".";
  }
  empty.append(title, note);
  return empty;
}

function renderMessages() {
  const box = $("messages");
  const key = currentId + ":" + view.kind + ":" + (view.id || "") + ":" + (view.topic || "");
  if (key !== renderedFor) {
    box.replaceChildren();
    rendered.clear();
    renderedFor = key;
  }
  const messages = shownMessages();
  const seen = new Set();
  if (!messages.length) {
    box.replaceChildren(emptyNote());
    rendered.clear();
    return;
  }
  box.querySelectorAll(".empty").forEach((e) => e.remove());
  let previous = null;
  for (const message of messages) {
    const messageKey = JSON.stringify(message);
    seen.add(message.message_id);
    let entry = rendered.get(message.message_id);
    if (!entry || entry.key !== messageKey) {
      const element = messageElement(message);
      if (entry) entry.element.replaceWith(element);
      entry = { key: messageKey, element };
      rendered.set(message.message_id, entry);
    }
    const expectedPosition = previous ? previous.nextSibling : box.firstChild;
    if (entry.element !== expectedPosition) box.insertBefore(entry.element, expectedPosition);
    previous = entry.element;
  }
  for (const [id, entry] of rendered) {
    if (!seen.has(id)) {
      entry.element.remove();
      rendered.delete(id);
    }
  }
  scrollToEnd();
}

// --- pinned messages, topics -----------------------------------------------------------------

function pinnedHere() {
  const source = inGroup() ? group : chat;
  const messages = inGroup() ? group.messages : chat.messages;
  return source.pinned
    .map((id) => messages.find((m) => m.message_id === id))
    .filter((m) => m && (!inGroup() || topicOf(m) === view.topic));
}

function renderPinned() {
  const pins = pinnedHere();
  const bar = $("pinned-bar");
  if (!pins.length) {
    bar.hidden = true;
    return;
  }
  pinnedIndex = Math.min(pinnedIndex, pins.length - 1);
  const shown = pins[pins.length - 1 - pinnedIndex];
  bar.hidden = false;
  bar.querySelector(".pinned-label").textContent =
    pins.length > 1 ? "Pinned message " + (pins.length - pinnedIndex) + "/" + pins.length : "Pinned message";
  $("pinned-text").textContent = preview(shown) || "Message";
  bar.dataset.messageId = shown.message_id;
}

function renderTopics() {
  const nav = $("topics");
  nav.hidden = !inGroup();
  $("topic-head").hidden = !inGroup();
  if (!inGroup()) return;
  const list = $("topic-list");
  list.replaceChildren();
  for (const t of group.topics) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "topic";
    b.dataset.threadId = t.message_thread_id;
    b.setAttribute("aria-current", String(t.message_thread_id === view.topic));
    const icon = document.createElement("span");
    icon.className = "topic-icon";
    if (t.message_thread_id === GENERAL) {
      icon.textContent = "#";
    } else {
      icon.style.background = "#" + (t.icon_color || 7322096).toString(16).padStart(6, "0");
      icon.textContent = t.name.slice(0, 1).toUpperCase();
    }
    const body = document.createElement("span");
    body.className = "topic-body";
    const name = document.createElement("span");
    name.className = "topic-title";
    name.textContent = (t.closed ? "🔒 " : "") + t.name;
    const last = document.createElement("span");
    last.className = "topic-last";
    last.textContent = t.last || "";
    body.append(name, last);
    b.append(icon, body);
    b.addEventListener("click", () => openTopic(t.message_thread_id));
    list.append(b);
  }
  const topic = currentTopic();
  if (!topic) {
    view.topic = GENERAL;
    return renderTopics();
  }
  const manager = group.status === "creator" || group.status === "administrator";
  $("new-topic").hidden = !manager;
  $("topic-name").textContent = topic.name;
  $("topic-closed").hidden = !topic.closed;
  const toggle = $("topic-toggle");
  toggle.hidden = topic.message_thread_id === GENERAL || !manager;
  toggle.textContent = topic.closed ? "Reopen topic" : "Close topic";
}

function openTopic(threadId) {
  if (view.topic === threadId) return;
  view.topic = threadId;
  pinnedIndex = 0;
  replyTo = null;
  stickToBottom = true;
  updateUrl();
  render();
}

// --- keyboards, menus, bars ------------------------------------------------------------------

function renderReplyKeyboard() {
  const box = $("reply-keyboard");
  const markup = inGroup() ? null : chat.reply_keyboard;
  $("keyboard-toggle").hidden = !markup;
  if (!inlineMode()) {
    $("text").placeholder = (markup && markup.input_field_placeholder) || "Message";
  }
  box.replaceChildren();
  if (!markup || !keyboardOpen || !chat.started || chat.blocked) {
    box.hidden = true;
    return;
  }
  appendButtonRows(box, markup.keyboard, "reply", (button, b) => {
    if (b.request_contact) button.classList.add("request");
    if (b.request_location) button.classList.add("request-location");
    button.addEventListener("click", () => pressReply(b));
  });
  box.hidden = false;
}

function renderCommands() {
  const menu = $("command-menu");
  const commands = (inGroup() ? group.commands : chat.commands) || [];
  const menuType = inGroup() ? "commands" : chat.menu_button.type;
  $("menu-button").hidden = !commands.length || menuType !== "commands";
  menu.replaceChildren();
  for (const c of commands) {
    const item = document.createElement("button");
    item.type = "button";
    item.className = "command-item";
    item.setAttribute("role", "menuitem");
    const name = document.createElement("span");
    name.className = "command-name";
    name.textContent = "/" + c.command;
    const desc = document.createElement("span");
    desc.className = "command-desc";
    desc.textContent = c.description;
    item.append(name, desc);
    item.addEventListener("click", () => {
      menu.hidden = true;
      sendText("/" + c.command);
    });
    menu.append(item);
  }
  if (!commands.length) menu.hidden = true;
}

function renderAttachMenu() {
  const menu = $("attach-menu");
  menu.replaceChildren();
  const items = samples.map((s) => [s.label, () => sendSample(s.name)]);
  items.push(["📍 Location: Khreshchatyk, Kyiv", () => sendLocation(50.4477, 30.5226)]);
  items.push(["File from disk…", () => $("file-input").click()]);
  for (const [label, act] of items) {
    const item = document.createElement("button");
    item.type = "button";
    item.className = "attach-item";
    item.setAttribute("role", "menuitem");
    item.textContent = label;
    item.addEventListener("click", () => {
      menu.hidden = true;
      act();
    });
    menu.append(item);
  }
}

function renderReplyBar() {
  const bar = $("reply-bar");
  const shown = replyTo && shownMessages().some((m) => m.message_id === replyTo.message_id);
  if (!shown) replyTo = null;
  bar.hidden = !replyTo;
  if (!replyTo) return;
  $("reply-to-name").textContent = "Reply to " + nameOf(replyTo.from);
  $("reply-to-text").textContent = preview(replyTo) || "Message";
}

function startReply(message) {
  replyTo = message;
  renderReplyBar();
  $("text").focus();
}

// One entry of the chat list: avatar, name with a badge, time and last line.
function chatEntry(entry) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = "user" + (entry.extraClass ? " " + entry.extraClass : "");
  b.setAttribute("aria-current", String(entry.current));
  const body = document.createElement("div");
  body.className = "user-body";
  const top = document.createElement("div");
  top.className = "user-top";
  const name = document.createElement("span");
  name.className = "user-name";
  name.textContent = entry.title;
  const badge = document.createElement("span");
  badge.className = "badge " + entry.badgeClass;
  badge.textContent = entry.badge;
  name.append(badge);
  const meta = document.createElement("span");
  meta.className = "user-meta";
  meta.textContent = entry.lastDate ? timeOf(entry.lastDate) : "";
  top.append(name, meta);
  const last = document.createElement("div");
  last.className = "user-last";
  last.textContent = entry.last;
  body.append(top, last);
  b.append(avatar(entry.avatar), body);
  b.addEventListener("click", entry.open);
  return b;
}

function renderSidebar() {
  const nav = $("users");
  nav.replaceChildren();
  for (const u of users) {
    const b = chatEntry({
      title: u.name,
      badge: u.role,
      badgeClass: u.role === "staff" ? "badge-staff" : "",
      current: u.id === currentId && view.kind === "bot",
      lastDate: u.last_date,
      last: u.blocked ? "Bot blocked" : (u.last || (u.phone ? u.phone : "Staff member")),
      avatar: u,
      open: () => switchUser(u.id, { kind: "bot" }),
    });
    b.dataset.userId = u.id;
    b.setAttribute("aria-label", u.name + " (" + u.role + ")");
    nav.append(b);
  }
  const list = $("groups");
  list.replaceChildren();
  for (const g of groups) {
    const b = chatEntry({
      extraClass: "group-entry",
      title: g.title,
      badge: g.is_forum ? "topics" : "group",
      badgeClass: "badge-group",
      current: view.kind === "group" && view.id === g.id,
      lastDate: g.last_date,
      last: g.last || g.members.length + " members",
      avatar: { id: g.id, name: g.title },
      open: () => switchUser(currentId, { kind: "group", id: g.id, topic: GENERAL }),
    });
    b.dataset.groupId = g.id;
    list.append(b);
  }
  $("groups-head").hidden = !groups.length;
  $("groups-head").textContent = me() ? "Groups of " + me().first_name : "Groups";
}

function renderHead() {
  const person = me();
  $("as-user").textContent = person && !inGroup() ? "as " + person.name : "";
  $("as-member-label").hidden = !inGroup();
  if (inGroup()) {
    // The agents of the group: switching between them keeps the topic open.
    const select = $("as-member");
    select.replaceChildren();
    for (const u of users.filter((u) => group.members.includes(u.id))) {
      const option = document.createElement("option");
      option.value = String(u.id);
      option.textContent = u.name;
      select.append(option);
    }
    select.value = String(currentId);
  }
  const language = $("language");
  language.value = person && person.language_code ? person.language_code.slice(0, 2) : "";
  $("block-toggle").hidden = inGroup();
  const status = $("bot-status");
  if (inGroup()) {
    $("bot-name").textContent = group.title;
    $("bot-avatar").textContent = initials(group.title);
    status.textContent = group.members.length + " members · you are " + group.status;
    status.classList.remove("typing");
    return;
  }
  $("bot-name").textContent = bot.first_name;
  $("bot-avatar").textContent = initials(bot.first_name);
  $("block-toggle").textContent = chat.blocked ? "Unblock bot" : "Block bot";
  const typing = chat.action === "typing" || chat.action === "upload_photo";
  status.textContent = typing ? (chat.action === "typing" ? "typing…" : "sending photo…") : "bot";
  status.classList.toggle("typing", typing);
  if (typing) setTimeout(() => { status.textContent = "bot"; status.classList.remove("typing"); }, 5000);
}

function render() {
  renderSidebar();
  renderHead();
  renderTopics();
  const topic = currentTopic();
  const closed = inGroup() && topic && !topic.can_write;
  // A deep link (?start=PAYLOAD) offers Start again even in a started chat, as Telegram does.
  const startShown = !inGroup() && (!chat.started || Boolean(startPayload)) && !chat.blocked;
  const blocked = !inGroup() && chat.blocked;
  $("start-bar").hidden = !startShown;
  $("blocked-bar").hidden = !blocked;
  $("closed-bar").hidden = !closed;
  $("composer").hidden = startShown || blocked || closed;
  renderMessages();
  renderPinned();
  renderReplyBar();
  renderReplyKeyboard();
  renderCommands();
}

// --- talking to the server -------------------------------------------------------------------

// Where what the person sends goes: their chat with the bot, or the open topic.
function where() {
  if (!inGroup()) return {};
  const target = { chat_id: group.id };
  if (view.topic !== GENERAL) target.message_thread_id = view.topic;
  return target;
}

async function api(path, body) {
  const response = await fetch("/chat/api/chats/" + currentId + path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body || {}),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.error || response.statusText);
  return data;
}

function withReply(body) {
  const full = { ...where(), ...body };
  if (replyTo) full.reply_to_message_id = replyTo.message_id;
  return full;
}

function sent() {
  replyTo = null;
  renderReplyBar();
  stickToBottom = true;
}

function toast(text) {
  const el = $("toast");
  el.textContent = text;
  el.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { el.hidden = true; }, 2500);
}

function alertBox(text) {
  $("alert-text").textContent = text;
  $("alert").hidden = false;
  $("alert-ok").focus();
}

async function sendText(text) {
  text = text.trim();
  if (!text) return;
  try {
    await api("/send", withReply({ text }));
    sent();
  } catch (err) {
    toast(err.message);
  }
}

async function sendSample(name) {
  const caption = $("text").value.trim();
  try {
    await api("/media", withReply(caption ? { sample: name, caption } : { sample: name }));
    $("text").value = "";
    sent();
  } catch (err) {
    toast(err.message);
  }
}

async function sendLocation(latitude, longitude) {
  try {
    await api("/location", withReply({ latitude, longitude }));
    sent();
  } catch (err) {
    toast(err.message);
  }
}

async function sendFile(file) {
  const form = new FormData();
  form.append("kind", /^image\/(png|jpeg|gif)$/.test(file.type) ? "photo" : "document");
  for (const [name, value] of Object.entries(withReply({}))) form.append(name, String(value));
  const caption = $("text").value.trim();
  if (caption) form.append("caption", caption);
  form.append("file", file, file.name);
  try {
    const response = await fetch("/chat/api/chats/" + currentId + "/media", { method: "POST", body: form });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.error || response.statusText);
    $("text").value = "";
    sent();
  } catch (err) {
    toast(err.message);
  }
}

async function pressInline(message, button, element) {
  if (button.url) {
    window.open(button.url, "_blank", "noopener");
    return;
  }
  if (button.copy_text) {
    navigator.clipboard?.writeText(button.copy_text.text);
    toast("Copied to clipboard");
    return;
  }
  if (button.switch_inline_query_current_chat !== undefined) {
    $("text").value = "@" + bot.username + " " + button.switch_inline_query_current_chat;
    $("text").dispatchEvent(new Event("input"));
    $("text").focus();
    return;
  }
  if (button.callback_data === undefined) {
    toast("This kind of button does not work in the local chat");
    return;
  }
  element.classList.add("busy");
  try {
    const body = { message_id: message.message_id, data: button.callback_data };
    if (inGroup()) body.chat_id = group.id;
    const answer = await api("/press", body);
    if (answer.answered && answer.text) (answer.show_alert ? alertBox : toast)(answer.text);
    if (answer.answered && answer.url) window.open(answer.url, "_blank", "noopener");
    if (!answer.answered) toast("The bot did not answer the button");
  } catch (err) {
    toast(err.message);
  } finally {
    element.classList.remove("busy");
  }
}

async function pressReply(button) {
  try {
    if (button.request_contact) {
      await api("/contact", {});
    } else if (button.request_location) {
      await sendLocation(50.4477, 30.5226);
    } else if (button.request_poll || button.request_users || button.request_chat || button.web_app) {
      toast("This kind of button does not work in the local chat");
      return;
    } else {
      await api("/send", { text: button.text });
    }
    if (chat.reply_keyboard && chat.reply_keyboard.one_time_keyboard) keyboardOpen = false;
  } catch (err) {
    toast(err.message);
  }
}

// --- inline mode: "@bot query" in the input --------------------------------------------------

function inlineMode() {
  if (!bot || inlinePlaceholder === null) return null;
  const match = $("text").value.match(new RegExp("^@" + bot.username + "(?:\\s([\\s\\S]*))?$", "i"));
  return match ? { query: match[1] ?? "", started: match[1] !== undefined } : null;
}

let inlineTimer = null;
let inlineSeq = 0;

function onInlineInput() {
  const mode = inlineMode();
  $("inline-hint").textContent = mode && mode.started && !mode.query ? inlinePlaceholder : "";
  clearTimeout(inlineTimer);
  if (!mode || !mode.started) {
    closeInline();
    return;
  }
  inlineTimer = setTimeout(() => askInline(mode.query, ""), 350);
}

function closeInline() {
  inlineSeq += 1;
  $("inline-results").hidden = true;
  $("inline-results").replaceChildren();
}

async function askInline(query, offset) {
  const seq = ++inlineSeq;
  const box = $("inline-results");
  if (!offset) {
    box.replaceChildren(inlineNote("Asking @" + bot.username + "…"));
    box.hidden = false;
  }
  let answer;
  try {
    answer = await api("/inline", { ...where(), query, offset });
  } catch (err) {
    box.replaceChildren(inlineNote(err.message));
    return;
  }
  if (seq !== inlineSeq) return; // the person typed on meanwhile
  if (!offset) box.replaceChildren();
  box.querySelector(".inline-more")?.remove();
  if (!answer.answered) {
    box.replaceChildren(inlineNote("The bot did not answer"));
    return;
  }
  if (!offset && answer.button) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "inline-switch";
    b.textContent = answer.button.text;
    b.addEventListener("click", () => {
      closeInline();
      $("text").value = "";
      switchUser(currentId, { kind: "bot" });
      setTimeout(() => sendText("/start " + answer.button.start_parameter), 300);
    });
    box.append(b);
  }
  if (!answer.results.length && !offset) box.append(inlineNote("No results"));
  const gallery = answer.results.length && answer.results.every((r) => r.type === "photo");
  box.classList.toggle("gallery", Boolean(gallery));
  for (const result of answer.results) box.append(inlineResult(answer.query_id, result));
  if (answer.next_offset) {
    const more = document.createElement("button");
    more.type = "button";
    more.className = "inline-more";
    more.textContent = "More results";
    more.addEventListener("click", () => askInline(query, answer.next_offset));
    box.append(more);
  }
}

function inlineNote(text) {
  const note = document.createElement("div");
  note.className = "inline-note";
  note.textContent = text;
  return note;
}

function inlineResult(queryId, result) {
  const item = document.createElement("button");
  item.type = "button";
  item.className = "inline-result inline-" + result.type;
  item.dataset.resultId = result.id;
  const letter = document.createElement("span");
  letter.className = "inline-thumb letter";
  letter.textContent = (result.title || result.description || "?").slice(0, 1).toUpperCase();
  const thumb = safeSrc(result.thumbnail_url || result.photo_url);
  if (thumb) {
    const img = document.createElement("img");
    img.className = "inline-thumb";
    img.alt = "";
    img.src = thumb;
    img.addEventListener("error", () => img.replaceWith(letter));
    item.append(img);
  } else {
    item.append(letter);
  }
  const body = document.createElement("span");
  body.className = "inline-body";
  const title = document.createElement("span");
  title.className = "inline-title";
  title.textContent = result.title || "";
  const description = document.createElement("span");
  description.className = "inline-description";
  description.textContent = result.description || "";
  body.append(title, description);
  item.append(body);
  item.addEventListener("click", () => chooseInline(queryId, result.id));
  return item;
}

async function chooseInline(queryId, resultId) {
  try {
    await api("/inline/choose", withReply({ query_id: queryId, result_id: resultId }));
    $("text").value = "";
    onInlineInput();
    sent();
  } catch (err) {
    toast(err.message);
  }
}

// --- long polling, switching -----------------------------------------------------------------

async function load() {
  const controller = new AbortController();
  poll = controller;
  const id = currentId;
  const wanted = view.kind === "group" ? view.id : null;
  try {
    const query = "?version=" + version + "&wait=25" + (wanted ? "&group=" + wanted : "");
    const response = await fetch("/chat/api/chats/" + id + query, { signal: controller.signal });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      // Not (or no longer) in that group: back to the chat with the bot.
      if (wanted) {
        view = { kind: "bot" };
        version = -1;
        updateUrl();
        if (poll === controller) load();
        return;
      }
      throw new Error(data.error || response.statusText);
    }
    if (id !== currentId) return;
    const fresh = !chat || chat.user.id !== data.chat.user.id;
    const keyboardBefore = chat && JSON.stringify(chat.reply_keyboard);
    version = data.version;
    users = data.users;
    groups = data.groups;
    chat = data.chat;
    group = data.group;
    if (fresh || JSON.stringify(chat.reply_keyboard) !== keyboardBefore) keyboardOpen = true;
    if (fresh) stickToBottom = true;
    render();
  } catch (err) {
    if (err.name === "AbortError") return;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  if (poll === controller) load();
}

function updateUrl() {
  const url = new URL(location.href);
  url.searchParams.set("user", String(currentId));
  if (view.kind === "group") {
    url.searchParams.set("group", String(view.id));
    url.searchParams.set("topic", String(view.topic));
  } else {
    url.searchParams.delete("group");
    url.searchParams.delete("topic");
  }
  history.replaceState(null, "", url);
}

function switchUser(id, target) {
  const sameView = JSON.stringify(target) === JSON.stringify(view);
  if (id === currentId && chat && sameView) return;
  view = target;
  currentId = id;
  localStorage.setItem("localchat.user", String(id));
  updateUrl();
  version = -1;
  chat = null;
  group = null;
  replyTo = null;
  pinnedIndex = 0;
  closeInline();
  renderedFor = "";
  $("messages").replaceChildren();
  if (poll) poll.abort();
  poll = null;
  load();
}

async function init() {
  const [response, sampleResponse] = await Promise.all([
    fetch("/chat/api/users"), fetch("/chat/api/samples"),
  ]);
  const data = await response.json();
  samples = await sampleResponse.json();
  users = data.users;
  bot = data.bot;
  inlinePlaceholder = data.inline_placeholder;
  $("bot-name").textContent = data.bot.first_name;
  $("bot-avatar").textContent = initials(data.bot.first_name);
  $("api-base").textContent = location.origin;
  document.title = data.bot.first_name + " · Local Telegram chat";
  if (!users.some((u) => u.id === currentId)) currentId = users[0].id;
  renderAttachMenu();
  const target = view;
  view = null;
  switchUser(currentId, target);
}

$("messages").addEventListener("scroll", () => {
  const box = $("messages");
  stickToBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
});
$("composer").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = $("text");
  if (inlineMode()) {
    // Enter in inline mode picks the first result, as the apps do.
    const first = $("inline-results").querySelector(".inline-result");
    if (first) first.click();
    return;
  }
  const text = input.value;
  input.value = "";
  $("command-menu").hidden = true;
  sendText(text);
});
$("text").addEventListener("input", () => {
  const value = $("text").value;
  const menu = $("command-menu");
  if (value.startsWith("/") && !value.includes(" ")) {
    let any = false;
    for (const item of menu.children) {
      const show = item.querySelector(".command-name").textContent.startsWith(value);
      item.hidden = !show;
      any = any || show;
    }
    menu.hidden = !any;
  } else {
    menu.hidden = true;
  }
  onInlineInput();
});
$("menu-button").addEventListener("click", () => {
  const menu = $("command-menu");
  for (const item of menu.children) item.hidden = false;
  menu.hidden = !menu.hidden;
});
$("attach-button").addEventListener("click", () => {
  $("attach-menu").hidden = !$("attach-menu").hidden;
});
$("file-input").addEventListener("change", () => {
  const file = $("file-input").files[0];
  $("file-input").value = "";
  if (file) sendFile(file);
});
$("keyboard-toggle").addEventListener("click", () => {
  keyboardOpen = !keyboardOpen;
  renderReplyKeyboard();
});
$("start-button").addEventListener("click", () => {
  const payload = startPayload;
  startPayload = null;
  if (chat) render();
  sendText(payload ? "/start " + payload : "/start");
});
$("reply-cancel").addEventListener("click", () => {
  replyTo = null;
  renderReplyBar();
});
$("pinned-bar").addEventListener("click", () => {
  const id = $("pinned-bar").dataset.messageId;
  const target = document.querySelector('.message[data-message-id="' + id + '"]');
  if (target) target.scrollIntoView({ block: "center" });
  pinnedIndex += 1;
  if (pinnedIndex >= pinnedHere().length) pinnedIndex = 0;
  renderPinned();
});
$("topic-toggle").addEventListener("click", async () => {
  const topic = currentTopic();
  if (!topic) return;
  try {
    await api("/topics/close", {
      chat_id: group.id, message_thread_id: topic.message_thread_id, closed: !topic.closed,
    });
  } catch (err) {
    toast(err.message);
  }
});
$("new-topic").addEventListener("submit", async (event) => {
  event.preventDefault();
  const name = $("new-topic-name").value.trim();
  if (!name) return;
  try {
    const answer = await api("/topics", { chat_id: group.id, name });
    $("new-topic-name").value = "";
    openTopic(answer.topic.message_thread_id);
  } catch (err) {
    toast(err.message);
  }
});
$("as-member").addEventListener("change", () => {
  switchUser(Number($("as-member").value), { ...view });
});
$("language").addEventListener("change", async () => {
  try {
    await api("/language", { language_code: $("language").value || null });
  } catch (err) {
    toast(err.message);
  }
});
$("unblock-button").addEventListener("click", () => api("/block", { blocked: false }));
$("block-toggle").addEventListener("click", () => api("/block", { blocked: !chat.blocked }));
$("alert-ok").addEventListener("click", () => { $("alert").hidden = true; });
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") {
    $("command-menu").hidden = true;
    $("attach-menu").hidden = true;
    $("alert").hidden = true;
    closeInline();
  }
});

init();
