// PostGraphile v5 for bench/load.py: the amber preset over the benchmark
// database's public schema, no authentication (it is measured as a GraphQL
// layer over the same data, not as an API with our access rules).
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";

export default {
  extends: [PostGraphileAmberPreset],
  pgServices: [
    makePgService({
      connectionString: process.env.DATABASE_URL,
      schemas: ["public"],
      // The same pool as our server's (DB_POOL_SIZE + DB_MAX_OVERFLOW).
      poolConfig: { max: Number(process.env.POOL_MAX ?? 20) },
    }),
  ],
  grafserv: { host: "127.0.0.1", port: Number(process.env.PORT ?? 5678), graphiql: false },
  grafast: { explain: false },
};
