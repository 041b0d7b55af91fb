import { defineWorkersConfig } from "@cloudflare/vitest-pool-workers/config";

export default defineWorkersConfig({
  test: {
    poolOptions: {
      workers: {
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          bindings: {
            ARGUS_SECRET: "argus-test-worker-secret",
            WEBHOOK_URLS: "https://ntfy.example.test/argus,https://ha.example.test/api/webhook/argus",
            RATE_LIMIT_PER_MINUTE: "5",
            EMAIL_FROM: "argus@example.test",
            EMAIL_TO: "owner@example.test",
          },
          email: { send_email: [{ name: "EMAIL", destination_address: "owner@example.test" }] },
        },
      },
    },
  },
});
