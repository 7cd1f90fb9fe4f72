// The same-run anchor of `make bench-identity`: panva's oidc-provider (FAPI 2.0 certified) with the
// profile our provider runs — FAPI 2.0 Security Profile, PAR required, PKCE S256, private_key_jwt
// with ES256, DPoP-bound access tokens, 60 s authorization codes, ES256 ID tokens — on loopback.
//
//   node anchor.mjs <port> <client_json>     client_json: {client_id, jwks, redirect_uri}
//
// Prints "ready" once listening. Storage is oidc-provider's in-memory adapter (the fastest it has). Sign-in is headless: the interaction page finishes at once as account "bench-<n>" with a
// grant for the requested scopes, so a virtual client that keeps its session cookie signs in once
// and then gets codes straight from /authorize (single sign-on) — the same shape as our provider
// with a live alliance session and grant.
import Provider from "oidc-provider";
import MemoryAdapter from "oidc-provider/lib/adapters/memory_adapter.js";
import LRU from "oidc-provider/lib/helpers/lru.js";

const [port, clientJson] = process.argv.slice(2);
const registered = JSON.parse(clientJson);
const issuer = `http://127.0.0.1:${port}`;

const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"]);
const signing = { ...(await crypto.subtle.exportKey("jwk", pair.privateKey)), kid: "anchor-1", alg: "ES256", use: "sig" };

// oidc-provider's own in-memory adapter with room for a whole run (its default keeps 1,000 entries
// and would evict codes waiting to be exchanged).
const storage = new LRU({ maxSize: 2_000_000 });
class RoomyMemoryAdapter extends MemoryAdapter {
  constructor(model) {
    super(model, storage);
  }
}

let accounts = 0;
const provider = new Provider(issuer, {
  adapter: RoomyMemoryAdapter,
  clients: [
    {
      client_id: registered.client_id,
      redirect_uris: [registered.redirect_uri],
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "private_key_jwt",
      token_endpoint_auth_signing_alg: "ES256",
      id_token_signed_response_alg: "ES256",
      dpop_bound_access_tokens: true,
      jwks: registered.jwks,
    },
  ],
  jwks: { keys: [signing] },
  enabledJWA: {
    clientAuthSigningAlgValues: ["ES256"],
    idTokenSigningAlgValues: ["ES256"],
    dPoPSigningAlgValues: ["ES256"],
  },
  clientAuthMethods: ["private_key_jwt"],
  responseTypes: ["code"],
  pkce: { required: () => true },
  scopes: ["openid", "profile"],
  claims: { openid: ["sub"], profile: ["name"] },
  features: {
    fapi: { enabled: true, profile: "2.0" },
    pushedAuthorizationRequests: { enabled: true, requirePushedAuthorizationRequests: true },
    dPoP: { enabled: true },
    devInteractions: { enabled: false },
    userinfo: { enabled: true },
  },
  ttl: { AuthorizationCode: 60, AccessToken: 600, IdToken: 300, Grant: 3600, Session: 43200, Interaction: 600 },
  findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub, name: `벤치 ${sub}` }) }),
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  cookies: { keys: ["bench-anchor-cookie-key"] },
});
provider.proxy = false;

// Headless test login: finish every interaction at once (login + consent to what was asked).
provider.use(async (ctx, next) => {
  if (!ctx.path.startsWith("/interaction/")) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  const accountId = details.session?.accountId ?? `bench-${(accounts += 1)}`;
  const grant = new provider.Grant({ accountId, clientId: details.params.client_id });
  grant.addOIDCScope(details.params.scope);
  const grantId = await grant.save();
  await provider.interactionFinished(
    ctx.req,
    ctx.res,
    { login: { accountId }, consent: { grantId } },
    { mergeWithLastSubmission: false },
  );
});

provider.listen(Number(port), "127.0.0.1", () => console.log("ready"));
