import type { MiddlewareHandler } from "hono";
import { jwtVerify } from "jose";
import { z } from "zod";
import type { Actor } from "../machine/index.ts";
import { AppError } from "./errors.ts";
import type { AppEnv } from "./types.ts";

const claims = z.object({ sub: z.uuid(), role: z.enum(["creator", "admin"]) });
const encoder = new TextEncoder();

function sameString(a: string, b: string): boolean {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

/** Verifies an HS256 bearer JWT ({ sub, role }) with jose and returns who is asking. */
export async function actorFromToken(token: string, jwtSecret: string, serviceToken: string | null): Promise<Actor> {
  if (serviceToken && sameString(token, serviceToken)) return { kind: "service" };
  let payload: unknown;
  try {
    ({ payload } = await jwtVerify(token, encoder.encode(jwtSecret), { algorithms: ["HS256"] }));
  } catch (cause) {
    throw new AppError(401, "UNAUTHENTICATED", `Invalid token: ${(cause as Error).message}`);
  }
  const parsed = claims.safeParse(payload);
  if (!parsed.success) throw new AppError(401, "UNAUTHENTICATED", "Token lacks a uuid `sub` or a `role` of creator|admin");
  return { kind: "user", userId: parsed.data.sub, role: parsed.data.role };
}

/** Requires a bearer token; `allow` names who may use the route at all (ownership is the object's call). */
export function authenticate(allow: { service?: boolean; roles: ("creator" | "admin")[] }): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match?.[1]) throw new AppError(401, "UNAUTHENTICATED", "A bearer token is required");
    const actor = await actorFromToken(match[1].trim(), c.get("config").jwtSecret, c.get("config").serviceToken);
    if (actor.kind === "service" && !allow.service) throw new AppError(403, "FORBIDDEN", "A service token cannot use this route");
    if (actor.kind === "user" && !allow.roles.includes(actor.role)) {
      throw new AppError(403, "FORBIDDEN", `This route needs the role ${allow.roles.join(" or ")}`);
    }
    c.set("actor", actor);
    await next();
  };
}
