/**
 * Alert rate limiting. The Workers Rate Limiting binding is used when configured;
 * otherwise a fixed one-minute window per isolate.
 * NOTE: the per-isolate fallback counts per Cloudflare location and instance, so the
 * real limit can be a few times higher. Configure ALERT_LIMITER for a firm bound.
 */

import type { Env } from "./env";
import { numberSetting } from "./env";

const WINDOW_MS = 60_000;
let windowStart = 0;
let windowCount = 0;

/** Returns whether one more alert may be sent now. */
export async function allowAlert(env: Env, now: number): Promise<boolean> {
  if (env.ALERT_LIMITER) {
    const { success } = await env.ALERT_LIMITER.limit({ key: "alerts" });
    return success;
  }
  const limit = numberSetting(env.RATE_LIMIT_PER_MINUTE, 30);
  if (now - windowStart >= WINDOW_MS) {
    windowStart = now;
    windowCount = 0;
  }
  windowCount += 1;
  return windowCount <= limit;
}

/** Starts a fresh window; tests call this between cases. */
export function resetRateLimit(): void {
  windowStart = 0;
  windowCount = 0;
}
