// Opens the development GraphiQL page in headless Chromium with every request
// off this machine blocked (so it must work without internet) and the page's
// clock under the test's control. Runs the first screen's Login by clicking;
// then, with nothing pasted anywhere, runs `me` and starts a subscription to
// reminderStatus; moves the clock to just before the access token expires
// (the page refreshes it and restarts the subscription on a new socket with
// the new token), records doseId as taken (the event must show up), and runs
// `me` once more. Prints one JSON line; keeps a screenshot of each step.
// argv: pageUrl chromiumPath screenshotDir doseId
import { chromium } from "playwright-core";

const [pageUrl, executablePath, shots, doseId] = process.argv.slice(2);
const origin = new URL(pageUrl).origin;
const blocked = [];
const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
const out = { blocked, authorizations: [], connectionInits: [], refreshes: 0 };
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.clock.install();
  const consoleErrors = [];
  page.on("console", (m) => { if (m.type() === "error") consoleErrors.push(m.text()); });
  await page.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith(origin) || url.startsWith("data:")) return route.continue();
    blocked.push(url);
    return route.abort();
  });
  page.on("request", (request) => {
    if (request.method() !== "POST" || !request.url().startsWith(pageUrl)) return;
    const body = request.postData() || "";
    if (body.includes("IntrospectionQuery")) return;
    if (body.includes("refreshToken(refreshToken")) out.refreshes += 1;
    out.authorizations.push(request.headers().authorization || null);
  });
  page.on("websocket", (socket) => {
    socket.on("framesent", (frame) => {
      const message = JSON.parse(String(frame.payload));
      if (message.type === "connection_init") {
        out.connectionInits.push((message.payload || {}).Authorization || null);
      }
    });
  });

  async function open(query) {
    await page.goto(query ? `${pageUrl}?q=${encodeURIComponent(query)}` : pageUrl);
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

  async function until(test, what) {
    for (let i = 0; i < 200; i++) {
      if (test()) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  await open();
  out.firstScreen = await page.locator(".graphiql-query-editor").innerText();
  out.login = await run("1-login", "accessToken");
  out.loginToken = /"accessToken":\s*"([^"]+)"/.exec(out.login)?.[1];
  if (!out.loginToken) throw new Error("no accessToken in the result");

  await open("{ me { email role } }");
  out.me = await run("2-me", "CLINICIAN");

  await open("subscription { reminderStatus { kind dose { id status } } }");
  out.subscription = await run("3-subscription", "DOSE_TAKEN", async () => {
    await until(() => out.connectionInits.length === 1, "the subscription's socket");
    await new Promise((resolve) => setTimeout(resolve, 2000)); // acked, Redis subscribed
    // Just before the 15-minute token expires: the page refreshes it and
    // restarts the subscription on a new socket.
    await page.clock.fastForward("14:30");
    await until(() => out.connectionInits.length === 2, "a new socket after the refresh");
    await new Promise((resolve) => setTimeout(resolve, 2000));
    out.refreshedToken = out.connectionInits[1]?.replace("Bearer ", "");
    const recorded = await fetch(pageUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${out.refreshedToken}` },
      body: JSON.stringify({
        query: `mutation($id: ID!) { recordDose(doseId: $id, status: TAKEN) { errors { code } } }`,
        variables: { id: doseId },
      }),
    });
    out.recorded = await recorded.json();
  });

  await open("{ me { email } }");
  out.meAfter = await run("4-me-after-refresh", "email");
  out.consoleErrors = consoleErrors;
} catch (error) {
  out.error = String(error);
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
