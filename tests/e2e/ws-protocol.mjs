// GraphQL-over-WebSocket (graphql-transport-ws) edge cases against a live
// server. Prints one JSON line {code, reason, received} for how the server
// closed the socket. argv: case url token
//
// client-*: the graphql-ws client (what the apps use) produces the case.
// raw-*: frames the client never sends on its own (a second connection_init,
// a subscribe before the ack, a reused operation id), sent with `ws`.
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const [kind, url, token] = process.argv.slice(2);
const SUBSCRIPTION = "subscription { reminderStatus { id kind } }";
const done = (out) => { console.log(JSON.stringify(out)); process.exit(0); };
setTimeout(() => { console.error("timeout"); process.exit(4); }, 20000);

function viaClient(connectionParams) {
  const client = createClient({
    url, webSocketImpl: WebSocket, connectionParams, lazy: true, retryAttempts: 0,
  });
  client.subscribe({ query: SUBSCRIPTION }, {
    next: (value) => done({ unexpected: value }),
    // A closed socket reaches the sink as the CloseEvent.
    error: (event) => done({ code: event.code, reason: event.reason }),
    complete: () => done({ unexpected: "complete" }),
  });
}

function viaRawFrames(frames) {
  const received = [];
  const socket = new WebSocket(url, "graphql-transport-ws");
  socket.on("open", () => frames.initial.forEach((f) => socket.send(JSON.stringify(f))));
  socket.on("message", (data) => {
    const message = JSON.parse(data.toString());
    received.push(message.type);
    if (message.type === "connection_ack") {
      frames.afterAck.forEach((f) => socket.send(JSON.stringify(f)));
    }
  });
  socket.on("close", (code, reason) => done({ code, reason: reason.toString(), received }));
}

const init = { type: "connection_init", payload: { authorization: `Bearer ${token}` } };
const subscribe = (id) => ({ id, type: "subscribe", payload: { query: SUBSCRIPTION } });

switch (kind) {
  case "client-token":
    viaClient({ authorization: `Bearer ${token}` });
    break;
  case "client-no-init":
    // connectionParams that never resolve: the client opens the socket but
    // never gets to send connection_init.
    viaClient(() => new Promise(() => {}));
    break;
  case "raw-duplicate-init":
    viaRawFrames({ initial: [init], afterAck: [init] });
    break;
  case "raw-subscribe-before-ack":
    viaRawFrames({ initial: [subscribe("1")], afterAck: [] });
    break;
  case "raw-duplicate-id":
    viaRawFrames({ initial: [init], afterAck: [subscribe("1"), subscribe("1")] });
    break;
  default:
    console.error(`unknown case ${kind}`);
    process.exit(2);
}
