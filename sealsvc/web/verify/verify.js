// The verification page's behaviour: the chosen or dropped file is posted to
// /api/v1/verify?pictures=1 (the same public API every program uses) and the report is
// shown in words: the overall verdict and why, then per signature the seal as its page
// shows it, who sealed, when and how that time is proven, the certificate and its status,
// changes after sealing, and the page with the seal's box. Server data reaches the page
// through textContent and DOM calls only.
import { makeI18n } from "/web/shared/i18n.js";

const i18n = makeI18n({
  title: { zh: "电子印章验证", en: "Electronic seal verification" },
  pickTitle: { zh: "选择文件", en: "Choose a file" },
  dropHint: { zh: "将盖章的 PDF 或 OFD 文件拖到这里，或", en: "Drop a sealed PDF or OFD file here, or" },
  choose: { zh: "选择文件", en: "Choose a file" },
  privacy: { zh: "文件只用于这次验证，服务器不保存。", en: "The file is used for this verification only; the server does not keep it." },
  overall: { zh: "验证结论", en: "Verdict" },
  download: { zh: "下载验证报告（JSON）", en: "Download the report (JSON)" },
  footer: { zh: "sealsvc 电子印章平台 · 验证按 GB/T 38540 与 PAdES（ETSI EN 319 142）进行", en: "sealsvc electronic seal platform · verified per GB/T 38540 and PAdES (ETSI EN 319 142)" },
  working: { zh: "正在验证“{0}”…", en: "Verifying “{0}”…" },
  failed: { zh: "无法验证：{0}", en: "Cannot verify: {0}" },
  network: { zh: "无法连接验证服务，请稍后再试。", en: "The verification service cannot be reached; try again later." },
  VALID: { zh: "有效", en: "VALID" },
  INVALID: { zh: "无效", en: "INVALID" },
  INDETERMINATE: { zh: "无法确定", en: "INDETERMINATE" },
  whyValid: { zh: "全部 {0} 个签章有效：文件自盖章后未被改动，签章证书可信且在盖章时有效。", en: "All {0} signature(s) are valid: the file is unchanged since sealing, and the certificates are trusted and were valid when sealed." },
  whyOther: { zh: "{0}", en: "{0}" },
  file: { zh: "文件：{0}（{1}，{2} 个签章）", en: "File: {0} ({1}, {2} signature(s))" },
  sigTitle: { zh: "签章 {0}", en: "Signature {0}" },
  sealPicture: { zh: "印章“{0}”在页面上的样子", en: "The seal “{0}” as the page shows it" },
  noPicture: { zh: "（此签章不显示在页面上）", en: "(this signature is not shown on a page)" },
  signer: { zh: "签章人", en: "Signer" },
  institution: { zh: "单位", en: "Institution" },
  creditCode: { zh: "统一社会信用代码", en: "Unified social credit code" },
  sealName: { zh: "印章名称", en: "Seal name" },
  sealType: { zh: "签章类型", en: "Signature type" },
  when: { zh: "盖章时间", en: "Sealed at" },
  timeProof: { zh: "时间依据", en: "How the time is proven" },
  tsa: { zh: "时间戳服务机构（TSA）证明", en: "Proven by a timestamp authority (TSA)" },
  claimed: { zh: "签章人自称的时间，未经时间戳证明", en: "Claimed by the signer; not proven by a timestamp" },
  certIssuer: { zh: "证书颁发者", en: "Certificate issuer" },
  certSerial: { zh: "证书序列号", en: "Certificate serial" },
  certValidity: { zh: "证书有效期", en: "Certificate validity" },
  certStatus: { zh: "盖章时证书状态", en: "Certificate status when sealed" },
  statusGood: { zh: "未吊销（依据：{0}）", en: "Not revoked (evidence: {0})" },
  statusBad: { zh: "{0}（依据：{1}）", en: "{0} (evidence: {1})" },
  statusNone: { zh: "未检查", en: "Not checked" },
  evidenceCrl: { zh: "证书吊销列表 CRL", en: "CRL" },
  evidenceOcsp: { zh: "OCSP 响应", en: "OCSP response" },
  evidenceNone: { zh: "无可用证据", en: "no usable evidence" },
  changed: { zh: "签章后文档是否改动", en: "Changed after sealing" },
  unchanged: { zh: "未改动（签章覆盖{0}）", en: "No (the signature covers {0})" },
  changedYes: { zh: "已改动：", en: "Yes:" },
  place: { zh: "位置", en: "Place" },
  placeText: { zh: "第 {0} 页，距左上角 {1} × {2} 毫米，大小 {3} × {4} 毫米", en: "Page {0}, {1} × {2} mm from the top-left, {3} × {4} mm in size" },
  thumb: { zh: "第 {0} 页缩略图，红框为印章位置", en: "Page {0} thumbnail; the red box is the seal" },
  grant: { zh: "使用授权", en: "Grant used" },
  grantText: { zh: "授权 {0}，项目 {1}，被授权人 {2}", en: "Grant {0}, project {1}, grantee {2}" },
  checks: { zh: "全部检查项（{0} 项）", en: "All checks ({0})" },
  sigVerdict: { zh: "本签章：{0}", en: "This signature: {0}" },
  none: { zh: "无", en: "none" },
  unknown: { zh: "未知", en: "unknown" },
  "kind:pades": { zh: "PDF 电子签名（PAdES）", en: "PDF signature (PAdES)" },
  "kind:pkcs7": { zh: "PDF 电子签名（PKCS#7）", en: "PDF signature (PKCS#7)" },
  "kind:doc-timestamp": { zh: "文档时间戳", en: "Document timestamp" },
  "kind:ses-v4": { zh: "OFD 电子印章（GB/T 38540 第 4 版）", en: "OFD electronic seal (GB/T 38540 v4)" },
  "kind:ses-v1": { zh: "OFD 电子印章（GB/T 38540 第 1 版）", en: "OFD electronic seal (GB/T 38540 v1)" },
  "kind:sign": { zh: "OFD 电子签名（无印章）", en: "OFD signature (no seal)" },
  "coverage:entire file": { zh: "整个文件", en: "the entire file" },
  "coverage:entire revision": { zh: "当时的整个文件，之后有追加", en: "the whole file as it was; more was added later" },
  "reason:NO_SIGNATURE": { zh: "文件中没有签章。", en: "The file has no signature." },
  "reason:HASH_FAILURE": { zh: "文件在盖章后被改动：签章保护的内容与签名不符。", en: "The file was changed after sealing: the signed content no longer matches the signature." },
  "reason:SIG_CRYPTO_FAILURE": { zh: "签名值验证失败：签名不是由该证书对此内容做出的。", en: "The signature value does not verify: it was not made by this certificate over this content." },
  "reason:MODIFIED_AFTER_SIGNING": { zh: "盖章后文件被改动。", en: "The file was modified after sealing." },
  "reason:FORMAT_FAILURE": { zh: "签章结构不正确。", en: "The signature's structure is malformed." },
  "reason:NO_CERTIFICATE_CHAIN_FOUND": { zh: "签章证书无法追溯到本平台信任的根证书：无法确认签章人身份。", en: "The signer's certificate does not chain to a root this platform trusts: the signer cannot be confirmed." },
  "reason:NO_SIGNING_CERTIFICATE_FOUND": { zh: "找不到签章证书。", en: "The signing certificate is missing." },
  "reason:REVOKED": { zh: "签章证书在盖章前已被吊销。", en: "The signer's certificate was revoked before sealing." },
  "reason:REVOKED_NO_POE": { zh: "签章证书已被吊销，且盖章时间未经时间戳证明。", en: "The certificate was revoked and the sealing time is not proven by a timestamp." },
  "reason:SUSPENDED": { zh: "签章证书处于冻结状态。", en: "The signer's certificate is on hold." },
  "reason:TRY_LATER": { zh: "暂时无法取得证书吊销状态，请稍后再试。", en: "The certificate's revocation status cannot be obtained now; try again later." },
  "reason:EXPIRED": { zh: "盖章时证书已过期。", en: "The certificate had expired when sealed." },
  "reason:NOT_YET_VALID": { zh: "盖章时证书尚未生效。", en: "The certificate was not yet valid when sealed." },
  "reason:SEAL_OUTSIDE_VALIDITY": { zh: "盖章时印章不在有效期内。", en: "The seal was outside its validity when used." },
  "reason:CRYPTO_CONSTRAINTS_FAILURE": { zh: "使用的算法不被接受。", en: "An algorithm used is not acceptable." },
  "reason:SIG_CONSTRAINTS_FAILURE": { zh: "签章不满足要求的属性。", en: "The signature lacks required attributes." },
  "reason:CHAIN_CONSTRAINTS_FAILURE": { zh: "证书链不满足要求。", en: "The certificate chain does not meet the constraints." },
});

const $ = (id) => document.getElementById(id);
let lastReport = null;
let downloadUrl = null;

// One element with a class and text (textContent: server data is never markup).
function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

// "CN=x,organizationIdentifier=91...,O=y,..." -> {CN, O, organizationIdentifier}. A value
// with an escaped comma is rare in subjects; it stays split, which only shortens the name.
function subjectParts(subject) {
  const parts = {};
  for (const item of (subject || "").split(",")) {
    const i = item.indexOf("=");
    if (i > 0) parts[item.slice(0, i).trim()] = item.slice(i + 1).trim();
  }
  return parts;
}

// The 18-character unified social credit code (GB 32100), where the subject carries one.
function creditCode(parts) {
  for (const v of [parts.organizationIdentifier, parts.serialNumber, parts["2.5.4.97"]])
    if (v && /^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$/.test(v)) return v;
  return null;
}

function localTime(iso) {
  if (!iso) return i18n.t("unknown");
  const d = new Date(iso);
  return d.toLocaleString(i18n.lang === "zh" ? "zh-CN" : "en-GB", { hour12: false, timeZoneName: "short" });
}

function reasonText(reason, sig) {
  const key = `reason:${reason}`;
  const known = i18n.t(key);
  if (known !== key) return known;
  const bad = sig && sig.checks.find((c) => c.outcome !== "VALID");
  return bad ? `${reason}: ${bad.detail}` : reason || "";
}

// The certificate's status from the signer's revocation checks (the first is the signer's).
function certStatus(sig) {
  const rev = sig.checks.filter((c) => c.name === "revocation");
  if (!rev.length) return i18n.t("statusNone");
  const first = rev[0];
  const evidence = /\bOCSP\b/.test(first.detail)
    ? i18n.t("evidenceOcsp")
    : /\bCRL\b/.test(first.detail)
      ? i18n.t("evidenceCrl")
      : i18n.t("evidenceNone");
  if (first.outcome === "VALID") return i18n.t("statusGood", evidence);
  return i18n.t("statusBad", reasonText(sig.reason, sig), evidence);
}

function row(dl, label, value) {
  dl.append(el("dt", null, i18n.t(label)));
  const dd = el("dd");
  if (value instanceof Node) dd.append(value);
  else dd.textContent = value ?? i18n.t("unknown");
  dl.append(dd);
}

function pngUrl(base64) {
  return `data:image/png;base64,${base64}`;
}

function renderSignature(sig, n) {
  const card = el("article", `sig sig-${sig.verdict.toLowerCase()}`);
  const head = el("header", "sig-head");
  head.append(el("h2", null, i18n.t("sigTitle", n)));
  head.append(el("p", "sig-verdict", i18n.t("sigVerdict", i18n.t(sig.verdict))));
  card.append(head);
  if (sig.verdict !== "VALID" && sig.reason) card.append(el("p", "sig-why", reasonText(sig.reason, sig)));

  const body = el("div", "sig-body");
  const figure = el("figure", "seal");
  const pic = sig.picture;
  if (pic) {
    const img = el("img", "seal-img");
    img.src = pngUrl(pic.seal_png);
    img.alt = i18n.t("sealPicture", sig.seal || sig.signer?.name || "");
    figure.append(img);
  } else {
    figure.append(el("p", "no-picture", i18n.t("noPicture")));
  }
  body.append(figure);

  const parts = subjectParts(sig.signer?.subject);
  const dl = el("dl", "facts");
  row(dl, "signer", sig.signer?.name);
  if (parts.O && parts.O !== sig.signer?.name) row(dl, "institution", parts.O);
  const code = creditCode(parts);
  if (code) row(dl, "creditCode", code);
  if (sig.seal) row(dl, "sealName", sig.seal);
  row(dl, "sealType", i18n.t(`kind:${sig.kind}`));
  row(dl, "when", localTime(sig.signing_time));
  row(dl, "timeProof", /not proven/.test(sig.time_source || "") || !sig.time_source ? i18n.t("claimed") : i18n.t("tsa"));
  row(dl, "certIssuer", subjectParts(sig.signer?.issuer).CN || sig.signer?.issuer);
  row(dl, "certSerial", sig.signer?.serial);
  if (sig.signer?.not_before)
    row(dl, "certValidity", `${localTime(sig.signer.not_before)} – ${localTime(sig.signer.not_after)}`);
  row(dl, "certStatus", certStatus(sig));
  if (sig.changes.length) {
    const list = el("ul", "changes");
    for (const c of sig.changes) list.append(el("li", null, c));
    const box = el("div");
    box.append(el("span", "changed-yes", i18n.t("changedYes")), list);
    row(dl, "changed", box);
  } else {
    const cov = sig.coverage ? i18n.t(`coverage:${sig.coverage}`) : i18n.t("unknown");
    row(dl, "changed", i18n.t("unchanged", cov.startsWith("coverage:") ? sig.coverage : cov));
  }
  if (sig.grant)
    row(dl, "grant", i18n.t("grantText", sig.grant.id, sig.grant.project || i18n.t("none"), sig.grant.grantee || ""));
  if (pic) {
    const [x, y, w, h] = pic.box_mm.map((v) => v.toFixed(1));
    row(dl, "place", i18n.t("placeText", pic.page, x, y, w, h));
  }
  body.append(dl);

  if (pic) {
    const page = el("figure", "page");
    const frame = el("div", "page-frame");
    const thumb = el("img", "page-img");
    thumb.src = pngUrl(pic.thumbnail_png);
    thumb.alt = i18n.t("thumb", pic.page);
    const box = el("div", "page-box");
    // The box in percent of the page: it stays on the seal at any thumbnail size.
    const [pw, ph] = pic.page_size_mm;
    box.style.left = `${(pic.box_mm[0] / pw) * 100}%`;
    box.style.top = `${(pic.box_mm[1] / ph) * 100}%`;
    box.style.width = `${(pic.box_mm[2] / pw) * 100}%`;
    box.style.height = `${(pic.box_mm[3] / ph) * 100}%`;
    frame.append(thumb, box);
    page.append(frame, el("figcaption", null, i18n.t("thumb", pic.page)));
    body.append(page);
  }
  card.append(body);

  const details = el("details", "checks");
  details.append(el("summary", null, i18n.t("checks", sig.checks.length)));
  const list = el("ol");
  for (const c of sig.checks) {
    const li = el("li", `check check-${c.outcome.toLowerCase()}`);
    li.append(el("span", "check-name", `${c.name} · ${i18n.t(c.outcome)}`), el("span", "check-detail", c.detail));
    list.append(li);
  }
  details.append(list);
  card.append(details);
  return card;
}

function render(report) {
  $("result").hidden = false;
  const verdict = $("verdict");
  verdict.className = `verdict verdict-${report.verdict.toLowerCase()}`;
  $("verdict-word").textContent = i18n.t(report.verdict);
  const sigs = report.signatures;
  if (report.verdict === "VALID") {
    $("verdict-why").textContent = i18n.t("whyValid", sigs.length);
  } else {
    const worst = sigs.find((s) => s.verdict === report.verdict);
    $("verdict-why").textContent = reasonText(report.reason || worst?.reason, worst);
  }
  $("verdict-file").textContent = i18n.t("file", report.file || "", (report.format || "").toUpperCase(), sigs.length);
  const box = $("signatures");
  box.replaceChildren(...sigs.map((s, i) => renderSignature(s, i + 1)));
}

async function verify(file) {
  const status = $("status");
  status.className = "status";
  status.textContent = i18n.t("working", file.name);
  $("result").hidden = true;
  const form = new FormData();
  form.append("file", file, file.name);
  let answer;
  try {
    answer = await fetch("/api/v1/verify?pictures=1", { method: "POST", body: form });
  } catch {
    status.className = "status status-error";
    status.textContent = i18n.t("network");
    return;
  }
  const body = await answer.json().catch(() => null);
  if (!answer.ok || !body) {
    status.className = "status status-error";
    status.textContent = i18n.t("failed", body?.detail || `HTTP ${answer.status}`);
    return;
  }
  body.file = file.name;
  lastReport = body;
  status.textContent = "";
  if (downloadUrl) URL.revokeObjectURL(downloadUrl);
  downloadUrl = URL.createObjectURL(new Blob([JSON.stringify(body, null, 2)], { type: "application/json" }));
  const link = $("download");
  link.href = downloadUrl;
  link.download = `${file.name.replace(/\.[^.]*$/, "")}-verify.json`;
  render(body);
  $("verdict-word").focus();
}

function start() {
  i18n.apply();
  i18n.bindToggle($("lang"));
  i18n.onChange(() => {
    if (lastReport) render(lastReport);
  });
  $("verdict-word").tabIndex = -1;
  $("file").addEventListener("change", (e) => {
    const f = e.target.files[0];
    if (f) verify(f);
  });
  const drop = $("drop");
  drop.addEventListener("dragover", (e) => {
    e.preventDefault();
    drop.classList.add("drop-over");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("drop-over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("drop-over");
    const f = e.dataTransfer.files[0];
    if (f) verify(f);
  });
}

start();
