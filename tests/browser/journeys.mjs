// One journey per role in headless Chromium, run by tests/it/browser.rs (which seeds the boards,
// the phone team with pm_phone, a routing rule for camera reports and the people below):
// a fan posts a tip; a tester files a bug and attaches a log; another fan presses me-too; the PM
// finds it routed in /triage and sets needs_info, then resolved; the reporter answers the
// satisfaction question from the mail link; a moderator handles a flag from the queue; an admin
// changes a routing rule. Each step at 360 px keeps a screenshot under
// tests/artifacts/journey-*.png; every page visited is then audited again at 360 px and 1280 px
// in both languages and both colour schemes: axe-core (no serious or critical violation), no
// sideways scrolling at 360 px, no console error (a CSP refusal is one).
import readline from "node:readline";
import { audit } from "./a11y.mjs";
import { check, launch, signIn } from "./lib.mjs";

const [base, artifacts] = process.argv.slice(2);
const lines = readline.createInterface({ input: process.stdin });
const ask = (line) => new Promise((resolve) => { lines.once("line", resolve); console.log(line); });
const browser = await launch();
const problems = [];
const visited = new Map(); // login -> Set of paths
let step = 0;
const person = (login) => signIn(browser, base, login, {}, (e) => problems.push(e));

/// Records the page for the audit pass, checks it here, and keeps a screenshot of the step.
async function shot(page, name) {
  step += 1;
  const path = new URL(page.url()).pathname + new URL(page.url()).search;
  if (!visited.has(page.login)) visited.set(page.login, new Set());
  visited.get(page.login).add(path);
  await page.screenshot({ path: `${artifacts}/journey-${String(step).padStart(2, "0")}-${name}.png`, fullPage: true });
}

try {
  // A fan posts a tip.
  const fan = await person("fan_tip");
  await fan.goto(`${base}/new?board=tips`);
  await shot(fan, "fan-composer");
  await fan.fill("#f-title", "夜景模式拍星空的三个设置");
  await fan.fill("#f-body", "1. 打开**专业模式**\n2. ISO 调到 800\n3. 快门 10 秒，用三脚架");
  await Promise.all([fan.waitForURL(/notice=created/), fan.click("form[action^='/new'] button[type=submit]")]);
  check((await fan.textContent(".notice")).includes("已发布 #"), "the tip is confirmed with its number");
  const tipUrl = fan.url().split("?")[0];
  await shot(fan, "fan-tip-posted");
  await fan.fill("#f-body", "加微信 spam-123 领取免费手机");
  await Promise.all([fan.waitForURL(/#p\d+$/), fan.click("form[action$='/reply'] button[type=submit]")]);

  // A tester files a bug and attaches a log.
  const tester = await person("tester_wu");
  await tester.goto(`${base}/new?board=phones`);
  await tester.selectOption("#f-kind", "bug");
  check(await tester.isVisible(".bug-fields"), "bug fields show for a bug");
  await tester.fill("#f-title", "相机夜景模式拍照后闪退");
  await tester.fill("#f-body", "打开夜景模式，按快门后相机闪退回桌面。");
  await tester.selectOption("#f-product", "chorus-14");
  await tester.fill("#f-os_version", "ChorusOS 2.1.3");
  await tester.selectOption("#f-reproducibility", "always");
  await tester.selectOption("#f-severity", "crash");
  await tester.fill("#f-steps", "1. 打开相机\n2. 切到夜景\n3. 按快门");
  // The log goes with the report, while writing it.
  await tester.setInputFiles("#f-file", { name: "camera.log", mimeType: "text/plain", buffer: Buffer.from("E/CameraHAL: night mode pipeline crashed\n") });
  await shot(tester, "tester-bug-form");
  await Promise.all([tester.waitForURL(/notice=created/), tester.click("form[action^='/new'] button[type=submit]")]);
  check((await tester.textContent(".notice")).includes("已提交问题反馈 #"), "the report is confirmed with its number");
  const bugUrl = tester.url().split("?")[0];
  check((await tester.locator("ul.attachments li").count()) === 1, "the log is attached");
  await shot(tester, "tester-bug-filed");

  // Another fan presses me-too, then flags the spam reply under the tip.
  const other = await person("fan_two");
  await other.goto(bugUrl);
  await Promise.all([other.waitForLoadState("load"), other.click(`form[action$='/vote'] button`)]);
  check((await other.textContent("main")).includes("1 人也遇到"), "me-too counted");
  await shot(other, "fan-me-too");
  await other.goto(tipUrl);
  const spam = other.locator(".post", { hasText: "spam-123" });
  await spam.locator("details.flag summary").click();
  await spam.locator("input[name=reason][value=spam]").check();
  await Promise.all([other.waitForURL(/notice=flagged/), spam.locator("details.flag button").click()]);
  check((await other.locator(".post", { hasText: "spam-123" }).locator(".notice").count()) === 1, "the thanks shows on the flagged post");
  await shot(other, "fan-flagged");

  // The PM finds the report routed to their team, asks for information, then resolves it.
  const pm = await person("pm_phone");
  await pm.goto(`${base}/triage`);
  const row = pm.locator("tr", { hasText: "相机夜景模式拍照后闪退" });
  check((await row.count()) === 1, "the report is in the PM's queue");
  await shot(pm, "pm-queue");
  await Promise.all([pm.waitForLoadState("load"), row.locator("a", { hasText: "相机夜景模式拍照后闪退" }).click()]);
  check(await pm.locator("details.staff-tools").evaluate((d) => d.open), "the staff tools are open at the top");
  await pm.selectOption("#f-status", "needs_info");
  await pm.fill("#f-note", "请告诉我们出现问题的时间，方便对照日志。");
  await Promise.all([pm.waitForLoadState("load"), pm.click("form[action$='/status'] button[type=submit]")]);
  check((await pm.textContent("main")).includes("需要更多信息"), "needs_info set");
  await shot(pm, "pm-needs-info");
  const log = await pm.request.get(new URL(await pm.locator("ul.attachments a").first().getAttribute("href"), base).href);
  check(log.status() === 200, "the routed team reads the private log");
  check(await pm.locator("details.staff-tools").evaluate((d) => d.open), "the staff tools are open at the top");
  await pm.selectOption("#f-status", "resolved");
  await pm.fill("#f-note", "已在 2.1.5 修复夜景模式闪退。");
  await pm.fill("#f-fixed", "2.1.5");
  await Promise.all([pm.waitForLoadState("load"), pm.click("form[action$='/status'] button[type=submit]")]);
  await shot(pm, "pm-resolved");

  // The reporter answers the satisfaction question from the link in the status mail.
  await ask("CLOCK 5");
  const link = await ask("MAIL_FOR tester_wu@example.com #satisfaction");
  await tester.goto("about:blank"); // the link differs from the open page only by its #
  await tester.goto(link);
  await tester.locator("#satisfaction input[name=satisfied][value=yes]").check();
  await tester.fill("#f-sat-comment", "更新后好了，谢谢！");
  await Promise.all([tester.waitForLoadState("load"), tester.click("#satisfaction button[type=submit]")]);
  check(await tester.isChecked("#satisfaction input[value=yes]"), "the answer is kept");
  await shot(tester, "tester-satisfied");

  // A moderator handles the flag from the queue.
  const mod = await person("mod_lin");
  await mod.goto(`${base}/mod`);
  const item = mod.locator("li.review", { hasText: "spam-123" });
  check((await item.count()) === 1, "the flagged reply waits in the queue");
  await shot(mod, "mod-queue");
  await Promise.all([mod.waitForLoadState("load"), item.locator("button[value=agree]").click()]);
  check((await mod.locator("li.review", { hasText: "spam-123" }).count()) === 0, "handled");
  await mod.goto(`${base}/mod/log`);
  await shot(mod, "mod-log");

  // An admin changes a routing rule.
  const admin = await person("browser_admin");
  await admin.goto(`${base}/admin/triage`);
  const keywords = admin.locator("fieldset.rule").first().locator("input[name=keywords]");
  await keywords.fill(`${await keywords.inputValue()}, 夜景`);
  await Promise.all([admin.waitForLoadState("load"), admin.click("form[action='/admin/triage/rules'] button[value=save]")]);
  check((await admin.locator("fieldset.rule").first().locator("input[name=keywords]").inputValue()).includes("夜景"), "the rule is saved");
  await admin.fill("input[name=test_title]", "拍夜景时画面发紫");
  await Promise.all([admin.waitForLoadState("load"), admin.click("form[action='/admin/triage#test-match'] button")]);
  check((await admin.locator(".test-outcome").textContent()).includes("手机团队（规则 1）"), "the test box names the team and rule");
  await shot(admin, "admin-rules");

  // Every page the journeys visited, as whoever visited it, in both languages and both schemes.
  const people = { fan_tip: fan, tester_wu: tester, fan_two: other, pm_phone: pm, mod_lin: mod, browser_admin: admin };
  const findings = [];
  for (const [width, locale, colorScheme] of [[360, "zh-CN", "light"], [360, "en", "dark"], [1280, "zh-CN", "dark"]]) {
    for (const [login, paths] of visited) {
      // The same session in another language, scheme and width.
      const context = await browser.newContext({
        storageState: await people[login].context().storageState(), locale, colorScheme, viewport: { width, height: 800 },
      });
      const p = await context.newPage();
      p.on("console", (m) => { if (m.type() === "error") problems.push(`${login} ${p.url()}: ${m.text()}`); });
      for (const path of paths) {
        await p.goto(`${base}${path}`);
        if (width === 360) {
          const [sw, iw] = await p.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
          if (sw > iw) findings.push(`${login} ${path} ${locale}: ${sw} px wide at ${iw} px`);
        }
        for (const v of await audit(p)) findings.push(`${login} ${path} ${locale} ${colorScheme} ${width}: ${v.rule} (${v.nodes}) ${v.first}`);
      }
      await context.close();
    }
  }
  for (const f of findings) console.log(`A11Y ${f}`);
  check(findings.length === 0, `${findings.length} accessibility or layout findings`);
  check(problems.length === 0, `console errors: ${problems.join("; ")}`);
  console.log("OK");
} finally {
  await browser.close();
  lines.close();
}
