// Subscribes to reminderStatus with the graphql-ws client (the library the
// web and mobile apps use) and prints each result as one JSON line; exits 0
// once every expected event kind has arrived.
// argv: url token patientId kinds(comma-separated)
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const [url, token, patientId, kinds] = process.argv.slice(2);
const waiting = new Set(kinds.split(","));
const query = `subscription ReminderStatus($patientId: ID) {
  reminderStatus(patientId: $patientId) {
    id kind at channel dose { id status }
  }
}`;
const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: { authorization: `Bearer ${token}` },
  lazy: false,
  retryAttempts: 0,
  on: { connected: () => console.log(JSON.stringify({ connected: true })) },
});
client.subscribe(
  { query, variables: { patientId } },
  {
    next: (result) => {
      console.log(JSON.stringify(result));
      waiting.delete(result.data?.reminderStatus?.kind);
      if (waiting.size === 0) { client.dispose(); process.exit(0); }
    },
    error: (error) => { console.error(JSON.stringify(error)); process.exit(2); },
    complete: () => process.exit(3),
  },
);
setTimeout(() => { console.error("timeout"); process.exit(4); }, 60000);
