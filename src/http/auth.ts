import type { MiddlewareHandler } from "hono";
import { jwtVerify } from "jose";
import { z } from "zod";
import { constantTimeEqual } from "../contract/index.ts";
import type { Actor } from "../machine/index.ts";
import { AppError } from "./errors.ts";
import type { AppEnv } from "./types.ts";

const claims = z.object({ sub: z.uuid(), role: z.enum(["creator", "admin"]) });
const encoder = new TextEncoder();


export interface TokenRules {
  jwtSecret: string;
  jwt: { issuer: string; audience: string; clockToleranceSeconds: number };
  serviceToken: string | null;
}

/**
 * Verifies an HS256 bearer JWT ({ sub, role }) with jose and returns who is asking. The secret is
 * shared with the identity service, so a token must say it was issued by it (`iss`) for us
 * (`aud`), and must expire (`exp`); clocks may differ by the configured tolerance, no more.
 */
export async function actorFromToken(token: string, rules: TokenRules): Promise<Actor> {
  if (rules.serviceToken && constantTimeEqual(token, rules.serviceToken)) return { kind: "service" };
  let payload: unknown;
  try {
    ({ payload } = await jwtVerify(token, encoder.encode(rules.jwtSecret), {
      algorithms: ["HS256"],
      issuer: rules.jwt.issuer,
      audience: rules.jwt.audience,
      requiredClaims: ["exp"],
      clockTolerance: rules.jwt.clockToleranceSeconds,
    }));
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
    const actor = await actorFromToken(match[1].trim(), c.get("config"));
    if (actor.kind === "service" && !allow.service) throw new AppError(403, "FORBIDDEN", "A service token cannot use this route");
    if (actor.kind === "user" && !allow.roles.includes(actor.role)) {
      throw new AppError(403, "FORBIDDEN", `This route needs the role ${allow.roles.join(" or ")}`);
    }
    c.set("actor", actor);
    await next();
  };
}
