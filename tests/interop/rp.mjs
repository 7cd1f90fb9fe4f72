// A relying party built on openid-client (panva), driven by tests/test_interop.py in two phases:
//   node rp.mjs start  <issuer> <client_id> <private_jwk_json> <redirect_uri>  -> JSON on stdout
//   node rp.mjs finish <issuer> <client_id> <private_jwk_json> <state_json> <callback_url> -> JSON
// PAR + PKCE S256 + private_key_jwt + DPoP, then userinfo with the DPoP-bound access token.
import * as client from "openid-client";

const [phase, issuer, clientId, privateJwk, ...rest] = process.argv.slice(2);

async function configuration() {
  const jwk = JSON.parse(privateJwk);
  const key = await crypto.subtle.importKey("jwk", jwk, { name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
  return client.discovery(new URL(issuer), clientId, {}, client.PrivateKeyJwt({ key, kid: jwk.kid }),
    { execute: [client.allowInsecureRequests] });
}

async function exportPair(pair) {
  return { privateKey: await crypto.subtle.exportKey("jwk", pair.privateKey),
           publicKey: await crypto.subtle.exportKey("jwk", pair.publicKey) };
}

async function importPair(saved) {
  const algorithm = { name: "ECDSA", namedCurve: "P-256" };
  return { privateKey: await crypto.subtle.importKey("jwk", saved.privateKey, algorithm, true, ["sign"]),
           publicKey: await crypto.subtle.importKey("jwk", saved.publicKey, algorithm, true, ["verify"]) };
}

if (phase === "start") {
  const [redirectUri] = rest;
  const config = await configuration();
  const pair = await client.randomDPoPKeyPair("ES256", { extractable: true });
  const dpop = client.getDPoPHandle(config, pair);
  const codeVerifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = await client.buildAuthorizationUrlWithPAR(config, {
    redirect_uri: redirectUri, scope: "openid profile", state, nonce,
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier), code_challenge_method: "S256",
  }, { DPoP: dpop });
  console.log(JSON.stringify({ url: url.href, codeVerifier, state, nonce, pair: await exportPair(pair) }));
} else if (phase === "finish") {
  const [stateJson, callback] = rest;
  const saved = JSON.parse(stateJson);
  const config = await configuration();
  const dpop = client.getDPoPHandle(config, await importPair(saved.pair));
  const tokens = await client.authorizationCodeGrant(config, new URL(callback), {
    pkceCodeVerifier: saved.codeVerifier, expectedState: saved.state, expectedNonce: saved.nonce,
  }, undefined, { DPoP: dpop });
  const claims = tokens.claims();
  const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub, { DPoP: dpop });
  console.log(JSON.stringify({ token_type: tokens.token_type, sub: claims.sub, acr: claims.acr, userinfo }));
} else {
  console.error("usage: node rp.mjs start|finish …");
  process.exit(2);
}
