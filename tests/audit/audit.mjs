// Runs the graphql-http package's GraphQL-over-HTTP server audits against the URL given as the
// first argument and prints one JSON array: each audit's id, name, status ("ok", or "error",
// "warn" and "notice" for failed MUST, SHOULD and MAY audits) and the reason of a failure.
import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs http://127.0.0.1:PORT/graphql');
  process.exit(2);
}
const results = await auditServer({ url });
console.log(JSON.stringify(results.map(({ id, name, status, reason }) => ({ id, name, status, reason }))));
