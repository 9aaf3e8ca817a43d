// Opens the development GraphiQL page in headless Chromium with every request
// off this machine blocked (so it must work without internet), runs the
// demo Login by clicking the run button, then, with the token in the
// Headers pane, runs `me` by clicking again, then subscribes to
// reminderStatus by clicking and records doseId as taken: the event must
// show up. Prints one JSON line; keeps a screenshot of each step.
// argv: pageUrl chromiumPath screenshotDir doseId
import { chromium } from "playwright-core";

const [pageUrl, executablePath, shots, doseId] = process.argv.slice(2);
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

  async function open(query, headers) {
    const search = headers
      ? `?q=${encodeURIComponent(query)}&headers=${encodeURIComponent(headers)}`
      : "";
    await page.goto(pageUrl + search);
    await page.locator(".graphiql-execute-button").waitFor({ timeout: 20000 });
  }

  async function run(step, expected, meanwhile = async () => {}) {
    await page.locator(".graphiql-execute-button").click();
    await meanwhile();
    const response = page.locator(".graphiql-response");
    await response.filter({ hasText: expected }).waitFor({ timeout: 20000 });
    await page.screenshot({ path: `${shots}/${step}.png` });
    return response.innerText();
  }

  await open();
  out.login = await run("1-login", "accessToken");
  const token = /"accessToken":\s*"([^"]+)"/.exec(out.login)?.[1];
  if (!token) throw new Error("no accessToken in the result");

  const headers = JSON.stringify({ Authorization: `Bearer ${token}` });
  await open("{ me { email role } }", headers);
  out.me = await run("2-me", "CLINICIAN");

  await open("subscription { reminderStatus { kind dose { id status } } }", headers);
  out.subscription = await run("3-subscription", "DOSE_TAKEN", async () => {
    await new Promise((resolve) => setTimeout(resolve, 2000)); // socket acked, Redis subscribed
    const recorded = await fetch(pageUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
      body: JSON.stringify({
        query: `mutation($id: ID!) { recordDose(doseId: $id, status: TAKEN) { errors { code } } }`,
        variables: { id: doseId },
      }),
    });
    out.recorded = await recorded.json();
  });
  out.consoleErrors = consoleErrors;
} catch (error) {
  out.error = String(error);
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
