import { describe, expect, it } from "vitest";
import { addressRefusal, allowed, urlRefusal } from "../../src/contract/index.ts";

// The rules both halves hold an ingest URL to (src/contract/ingest.ts).
describe("ingest URL rules", () => {
  it("only http and https on their default ports, no credentials, no private names", () => {
    expect(urlRefusal("https://media.example.com/a.mp4")).toBeNull();
    expect(urlRefusal("http://media.example.com/a.mp4?sig=1")).toBeNull();
    expect(urlRefusal("https://media.example.com:443/a.mp4")).toBeNull();
    for (const [url, why] of [
      ["ftp://media.example.com/a.mp4", /ftp: URLs/],
      ["file:///etc/passwd", /file: URLs/],
      ["gopher://x/", /gopher/],
      ["https://user:pw@media.example.com/a.mp4", /credentials/],
      ["https://media.example.com:8443/a.mp4", /port 8443/],
      ["http://localhost/a.mp4", /not a public host/],
      ["http://metadata.google.internal/computeMetadata/v1/", /not a public host/],
      ["not a url", /not a URL/],
    ] as const) expect(urlRefusal(url), url).toMatch(why);
  });

  it("refuses IP literals in loopback, private, link-local (metadata), CGNAT, reserved and multicast ranges, in every spelling", () => {
    for (const url of [
      "http://127.0.0.1/", "http://127.1.2.3/", "http://10.0.0.5/", "http://172.16.0.1/", "http://172.31.255.255/", "http://192.168.1.1/",
      "http://169.254.169.254/latest/meta-data/", "http://100.64.0.1/", "http://0.0.0.0/", "http://224.0.0.1/", "http://255.255.255.255/",
      "http://[::1]/", "http://[::]/", "http://[fd00::1]/", "http://[fe80::1]/", "http://[::ffff:127.0.0.1]/", "http://[::ffff:a9fe:a9fe]/", "http://[64:ff9b::a9fe:a9fe]/",
      // WHATWG URL parsing turns these into 127.0.0.1: judged after parsing.
      "http://2130706433/", "http://0x7f000001/", "http://0177.0.0.1/",
    ]) expect(urlRefusal(url), url).not.toBeNull();
    for (const ok of ["http://8.8.8.8/", "http://172.32.0.1/", "http://[2606:4700::1111]/", "http://[::ffff:8.8.8.8]/"]) expect(urlRefusal(ok), ok).toBeNull();
  });

  it("classifies resolved addresses the same way", () => {
    expect(addressRefusal("93.184.216.34")).toBeNull();
    expect(addressRefusal("2001:db8::1")).toBeNull();
    expect(addressRefusal("10.1.2.3")).toMatch(/private/);
    expect(addressRefusal("169.254.169.254")).toMatch(/metadata/);
    expect(addressRefusal("::ffff:10.0.0.1")).toMatch(/private/);
    expect(addressRefusal("fc00::1")).toMatch(/unique local/);
    expect(addressRefusal("media.example.com")).toBeNull();
  });

  it("INGEST_ALLOW_HOSTS exempts a named host (or host:port) from the address and port rules, never from the scheme or credentials rules", () => {
    expect(urlRefusal("http://127.0.0.1:8123/a.mp4", ["127.0.0.1"])).toBeNull();
    expect(urlRefusal("http://127.0.0.1:8123/a.mp4", ["127.0.0.1:9000"])).toMatch(/port 8123/);
    expect(urlRefusal("http://127.0.0.2:8123/a.mp4", ["127.0.0.1"])).toMatch(/port 8123/);
    expect(urlRefusal("http://127.0.0.2/a.mp4", ["127.0.0.1"])).toMatch(/loopback/);
    expect(urlRefusal("http://u:p@127.0.0.1:8123/a.mp4", ["127.0.0.1"])).toMatch(/credentials/);
    expect(allowed(["[::1]:80"], "[::1]", "80")).toBe(true);
  });
});
