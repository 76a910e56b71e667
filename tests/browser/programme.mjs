// A beta programme in headless Chromium at 360 px, run by tests/it/browser.rs (which sets up the
// programme "c15-beta" on the board "beta-lab", owned by the phone team). Each step keeps a
// screenshot under tests/artifacts/programme-360-*.png.
import { audit } from "./a11y.mjs";
import { check, launch, signIn } from "./lib.mjs";

const [base, artifacts] = process.argv.slice(2);
const browser = await launch();
const errors = [];
let step = 0;

/// A signed-in person at 360 px; `strict` collects console errors (a CSP refusal is one), except
/// the one expected 422 of a refused form.
const person = (login, strict = true) =>
  signIn(browser, base, login, {}, strict ? (e) => { if (!e.includes("status of 422")) errors.push(e); } : null);

async function shot(page, name) {
  step += 1;
  const [sw, iw] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  check(sw <= iw, `${name}: the page is ${sw} px wide at ${iw} px`);
  await page.screenshot({ path: `${artifacts}/programme-360-${step}-${name}.png`, fullPage: true });
  for (const v of await audit(page)) errors.push(`axe ${name}: ${v.rule} (${v.nodes}) ${v.first}`);
}

try {
  // A fan below the level gate sees why, and no form.
  const low = await person("fan_low");
  await low.goto(`${base}/programmes`);
  const card = low.locator("#p-c15-beta");
  check((await card.locator(".why-not").textContent()).includes("需要 Lv4，你现在是 Lv3"), "the too-low fan is told why");
  check((await card.locator("form.apply").count()) === 0, "no apply form for the too-low fan");
  await shot(low, "too-low");

  // A fan who qualifies applies; without accepting the terms the form says so and keeps the input.
  const fan = await person("fan_ok");
  await fan.goto(`${base}/programmes`);
  await fan.fill("#device-c15-beta", "Chorus 14 Pro");
  await fan.fill("#os_version-c15-beta", "ChorusOS 2.0.1");
  await fan.fill("#reason-c15-beta", "每天用它拍照，愿意每周反馈");
  await Promise.all([fan.waitForLoadState("load"), fan.click("#p-c15-beta form.apply button[type=submit]")]);
  check((await fan.locator("#p-c15-beta .field.check .error").textContent()).includes("需要同意内测条款"), "terms must be accepted");
  check((await fan.inputValue("#device-c15-beta")) === "Chorus 14 Pro", "input kept");
  await shot(fan, "terms-missing");
  await fan.check("#accept-c15-beta");
  await Promise.all([fan.waitForURL(/notice=applied/), fan.click("#p-c15-beta form.apply button[type=submit]")]);
  check((await fan.locator("#p-c15-beta .why-not").textContent()).includes("审核中"), "the application is pending");
  await shot(fan, "applied");

  // The phone team's PM reviews and approves.
  const pm = await person("pm_phone");
  await pm.goto(`${base}/programmes`);
  await Promise.all([pm.waitForLoadState("load"), pm.click("#p-c15-beta a[href$='/applications']")]);
  const app = pm.locator("li.application", { hasText: "fan_ok" });
  check((await app.textContent()).includes("ChorusOS 2.0.1"), "the PM sees the application");
  await app.locator("textarea").fill("欢迎加入");
  await Promise.all([pm.waitForURL(/notice=approved/), app.locator("button[value=approve]").click()]);
  await shot(pm, "approved");

  // The tester sees the board now, hears the decision, and files a bug with a private log.
  await fan.goto(`${base}/programmes`);
  await Promise.all([fan.waitForURL(/\/b\/beta-lab/), fan.click("#p-c15-beta a[href='/b/beta-lab']")]);
  check((await fan.textContent("h1")).includes("Chorus 15 内测实验室"), "the tester reads the board");
  await fan.goto(`${base}/notifications`);
  check((await fan.textContent("main")).includes("Chorus 15 内测"), "the decision is in the notifications");
  await fan.goto(`${base}/new?board=beta-lab`);
  await fan.selectOption("#f-kind", "bug");
  await fan.fill("#f-title", "内测版相机夜景模式闪退");
  await fan.fill("#f-body", "打开夜景模式拍照后相机闪退，每次都能复现。");
  await fan.selectOption("#f-product", "chorus-14");
  await fan.selectOption("#f-severity", "crash");
  await fan.selectOption("#f-reproducibility", "always");
  await fan.fill("#f-os_version", "ChorusOS 2.1 beta 3");
  await Promise.all([fan.waitForURL(/\/t\/\d+/), fan.click("form[action^='/new'] button[type=submit]")]);
  const bugUrl = fan.url().split(/[?#]/)[0];
  await fan.setInputFiles("#f-file", { name: "camera.log", mimeType: "text/plain", buffer: Buffer.from("FATAL camera-hal night_mode IMEI 860000000000001\n") });
  await Promise.all([fan.waitForLoadState("load"), fan.click("form.upload button[type=submit]")]);
  const logLink = fan.locator("ul.attachments a", { hasText: "camera" });
  check((await logLink.count()) === 1, "the log is attached");
  const logUrl = new URL(await logLink.getAttribute("href"), base).href;
  await shot(fan, "bug-filed");

  // The routed team reads the bug and its log.
  await pm.goto(bugUrl);
  check((await pm.textContent("main")).includes("夜景模式闪退"), "the routed team reads the bug");
  const log = await pm.request.get(logUrl);
  check(log.status() === 200 && (await log.text()).includes("FATAL camera-hal"), `the routed team reads the log (${log.status()})`);
  await shot(pm, "routed-team-reads");
  await pm.goto(`${base}/triage`);
  check((await pm.textContent("main")).includes("夜景模式闪退"), "the bug is in the phone team's queue");

  // Another team, and the fan outside the programme: 404 for the bug, the log and the board.
  const wear = await person("pm_wear", false);
  for (const [who, p] of [["pm_wear", wear], ["fan_low", low]]) {
    for (const url of [bugUrl, logUrl, `${base}/b/beta-lab`]) {
      const r = await p.request.get(url);
      check(r.status() === 404, `${who} gets 404 for ${url}, not ${r.status()}`);
      check(!(await r.text()).includes("夜景模式闪退"), `${who} never sees the title`);
    }
  }
  const r = await wear.goto(bugUrl);
  check(r.status() === 404, "the other team's page is a 404");
  await shot(wear, "other-team-404");

  check(errors.length === 0, `no console errors: ${errors.join("; ")}`);
  console.log("OK");
} finally {
  await browser.close();
}
