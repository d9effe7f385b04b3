import type { Config } from "../config.ts";
import type { Actor } from "../machine/index.ts";

export type AppEnv = {
  Bindings: Env;
  Variables: { requestId: string; config: Config; actor: Actor };
};
