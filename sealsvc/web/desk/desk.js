// The clerk desk (docs/desk.md). Login: GET /api/v1/session says whether a session is
// open, POST logs in (the cookie is HttpOnly: this script never sees it, only the CSRF
// token the answer carries, sent on every mutating request), DELETE logs out. The seals
// come from GET /api/v1/seals. Stamping: the chosen file is uploaded (POST
// /api/v1/documents), its pages are PNGs the service renders (so a PDF and an OFD look
// alike, no PDF library here), a seal card dropped on the large page becomes a mark whose
// centre is kept in millimetres from the page's top-left corner, whatever the zoom. Or a
// rule instead of marks: on a keyword (its hits, from GET /api/v1/documents/{id}/find, are
// drawn on the pages before stamping) or a seam seal over every page's edge. Stamp sends
// the placements with the PIN (POST /api/v1/documents/{id}/stamp), then the sealed file is
// verified (POST /api/v1/verify), summarised and downloaded. Text goes into the page
// through textContent only, never as HTML.
import { makeI18n } from "/web/shared/i18n.js";

const i18n = makeI18n({
  title: { zh: "印章工作台", en: "Seal desk" },
  logout: { zh: "退出登录", en: "Log out" },
  loginHeading: { zh: "登录", en: "Log in" },
  loginLabel: { zh: "登录号", en: "Login number" },
  passwordLabel: { zh: "密码", en: "Password" },
  loginSubmit: { zh: "登录", en: "Log in" },
  who: { zh: "{0}（{1}）", en: "{0} ({1})" },
  "bad-login": { zh: "登录号或密码错误。", en: "Wrong login number or password." },
  "account-locked": {
    zh: "密码错误次数过多，账户已锁定，请 {0} 分钟后再试或联系管理员。",
    en: "Too many wrong passwords: the account is locked. Try again in {0} minute(s) or ask an administrator.",
  },
  "no-institution": { zh: "您尚未在任何单位任职，请联系管理员。", en: "You have no role in any institution: ask an administrator." },
  missing: { zh: "请输入登录号和密码。", en: "Enter your login number and password." },
  failed: { zh: "请求失败：{0}", en: "The request failed: {0}" },
  sealsHeading: { zh: "我可以使用的印章", en: "Seals I may use" },
  sealsEmpty: { zh: "目前没有可使用的印章授权。", en: "No seal is granted to you now." },
  sealsHint: { zh: "把印章拖到页面上要盖章的位置。", en: "Drag a seal onto the spot on the page." },
  official: { zh: "公章", en: "Official seal" },
  contract: { zh: "合同专用章", en: "Contract seal" },
  finance: { zh: "财务专用章", en: "Finance seal" },
  personal: { zh: "个人名章", en: "Personal seal" },
  project: { zh: "项目 {0}", en: "Project {0}" },
  window: { zh: "有效期 {0} – {1}", en: "Valid {0} – {1}" },
  usesLeft: { zh: "剩余 {0} 次", en: "{0} use(s) left" },
  unlimited: { zh: "次数不限", en: "no use limit" },
  locked: { zh: "已锁定", en: "Locked" },
  placeHere: { zh: "放到当前页中央", en: "Put on this page" },
  placeHereLabel: { zh: "把{0}放到当前页中央", en: "Put {0} in the middle of this page" },
  docHeading: { zh: "文件", en: "Document" },
  open: { zh: "打开文件", en: "Open a file" },
  drop: { zh: "把 PDF 或 OFD 文件拖到这里，或点击“打开文件”。", en: "Drop a PDF or OFD file here, or choose “Open a file”." },
  zoomIn: { zh: "放大", en: "Zoom in" },
  zoomOut: { zh: "缩小", en: "Zoom out" },
  pages: { zh: "页面", en: "Pages" },
  pageView: { zh: "页面视图", en: "Page view" },
  pageN: { zh: "第 {0} 页", en: "Page {0}" },
  pageOf: { zh: "第 {0} 页，共 {1} 页", en: "Page {0} of {1}" },
  uploading: { zh: "正在上传 {0}……", en: "Uploading {0}…" },
  docInfo: { zh: "{0}（{1}，{2} 页）", en: "{0} ({1}, {2} pages)" },
  notDocument: { zh: "无法打开此文件：{0}", en: "This file cannot be opened: {0}" },
  stampHeading: { zh: "盖章", en: "Stamp" },
  marksEmpty: { zh: "还没有放置印章。", en: "No seal placed yet." },
  mark: { zh: "{0}：第 {1} 页，距左 {2} 毫米，距上 {3} 毫米", en: "{0}: page {1}, {2} mm from the left, {3} mm from the top" },
  markLabel: { zh: "{0}，第 {1} 页（方向键移动，Delete 删除）", en: "{0}, page {1} (arrow keys move it, Delete removes it)" },
  remove: { zh: "删除", en: "Remove" },
  removeLabel: { zh: "删除第 {0} 页上的{1}", en: "Remove {1} from page {0}" },
  oneSeal: { zh: "一次盖章只能使用一枚印章：请先删除{0}的位置。", en: "One seal per stamp: remove the marks of {0} first." },
  pinLabel: { zh: "印章 PIN 码", en: "Seal PIN" },
  stamp: { zh: "盖章", en: "Stamp" },
  stamping: { zh: "正在盖章……", en: "Stamping…" },
  needPin: { zh: "请输入印章的 PIN 码。", en: "Enter the seal's PIN." },
  pinRefused: { zh: "PIN 码错误，还可以尝试 {0} 次。", en: "Wrong PIN: {0} tries left." },
  sealLocked: {
    zh: "此印章已锁定，不能盖章。请联系印章管理员解锁。",
    en: "This seal is locked and cannot stamp. Ask the seal administrator to unlock it.",
  },
  expired: { zh: "上传的文件已过期，请重新打开文件。", en: "The upload has expired: open the file again." },
  resultHeading: { zh: "已盖章", en: "Stamped" },
  VALID: { zh: "验证结果：有效", en: "Verification: VALID" },
  INVALID: { zh: "验证结果：无效", en: "Verification: INVALID" },
  INDETERMINATE: { zh: "验证结果：无法确定", en: "Verification: INDETERMINATE" },
  resultDetail: { zh: "{0} 个签章；最新：{1}，签署者 {2}", en: "{0} signature(s); the latest: {1}, signed by {2}" },
  howLegend: { zh: "放置方式", en: "Placement" },
  howDrag: { zh: "拖放到页面", en: "Drag onto the page" },
  howKeyword: { zh: "盖在关键字上", en: "On a keyword" },
  howSeam: { zh: "骑缝章", en: "Seam seal" },
  ruleSeal: { zh: "印章", en: "Seal" },
  keywordLabel: { zh: "关键字", en: "Keyword" },
  find: { zh: "查找", en: "Find" },
  finding: { zh: "正在查找……", en: "Finding…" },
  hitsFound: { zh: "找到 {0} 处（{1}），每处都将盖章。", en: "Found {0} time(s) ({1}); each gets the seal." },
  hitsNone: { zh: "文件中没有“{0}”。", en: "“{0}” is not in the document." },
  hitsNeeded: { zh: "请先输入关键字并查找。", en: "Enter a keyword and find it first." },
  seamSide: { zh: "骑缝位置", en: "Edge" },
  seamRight: { zh: "右侧边缘", en: "Right edge" },
  seamLeft: { zh: "左侧边缘", en: "Left edge" },
  seamNote: { zh: "印章将分成 {0} 份，盖在每页的骑缝处。", en: "The seal is split into {0} strips, one on each page's edge." },
  seamOnePage: { zh: "骑缝章需要至少两页。", en: "A seam seal needs at least two pages." },
  download: { zh: "下载盖章文件", en: "Download the sealed file" },
});

const ZOOMS = [0.5, 0.75, 1, 1.25, 1.5, 2];
const PX_PER_MM = 96 / 25.4; // CSS pixels per millimetre at 100%

let session = null;
let seals = [];
let doc = null; // the upload's description (GET /api/v1/documents/{id})
let current = 1; // the page shown large
let zoom = 1;
let marks = []; // {seal, page, x, y}: the seal's centre in mm from the page's top-left
let loginError = null;
let stampError = null;
let result = null; // {report, url, name}
let dragSeal = null;
let how = "drag"; // "drag": the marks; "keyword" or "seam": a rule
let hits = null; // the keyword's hits (GET .../find), once found

const $ = (id) => document.getElementById(id);
const t = (key, ...args) => i18n.t(key, ...args);
const mm = (v) => Math.round(v * 10) / 10;
const sealOf = (id) => seals.find((s) => s.id === id);

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

function showMessage(id, message) {
  const p = $(id);
  p.hidden = !message;
  p.textContent = message ? t(message[0], ...message.slice(1)) : "";
}

// ---- login

function showLogin() {
  session = null;
  seals = [];
  $("desk-view").hidden = true;
  $("who-bar").hidden = true;
  $("login-view").hidden = false;
  $("login").focus();
}

async function login(event) {
  event.preventDefault();
  const form = $("login-form");
  const name = form.login.value.trim();
  const password = form.password.value;
  if (!name || !password) return showMessage("login-error", (loginError = ["missing"]));
  $("login-submit").disabled = true;
  try {
    const answer = await fetch("/api/v1/session", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ login: name, password }),
    });
    form.password.value = "";
    if (answer.status === 201) {
      session = await answer.json();
      loginError = null;
      showMessage("login-error", null);
      await showDesk();
      return;
    }
    const problem = await answer.json().catch(() => ({}));
    if (answer.status === 423) {
      const seconds = Number(answer.headers.get("Retry-After")) || 60;
      loginError = ["account-locked", Math.ceil(seconds / 60)];
    } else if (problem.code === "bad-login" || problem.code === "no-institution") {
      loginError = [problem.code];
    } else {
      loginError = ["failed", problem.detail || `HTTP ${answer.status}`];
    }
  } catch (e) {
    loginError = ["failed", String(e.message || e)];
  } finally {
    $("login-submit").disabled = false;
  }
  showMessage("login-error", loginError);
}

async function logout() {
  if (session) {
    await fetch("/api/v1/session", {
      method: "DELETE",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": session.csrf_token },
    }).catch(() => null);
  }
  closeDocument();
  showLogin();
}

// ---- the seals

function day(iso) {
  return iso ? iso.slice(0, 10) : "";
}

function sealCard(seal) {
  const li = el("li", "seal");
  li.dataset.seal = seal.id;
  li.draggable = !seal.locked;
  li.addEventListener("dragstart", (e) => {
    dragSeal = seal.id;
    e.dataTransfer.setData("text/plain", seal.id);
    e.dataTransfer.effectAllowed = "copy";
  });
  li.addEventListener("dragend", () => (dragSeal = null));
  const img = el("img");
  img.src = seal.picture;
  img.alt = "";
  img.draggable = false;
  const text = el("div", "seal-text");
  text.append(el("h3", null, seal.name), el("p", null, `${t(seal.kind) || seal.kind} · ${seal.institution.name}`));
  if (seal.locked) text.append(el("p", "locked", t("locked")));
  for (const g of seal.grants || []) {
    const parts = [];
    if (g.project) parts.push(t("project", g.project));
    parts.push(t("window", day(g.not_before), day(g.not_after)));
    parts.push(g.uses_left === null || g.uses_left === undefined ? t("unlimited") : t("usesLeft", g.uses_left));
    text.append(el("p", "grant", parts.join(" · ")));
  }
  const place = el("button", "place", t("placeHere"));
  place.type = "button";
  place.setAttribute("aria-label", t("placeHereLabel", seal.name));
  place.disabled = !doc || seal.locked;
  place.addEventListener("click", () => {
    const p = doc.pages[current - 1];
    addMark(seal.id, current, p.width_mm / 2, p.height_mm / 2);
  });
  text.append(place);
  li.append(img, text);
  return li;
}

function renderSeals() {
  $("who").textContent = t("who", session.person.name, session.institution.name);
  $("seals").replaceChildren(...seals.map(sealCard));
  $("seals-empty").hidden = seals.length > 0;
  renderRule(); // the seals a rule may use have changed
}

async function showDesk() {
  const answer = await fetch("/api/v1/seals", { credentials: "same-origin" });
  if (answer.status === 401) return showLogin();
  seals = answer.ok ? (await answer.json()).seals : [];
  $("login-view").hidden = true;
  $("desk-view").hidden = false;
  $("who-bar").hidden = false;
  renderSeals();
}

// ---- the document

function closeDocument() {
  doc = null;
  marks = [];
  hits = null;
  result = null;
  $("doc").hidden = true;
  $("drop").hidden = false;
  $("doc-name").textContent = "";
  renderMarks();
}

async function openFile(file) {
  if (!file) return;
  closeDocument();
  stampError = null;
  showMessage("stamp-error", null);
  const status = $("doc-status");
  status.className = "status";
  status.textContent = t("uploading", file.name);
  const form = new FormData();
  form.append("file", file, file.name);
  let answer;
  try {
    answer = await fetch("/api/v1/documents", {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": session.csrf_token },
      body: form,
    });
  } catch (e) {
    status.className = "status error";
    status.textContent = t("failed", String(e.message || e));
    return;
  }
  const body = await answer.json().catch(() => null);
  if (answer.status === 401) return showLogin();
  if (answer.status !== 201 || !body) {
    status.className = "status error";
    status.textContent = t("notDocument", body?.detail || `HTTP ${answer.status}`);
    return;
  }
  status.textContent = "";
  doc = body;
  current = 1;
  $("drop").hidden = true;
  $("doc").hidden = false;
  $("doc-name").textContent = t("docInfo", doc.name, doc.format, doc.page_count);
  renderThumbs();
  renderSeals();
  // the largest zoom at which the first page's width fits the stage
  const room = $("stage").clientWidth - 32;
  zoom = ZOOMS.filter((z) => z === ZOOMS[0] || doc.pages[0].width_mm * PX_PER_MM * z <= room).pop();
  showPage(1);
}

function pageUrl(n, dpi) {
  return `/api/v1/documents/${doc.id}/pages/${n}?dpi=${dpi}`;
}

function renderThumbs() {
  const items = doc.pages.map((p) => {
    const li = el("li");
    const b = el("button", "thumb");
    b.type = "button";
    b.dataset.page = p.page;
    b.setAttribute("aria-label", t("pageN", p.page));
    const img = el("img");
    img.alt = "";
    img.src = pageUrl(p.page, 24);
    b.append(img, el("span", null, String(p.page)));
    b.addEventListener("click", () => showPage(p.page));
    li.append(b);
    return li;
  });
  $("thumbs").replaceChildren(...items);
}

function scale() {
  return PX_PER_MM * zoom; // CSS pixels per mm of the page shown
}

function showPage(n) {
  current = n;
  const p = doc.pages[n - 1];
  const sheet = $("sheet");
  sheet.style.width = `${p.width_mm * scale()}px`;
  sheet.style.height = `${p.height_mm * scale()}px`;
  const img = $("page-img");
  const dpi = Math.min(300, Math.max(24, Math.round(96 * zoom * (window.devicePixelRatio || 1))));
  img.src = pageUrl(n, dpi);
  img.alt = t("pageOf", n, doc.page_count);
  for (const b of document.querySelectorAll(".thumb"))
    b.setAttribute("aria-current", Number(b.dataset.page) === n ? "page" : "false");
  $("zoom-level").textContent = `${Math.round(zoom * 100)}%`;
  renderMarks();
}

function setZoom(step) {
  const i = Math.min(ZOOMS.length - 1, Math.max(0, ZOOMS.indexOf(zoom) + step));
  zoom = ZOOMS[i];
  if (doc) showPage(current);
  else $("zoom-level").textContent = `${Math.round(zoom * 100)}%`;
}

// ---- the marks: each seal's centre in mm on its page

function clampToPage(m) {
  const p = doc.pages[m.page - 1];
  m.x = Math.min(p.width_mm, Math.max(0, m.x));
  m.y = Math.min(p.height_mm, Math.max(0, m.y));
}

function addMark(sealId, page, x, y) {
  const other = marks.find((m) => m.seal !== sealId);
  if (other) {
    stampError = ["oneSeal", sealOf(other.seal)?.name || other.seal];
    showMessage("stamp-error", stampError);
    return;
  }
  const m = { seal: sealId, page, x, y };
  clampToPage(m);
  marks.push(m);
  result = null;
  stampError = null;
  showMessage("stamp-error", null);
  renderMarks();
}

function removeMark(m) {
  marks = marks.filter((x) => x !== m);
  renderMarks();
}

function markElement(m) {
  const seal = sealOf(m.seal);
  const s = scale();
  const w = (seal?.width_mm || 40) * s;
  const h = (seal?.height_mm || seal?.width_mm || 40) * s;
  const box = el("div", "mark");
  box.tabIndex = 0;
  box.setAttribute("role", "img");
  box.setAttribute("aria-label", t("markLabel", seal?.name || m.seal, m.page));
  box.style.left = `${m.x * s - w / 2}px`;
  box.style.top = `${m.y * s - h / 2}px`;
  box.style.width = `${w}px`;
  box.style.height = `${h}px`;
  const img = el("img");
  img.src = seal?.picture || "";
  img.alt = "";
  img.draggable = false;
  box.append(img);
  // moving: the pointer's offset from the centre is kept while it moves
  box.addEventListener("pointerdown", (e) => {
    e.preventDefault();
    box.setPointerCapture(e.pointerId);
    const sheet = $("sheet").getBoundingClientRect();
    const dx = (e.clientX - sheet.left) / s - m.x;
    const dy = (e.clientY - sheet.top) / s - m.y;
    const move = (ev) => {
      m.x = (ev.clientX - sheet.left) / s - dx;
      m.y = (ev.clientY - sheet.top) / s - dy;
      clampToPage(m);
      box.style.left = `${m.x * s - w / 2}px`;
      box.style.top = `${m.y * s - h / 2}px`;
    };
    const up = () => {
      box.removeEventListener("pointermove", move);
      box.removeEventListener("pointerup", up);
      renderMarks();
    };
    box.addEventListener("pointermove", move);
    box.addEventListener("pointerup", up);
  });
  box.addEventListener("keydown", (e) => {
    const step = e.shiftKey ? 10 : 1;
    const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    if (moves[e.key]) {
      e.preventDefault();
      m.x += moves[e.key][0];
      m.y += moves[e.key][1];
      clampToPage(m);
      renderMarks();
      document.querySelector(`.mark[data-index="${marks.indexOf(m)}"]`)?.focus();
    } else if (e.key === "Delete" || e.key === "Backspace") {
      e.preventDefault();
      removeMark(m);
    }
  });
  box.dataset.index = marks.indexOf(m);
  return box;
}

function hitElement(h) {
  const s = scale();
  const box = el("div", "hit");
  box.style.left = `${h.x_mm * s}px`;
  box.style.top = `${h.y_mm * s}px`;
  box.style.width = `${h.width_mm * s}px`;
  box.style.height = `${h.height_mm * s}px`;
  return box;
}

function renderMarks() {
  const sheet = $("sheet");
  for (const old of sheet.querySelectorAll(".mark, .hit")) old.remove();
  if (doc && how === "drag") for (const m of marks.filter((x) => x.page === current)) sheet.append(markElement(m));
  if (doc && how === "keyword" && hits) for (const h of hits.filter((x) => x.page === current)) sheet.append(hitElement(h));
  const list = marks.map((m) => {
    const li = el("li");
    const name = sealOf(m.seal)?.name || m.seal;
    const go = el("button", "mark-go", t("mark", name, m.page, mm(m.x), mm(m.y)));
    go.type = "button";
    go.addEventListener("click", () => showPage(m.page));
    const rm = el("button", "remove", t("remove"));
    rm.type = "button";
    rm.setAttribute("aria-label", t("removeLabel", m.page, name));
    rm.addEventListener("click", () => removeMark(m));
    li.append(go, rm);
    return li;
  });
  $("marks").replaceChildren(...list);
  $("marks-empty").hidden = marks.length > 0;
  renderRule();
  renderResult();
}

// ---- a rule instead of marks: on a keyword, or a seam seal

function ruleSeal() {
  return $("rule-seal").value;
}

function renderRule() {
  $("drag-box").hidden = how !== "drag";
  $("rule-box").hidden = how === "drag";
  $("keyword-box").hidden = how !== "keyword";
  $("seam-box").hidden = how !== "seam";
  const select = $("rule-seal");
  const chosen = select.value;
  const usable = seals.filter((s) => !s.locked);
  select.replaceChildren(
    ...usable.map((s) => {
      const o = el("option", null, s.name);
      o.value = s.id;
      return o;
    }),
  );
  if (usable.some((s) => s.id === chosen)) select.value = chosen;
  if (how === "keyword" && hits) {
    const pages = [...new Set(hits.map((h) => h.page))].map((p) => t("pageN", p)).join("、");
    $("hits").textContent = hits.length ? t("hitsFound", hits.length, pages) : t("hitsNone", $("keyword").value.trim());
  }
  $("seam-note").textContent = doc ? (doc.page_count >= 2 ? t("seamNote", doc.page_count) : t("seamOnePage")) : "";
  const ready = {
    drag: marks.length > 0,
    keyword: !!hits && hits.length > 0 && !!ruleSeal(),
    seam: !!doc && doc.page_count >= 2 && !!ruleSeal(),
  };
  $("stamp").disabled = !doc || !ready[how];
}

function setHow(value) {
  how = value;
  stampError = null;
  showMessage("stamp-error", null);
  renderMarks();
}

async function findKeyword() {
  const text = $("keyword").value.trim();
  if (!doc || !text) return showMessage("stamp-error", (stampError = ["hitsNeeded"]));
  hits = null;
  $("hits").textContent = t("finding");
  let answer;
  try {
    answer = await fetch(`/api/v1/documents/${doc.id}/find?text=${encodeURIComponent(text)}`, { credentials: "same-origin" });
  } catch (e) {
    $("hits").textContent = "";
    return showMessage("stamp-error", (stampError = ["failed", String(e.message || e)]));
  }
  if (answer.status === 401) return showLogin();
  const body = await answer.json().catch(() => ({}));
  if (!answer.ok) {
    $("hits").textContent = "";
    stampError = body.code === "document-not-found" ? ["expired"] : ["failed", body.detail || `HTTP ${answer.status}`];
    return showMessage("stamp-error", stampError);
  }
  hits = body.hits;
  showMessage("stamp-error", (stampError = null));
  if (hits.length && !hits.some((h) => h.page === current)) showPage(hits[0].page);
  else renderMarks();
}

// The stamp's seal and placements, as the mode has them.
function placements() {
  if (how === "keyword") return { seal: ruleSeal(), places: [{ keyword: $("keyword").value.trim() }] };
  if (how === "seam") return { seal: ruleSeal(), places: [{ seam: $("seam-side").value }] };
  return {
    seal: marks[0].seal,
    places: marks.map((m) => ({ page: m.page, at: `${m.x.toFixed(2)},${m.y.toFixed(2)}` })),
  };
}

function dropOnSheet(e) {
  e.preventDefault();
  const id = e.dataTransfer.getData("text/plain") || dragSeal;
  if (!doc || !sealOf(id)) return;
  const r = $("sheet").getBoundingClientRect();
  addMark(id, current, (e.clientX - r.left) / scale(), (e.clientY - r.top) / scale());
}

// ---- stamping

async function stamp(event) {
  event.preventDefault();
  if (!doc || $("stamp").disabled) return;
  const pin = $("pin").value;
  if (!pin) return showMessage("stamp-error", (stampError = ["needPin"]));
  const { seal: sealId, places } = placements();
  const form = new FormData();
  form.append("seal", sealId);
  form.append("pin", pin);
  form.append("placements", JSON.stringify(places));
  $("stamp").disabled = true;
  showMessage("stamp-error", (stampError = null));
  const status = $("doc-status");
  status.className = "status";
  status.textContent = t("stamping");
  let answer;
  try {
    answer = await fetch(`/api/v1/documents/${doc.id}/stamp`, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": session.csrf_token },
      body: form,
    });
  } catch (e) {
    status.textContent = "";
    $("stamp").disabled = false;
    return showMessage("stamp-error", (stampError = ["failed", String(e.message || e)]));
  }
  $("pin").value = "";
  status.textContent = "";
  if (!answer.ok) {
    const problem = await answer.json().catch(() => ({}));
    if (problem.code === "pin-refused" && Number.isInteger(problem.tries_left)) stampError = ["pinRefused", problem.tries_left];
    else if (answer.status === 423) stampError = ["sealLocked"];
    else if (problem.code === "document-not-found") stampError = ["expired"];
    else stampError = ["failed", problem.detail || `HTTP ${answer.status}`];
    showMessage("stamp-error", stampError);
    $("stamp").disabled = false;
    if (answer.status === 423) await showDesk();
    return;
  }
  const sealed = await answer.blob();
  const name = doc.name.replace(/(\.[^.]*)?$/, (ext) => `-sealed${ext || (doc.format === "OFD" ? ".ofd" : ".pdf")}`);
  const check = new FormData();
  check.append("file", sealed, name);
  const verified = await fetch("/api/v1/verify", { method: "POST", body: check }).catch(() => null);
  const report = verified && verified.ok ? await verified.json() : null;
  if (result?.url) URL.revokeObjectURL(result.url);
  result = { report, url: URL.createObjectURL(sealed), name, sealName: sealOf(sealId)?.name || sealId };
  // the upload is gone once stamped: what stays is the sealed file
  doc = null;
  marks = [];
  hits = null;
  $("doc").hidden = true;
  $("drop").hidden = false;
  $("doc-name").textContent = name;
  await showDesk(); // the grants' uses left have changed
  renderMarks();
  $("download").click();
  $("result-heading").focus();
}

function renderResult() {
  $("result").hidden = !result;
  if (!result) return;
  const r = result.report;
  const verdict = $("result-verdict");
  verdict.className = `verdict verdict-${(r?.verdict || "indeterminate").toLowerCase()}`;
  verdict.textContent = r ? t(r.verdict) : t("INDETERMINATE");
  const last = r?.signatures?.[r.signatures.length - 1];
  $("result-detail").textContent = r
    ? t("resultDetail", r.signatures.length, last?.seal || result.sealName, last?.signer?.name || "")
    : "";
  const link = $("download");
  link.href = result.url;
  link.download = result.name;
}

// ---- start

function start() {
  i18n.apply();
  i18n.bindToggle($("lang"));
  i18n.onChange(() => {
    showMessage("login-error", loginError);
    showMessage("stamp-error", stampError);
    if (session) {
      $("who").textContent = t("who", session.person.name, session.institution.name);
      renderSeals();
    }
    if (doc) {
      $("doc-name").textContent = t("docInfo", doc.name, doc.format, doc.page_count);
      renderThumbs();
      showPage(current);
    } else renderMarks();
  });
  $("result-heading").tabIndex = -1;
  $("login-form").addEventListener("submit", login);
  $("logout").addEventListener("click", logout);
  $("file").addEventListener("change", (e) => {
    const file = e.target.files[0];
    e.target.value = ""; // the same file chosen again is a change too
    openFile(file);
  });
  $("zoom-in").addEventListener("click", () => setZoom(1));
  $("zoom-out").addEventListener("click", () => setZoom(-1));
  $("stamp-form").addEventListener("submit", stamp);
  for (const radio of document.querySelectorAll('input[name="how"]')) radio.addEventListener("change", (e) => setHow(e.target.value));
  $("find").addEventListener("click", findKeyword);
  $("keyword").addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      findKeyword();
    }
  });
  $("keyword").addEventListener("input", () => {
    hits = null;
    $("hits").textContent = "";
    renderMarks();
  });
  $("rule-seal").addEventListener("change", renderRule);
  const sheet = $("sheet");
  sheet.addEventListener("dragover", (e) => {
    if (dragSeal || e.dataTransfer.types.includes("text/plain")) e.preventDefault();
  });
  sheet.addEventListener("drop", dropOnSheet);
  // a file dropped anywhere on the work area opens it
  const work = document.querySelector(".work");
  work.addEventListener("dragover", (e) => {
    if (e.dataTransfer.types.includes("Files")) e.preventDefault();
  });
  work.addEventListener("drop", (e) => {
    if (!e.dataTransfer.files.length) return;
    e.preventDefault();
    openFile(e.dataTransfer.files[0]);
  });
  fetch("/api/v1/session", { credentials: "same-origin" })
    .then(async (answer) => {
      if (answer.status === 200) {
        session = await answer.json();
        await showDesk();
      } else showLogin();
    })
    .catch(showLogin);
}

start();
