/**
 * Request signing shared with the Home Assistant side
 * (`custom_components/argus/cloud/signing.py`):
 *
 *   signature = hex(HMAC-SHA256(secret, `${timestamp}.` + body))
 *   X-Argus-Timestamp: <integer Unix seconds>
 *   X-Argus-Signature: v1=<signature>
 *
 * Attachment links carry hex(HMAC-SHA256(secret, `${key}.${expires}`)).
 * `tests/cloud/vectors.json` pins one example that both test suites check.
 */

export const TIMESTAMP_HEADER = "X-Argus-Timestamp";
export const SIGNATURE_HEADER = "X-Argus-Signature";
const VERSION_PREFIX = "v1=";
const encoder = new TextEncoder();

async function hmacKey(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
    "verify",
  ]);
}

function toHex(bytes: ArrayBuffer): string {
  return [...new Uint8Array(bytes)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

function fromHex(hex: string): Uint8Array | null {
  if (!/^(?:[0-9a-f]{2})+$/.test(hex)) return null;
  const bytes = new Uint8Array(hex.length / 2);
  for (let index = 0; index < bytes.length; index++) {
    bytes[index] = parseInt(hex.slice(index * 2, index * 2 + 2), 16);
  }
  return bytes;
}

function signedMessage(prefix: string, body: Uint8Array): Uint8Array {
  const head = encoder.encode(prefix);
  const message = new Uint8Array(head.length + body.length);
  message.set(head);
  message.set(body, head.length);
  return message;
}

/** Returns the hex HMAC-SHA256 of `timestamp.body` under `secret`. */
export async function sign(secret: string, timestamp: number, body: Uint8Array): Promise<string> {
  const key = await hmacKey(secret);
  return toHex(await crypto.subtle.sign("HMAC", key, signedMessage(`${timestamp}.`, body)));
}

/** Returns the hex HMAC-SHA256 of `key.expires`, the signature of an attachment link. */
export async function linkSignature(secret: string, key: string, expires: number): Promise<string> {
  const hmac = await hmacKey(secret);
  return toHex(await crypto.subtle.sign("HMAC", hmac, encoder.encode(`${key}.${expires}`)));
}

async function verifyHex(secret: string, message: Uint8Array, hex: string): Promise<boolean> {
  const signature = fromHex(hex);
  if (signature === null || signature.length !== 32) return false;
  // subtle.verify compares in constant time.
  return crypto.subtle.verify("HMAC", await hmacKey(secret), signature, message);
}

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

/**
 * Checks a request signature: a well-formed header, a timestamp within
 * `maxSkew` seconds of `now` (seconds), and a valid HMAC over the exact body.
 */
export async function verifySignature(
  secret: string,
  timestampHeader: string | null,
  signatureHeader: string | null,
  body: Uint8Array,
  now: number,
  maxSkew: number,
): Promise<SignatureCheck> {
  if (!timestampHeader || !/^\d{1,12}$/.test(timestampHeader)) {
    return { ok: false, reason: `missing or invalid ${TIMESTAMP_HEADER}` };
  }
  if (!signatureHeader || !signatureHeader.startsWith(VERSION_PREFIX)) {
    return { ok: false, reason: `missing or invalid ${SIGNATURE_HEADER}` };
  }
  const timestamp = Number(timestampHeader);
  if (Math.abs(now - timestamp) > maxSkew) {
    return { ok: false, reason: "timestamp outside the allowed window" };
  }
  const valid = await verifyHex(secret, signedMessage(`${timestamp}.`, body), signatureHeader.slice(VERSION_PREFIX.length));
  return valid ? { ok: true } : { ok: false, reason: "signature does not match" };
}

/** Checks an attachment link's signature and expiry (`now` in seconds). */
export async function verifyLink(secret: string, key: string, expires: number, hex: string, now: number): Promise<boolean> {
  if (!Number.isSafeInteger(expires) || expires < now) return false;
  return verifyHex(secret, encoder.encode(`${key}.${expires}`), hex);
}
