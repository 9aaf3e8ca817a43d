// A graphql-ws client (the library the apps use) driven line by line: each
// stdin line is a JSON command, each stdout line a JSON event.
//   {"do": "run", "id": "q1", "query": ..., "variables": ..., "extensions": ...}
//     -> {"id": "q1", "complete": true, "results": [...]}, or {"id", "error"}
//   {"do": "stream", ...the same...} -> one {"id", "next"} per result
//   {"do": "exit"}
// Connection events: {"event": "connected"}, {"event": "closed", code, reason},
// {"event": "renewed"} / {"event": "renewal-refused"}.
//
// Renewal as the apps do it: the server closes the socket with 4403 when
// the session or its access token ends; the client then asks HTTP
// `refreshToken` for a new access token and reconnects with it (graphql-ws
// calls connectionParams again on every connect and resubscribes what is
// still running). Without a refresh token ("-") the same token is resent.
// argv: wsUrl httpUrl accessToken refreshToken|- retryAttempts
import readline from "node:readline";
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const [url, httpUrl, accessToken, refreshToken, retries] = process.argv.slice(2);
const say = (event) => process.stdout.write(`${JSON.stringify(event)}\n`);
const REFRESH = `mutation Refresh($refreshToken: String!) {
  refreshToken(refreshToken: $refreshToken) { accessToken refreshToken errors { code } }
}`;
let access = accessToken;
let refresh = refreshToken === "-" ? null : refreshToken;
let renew = false;

async function currentToken() {
  if (!renew || refresh === null) return access;
  renew = false;
  const response = await fetch(httpUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: REFRESH, variables: { refreshToken: refresh } }),
  });
  const answer = (await response.json()).data?.refreshToken;
  if (answer?.accessToken) {
    access = answer.accessToken;
    refresh = answer.refreshToken;
    say({ event: "renewed" });
  } else {
    say({ event: "renewal-refused", errors: answer?.errors ?? null });
  }
  return access;
}

const client = createClient({
  url,
  webSocketImpl: WebSocket,
  lazy: false,
  retryAttempts: Number(retries),
  retryWait: async () => {},
  connectionParams: async () => ({ authorization: `Bearer ${await currentToken()}` }),
  on: {
    connected: () => say({ event: "connected" }),
    closed: (event) => {
      if (event.code === 4403) renew = true;
      say({ event: "closed", code: event.code, reason: event.reason });
    },
  },
  onNonLazyError: () => {},
});

const closeOf = (error) =>
  error && typeof error.code === "number" ? { code: error.code, reason: error.reason } : error;

readline.createInterface({ input: process.stdin }).on("line", (line) => {
  const command = JSON.parse(line);
  if (command.do === "exit") {
    client.dispose();
    process.exit(0);
  }
  const results = [];
  const { query, variables, extensions } = command;
  client.subscribe(
    { query, variables, extensions },
    {
      next: (value) => (command.do === "stream" ? say({ id: command.id, next: value }) : results.push(value)),
      error: (error) => say({ id: command.id, error: closeOf(error) }),
      complete: () => say({ id: command.id, complete: true, results }),
    },
  );
});
setTimeout(() => process.exit(4), 120000);
