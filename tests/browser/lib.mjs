// What the browser flows share: Chromium launched the one way, checks that fail the flow, and a
// person signed in through the login form.
import { chromium } from "playwright-core";

export const check = (cond, what) => {
  if (!cond) throw new Error(`check failed: ${what}`);
};

export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

/// A page signed in as `login` (password "long-enough-secret"), zh-CN at 360 px unless
/// `options` say otherwise. `onError(text)` hears page errors and console errors.
export async function signIn(browser, base, login, options = {}, onError = null) {
  const context = await browser.newContext({ locale: "zh-CN", viewport: { width: 360, height: 780 }, ...options });
  const page = await context.newPage();
  if (onError) {
    page.on("pageerror", (e) => onError(`${login}: ${e}`));
    page.on("console", (m) => { if (m.type() === "error") onError(`${login} ${page.url()}: ${m.text()}`); });
  }
  await page.goto(`${base}/login`);
  await page.fill("#f-login", login);
  await page.fill("#f-password", "long-enough-secret");
  await Promise.all([page.waitForLoadState("load"), page.click("form[action='/login'] button[type=submit]")]);
  check(!page.url().includes("/login"), `${login} is signed in (at ${page.url()})`);
  page.login = login;
  return page;
}
