declare namespace Cloudflare {
  interface Env {
    CONTROL_URL: string;
  }
}
