declare module "cloudflare:test" {
  interface ProvidedEnv {
    ARGUS_SECRET: string;
    ATTACHMENTS: R2Bucket;
    EMAIL_TO: string;
  }
}
