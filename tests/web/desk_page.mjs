// The clerk desk in a real browser (Debian's chromium, driven by playwright-core), as a
// clerk uses it at 1280x800: a wrong password says so; five lock the account; the demo
// clerk logs in and sees the seals; then for each case a file is opened, the zoom set,
// and the seal placed: a seal card dragged with the mouse to a spot given in mm on a
// page, or "on the keyword" (the hits shown on the page before stamping), or a seam seal;
// a wrong PIN tried (the tries left shown), the right one given, and the sealed file
// downloaded with its verification summary shown. Last, wrong PINs until the seal locks:
// the tries left count down, the fifth locks it and the page says so. axe-core finds no
// serious or critical violation; no
// console error and no failed request but the refusals the steps provoke. A screenshot
// of each case's last step goes to SHOTS. Run by tests/integration/web_desk.sh:
//   node desk_page.mjs BASE_URL SHOTS_DIR SETUP.json RESULTS.json
// SETUP.json: {"login", "password", "seal", "pin", "lock_file", "cases": [{"name", "file",
//   "how" (drag, keyword, seam), "zoom", "wrong_pin"; drag: "page", "x", "y"; keyword:
//   "keyword"; seam: "side"}]}; RESULTS.json gets each case with "download" (the file) and,
//   for a keyword, "hits" (how many the page showed), for the script to check with
//   independent tools.
import { chromium } from "playwright-core";
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

const [base, shots, setupPath, resultsPath] = process.argv.slice(2);
if (!base || !shots || !setupPath || !resultsPath) {
  console.error("usage: node desk_page.mjs BASE_URL SHOTS_DIR SETUP.json RESULTS.json");
  process.exit(64);
}
const setup = JSON.parse(fs.readFileSync(setupPath, "utf8"));
const axeSource = fs.readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
fs.mkdirSync(shots, { recursive: true });

const problems = [];
const fail = (where, what) => problems.push(`${where}: ${what}`);
let step = "start";
// The refusals the steps provoke on purpose: [method, path start, status].
const expected = [
  ["GET", "/api/v1/session", 401],
  ["POST", "/api/v1/session", 401],
  ["POST", "/api/v1/session", 423],
  ["POST", "/api/v1/documents/", 403],
  ["POST", "/api/v1/documents/", 423],
];

async function axeCheck(page, where) {
  if (!(await page.evaluate(() => typeof window.axe === "object"))) await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ["violations"] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(" ")) }));
  });
  for (const v of violations.filter((v) => v.impact === "serious" || v.impact === "critical"))
    fail(where, `axe ${v.impact}: ${v.id} (${v.help}) on ${v.nodes.join(", ")}`);
}

async function text(page, selector) {
  return ((await page.textContent(selector)) || "").trim();
}

async function login(page, name, password) {
  await page.fill("#login", name);
  await page.fill("#password", password);
  await page.click("#login-submit");
}

// Opens the case's file at its zoom, by steps of the page's buttons from the one the page
// chose.
async function openCase(page, c) {
  await page.setInputFiles("#file", c.file);
  await page.waitForSelector("#doc:not([hidden])", { timeout: 30000 });
  const zoomText = `${Math.round(c.zoom * 100)}%`;
  for (let i = 0; i < 8 && (await text(page, "#zoom-level")) !== zoomText; i++)
    await page.click(parseInt(await text(page, "#zoom-level"), 10) < c.zoom * 100 ? "#zoom-in" : "#zoom-out");
  if ((await text(page, "#zoom-level")) !== zoomText) fail(step, `the zoom did not reach ${zoomText}`);
}

// "On the keyword" or a seam seal: the mode, the seal, the keyword found (its hits drawn
// on the page) or the edge. Returns how many hits the page showed.
async function placeRule(page, c) {
  await page.check(`input[name="how"][value="${c.how}"]`);
  await page.selectOption("#rule-seal", setup.seal);
  if (c.how === "seam") {
    await page.selectOption("#seam-side", c.side);
    const note = await text(page, "#seam-note");
    if (!/^印章将分成 \d+ 份/.test(note)) fail(step, `the seam note reads "${note}"`);
    return 0;
  }
  await page.fill("#keyword", c.keyword);
  await page.click("#find");
  await page.waitForSelector(".hit", { timeout: 30000 }).catch(() => fail(step, "no hit is drawn on the page"));
  await page.waitForFunction(() => { const i = document.getElementById("page-img"); return i.complete && i.naturalWidth > 0; });
  const said = await text(page, "#hits");
  const found = /^找到 (\d+) 处/.exec(said);
  if (!found) fail(step, `the hits read "${said}"`);
  const shown = (await page.$$(".hit")).length;
  if (!found || shown < 1 || shown > Number(found[1])) fail(step, `${shown} hits drawn, "${said}" said`);
  if (await page.isDisabled("#stamp")) fail(step, "Stamp stays disabled after the keyword was found");
  await page.screenshot({ path: path.join(shots, `desk-${c.name}-hits.png`) });
  return found ? Number(found[1]) : 0;
}

// One case: open, zoom, place (drag or rule), a wrong PIN maybe, stamp.
async function stampCase(page, c, card) {
  await openCase(page, c);
  let hits = 0;
  if (c.how === "drag") await placeDrag(page, c, card);
  else hits = await placeRule(page, c);
  await axeCheck(page, `${step} placed`);
  if (c.wrong_pin) {
    await page.fill("#pin", "000000");
    await page.click("#stamp");
    await page.waitForSelector("#stamp-error:not([hidden])", { timeout: 30000 });
    const said = await text(page, "#stamp-error");
    if (!/^PIN 码错误，还可以尝试 \d 次。$/.test(said)) fail(step, `a wrong PIN says "${said}"`);
    await page.screenshot({ path: path.join(shots, `desk-${c.name}-wrong-pin.png`) });
  }
  await page.fill("#pin", setup.pin);
  const [download] = await Promise.all([page.waitForEvent("download", { timeout: 60000 }), page.click("#stamp")]);
  const saved = path.join(shots, `desk-${c.name}-${download.suggestedFilename()}`);
  await download.saveAs(saved);
  await page.waitForSelector("#result:not([hidden])");
  const verdict = await text(page, "#result-verdict");
  if (verdict !== "验证结果：有效") fail(step, `the summary reads "${verdict}"`);
  await axeCheck(page, `${step} stamped`);
  await page.screenshot({ path: path.join(shots, `desk-${c.name}.png`) });
  results.push({ ...c, download: saved, hits });
}

// Drag the seal card to (x, y) mm on the case's page; a second mark put on by the button
// and removed again.
async function placeDrag(page, c, card) {
  await page.click(`.thumb[data-page="${c.page}"]`);
  await page.waitForFunction(() => { const i = document.getElementById("page-img"); return i.complete && i.naturalWidth > 0; });
  // the spot in view: scroll the stage so that it is in the middle
  const spot = await page.evaluate(({ x, y, zoom }) => {
    const s = (96 / 25.4) * zoom;
    const stage = document.getElementById("stage");
    const sheet = document.getElementById("sheet");
    const st = stage.getBoundingClientRect();
    let r = sheet.getBoundingClientRect();
    stage.scrollTop += r.top + y * s - (st.top + stage.clientHeight / 2);
    stage.scrollLeft += r.left + x * s - (st.left + stage.clientWidth / 2);
    r = sheet.getBoundingClientRect();
    return { x: r.left + x * s, y: r.top + y * s };
  }, c);
  const from = await page.locator(card).boundingBox();
  await page.mouse.move(from.x + 20, from.y + 20);
  await page.mouse.down();
  await page.mouse.move(spot.x - 30, spot.y - 30, { steps: 5 });
  await page.mouse.move(spot.x, spot.y, { steps: 5 });
  await page.mouse.up();
  await page.waitForSelector(".mark", { timeout: 5000 }).catch(() => fail(step, "the dropped seal shows no mark"));
  // a second mark put on by the button, then removed: one is left
  await page.click(`${card} .place`);
  if ((await page.$$("#marks li")).length !== 2) fail(step, "the button did not put a second mark");
  await page.click("#marks li:last-child .remove");
  if ((await page.$$("#marks li")).length !== 1) fail(step, "a mark was not removed");
  const marked = await page.evaluate(() => {
    const m = document.querySelector(".mark")?.getBoundingClientRect() || { left: 0, top: 0, width: 0, height: 0 };
    return { x: m.left + m.width / 2, y: m.top + m.height / 2 };
  });
  if (Math.abs(marked.x - spot.x) > 2 || Math.abs(marked.y - spot.y) > 2)
    fail(step, `the mark's centre is at ${JSON.stringify(marked)}, not at the drop ${JSON.stringify(spot)}`);
}

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium" });
const results = [];
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "zh-CN", acceptDownloads: true });
  const page = await context.newPage();
  page.on("console", (m) => {
    // a refused request is reported by the browser as a console error; those are judged
    // by their answers below
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) fail(step, `console error: ${m.text()}`);
  });
  page.on("pageerror", (e) => fail(step, `page error: ${e.message}`));
  page.on("requestfailed", (r) => {
    // a page's picture asked for anew (another zoom) before the last one came is dropped
    if (r.url().includes("/pages/") && r.failure()?.errorText === "net::ERR_ABORTED") return;
    fail(step, `request failed: ${r.url()} ${r.failure()?.errorText}`);
  });
  page.on("response", (r) => {
    if (r.status() < 400) return;
    const p = new URL(r.url()).pathname;
    if (!expected.some(([m, start, s]) => m === r.request().method() && p.startsWith(start) && s === r.status()))
      fail(step, `${r.status()} for ${r.request().method()} ${r.url()}`);
  });
  page.on("request", (r) => {
    if (!r.url().startsWith(base) && !r.url().startsWith("data:") && !r.url().startsWith("blob:"))
      fail(step, `a request outside the service: ${r.url()}`);
  });

  step = "login page";
  const opened = await page.goto(`${base}/desk/`);
  if (!opened || !(opened.headers()["content-security-policy"] || "").includes("script-src 'self'"))
    fail(step, "the page has no Content-Security-Policy");
  await page.waitForSelector("#login-view:not([hidden])");
  if ((await text(page, "h1")) !== "印章工作台") fail(step, "the page does not open in Chinese");
  await axeCheck(page, step);

  step = "wrong password";
  await login(page, setup.login, "not-the-password");
  await page.waitForSelector("#login-error:not([hidden])");
  if ((await text(page, "#login-error")) !== "登录号或密码错误。") fail(step, `the message reads "${await text(page, "#login-error")}"`);
  await page.screenshot({ path: path.join(shots, "desk-wrong-password.png") });

  step = "lock-out";
  for (let i = 0; i < 5; i++) {
    await login(page, setup.login, `wrong-${i}`);
    await page.waitForFunction(() => !document.getElementById("login-submit").disabled);
  }
  await login(page, setup.login, setup.password);
  await page.waitForFunction(() => document.getElementById("login-error").textContent.includes("锁定"), null, { timeout: 20000 })
    .catch(async () => fail(step, `no lock-out message: "${await text(page, "#login-error")}"`));
  if (!(await page.isHidden("#desk-view"))) fail(step, "the right password opened a locked account");
  await page.screenshot({ path: path.join(shots, "desk-locked.png") });
  await page.waitForTimeout(setup.lock_seconds * 1000 + 500);

  step = "login";
  await login(page, setup.login, setup.password);
  await page.waitForSelector("#desk-view:not([hidden])", { timeout: 20000 });
  const card = `.seal[data-seal="${setup.seal}"]`;
  await page.waitForSelector(card);
  await axeCheck(page, step);

  for (const c of setup.cases) {
    step = c.name;
    try {
      await stampCase(page, c, card);
    } catch (e) {
      fail(step, e.message.split("\n")[0]);
      await page.screenshot({ path: path.join(shots, `desk-${c.name}-failed.png`) });
    }
  }

  step = "english";
  await page.click("#lang");
  if ((await text(page, "h1")) !== "Seal desk") fail(step, "the language button does not switch to English");
  if (!(await text(page, "#result-verdict")).includes("VALID")) fail(step, "the summary is not in English");
  await page.screenshot({ path: path.join(shots, "desk-english.png") });

  // Wrong PINs until the seal locks: 4, 3, 2, 1 tries left, then the fifth locks it; the
  // card says so and the seal can no longer be chosen.
  step = "pin lock";
  await page.click("#lang");
  const lockCase = { name: "lock", file: setup.lock_file, how: "keyword", keyword: setup.lock_keyword, zoom: 1 };
  await openCase(page, lockCase);
  await placeRule(page, lockCase);
  for (const left of [4, 3, 2, 1, 0]) {
    await page.fill("#pin", "000000");
    await page.click("#stamp");
    const want = left ? `PIN 码错误，还可以尝试 ${left} 次。` : "此印章已锁定，不能盖章。请联系印章管理员解锁。";
    await page.waitForFunction((w) => document.getElementById("stamp-error").textContent === w, want, { timeout: 30000 })
      .catch(async () => fail(step, `after ${5 - left} wrong PIN(s) the page reads "${await text(page, "#stamp-error")}", not "${want}"`));
  }
  await page.waitForSelector(`${card} .locked`, { timeout: 10000 }).catch(() => fail(step, "the seal card does not say locked"));
  if (await page.$(`#rule-seal option[value="${setup.seal}"]`)) fail(step, "the locked seal can still be chosen");
  const usable = await page.$$eval("#rule-seal option", (o) => o.length);
  if (!usable && !(await page.isDisabled("#stamp"))) fail(step, "Stamp is enabled with no usable seal");
  await axeCheck(page, step);
  await page.screenshot({ path: path.join(shots, "desk-pin-locked.png") });
  await context.close();
} finally {
  await browser.close();
}
fs.writeFileSync(resultsPath, JSON.stringify(results, null, 2));
if (problems.length) {
  console.error(problems.join("\n"));
  process.exit(1);
}
console.log(`desk page: ${results.length} documents stamped in the browser`);
