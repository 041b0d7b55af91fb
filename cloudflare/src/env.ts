/** Bindings and settings of the alert-router Worker; see wrangler.toml for each one. */

export interface Env {
  /** Shared secret with Home Assistant (`wrangler secret put ARGUS_SECRET`). */
  ARGUS_SECRET: string;
  /** R2 bucket that holds encrypted attachments. */
  ATTACHMENTS: R2Bucket;
  /** Comma-separated webhook URLs each alert is POSTed to (ntfy topic, HA webhook, ...). */
  WEBHOOK_URLS?: string;
  /** Optional Email Routing binding and addresses for alert e-mails. */
  EMAIL?: SendEmail;
  EMAIL_FROM?: string;
  EMAIL_TO?: string;
  /** Optional Workers Rate Limiting binding; without it a per-isolate limiter is used. */
  ALERT_LIMITER?: RateLimit;
  MAX_SKEW_SECONDS?: string;
  RATE_LIMIT_PER_MINUTE?: string;
  ATTACHMENT_TTL_SECONDS?: string;
  MAX_ATTACHMENT_BYTES?: string;
}

/** Returns a positive integer setting, or `fallback` when it is unset or invalid. */
export function numberSetting(value: string | undefined, fallback: number): number {
  const parsed = Number(value);
  return Number.isFinite(parsed) && parsed > 0 ? Math.floor(parsed) : fallback;
}
