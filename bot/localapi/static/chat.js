// Local Telegram chat: draws one simulated user's chat with the bot and sends what they do.
// Bot text arrives as plain text plus entities (as Telegram clients get it) and is drawn with
// DOM nodes only, so nothing the bot sends can inject markup.
"use strict";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const AVATAR_COLORS = ["#e17076", "#7bc862", "#65aadd", "#a695e7", "#ee7aae", "#6ec9cb", "#faa774"];

let users = [];
let currentId = Number(params.get("user")) || Number(localStorage.getItem("localchat.user")) || 0;
let version = -1;
let poll = null;
let chat = null;
let keyboardOpen = true;
let startPayload = params.get("start");
const rendered = new Map(); // message_id -> {key, element}
let stickToBottom = true; // follow new messages unless the person scrolled up

function scrollToEnd() {
  if (stickToBottom) $("messages").scrollTop = $("messages").scrollHeight;
}

function initials(name) {
  return name.split(/\s+/).filter(Boolean).slice(0, 2).map((p) => p[0].toUpperCase()).join("");
}

function avatar(user, extraClass) {
  const el = document.createElement("div");
  el.className = "avatar" + (extraClass ? " " + extraClass : "");
  el.style.background = AVATAR_COLORS[Math.abs(user.id) % AVATAR_COLORS.length];
  el.textContent = initials(user.name || user.first_name || "?");
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

function photoElement(message) {
  const img = document.createElement("img");
  img.className = "photo";
  img.alt = message.caption || "Photo";
  img.src = message.photo_src;
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
      host.textContent = new URL(message.photo_src, location.href).host;
    } catch (err) {
      host.textContent = "";
    }
    box.append(icon, label, host);
    img.replaceWith(box);
    scrollToEnd();
  });
  return img;
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

function messageElement(message) {
  const wrap = document.createElement("div");
  wrap.className = "message " + (message.outgoing ? "out" : "in");
  wrap.dataset.messageId = message.message_id;
  const bubble = document.createElement("div");
  bubble.className = "bubble";
  const text = message.text ?? message.caption ?? "";
  const entities = message.text !== undefined ? message.entities : message.caption_entities;
  if (message.photo) {
    bubble.classList.add("has-photo");
    if (!text) bubble.classList.add("photo-only");
    bubble.append(photoElement(message));
  }
  if (message.contact) {
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
    bubble.append(card);
  }
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
  wrap.append(bubble);
  if (message.reply_markup && message.reply_markup.inline_keyboard) {
    wrap.append(inlineKeyboard(message));
  }
  return wrap;
}

function renderMessages() {
  const box = $("messages");
  const seen = new Set();
  if (!chat.messages.length) {
    box.replaceChildren();
    rendered.clear();
    const empty = document.createElement("div");
    empty.className = "empty";
    const title = document.createElement("strong");
    title.textContent = chat.started ? "No messages here yet" : "What can this bot do?";
    const note = document.createElement("span");
    note.textContent = chat.started
      ? "Send a message or a command."
      : "Press Start to begin, as " + chat.user.name + ".";
    empty.append(title, note);
    box.append(empty);
    return;
  }
  box.querySelectorAll(".empty").forEach((e) => e.remove());
  let previous = null;
  for (const message of chat.messages) {
    const key = JSON.stringify(message);
    seen.add(message.message_id);
    let entry = rendered.get(message.message_id);
    if (!entry || entry.key !== key) {
      const element = messageElement(message);
      if (entry) entry.element.replaceWith(element);
      entry = { key, element };
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

// --- keyboards, menus, bars ------------------------------------------------------------------

function renderReplyKeyboard() {
  const box = $("reply-keyboard");
  const markup = chat.reply_keyboard;
  $("keyboard-toggle").hidden = !markup;
  $("text").placeholder = (markup && markup.input_field_placeholder) || "Message";
  box.replaceChildren();
  if (!markup || !keyboardOpen || !chat.started || chat.blocked) {
    box.hidden = true;
    return;
  }
  appendButtonRows(box, markup.keyboard, "reply", (button, b) => {
    if (b.request_contact) button.classList.add("request");
    button.addEventListener("click", () => pressReply(b));
  });
  box.hidden = false;
}

function renderCommands() {
  const menu = $("command-menu");
  const commands = chat.commands || [];
  $("menu-button").hidden = !commands.length || chat.menu_button.type !== "commands";
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

function renderUsers() {
  const nav = $("users");
  nav.replaceChildren();
  for (const u of users) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "user";
    b.dataset.userId = u.id;
    b.setAttribute("aria-current", String(u.id === currentId));
    b.setAttribute("aria-label", u.name + " (" + u.role + ")");
    const body = document.createElement("div");
    body.className = "user-body";
    const top = document.createElement("div");
    top.className = "user-top";
    const name = document.createElement("span");
    name.className = "user-name";
    name.textContent = u.name;
    const badge = document.createElement("span");
    badge.className = "badge" + (u.role === "staff" ? " badge-staff" : "");
    badge.textContent = u.role;
    name.append(badge);
    const meta = document.createElement("span");
    meta.className = "user-meta";
    meta.textContent = u.last_date ? timeOf(u.last_date) : "";
    top.append(name, meta);
    const last = document.createElement("div");
    last.className = "user-last";
    last.textContent = u.blocked ? "Bot blocked" : (u.last || (u.phone ? u.phone : "Staff member"));
    body.append(top, last);
    b.append(avatar(u), body);
    b.addEventListener("click", () => switchUser(u.id));
    nav.append(b);
  }
}

function render() {
  renderUsers();
  $("as-user").textContent = "as " + chat.user.name;
  $("block-toggle").textContent = chat.blocked ? "Unblock bot" : "Block bot";
  const status = $("bot-status");
  const typing = chat.action === "typing" || chat.action === "upload_photo";
  status.textContent = typing ? (chat.action === "typing" ? "typing…" : "sending photo…") : "bot";
  status.classList.toggle("typing", typing);
  if (typing) setTimeout(() => { status.textContent = "bot"; status.classList.remove("typing"); }, 5000);
  // A deep link (?start=PAYLOAD) offers Start again even in a started chat, as Telegram does.
  const startShown = (!chat.started || Boolean(startPayload)) && !chat.blocked;
  $("start-bar").hidden = !startShown;
  $("blocked-bar").hidden = !chat.blocked;
  $("composer").hidden = startShown || chat.blocked;
  renderMessages();
  renderReplyKeyboard();
  renderCommands();
}

// --- talking to the server -------------------------------------------------------------------

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
    await api("/send", { text });
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
  if (button.callback_data === undefined) {
    toast("This kind of button does not work in the local chat");
    return;
  }
  element.classList.add("busy");
  try {
    const answer = await api("/press", {
      message_id: message.message_id, data: button.callback_data,
    });
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
    } else if (button.request_location || button.request_poll || button.request_users ||
               button.request_chat || button.web_app) {
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

async function load() {
  const controller = new AbortController();
  poll = controller;
  const id = currentId;
  try {
    const response = await fetch(
      "/chat/api/chats/" + id + "?version=" + version + "&wait=25",
      { signal: controller.signal },
    );
    if (!response.ok) throw new Error(response.statusText);
    const data = await response.json();
    if (id !== currentId) return;
    const fresh = !chat || chat.user.id !== data.chat.user.id;
    const keyboardBefore = chat && JSON.stringify(chat.reply_keyboard);
    version = data.version;
    users = data.users;
    chat = data.chat;
    if (fresh || JSON.stringify(chat.reply_keyboard) !== keyboardBefore) keyboardOpen = true;
    if (fresh) stickToBottom = true;
    render();
  } catch (err) {
    if (err.name === "AbortError") return;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  if (poll === controller) load();
}

function switchUser(id) {
  if (id === currentId && chat) return;
  currentId = id;
  localStorage.setItem("localchat.user", String(id));
  const url = new URL(location.href);
  url.searchParams.set("user", String(id));
  history.replaceState(null, "", url);
  version = -1;
  chat = null;
  rendered.clear();
  $("messages").replaceChildren();
  if (poll) poll.abort();
  poll = null;
  load();
}

async function init() {
  const response = await fetch("/chat/api/users");
  const data = await response.json();
  users = data.users;
  $("bot-name").textContent = data.bot.first_name;
  $("bot-avatar").textContent = initials(data.bot.first_name);
  $("api-base").textContent = location.origin;
  document.title = data.bot.first_name + " · Local Telegram chat";
  if (!users.some((u) => u.id === currentId)) currentId = users[0].id;
  switchUser(currentId);
}

$("messages").addEventListener("scroll", () => {
  const box = $("messages");
  stickToBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
});
$("composer").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = $("text");
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
});
$("menu-button").addEventListener("click", () => {
  const menu = $("command-menu");
  for (const item of menu.children) item.hidden = false;
  menu.hidden = !menu.hidden;
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
$("unblock-button").addEventListener("click", () => api("/block", { blocked: false }));
$("block-toggle").addEventListener("click", () => api("/block", { blocked: !chat.blocked }));
$("alert-ok").addEventListener("click", () => { $("alert").hidden = true; });
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") {
    $("command-menu").hidden = true;
    $("alert").hidden = true;
  }
});

init();
