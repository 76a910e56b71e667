// The demo at 360 px for the README: home, a board, a discussion, a bug, the roadmap and the PM's
// triage queue. Run by scripts/screenshots.sh against a fresh `serve --demo`.
import { chromium } from "playwright-core";

const [base, out] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
});
try {
  const context = await browser.newContext({ locale: "zh-CN", viewport: { width: 360, height: 780 }, deviceScaleFactor: 2 });
  const page = await context.newPage();
  const topics = await (await page.request.get(`${base}/api/v1/boards/phones/topics?sort=top`)).json();
  const talk = topics.items.find((t) => t.kind === "discussion") ?? topics.items[0];
  const bug = topics.items.find((t) => t.kind === "bug") ?? topics.items[0];
  const shoot = async (path, name) => {
    await page.goto(`${base}${path}`);
    await page.screenshot({ path: `${out}/${name}.png` });
  };
  await shoot("/", "home");
  await shoot("/b/phones", "board");
  await shoot(`/t/${talk.id}`, "topic");
  await shoot(`/t/${bug.id}`, "bug");
  await shoot("/roadmap", "roadmap");
  await page.goto(`${base}/login`);
  await page.fill("#f-login", "demo_pm");
  await page.fill("#f-password", "chorus-demo-2026");
  await Promise.all([page.waitForLoadState("load"), page.click("form[action='/login'] button[type=submit]")]);
  await shoot("/triage", "triage");
  console.log("OK");
} finally {
  await browser.close();
}
