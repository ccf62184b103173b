// The verification page in a real browser (Debian's chromium, driven by playwright-core),
// as a bidder uses it: at 1280x800 and at a phone's 390x844, open /verify/, choose each
// file, read the verdict (Chinese, then English after the language button), see the seal
// picture loaded, the page thumbnail and the downloadable report; axe-core finds no
// serious or critical accessibility violation; no console error, no failed request. A
// screenshot of each case's last step goes to SHOTS. Run by tests/integration/web_verify.sh:
//   node verify_page.mjs BASE_URL SHOTS_DIR CASES.json
// CASES.json: [{"name", "file", "zh", "en", "reason": true when a reason must be shown}]
import { chromium } from "playwright-core";
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

const [base, shots, casesPath] = process.argv.slice(2);
if (!base || !shots || !casesPath) {
  console.error("usage: node verify_page.mjs BASE_URL SHOTS_DIR CASES.json");
  process.exit(64);
}
const cases = JSON.parse(fs.readFileSync(casesPath, "utf8"));
const axeSource = fs.readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
fs.mkdirSync(shots, { recursive: true });

const problems = [];
const fail = (where, what) => problems.push(`${where}: ${what}`);

async function axeCheck(page, where) {
  // evaluate() runs outside the page's CSP (which rightly refuses injected script tags)
  if (!(await page.evaluate(() => typeof window.axe === "object"))) await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ["violations"] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length }));
  });
  for (const v of violations.filter((v) => v.impact === "serious" || v.impact === "critical"))
    fail(where, `axe ${v.impact}: ${v.id} (${v.help}) on ${v.nodes} element(s)`);
}

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium" });
try {
  for (const [label, viewport] of [["desktop", { width: 1280, height: 800 }], ["phone", { width: 390, height: 844 }]]) {
    const context = await browser.newContext({ viewport, locale: "zh-CN", acceptDownloads: true });
    const page = await context.newPage();
    page.on("console", (m) => { if (m.type() === "error") fail(label, `console error: ${m.text()}`); });
    page.on("pageerror", (e) => fail(label, `page error: ${e.message}`));
    page.on("requestfailed", (r) => fail(label, `request failed: ${r.url()} ${r.failure()?.errorText}`));
    page.on("response", (r) => { if (r.status() >= 400) fail(label, `${r.status()} for ${r.url()}`); });
    page.on("request", (r) => {
      if (!r.url().startsWith(base) && !r.url().startsWith("data:") && !r.url().startsWith("blob:"))
        fail(label, `a request outside the service: ${r.url()}`);
    });

    const opened = await page.goto(`${base}/verify/`);
    if (!opened || !(opened.headers()["content-security-policy"] || "").includes("script-src 'self'"))
      fail(label, "the page has no Content-Security-Policy");
    if ((await page.textContent("h1")) !== "电子印章验证") fail(label, "the page does not open in Chinese");
    await axeCheck(page, `${label} empty page`);

    for (const c of cases) {
      const where = `${label} ${c.name}`;
      await page.setInputFiles("#file", c.file);
      await page.waitForFunction(() => !document.getElementById("result").hidden, null, { timeout: 60000 })
        .catch(() => fail(where, `no verdict shown; status: ${page.textContent("#status")}`));
      const word = (await page.textContent("#verdict-word")).trim();
      if (word !== c.zh) fail(where, `the verdict reads "${word}", not "${c.zh}"`);
      const why = (await page.textContent("#verdict-why")).trim();
      if (!why) fail(where, "no reason is given for the verdict");
      if (c.reason && !/[\u4e00-\u9fff]/.test(why)) fail(where, `the reason is not in words: "${why}"`);
      const seals = await page.$$eval("img.seal-img", (imgs) => imgs.map((i) => ({ w: i.naturalWidth, done: i.complete })));
      if (!seals.length) fail(where, "no seal picture is shown");
      await page.waitForFunction(() => [...document.querySelectorAll("img.seal-img, img.page-img")]
        .every((i) => i.complete && i.naturalWidth > 0), null, { timeout: 10000 })
        .catch(() => fail(where, "a seal picture or page thumbnail did not load"));
      if (!(await page.$(".page-box"))) fail(where, "the page thumbnail has no seal box");
      // the downloadable report is the JSON the page shows
      const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download")]);
      const report = JSON.parse(fs.readFileSync(await download.path(), "utf8"));
      if (report.verdict !== c.en) fail(where, `the report downloaded says ${report.verdict}, not ${c.en}`);
      if (!download.suggestedFilename().endsWith("-verify.json")) fail(where, `the report downloads as ${download.suggestedFilename()}`);
      await axeCheck(page, `${where} (zh)`);
      // overflow sideways is what breaks a phone's reading
      const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      if (wide > 1) fail(where, `the page is ${wide} px wider than the screen`);
      await page.screenshot({ path: path.join(shots, `${label}-${c.name}-zh.png`) });

      await page.click("#lang");
      const en = (await page.textContent("#verdict-word")).trim();
      if (en !== c.en) fail(where, `in English the verdict reads "${en}", not "${c.en}"`);
      if ((await page.textContent("h1")) !== "Electronic seal verification") fail(where, "the title is not in English");
      await axeCheck(page, `${where} (en)`);
      await page.screenshot({ path: path.join(shots, `${label}-${c.name}-en.png`) });
      // the choice is remembered: a reload stays in English
      await page.reload();
      if ((await page.textContent("h1")) !== "Electronic seal verification") fail(where, "English is not remembered");
      await page.click("#lang");
      console.log(`${where}: ${word} / ${en}: ${why}`);
    }
    await context.close();
  }
} finally {
  await browser.close();
}
if (problems.length) {
  console.error(problems.join("\n"));
  process.exit(1);
}
console.log(`the verification page passed ${cases.length} file(s) at 1280x800 and 390x844`);
