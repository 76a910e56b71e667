// Drives headless Chromium through the main member flow. Run by tests/it/browser.rs, which
// answers "MAIL_FOR <address>" lines on stdout with the verification link on stdin.
import { chromium } from "playwright-core";
import readline from "node:readline";
import { audit } from "./a11y.mjs";

const [base, artifacts] = process.argv.slice(2);
const lines = readline.createInterface({ input: process.stdin });
const nextLine = () => new Promise((resolve) => lines.once("line", resolve));
const check = (cond, what) => {
  if (!cond) throw new Error(`check failed: ${what}`);
};
const a11y = [];
const axe = async (page, what) => {
  for (const v of await audit(page)) {
    const line = `${what} ${page.url()}: ${v.rule} (${v.nodes}) ${v.first}`;
    console.log(`A11Y ${line}`);
    a11y.push(line);
  }
};

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  const context = await browser.newContext({ locale: "zh-CN", viewport: { width: 360, height: 780 } });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });

  // Register.
  await page.goto(`${base}/register`);
  await axe(page, "register");
  await page.fill("#f-username", "浏览器米粉");
  await page.fill("#f-email", "browser@example.com");
  await page.fill("#f-password", "a-long-passphrase");
  await page.check("#f-accept");
  await Promise.all([page.waitForLoadState("load"), page.click("form[action='/register'] button[type=submit]")]);
  check((await page.textContent(".notice")).includes("browser@example.com"), "says where the mail went");

  // Verify through the link in the mail the server sent; it signs the new account in.
  console.log("MAIL_FOR browser@example.com");
  const link = await nextLine();
  await page.goto(link);
  await axe(page, "verify");
  await Promise.all([page.waitForURL(/\/settings/), page.click("form[action='/verify'] button")]);
  check((await page.textContent("main")).includes("browser@example.com"), "settings show the new account");

  // Post a topic with markdown.
  await page.goto(`${base}/new?board=tips`);
  await axe(page, "composer");
  await page.fill("#f-title", "夜景拍摄技巧 Night shots");
  await page.fill("#f-body", "Use **pro mode** and a `2s` timer.\n\n- steady hands\n- low ISO");
  await Promise.all([page.waitForURL(/\/t\/\d+\?notice=created$/), page.click("form[action^='/new'] button[type=submit]")]);
  check((await page.textContent(".notice")).includes("已发布 #"), "the new topic's number is confirmed");
  check((await page.textContent(".post.d0 .body strong")) === "pro mode", "markdown rendered");
  check((await page.locator(".post.d0 .body li").count()) === 2, "list rendered");
  const topicUrl = page.url().split("?")[0];

  // Reply to the topic, then reply to that reply.
  await page.fill("#f-body", "第一条回复 first reply");
  await Promise.all([page.waitForURL(/#p\d+$/), page.click("form[action$='/reply'] button[type=submit]")]);
  const firstReply = page.locator(".post.d1", { hasText: "first reply" });
  await Promise.all([page.waitForURL(/reply_to=/), firstReply.getByRole("link", { name: "回复" }).click()]);
  await page.fill("#f-body", "reply to the reply");
  await Promise.all([page.waitForURL(/#p\d+$/), page.click("form[action$='/reply'] button[type=submit]")]);
  await page.goto(topicUrl);
  check((await page.locator(".post.d2", { hasText: "reply to the reply" }).count()) === 1, "nested reply at depth 2");
  const order = await page.locator(".thread > li").evaluateAll((els) => els.map((e) => e.className));
  check(order[0].includes("d0") && order[1].includes("d1") && order[2].includes("d2"), `tree order ${order}`);

  // A 360 px wide screenshot of the topic page, kept as a test artifact.
  await page.screenshot({ path: `${artifacts}/topic-360.png`, fullPage: true });
  await axe(page, "topic as its author");

  // Switch language.
  check((await page.getAttribute("html", "lang")) === "zh-CN", "starts in Chinese");
  await Promise.all([page.waitForLoadState("load"), page.click("form.lang-switch button")]);
  check((await page.getAttribute("html", "lang")) === "en", "switched to English");
  check((await page.textContent("#reply h2")).includes("Reply"), "English strings");

  // While composing a new topic, look-alikes show up under the title.
  await page.goto(`${base}/new?board=tips`);
  await page.fill("#f-title", "夜景 技巧");
  await page.waitForSelector("#similar a", { timeout: 5000 });
  check((await page.textContent("#similar a")).includes("Night shots"), "similar topic suggested");

  check(errors.length === 0, `no script errors: ${errors.join("; ")}`);

  // Every main page, as an admin, at 360 px and 1280 px, in both languages and both colour
  // schemes: no console error (a CSP refusal is one), nothing wider than the screen at 360 px,
  // and no serious or critical axe-core violation. Each finding is printed as an A11Y line.
  const paths = ["/", "/b/tips", "/b/ideas", "/b/phones", topicUrl.replace(base, ""), "/search?q=night",
    "/honor", "/roadmap", "/notifications", "/settings", "/me/feedback", "/new?board=phones", "/programmes",
    "/triage", "/triage/stats", "/mod", "/mod/log", "/admin/triage", "/admin/boards", "/admin/groups", "/admin/products"];
  const wide = [];
  const staffErrors = [];
  for (const [width, locale, colorScheme] of [[360, "zh-CN", "light"], [360, "en", "dark"], [1280, "zh-CN", "dark"]]) {
    const staff = await browser.newContext({ locale, colorScheme, viewport: { width, height: 800 } });
    const sp = await staff.newPage();
    sp.on("pageerror", (e) => staffErrors.push(String(e)));
    sp.on("console", (m) => { if (m.type() === "error") staffErrors.push(`${sp.url()}: ${m.text()}`); });
    await sp.goto(`${base}/login`);
    await sp.fill("#f-login", "browser_admin");
    await sp.fill("#f-password", "long-enough-secret");
    await Promise.all([sp.waitForLoadState("load"), sp.click("form[action='/login'] button[type=submit]")]);
    for (const path of paths) {
      await sp.goto(`${base}${path}`);
      const [sw, iw] = await sp.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
      if (width === 360 && sw > iw) wide.push(`${path}: ${sw} > ${iw}`);
      if (width === 360 && locale === "zh-CN") {
        const name = path.replace(/[^a-z0-9]+/gi, "_").replace(/^_|_$/g, "") || "home";
        await sp.screenshot({ path: `${artifacts}/staff-360-${name}.png`, fullPage: true });
      }
      for (const v of await audit(sp)) {
        const line = `${path} ${locale} ${colorScheme} ${width}: ${v.rule} (${v.nodes}) ${v.first}`;
        console.log(`A11Y ${line}`);
        a11y.push(line);
      }
    }
    await staff.close();
  }
  check(wide.length === 0, `pages wider than 360 px: ${wide.join("; ")}`);
  check(staffErrors.length === 0, `console errors on staff pages: ${staffErrors.join("; ")}`);
  check(a11y.length === 0, `serious or critical axe-core violations: ${a11y.length}`);
  console.log("OK");
} finally {
  await browser.close();
  lines.close();
}
