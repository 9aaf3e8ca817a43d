// Runs graphql-http's GraphQL-over-HTTP server audits against a live server
// and prints one JSON line per audit: {id, name, status, reason}.
// argv: url
import { serverAudits } from "graphql-http";

const [url] = process.argv.slice(2);
for (const audit of serverAudits({ url, fetchFn: fetch })) {
  const result = await audit.fn();
  console.log(JSON.stringify({
    id: audit.id, name: audit.name, status: result.status, reason: result.reason ?? null,
  }));
}
