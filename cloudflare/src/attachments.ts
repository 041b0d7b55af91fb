/**
 * Encrypted attachments in R2. The Worker never receives plaintext: Home Assistant
 * encrypts with AES-256-GCM under a key that stays on the local machine. Objects get
 * random keys and an expiry, and are served only through a signed, expiring link.
 */

import type { Env } from "./env";
import { numberSetting } from "./env";
import { linkSignature, verifyLink } from "./signing";

export interface StoredAttachment {
  key: string;
  url: string;
  expires: number;
}

function randomKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(18));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_");
}

/** Stores one encrypted blob and returns its key and signed link (`now` in seconds). */
export async function storeAttachment(
  env: Env,
  origin: string,
  blob: Uint8Array,
  contentType: string,
  now: number,
): Promise<StoredAttachment> {
  const key = randomKey();
  const expires = now + numberSetting(env.ATTACHMENT_TTL_SECONDS, 86_400);
  await env.ATTACHMENTS.put(key, blob, {
    httpMetadata: { contentType: "application/octet-stream" },
    customMetadata: { expires: String(expires), contentType },
  });
  const signature = await linkSignature(env.ARGUS_SECRET, key, expires);
  return { key, expires, url: `${origin}/v1/attachments/${key}?exp=${expires}&sig=${signature}` };
}

/** Returns the stored blob for a valid, unexpired link, or null. */
export async function loadAttachment(env: Env, key: string, params: URLSearchParams, now: number): Promise<R2ObjectBody | null> {
  const expires = Number(params.get("exp"));
  const signature = params.get("sig") ?? "";
  if (!/^[A-Za-z0-9_-]{24}$/.test(key) || !(await verifyLink(env.ARGUS_SECRET, key, expires, signature, now))) {
    return null;
  }
  const object = await env.ATTACHMENTS.get(key);
  if (object === null || Number(object.customMetadata?.expires ?? 0) < now) {
    return null;
  }
  return object;
}

/** Deletes every attachment whose expiry has passed; returns how many were deleted. */
export async function deleteExpired(env: Env, now: number): Promise<number> {
  let deleted = 0;
  let cursor: string | undefined;
  do {
    const page = await env.ATTACHMENTS.list({ cursor, include: ["customMetadata"] });
    const expired = page.objects
      .filter((object) => Number(object.customMetadata?.expires ?? 0) < now)
      .map((object) => object.key);
    if (expired.length > 0) {
      await env.ATTACHMENTS.delete(expired);
      deleted += expired.length;
    }
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return deleted;
}
