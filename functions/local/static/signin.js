// Sign-in in Azure: the OAuth 2.0 authorization code flow with PKCE (RFC 7636, S256) against Entra ID,
// for the API's scope, with the tenant, client id and scope from the Function App (/config.json, served by
// functions/azure/page.py). A full-page redirect, not a popup: the page is served with
// Cross-Origin-Opener-Policy: same-origin, which severs a popup's opener once it visits the sign-in page.
// Across that redirect only `state` and the PKCE verifier wait in sessionStorage (one tab, removed on
// return); the tokens live in memory only, never in storage or the URL. Locally (toex web) none of this
// runs: the server's cookie identifies the officer and /config.json does not exist.
"use strict";

const toexAuth = (() => {
  const PENDING = "toex.signin";  // sessionStorage key: {state, verifier} for the redirect only
  let token = null, refresh = null, config = null;
  const b64url = (bytes) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

  // 32 random bytes -> 43 characters of [A-Za-z0-9-_] (RFC 7636 4.1: 43 to 128 unreserved characters)
  const verifier = () => b64url(crypto.getRandomValues(new Uint8Array(32)));
  const challenge = async (v) => b64url(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(v))));
  const endpoint = (cfg, what) => `${cfg.authority.replace(/\/+$/, "")}/${encodeURIComponent(cfg.tenant)}/oauth2/v2.0/${what}`;
  const redirectUri = () => `${location.origin}/`;

  function authorizeUrl(cfg, state, codeChallenge) {
    const q = new URLSearchParams({ client_id: cfg.clientId, response_type: "code", redirect_uri: redirectUri(),
      response_mode: "query", scope: `${cfg.scope} openid offline_access`, state,
      code_challenge: codeChallenge, code_challenge_method: "S256" });
    return `${endpoint(cfg, "authorize")}?${q}`;
  }

  // What the sign-in redirect brought back: {code} when it answers the request we made (`expected`
  // state), else {error}; null when the address carries no answer at all.
  function parseRedirect(search, expected) {
    const q = new URLSearchParams(search);
    if (!q.has("code") && !q.has("error")) return null;
    if (!expected || q.get("state") !== expected) return { error: "the sign-in answer does not match this page's request" };
    if (q.has("error")) return { error: q.get("error_description") || q.get("error") };
    return { code: q.get("code") };
  }

  // The one setter of the bearer token (the sign-in fills it; a test signs in through it too).
  function setToken(access, refreshToken) { token = access || null; refresh = refreshToken || refresh; }
  const header = () => (token ? { Authorization: `Bearer ${token}` } : {});

  async function tokenRequest(cfg, fields) {
    const resp = await fetch(endpoint(cfg, "token"), { method: "POST", credentials: "omit",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ client_id: cfg.clientId, scope: `${cfg.scope} openid offline_access`, ...fields }) });
    const body = await resp.json().catch(() => ({}));
    if (!resp.ok || !body.access_token) throw new Error(body.error_description || body.error || `sign-in failed (HTTP ${resp.status})`);
    setToken(body.access_token, body.refresh_token);
  }

  // The Function App's sign-in settings, or null where there are none (toex web).
  async function loadConfig() {
    if (config) return config;
    const resp = await fetch("/config.json", { credentials: "same-origin", headers: { Accept: "application/json" } }).catch(() => null);
    const body = resp && resp.ok ? await resp.json().catch(() => null) : null;
    config = body && body.tenant && body.clientId && body.scope ? body : null;
    return config;
  }

  // Called once the API has refused the page (401): finish a sign-in the address bar answers, or start one.
  // Resolves true when a token is held; otherwise it has navigated away (or there is no sign-in here).
  async function signIn() {
    const cfg = await loadConfig();
    if (!cfg) return false;
    const pending = JSON.parse(sessionStorage.getItem(PENDING) || "null");
    const answer = parseRedirect(location.search, pending && pending.state);
    if (answer) {
      sessionStorage.removeItem(PENDING);
      history.replaceState(null, "", `${location.pathname}${location.hash}`);  // the code leaves the address bar
      if (answer.error) throw new Error(answer.error);
      await tokenRequest(cfg, { grant_type: "authorization_code", code: answer.code, redirect_uri: redirectUri(),
                                code_verifier: pending.verifier });
      return true;
    }
    const state = b64url(crypto.getRandomValues(new Uint8Array(16))), v = verifier();
    sessionStorage.setItem(PENDING, JSON.stringify({ state, verifier: v }));
    location.assign(authorizeUrl(cfg, state, await challenge(v)));
    return new Promise(() => {});  // the page is leaving
  }

  // A fresh access token from the refresh token (both in memory) after the API said 401; false if none.
  // Calls refused together (parallel blocks, a poll) share one refresh.
  let renewing = null;
  function renew() {
    if (!refresh || !config) return Promise.resolve(false);
    if (!renewing) {
      renewing = tokenRequest(config, { grant_type: "refresh_token", refresh_token: refresh })
        .then(() => true, () => { token = null; refresh = null; return false; })
        .finally(() => { renewing = null; });
    }
    return renewing;
  }

  return { setToken, header, signIn, renew, loadConfig, verifier, challenge, authorizeUrl, parseRedirect,
           get signedIn() { return token !== null; } };
})();
