// Secrets that may be absent (wrangler types only sees those in .dev.vars).
declare namespace Cloudflare {
  interface Env {
    /** JSON object: subscriber URL → its Standard Webhooks secret (`whsec_…`). */
    PLATFORM_WEBHOOK_URLS?: string;
    /** Signs viewers' playback tokens (/play/:token/…); playback answers 503 without it. */
    PLAYBACK_SIGNING_SECRET?: string;
    /** The archive's own credentials and region (B2); the media bucket's when absent. */
    ARCHIVE_ACCESS_KEY_ID?: string;
    ARCHIVE_SECRET_ACCESS_KEY?: string;
    ARCHIVE_REGION?: string;
  }
}
