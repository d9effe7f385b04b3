import type { NeonDatabase } from "drizzle-orm/neon-serverless";
import type * as schema from "../../schema/index.ts";

/** The typed database handle; in its own module so that code outside the Worker can name it. */
export type Db = NeonDatabase<typeof schema>;
