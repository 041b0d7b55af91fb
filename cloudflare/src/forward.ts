/** Forwarding of authenticated alerts to the configured webhooks and e-mail address. */

import type { Env } from "./env";

export interface Alert {
  event_id?: string;
  camera?: string;
  zone?: string | null;
  label?: string;
  time?: number;
  verdict?: string;
  description?: string;
  message?: string;
  attachment?: { url: string; expires: number; content_type: string };
}

export interface Delivery {
  target: string;
  ok: boolean;
  status?: number;
}

/** Returns the one-line text of an alert, e.g. "person at door (front), confirmed: A man with a parcel". */
export function alertText(alert: Alert): string {
  const where = alert.zone ? `${alert.zone} (${alert.camera ?? "camera"})` : (alert.camera ?? "camera");
  const verdict = alert.verdict ? `, ${alert.verdict}` : "";
  const detail = alert.description || alert.message;
  return `${alert.label ?? "object"} at ${where}${verdict}${detail ? `: ${detail}` : ""}`;
}

function webhookUrls(env: Env): string[] {
  return (env.WEBHOOK_URLS ?? "")
    .split(",")
    .map((url) => url.trim())
    .filter((url) => url.startsWith("https://") || url.startsWith("http://"));
}

async function postWebhook(url: string, alert: Alert): Promise<Delivery> {
  const target = new URL(url).host;
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ text: alertText(alert), alert }),
    });
    return { target, ok: response.ok, status: response.status };
  } catch (error) {
    console.error(`webhook ${target} failed: ${error}`);
    return { target, ok: false };
  }
}

function mimeMessage(env: Env, alert: Alert): string {
  const subject = `Argus: ${alertText(alert)}`.replace(/[\r\n]+/g, " ").slice(0, 200);
  const lines = [
    `From: ${env.EMAIL_FROM}`,
    `To: ${env.EMAIL_TO}`,
    `Subject: ${subject}`,
    `Message-ID: <${crypto.randomUUID()}@argus.invalid>`,
    `Date: ${new Date().toUTCString()}`,
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "",
    alertText(alert),
    alert.attachment ? `Encrypted attachment (open it from Home Assistant): ${alert.attachment.url}` : "",
  ];
  return lines.join("\r\n");
}

async function sendEmail(env: Env, alert: Alert): Promise<Delivery> {
  try {
    // Imported lazily so the Worker runs where the e-mail module is absent.
    const { EmailMessage } = await import("cloudflare:email");
    await env.EMAIL!.send(new EmailMessage(env.EMAIL_FROM!, env.EMAIL_TO!, mimeMessage(env, alert)));
    return { target: "email", ok: true };
  } catch (error) {
    console.error(`e-mail to the configured address failed: ${error}`);
    return { target: "email", ok: false };
  }
}

/** Sends `alert` to every configured target and returns one delivery record per target. */
export async function forwardAlert(env: Env, alert: Alert): Promise<Delivery[]> {
  const deliveries = webhookUrls(env).map((url) => postWebhook(url, alert));
  if (env.EMAIL && env.EMAIL_FROM && env.EMAIL_TO) {
    deliveries.push(sendEmail(env, alert));
  }
  return Promise.all(deliveries);
}
