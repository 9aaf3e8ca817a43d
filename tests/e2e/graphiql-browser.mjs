// Opens the development GraphiQL page in headless Chromium with every request
// off this machine blocked (so it must work without internet), runs the
// demo Login by clicking the run button, then, with the token in the
// Headers pane, runs `me` by clicking again. Prints one JSON line; keeps a
// screenshot of each step. argv: pageUrl chromiumPath screenshotDir
import { chromium } from "playwright-core";

const [pageUrl, executablePath, shots] = process.argv.slice(2);
const origin = new URL(pageUrl).origin;
const blocked = [];
const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
const out = { blocked };
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const consoleErrors = [];
  page.on("console", (m) => { if (m.type() === "error") consoleErrors.push(m.text()); });
  await page.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith(origin) || url.startsWith("data:")) return route.continue();
    blocked.push(url);
    return route.abort();
  });

  async function run(step, expected) {
    await page.locator(".graphiql-execute-button").click();
    const response = page.locator(".graphiql-response");
    await response.filter({ hasText: expected }).waitFor({ timeout: 20000 });
    await page.screenshot({ path: `${shots}/${step}.png` });
    return response.innerText();
  }

  await page.goto(pageUrl);
  await page.locator(".graphiql-execute-button").waitFor({ timeout: 20000 });
  out.login = await run("1-login", "accessToken");
  const token = /"accessToken":\s*"([^"]+)"/.exec(out.login)?.[1];
  if (!token) throw new Error("no accessToken in the result");

  const headers = JSON.stringify({ Authorization: `Bearer ${token}` });
  const query = "{ me { email role } }";
  await page.goto(`${pageUrl}?q=${encodeURIComponent(query)}&headers=${encodeURIComponent(headers)}`);
  await page.locator(".graphiql-execute-button").waitFor({ timeout: 20000 });
  out.me = await run("2-me", "CLINICIAN");
  out.consoleErrors = consoleErrors;
} catch (error) {
  out.error = String(error);
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
