// The load driver of `make bench-identity`: panva's openid-client (a certified FAPI 2.0 relying-party
// library) running many virtual clients against one OpenID provider on loopback.
//
//   node driver.mjs '<json>'   {issuer, client_id, private_jwk, redirect_uri, cookies, mode,
//                               concurrency, seconds, codes}
//
// mode "flows": each virtual client loops over the full flow — PAR (private_key_jwt + DPoP) →
// /authorize with its signed-in session cookie (single sign-on, 303 to redirect_uri with the code) →
// token (private_key_jwt + DPoP, ID token checked) → userinfo with the DPoP-bound token — for
// `seconds`, after one warm-up flow that signs it in.
// mode "exchanges": first collect `codes` authorization codes (not timed), then time only the
// code exchanges at the token endpoint.
// Prints one JSON line: {count, seconds, per_s, p50_ms, p99_ms, errors, first_error}.
import * as client from "openid-client";

const options = JSON.parse(process.argv[2]);
const jwk = JSON.parse(options.private_jwk);
const key = await crypto.subtle.importKey("jwk", jwk, { name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
const config = await client.discovery(new URL(options.issuer), options.client_id, {}, client.PrivateKeyJwt({ key, kid: jwk.kid }), {
  execute: [client.allowInsecureRequests],
});

class Browser {
  // A virtual user agent: a cookie jar for one origin and manual redirects.
  constructor(cookie) {
    this.jar = new Map();
    if (cookie) for (const [name, value] of Object.entries(cookie)) this.jar.set(name, value);
  }

  async follow(url) {
    let next = new URL(url);
    for (let hop = 0; hop < 10; hop += 1) {
      if (next.href.startsWith(options.redirect_uri)) return next;
      const headers = this.jar.size ? { cookie: [...this.jar].map(([n, v]) => `${n}=${v}`).join("; ") } : {};
      const response = await fetch(next, { redirect: "manual", headers });
      for (const line of response.headers.getSetCookie()) {
        const [pair] = line.split(";");
        const at = pair.indexOf("=");
        this.jar.set(pair.slice(0, at).trim(), pair.slice(at + 1).trim());
      }
      await response.arrayBuffer();
      const location = response.headers.get("location");
      if (!location) throw new Error(`authorize stopped at ${next.pathname} with HTTP ${response.status}`);
      next = new URL(location, next);
    }
    throw new Error("too many redirects");
  }
}

async function authorize(browser) {
  const pair = await client.randomDPoPKeyPair("ES256");
  const dpop = client.getDPoPHandle(config, pair);
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = await client.buildAuthorizationUrlWithPAR(
    config,
    {
      redirect_uri: options.redirect_uri,
      scope: "openid profile",
      state,
      nonce,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: "S256",
    },
    { DPoP: dpop },
  );
  return { callback: await browser.follow(url), dpop, checks: { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce } };
}

async function exchange(code) {
  return client.authorizationCodeGrant(config, code.callback, code.checks, undefined, { DPoP: code.dpop });
}

async function fullFlow(browser) {
  const code = await authorize(browser);
  const tokens = await exchange(code);
  const sub = tokens.claims().sub;
  await client.fetchUserInfo(config, tokens.access_token, sub, { DPoP: code.dpop });
}

function percentile(sorted, p) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : null;
}

const browsers = Array.from({ length: options.concurrency }, (_, i) =>
  new Browser(options.cookies?.length ? options.cookies[i % options.cookies.length] : null));
const latencies = [];
let errors = 0;
let firstError = null;
const failed = (error) => {
  errors += 1;
  firstError ??= String(error?.cause?.error_description ?? error?.message ?? error);
};

await Promise.all(browsers.map((browser) => fullFlow(browser)));  // sign in + warm up, not timed

let started;
let elapsed;
if (options.mode === "flows") {
  started = performance.now();
  const until = started + options.seconds * 1000;
  await Promise.all(browsers.map(async (browser) => {
    while (performance.now() < until) {
      const t0 = performance.now();
      try {
        await fullFlow(browser);
        latencies.push(performance.now() - t0);
      } catch (error) {
        failed(error);
      }
    }
  }));
  elapsed = (performance.now() - started) / 1000;
} else {
  const codes = [];
  await Promise.all(browsers.map(async (browser) => {
    while (codes.length < options.codes) codes.push(await authorize(browser));
  }));
  started = performance.now();
  await Promise.all(browsers.map(async () => {
    for (let code = codes.pop(); code; code = codes.pop()) {
      const t0 = performance.now();
      try {
        await exchange(code);
        latencies.push(performance.now() - t0);
      } catch (error) {
        failed(error);
      }
    }
  }));
  elapsed = (performance.now() - started) / 1000;
}

latencies.sort((a, b) => a - b);
console.log(JSON.stringify({
  count: latencies.length,
  seconds: elapsed,
  per_s: latencies.length / elapsed,
  p50_ms: percentile(latencies, 50),
  p99_ms: percentile(latencies, 99),
  errors,
  first_error: firstError,
}));
