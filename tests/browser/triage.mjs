// The PM's triage workspace in headless Chromium, at 1280 px and at 360 px, run by
// tests/it/browser.rs (which files older items and two fresh 必现 crashes, "夜景" and "相册", for
// the phone team, whose members are pm_phone and pm_qa). Each pass: open "my team, new", find the
// fresh crash at the top of the P0 band by searching a word of its title, assign it to pm_qa with
// the keyboard, set needs_info, save a view. Screenshots go to tests/artifacts/triage-*.png and
// axe-core runs on every step.
import { audit } from "./a11y.mjs";
import { check, launch, signIn } from "./lib.mjs";

const [base, artifacts] = process.argv.slice(2);
const browser = await launch();
const errors = [];

async function pass(width, word, viewName) {
  let step = 0;
  const page = await signIn(browser, base, "pm_phone", { viewport: { width, height: width > 800 ? 900 : 780 } },
    (e) => errors.push(e));
  const shot = async (name) => {
    step += 1;
    const [sw, iw] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    check(sw <= iw, `${width} ${name}: the page is ${sw} px wide at ${iw} px`);
    await page.screenshot({ path: `${artifacts}/triage-${width}-${step}-${name}.png`, fullPage: true });
    for (const v of await audit(page)) errors.push(`axe ${width} ${name}: ${v.rule} (${v.nodes}) ${v.first}`);
  };

  // The staff menu leads to the queue; the view "my team, new" is one tap.
  await page.goto(`${base}/`);
  await Promise.all([page.waitForLoadState("load"), page.click(".staff-nav a[href='/triage']")]);
  await Promise.all([page.waitForURL(/view=team-new/), page.click(".triage-views a[href='/triage?view=team-new']")]);
  check((await page.locator(".triage-views a[aria-current=page]").textContent()).includes("我的团队·新提交"), "the view is marked current");
  const rows = page.locator("#queue tr.item");
  check((await rows.count()) >= 3, `my team's new items are listed (${await rows.count()})`);
  await shot("team-new");

  // Search with "/", a word from the fresh crash's title, Enter.
  await page.keyboard.press("/");
  check(await page.evaluate(() => document.activeElement?.id === "queue-q"), "/ focuses the search");
  await page.keyboard.type(word);
  await Promise.all([page.waitForURL(/q=/), page.keyboard.press("Enter")]);
  const first = rows.first();
  check((await first.locator("a.item-link").textContent()).includes(word), `the crash with ${word} is first`);
  check((await first.locator(".band").textContent()).includes("P0"), "in the P0 band");
  check((await first.locator(".c-due").textContent()).includes("到期"), "with its deadline, relative");
  const url = new URL(page.url());
  check(url.searchParams.get("status") === "new" && url.searchParams.get("team") === "mine", "the view's filters stay with the search");
  await shot("found");

  // Assign it to a colleague without the mouse: j, a, type the name, Enter.
  await page.keyboard.press("j");
  check(await first.evaluate((r) => r.classList.contains("current")), "j makes the first row current");
  await page.keyboard.press("a");
  check(await page.locator("#assign-dialog").evaluate((d) => d.open), "a opens the assign dialog");
  check((await page.locator("#assign-dialog [data-item-title]").textContent()).includes(word), "the dialog names the item");
  await shot("assign-dialog");
  await page.keyboard.type("pm_qa");
  await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
  check((await page.locator(".notice").textContent()).includes("已处理 1 条"), "the assignment is confirmed");
  const back = new URL(page.url());
  check(back.searchParams.get("q") === word && back.searchParams.get("status") === "new", "the filters survive the action");
  check((await first.getAttribute("data-assignee")) === "pm_qa", "the item is pm_qa's now");

  // Set needs_info the same way: j, s, choose, a note, Enter. It then leaves "new".
  await page.keyboard.press("j");
  await page.keyboard.press("s");
  check(await page.locator("#status-dialog").evaluate((d) => d.open), "s opens the status dialog");
  await page.selectOption("#status-choice", "needs_info");
  await page.focus("#status-note");
  await page.keyboard.type("请补充复现视频");
  await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
  check((await page.locator(".notice").textContent()).includes("已处理 1 条"), "the status is set");
  const left = await page.locator("#queue tr.item").evaluateAll((rs) => rs.map((r) => `${r.dataset.title}:${r.dataset.status}`));
  check(!left.some((r) => r.includes(word)), `no longer new, so out of this view (${left.join(", ")}; ${page.url()})`);
  await shot("needs-info");

  // The keys are documented in an overlay.
  await page.keyboard.press("?");
  check(await page.locator("#keys-dialog").evaluate((d) => d.open), "? opens the shortcuts");
  await shot("keys");
  await page.keyboard.press("Escape");

  // Save this view under a name; it becomes the current one.
  await page.goto(`${base}/triage?view=waiting`);
  check((await page.locator("#queue a.item-link", { hasText: word }).count()) === 1, "waiting for the reporter");
  await page.click(".save-view summary");
  await page.fill("#view-name", viewName);
  await Promise.all([page.waitForURL(/notice=saved/), page.click(".save-view button")]);
  check((await page.locator(".triage-views a[aria-current=page]").textContent()).includes(viewName), "the saved view is current");
  check((await page.locator("#queue a.item-link", { hasText: word }).count()) === 1, "and shows the same items");
  await shot("saved");
  await page.context().close();
}

try {
  await pass(1280, "夜景", "等我回复的");
  await pass(360, "相册", "手机上看");
  if (errors.length) throw new Error(errors.join("\n"));
  console.log("OK");
} catch (e) {
  console.log(`FAIL ${e.message}`);
} finally {
  await browser.close();
}
