/**
 * Argus alert router: receives signed alerts from Home Assistant, forwards them to
 * webhooks and e-mail, and keeps encrypted attachments in R2 behind signed links.
 *
 * Routes:
 *   POST /v1/alerts               signed JSON alert -> 202 {deliveries}
 *   POST /v1/attachments          signed encrypted blob -> 201 {key, url, expires}
 *   GET  /v1/attachments/{key}    ?exp=&sig= link -> the encrypted blob
 * A cron trigger deletes expired attachments.
 */

import { deleteExpired, loadAttachment, storeAttachment } from "./attachments";
import type { Env } from "./env";
import { numberSetting } from "./env";
import { type Alert, forwardAlert } from "./forward";
import { allowAlert } from "./ratelimit";
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifySignature } from "./signing";

const CONTENT_TYPE_HEADER = "X-Argus-Content-Type";
const MAX_ALERT_BYTES = 16_384;

function json(body: unknown, status: number, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json", "Cache-Control": "no-store", ...headers },
  });
}

function error(status: number, message: string): Response {
  return json({ error: message }, status);
}

async function readSigned(request: Request, env: Env, maxBytes: number): Promise<Uint8Array | Response> {
  if (!env.ARGUS_SECRET) {
    return error(500, "ARGUS_SECRET is not set; run `wrangler secret put ARGUS_SECRET`");
  }
  const declared = Number(request.headers.get("Content-Length") ?? "0");
  if (declared > maxBytes) return error(413, `body larger than ${maxBytes} bytes`);
  const body = new Uint8Array(await request.arrayBuffer());
  if (body.length > maxBytes) return error(413, `body larger than ${maxBytes} bytes`);
  const check = await verifySignature(
    env.ARGUS_SECRET,
    request.headers.get(TIMESTAMP_HEADER),
    request.headers.get(SIGNATURE_HEADER),
    body,
    Date.now() / 1000,
    numberSetting(env.MAX_SKEW_SECONDS, 300),
  );
  return check.ok ? body : error(401, check.reason);
}

async function handleAlert(request: Request, env: Env): Promise<Response> {
  const body = await readSigned(request, env, MAX_ALERT_BYTES);
  if (body instanceof Response) return body;
  if (!(await allowAlert(env, Date.now()))) {
    return json({ error: "too many alerts; retry later" }, 429, { "Retry-After": "60" });
  }
  let alert: Alert;
  try {
    alert = JSON.parse(new TextDecoder().decode(body));
  } catch {
    return error(400, "alert body is not valid JSON");
  }
  if (typeof alert !== "object" || alert === null || Array.isArray(alert)) {
    return error(400, "alert body must be a JSON object");
  }
  const deliveries = await forwardAlert(env, alert);
  return json({ deliveries }, 202);
}

async function handleUpload(request: Request, env: Env): Promise<Response> {
  const maxBytes = numberSetting(env.MAX_ATTACHMENT_BYTES, 10 * 1024 * 1024);
  const body = await readSigned(request, env, maxBytes);
  if (body instanceof Response) return body;
  const contentType = request.headers.get(CONTENT_TYPE_HEADER) ?? "application/octet-stream";
  const origin = new URL(request.url).origin;
  const stored = await storeAttachment(env, origin, body, contentType, Math.floor(Date.now() / 1000));
  return json(stored, 201);
}

async function handleDownload(url: URL, key: string, env: Env): Promise<Response> {
  const object = await loadAttachment(env, key, url.searchParams, Math.floor(Date.now() / 1000));
  if (object === null) return error(403, "link invalid or expired");
  return new Response(object.body, {
    headers: { "Content-Type": "application/octet-stream", "Cache-Control": "private, no-store" },
  });
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/v1/alerts" && request.method === "POST") return handleAlert(request, env);
    if (url.pathname === "/v1/attachments" && request.method === "POST") return handleUpload(request, env);
    const download = url.pathname.match(/^\/v1\/attachments\/([^/]+)$/);
    if (download && request.method === "GET") return handleDownload(url, download[1], env);
    return error(404, "not found");
  },

  async scheduled(_controller: ScheduledController, env: Env): Promise<void> {
    const deleted = await deleteExpired(env, Math.floor(Date.now() / 1000));
    if (deleted > 0) console.log(`deleted ${deleted} expired attachments`);
  },
} satisfies ExportedHandler<Env>;
