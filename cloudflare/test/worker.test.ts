import { createExecutionContext, createScheduledController, env, fetchMock, SELF, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import vectors from "../../tests/cloud/vectors.json";
import worker from "../src/index";
import { forwardAlert } from "../src/forward";
import { resetRateLimit } from "../src/ratelimit";
import { linkSignature, sign, verifySignature } from "../src/signing";

const encoder = new TextEncoder();
const ORIGIN = "https://argus-alerts.example.test";

function base64Bytes(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (char) => char.charCodeAt(0));
}

function urlSafeBase64Bytes(text: string): Uint8Array {
  return base64Bytes(text.replace(/-/g, "+").replace(/_/g, "/"));
}

// The scheme spelled out with WebCrypto, independent of src/signing.ts.
async function independentHmacHex(secret: string, message: string | Uint8Array): Promise<string> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const bytes = typeof message === "string" ? encoder.encode(message) : message;
  const mac = await crypto.subtle.sign("HMAC", key, bytes);
  return [...new Uint8Array(mac)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

async function signedRequest(path: string, body: Uint8Array, headers: Record<string, string> = {}, timestamp?: number): Promise<Request> {
  const ts = timestamp ?? Math.floor(Date.now() / 1000);
  const prefix = encoder.encode(`${ts}.`);
  const message = new Uint8Array(prefix.length + body.length);
  message.set(prefix);
  message.set(body, prefix.length);
  const signature = await independentHmacHex(env.ARGUS_SECRET, message);
  return new Request(`${ORIGIN}${path}`, {
    method: "POST",
    body,
    headers: { "X-Argus-Timestamp": String(ts), "X-Argus-Signature": `v1=${signature}`, ...headers },
  });
}

function interceptWebhooks(bodies: unknown[]): void {
  for (const [origin, path] of [
    ["https://ntfy.example.test", "/argus"],
    ["https://ha.example.test", "/api/webhook/argus"],
  ]) {
    fetchMock
      .get(origin)
      .intercept({ path, method: "POST" })
      .reply(200, (options) => {
        bodies.push(JSON.parse(String(options.body)));
        return "ok";
      });
  }
}

beforeAll(() => {
  fetchMock.activate();
  fetchMock.disableNetConnect();
});

beforeEach(() => resetRateLimit());

afterEach(() => fetchMock.assertNoPendingInterceptors());

describe("shared test vector", () => {
  const vector = vectors.signature;
  const body = encoder.encode(vector.body);

  it("gives the same signature as the Python side", async () => {
    expect(await sign(vector.secret, vector.timestamp, body)).toBe(vector.signature);
    expect(await independentHmacHex(vector.secret, `${vector.timestamp}.${vector.body}`)).toBe(vector.signature);
  });

  it("verifies within the time window", async () => {
    const check = await verifySignature(vector.secret, String(vector.timestamp), vector.header, body, vector.timestamp + 10, 300);
    expect(check).toEqual({ ok: true });
  });

  it("rejects a stale timestamp", async () => {
    const check = await verifySignature(vector.secret, String(vector.timestamp), vector.header, body, vector.timestamp + 301, 300);
    expect(check).toEqual({ ok: false, reason: "timestamp outside the allowed window" });
  });

  it("rejects a wrong signature and a changed body", async () => {
    const wrong = vector.header.slice(0, -1) + (vector.header.endsWith("0") ? "1" : "0");
    const now = vector.timestamp + 10;
    expect((await verifySignature(vector.secret, String(vector.timestamp), wrong, body, now, 300)).ok).toBe(false);
    const changed = encoder.encode(vector.body.replace("front", "back"));
    expect((await verifySignature(vector.secret, String(vector.timestamp), vector.header, changed, now, 300)).ok).toBe(false);
    expect((await verifySignature("other secret", String(vector.timestamp), vector.header, body, now, 300)).ok).toBe(false);
  });

  it("gives the same link signature as the Python side", async () => {
    const link = vectors.link;
    expect(await linkSignature(link.secret, link.key, link.expires)).toBe(link.signature);
  });
});

describe("POST /v1/alerts", () => {
  it("forwards a signed alert to every webhook", async () => {
    const bodies: unknown[] = [];
    interceptWebhooks(bodies);

    const response = await SELF.fetch(await signedRequest("/v1/alerts", encoder.encode(vectors.signature.body)));

    expect(response.status).toBe(202);
    const result = (await response.json()) as { deliveries: { ok: boolean }[] };
    expect(result.deliveries.map((delivery) => delivery.target)).toEqual(["ntfy.example.test", "ha.example.test", "email"]);
    expect(result.deliveries.every((delivery) => delivery.ok)).toBe(true);
    expect(bodies).toHaveLength(2);
    expect(bodies[0]).toMatchObject({ text: "person at door (front), confirmed", alert: { event_id: "ev_test" } });
  });

  it("reports a failed e-mail without failing the webhooks", async () => {
    const bodies: unknown[] = [];
    interceptWebhooks(bodies);

    const deliveries = await forwardAlert({ ...env, EMAIL_TO: "stranger@example.test" }, { camera: "front", label: "person" });

    expect(deliveries).toEqual([
      { target: "ntfy.example.test", ok: true, status: 200 },
      { target: "ha.example.test", ok: true, status: 200 },
      { target: "email", ok: false },
    ]);
    expect(bodies).toHaveLength(2);
  });

  it("rejects the vector's own request once its timestamp is stale", async () => {
    const vector = vectors.signature;
    const request = new Request(`${ORIGIN}/v1/alerts`, {
      method: "POST",
      body: vector.body,
      headers: { "X-Argus-Timestamp": String(vector.timestamp), "X-Argus-Signature": vector.header },
    });

    const response = await SELF.fetch(request);

    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: "timestamp outside the allowed window" });
  });

  it("rejects a wrong signature", async () => {
    const request = await signedRequest("/v1/alerts", encoder.encode(vectors.signature.body));
    const tampered = new Request(request, { body: vectors.signature.body.replace("person", "cat") });

    const response = await SELF.fetch(tampered);

    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: "signature does not match" });
  });

  it("rejects a request without signature headers", async () => {
    const response = await SELF.fetch(`${ORIGIN}/v1/alerts`, { method: "POST", body: "{}" });
    expect(response.status).toBe(401);
  });

  it("rejects a signed body that is not a JSON object", async () => {
    const response = await SELF.fetch(await signedRequest("/v1/alerts", encoder.encode("[1, 2]")));
    expect(response.status).toBe(400);
  });

  it("rate-limits alerts", async () => {
    const statuses: number[] = [];
    for (let index = 0; index < 6; index++) {
      if (index < 5) interceptWebhooks([]);
      const response = await SELF.fetch(await signedRequest("/v1/alerts", encoder.encode(`{"event_id":"ev${index}"}`)));
      statuses.push(response.status);
    }
    expect(statuses).toEqual([202, 202, 202, 202, 202, 429]);
  });
});

describe("attachments", () => {
  const vector = vectors.attachment;

  async function upload(): Promise<{ key: string; url: string; expires: number }> {
    const blob = base64Bytes(vector.ciphertext_b64);
    const response = await SELF.fetch(
      await signedRequest("/v1/attachments", blob, { "X-Argus-Content-Type": "image/jpeg" }),
    );
    expect(response.status).toBe(201);
    return response.json();
  }

  it("stores the encrypted blob and returns it through the signed link", async () => {
    const stored = await upload();
    const response = await SELF.fetch(stored.url);

    expect(response.status).toBe(200);
    const returned = new Uint8Array(await response.arrayBuffer());
    expect(returned).toEqual(base64Bytes(vector.ciphertext_b64));

    // Decrypting with the key that stays in Home Assistant gives the original bytes.
    const key = await crypto.subtle.importKey("raw", urlSafeBase64Bytes(vector.key), "AES-GCM", false, ["decrypt"]);
    const plaintext = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: returned.slice(1, 13), additionalData: encoder.encode("argus-attachment-v1") },
      key,
      returned.slice(13),
    );
    expect(returned[0]).toBe(1);
    expect(new Uint8Array(plaintext)).toEqual(base64Bytes(vector.plaintext_b64));
  });

  it("uses random keys", async () => {
    const first = await upload();
    const second = await upload();
    expect(first.key).not.toBe(second.key);
    expect(first.key).toMatch(/^[A-Za-z0-9_-]{24}$/);
  });

  it("refuses a link with a wrong signature or expiry", async () => {
    const stored = await upload();
    const url = new URL(stored.url);
    const wrongSignature = new URL(url);
    wrongSignature.searchParams.set("sig", "0".repeat(64));
    const longerExpiry = new URL(url);
    longerExpiry.searchParams.set("exp", String(stored.expires + 3600));

    expect((await SELF.fetch(wrongSignature.toString())).status).toBe(403);
    expect((await SELF.fetch(longerExpiry.toString())).status).toBe(403);
  });

  it("refuses an expired link and deletes expired objects on schedule", async () => {
    const now = Math.floor(Date.now() / 1000);
    const expires = now - 10;
    await env.ATTACHMENTS.put("expiredkeyexpiredkey1234", "blob", { customMetadata: { expires: String(expires) } });
    const fresh = await upload();
    const signature = await linkSignature(env.ARGUS_SECRET, "expiredkeyexpiredkey1234", expires);

    const response = await SELF.fetch(`${ORIGIN}/v1/attachments/expiredkeyexpiredkey1234?exp=${expires}&sig=${signature}`);
    expect(response.status).toBe(403);

    const controller = createScheduledController();
    const context = createExecutionContext();
    await worker.scheduled(controller, env, context);
    await waitOnExecutionContext(context);

    expect(await env.ATTACHMENTS.get("expiredkeyexpiredkey1234")).toBeNull();
    expect(await env.ATTACHMENTS.head(fresh.key)).not.toBeNull();
  });

  it("rejects an unsigned upload", async () => {
    const response = await SELF.fetch(`${ORIGIN}/v1/attachments`, { method: "POST", body: "x" });
    expect(response.status).toBe(401);
  });
});

it("answers 404 for unknown paths", async () => {
  expect((await SELF.fetch(`${ORIGIN}/`)).status).toBe(404);
});
