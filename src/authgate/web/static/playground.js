// The PKCE playground (README, "The PKCE playground"): the flow document's four steps against
// this server, from the browser, through the public endpoints that discovery lists.
// No external script, no inline script: the page's CSP allows only this origin.
"use strict";

(function () {
  const main = document.getElementById("playground");
  const ISSUER = main.dataset.issuer;
  const DISCOVERY = main.dataset.discovery;
  const CALLBACK = main.dataset.callback;
  const STORE = "authgate-playground";
  const CALLBACK_STORE = "authgate-playground-callback";
  const MESSAGE = "authgate-playground-callback";
  // RFC 7636 §4.1: code-verifier = 43*128unreserved
  const UNRESERVED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
  const SCOPE = "openid profile email";
  // The page's messages in its language (``data-text``: English message -> translation,
  // from the server's catalog; web/playground.py, JS_TEXT); English when absent.
  const TEXT = JSON.parse(main.dataset.text || "{}");
  function t(message, values) {
    let out = Object.prototype.hasOwnProperty.call(TEXT, message) ? TEXT[message] : message;
    for (const [name, value] of Object.entries(values || {})) out = out.split("{" + name + "}").join(String(value));
    return out;
  }

  // JWS algorithms (RFC 7518 §3) as WebCrypto names them.
  const SHA = { 256: "SHA-256", 384: "SHA-384", 512: "SHA-512" };
  function webCryptoAlg(alg) {
    const family = alg.slice(0, 2);
    const bits = alg.slice(2);
    const hash = SHA[bits];
    if (!hash) return null;
    if (family === "RS") {
      return { hash: hash, key: { name: "RSASSA-PKCS1-v1_5", hash: hash }, sign: { name: "RSASSA-PKCS1-v1_5" } };
    }
    if (family === "PS") {
      return { hash: hash, key: { name: "RSA-PSS", hash: hash }, sign: { name: "RSA-PSS", saltLength: Number(bits) / 8 } };
    }
    if (family === "ES") {
      const curve = { 256: "P-256", 384: "P-384", 512: "P-521" }[bits];
      return { hash: hash, key: { name: "ECDSA", namedCurve: curve }, sign: { name: "ECDSA", hash: hash } };
    }
    return null;
  }

  const state = {
    discovery: null,
    verifier: null,
    challenge: null,
    method: "S256",
    clientId: null,
    request: null, // the authorization request of step 3: url, state, nonce, verifier, method
    code: null,
    exchange: null, // the token request of step 4 (form parameters), kept for the replay
    tokens: null, // the latest token response
    firstAccessToken: null,
  };

  const $ = (id) => document.getElementById(id);

  // --- encoding --------------------------------------------------------------------------
  function base64url(bytes) {
    let binary = "";
    for (const byte of new Uint8Array(bytes)) binary += String.fromCharCode(byte);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function fromBase64url(text) {
    const padded = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
    const binary = atob(padded);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }
  function json(value) {
    return JSON.stringify(value, null, 2);
  }
  function shellQuote(value) {
    return "'" + String(value).replace(/'/g, "'\\''") + "'";
  }
  function randomId() {
    return crypto.randomUUID ? crypto.randomUUID() : randomVerifier(36);
  }

  // --- step 1: verifier and challenge --------------------------------------------------------
  function randomVerifier(length) {
    // Rejection sampling keeps every character equally likely: 66 * 3 = 198 <= 256.
    const limit = UNRESERVED.length * Math.floor(256 / UNRESERVED.length);
    let out = "";
    while (out.length < length) {
      for (const byte of crypto.getRandomValues(new Uint8Array(length * 2))) {
        if (byte < limit && out.length < length) out += UNRESERVED[byte % UNRESERVED.length];
      }
    }
    return out;
  }
  async function s256(verifier) {
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
    return base64url(digest);
  }
  async function challengeFor(verifier, method) {
    return method.toLowerCase() === "s256" ? s256(verifier) : verifier;
  }

  function canonical(method) {
    return method.toLowerCase() === "s256" ? "S256" : method.toLowerCase() === "plain" ? "plain" : method;
  }

  function methodNote() {
    const method = $("method").value;
    const accepted = (state.discovery && state.discovery.code_challenge_methods_supported) || [];
    const unknown = t("(unknown)");
    let note = t("The server accepts {methods}.", { methods: accepted.join(", ") || unknown });
    if (accepted.length && !accepted.includes(canonical(method))) {
      note += " " + t("It will refuse {method}: try it in step 3 to see its answer.", { method: method });
    } else if (method === "s256") {
      note += " " + t("It matches the method case-insensitively, as the flow document writes it (s256),"
        + " unless its OAuth 2.1 profile is on, which accepts only the exact spelling S256:"
        + " step 3 shows the server's answer either way.");
    } else if (method === "plain") {
      note += " " + t("With plain the challenge is the verifier itself: anyone who sees the"
        + " authorization request can redeem the code. Use S256.");
    }
    $("method-note").textContent = note;
  }

  function shellCommands() {
    const lines = [
      "# The flow document's commands make a new pair (tr, openssl, basenc):",
      "code_verifier=$(tr -dc 'A-Za-z0-9-._' </dev/urandom | head -c 128; echo)",
      "code_challenge=$(echo -n \"$code_verifier\" | openssl dgst -binary -sha256 | basenc --base64url | tr -d '=')",
      "",
    ];
    if (state.verifier) {
      lines.push("# The pair above, from its verifier:");
      lines.push("code_verifier=" + shellQuote(state.verifier));
      if (canonical(state.method) === "S256") {
        lines.push("printf '%s' \"$code_verifier\" | openssl dgst -binary -sha256 | openssl base64 -A | tr '+/' '-_' | tr -d '='");
        lines.push("# prints " + state.challenge);
      } else {
        lines.push("code_challenge=\"$code_verifier\"   # plain: the challenge is the verifier");
      }
    }
    $("shell-commands").textContent = lines.join("\n");
  }

  async function generate() {
    const length = Math.min(128, Math.max(43, Number($("verifier-length").value) || 64));
    $("verifier-length").value = String(length);
    state.method = $("method").value;
    state.verifier = randomVerifier(length);
    state.challenge = await challengeFor(state.verifier, state.method);
    $("verifier").textContent = state.verifier;
    $("challenge").textContent = state.challenge;
    shellCommands();
    save();
    prepareRequest();
  }

  // --- HTTP ------------------------------------------------------------------------------
  function pathOf(url) {
    const parsed = new URL(url);
    return parsed.pathname + parsed.search;
  }
  async function call(url, options) {
    const response = await fetch(url, Object.assign({ credentials: "omit", cache: "no-store" }, options));
    const text = await response.text();
    let body = text;
    try {
      body = text ? JSON.parse(text) : "";
    } catch (error) {
      body = text;
    }
    return { status: response.status, statusText: response.statusText, headers: response.headers, body: body };
  }
  function showResponse(result) {
    const lines = ["HTTP " + result.status + (result.statusText ? " " + result.statusText : "")];
    for (const name of ["retry-after", "www-authenticate"]) {
      const value = result.headers.get(name);
      if (value) lines.push(name.replace(/(^|-)\w/g, (c) => c.toUpperCase()) + ": " + value);
    }
    lines.push("");
    lines.push(typeof result.body === "string" ? result.body : json(result.body));
    return lines.join("\n");
  }
  function showForm(url, params) {
    return "POST " + pathOf(url) + "\nContent-Type: application/x-www-form-urlencoded\n\n"
      + new URLSearchParams(params).toString();
  }
  async function postForm(url, params) {
    return call(url, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(params),
    });
  }
  function curlForm(url, params) {
    const lines = ["curl -s -X POST " + shellQuote(url) + " \\", "  -H 'Content-Type: application/x-www-form-urlencoded' \\"];
    const names = Object.keys(params);
    names.forEach((name, index) => {
      const end = index === names.length - 1 ? " | python3 -m json.tool" : " \\";
      lines.push("  --data-urlencode " + shellQuote(name + "=" + params[name]) + end);
    });
    return lines.join("\n");
  }

  // --- step 2: registration ----------------------------------------------------------------
  function defaultBody() {
    return {
      client_name: "PKCE Test Client",
      application_type: "web",
      token_endpoint_auth_method: "none",
      scope: ["openid", "profile", "email"],
      grant_types: ["authorization_code"],
      response_types: ["code", "token", "id_token"],
      redirect_uris: [CALLBACK],
    };
  }
  function chooseAlg() {
    let body;
    try {
      body = JSON.parse($("registration-body").value);
    } catch (error) {
      $("client-summary").textContent = t("The body is not valid JSON; fix it before choosing an algorithm.");
      return;
    }
    const alg = $("id-token-alg").value;
    if (alg) body.id_token_signed_response_alg = alg;
    else delete body.id_token_signed_response_alg;
    $("registration-body").value = json(body);
  }
  async function register() {
    const url = state.discovery.registration_endpoint;
    const text = $("registration-body").value;
    $("registration-request").textContent = "POST " + pathOf(url) + "\nContent-Type: application/json\n\n" + text;
    $("register").disabled = true;
    try {
      const result = await call(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: text });
      $("registration-response").textContent = showResponse(result);
      if (result.status === 201 && result.body.client_id) {
        state.clientId = result.body.client_id;
        $("client-summary").textContent = t("Registered client {client_id} (no client_secret: a public"
          + " client). The registration access token above manages this client (RFC 7592); it is shown"
          + " once.", { client_id: state.clientId });
        save();
        prepareRequest();
      } else {
        $("client-summary").textContent = t("The server refused the registration: {reason}",
          { reason: result.body.error_description || result.body.error || result.status });
      }
    } finally {
      $("register").disabled = false;
      $("register").textContent = state.clientId ? t("Register another client") : t("Register the client");
    }
  }

  // --- step 3: authorization request ---------------------------------------------------------
  function explain(name) {
    const accepted = ((state.discovery && state.discovery.code_challenge_methods_supported) || []).join(", ");
    const unknown = t("(unknown)");
    return {
      response_type: t("code: the authorization code flow. The code comes back through the browser; tokens only from the token endpoint."),
      client_id: t("The client registered in step 2."),
      scope: t("openid makes this an OpenID Connect request (an id_token); profile and email ask for those claims."),
      redirect_uri: t("Must equal a registered redirect URI exactly (RFC 9700 §4.1.3): this playground's callback page."),
      state: t("A random value the client checks when the response comes back, against cross-site request forgery (RFC 6749 §10.12)."),
      nonce: t("A random value the server copies into the id_token; the client checks it there (OpenID Connect Core §3.1.2.1)."),
      code_challenge: t("From step 1: BASE64URL(SHA-256(verifier)) for S256, the verifier itself for plain (RFC 7636 §4.2)."),
      code_challenge_method: t("From step 1. The server accepts {methods}.", { methods: accepted || unknown }),
    }[name];
  }
  function authorizeUrl(params) {
    const url = new URL(state.discovery.authorization_endpoint);
    for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
    return url.toString();
  }
  function prepareRequest() {
    if (!state.discovery || !state.clientId || !state.verifier) {
      $("authorize").disabled = true;
      $("authorize-url").textContent = t("(register a client and generate a verifier first)");
      return;
    }
    const params = {
      response_type: "code",
      client_id: state.clientId,
      scope: SCOPE,
      redirect_uri: CALLBACK,
      state: randomId(),
      nonce: randomId(),
      code_challenge: state.challenge,
      code_challenge_method: state.method,
    };
    state.request = { params: params, url: authorizeUrl(params), verifier: state.verifier };
    renderRequest(state.request);
    save();
  }
  function renderRequest(request) {
    const rows = $("authorize-params").tBodies[0];
    rows.replaceChildren();
    for (const [name, value] of Object.entries(request.params)) {
      const row = rows.insertRow();
      const head = document.createElement("th");
      head.scope = "row";
      head.textContent = name;
      row.appendChild(head);
      row.insertCell().textContent = value;
      row.insertCell().textContent = explain(name);
    }
    $("authorize-url").textContent = request.url;
    $("authorize").disabled = false;
  }

  // Opens ``url`` in a pop-up and settles with what came back: the callback page's
  // parameters, the server's error page, or nothing (the window was closed). Blocked
  // pop-ups fall back to this tab (the callback page returns here).
  function runAuthorization(url, sameTabFallback) {
    return new Promise((resolve) => {
      const popup = window.open(url, "authgate-playground-authorize", "popup,width=560,height=720");
      if (!popup) {
        if (sameTabFallback) {
          save();
          location.assign(url);
        } else {
          resolve({ kind: "blocked" });
        }
        return;
      }
      let settled = false;
      function settle(result) {
        if (settled) return;
        settled = true;
        clearInterval(timer);
        window.removeEventListener("message", onMessage);
        if (!popup.closed) popup.close();
        resolve(result);
      }
      function onMessage(event) {
        if (event.origin !== location.origin || event.source !== popup) return;
        if (!event.data || event.data.type !== MESSAGE) return;
        settle({ kind: "callback", params: event.data.params });
      }
      window.addEventListener("message", onMessage);
      let closedAt = null;
      const timer = setInterval(() => {
        if (popup.closed) {
          // The callback page posts its message and closes at once: on a busy machine this
          // check can see the window closed before the message has been delivered here.
          // Wait one more second for it before calling the pop-up closed without an answer.
          if (closedAt === null) closedAt = Date.now();
          else if (Date.now() - closedAt >= 1000) settle({ kind: "closed" });
          return;
        }
        try {
          // Same origin: an error page of the server (authorize, login) can be read.
          const doc = popup.document;
          const code = doc.getElementById("error-code");
          if (doc.readyState === "complete" && code) {
            const description = doc.getElementById("error-description");
            settle({
              kind: "error-page",
              error: code.textContent,
              description: description ? description.textContent : "",
              url: popup.location.href,
            });
          }
        } catch (error) {
          // navigating, or on another origin for a moment: look again later
        }
      }, 200);
    });
  }
  function describeOutcome(result) {
    if (result.kind === "closed") return t("The pop-up was closed before the server answered.");
    if (result.kind === "blocked") return t("The browser blocked the pop-up: allow pop-ups for this page.");
    if (result.kind === "error-page") {
      return t("The server showed its error page (HTTP 400) instead of redirecting:") + "\n\n"
        + "error: " + result.error + "\nerror_description: " + result.description;
    }
    return t("The callback page received:") + "\n\n" + json(result.params);
  }
  function checkResponse(params, request) {
    const checks = [];
    checks.push(params.state === request.params.state ? t("state matches the one sent") : t("state DOES NOT match the one sent"));
    if ("iss" in params) {
      checks.push(params.iss === state.discovery.issuer ? t("iss is this server's issuer (RFC 9207)") : t("iss is NOT this server's issuer"));
    }
    return checks;
  }
  async function authorize() {
    const request = state.request;
    $("authorize").disabled = true;
    $("authorize-summary").textContent = t("Waiting for the pop-up: sign in and allow access there.");
    try {
      const result = await runAuthorization(request.url, true);
      receive(result, request);
    } finally {
      $("authorize").disabled = false;
    }
  }
  function receive(result, request) {
    $("authorize-result").textContent = describeOutcome(result);
    if (result.kind !== "callback") {
      $("authorize-summary").textContent = result.kind === "error-page" ? t("Refused: {error}.", { error: result.error }) : t("No response.");
      return;
    }
    const params = result.params;
    const checks = checkResponse(params, request);
    if (params.code) {
      state.code = params.code;
      state.request = request;
      $("authorize-summary").textContent = t("Code received; {checks}. Go on with step 4: a code expires soon and works once.", { checks: checks.join("; ") });
      prepareExchange();
      // a signed-in user and a working client: the failures that need a new code can run
      $("fail-verifier").disabled = false;
      $("fail-challenge").disabled = false;
    } else {
      const noCode = t("no code");
      $("authorize-summary").textContent = t("Refused: {error}; {checks}.", { error: params.error || noCode, checks: checks.join("; ") });
    }
    save();
  }

  // --- step 4: token endpoint, id_token, userinfo, refresh -----------------------------------
  function exchangeParams(code, verifier) {
    return {
      grant_type: "authorization_code",
      redirect_uri: CALLBACK,
      client_id: state.clientId,
      code_verifier: verifier,
      code: code,
    };
  }
  function prepareExchange() {
    state.exchange = exchangeParams(state.code, state.request.verifier);
    $("token-curl").textContent = curlForm(state.discovery.token_endpoint, state.exchange);
    $("exchange").disabled = false;
  }
  async function exchange() {
    $("exchange").disabled = true;
    const result = await postForm(state.discovery.token_endpoint, state.exchange);
    $("token-response").textContent = showForm(state.discovery.token_endpoint, state.exchange) + "\n\n" + showResponse(result);
    if (result.status === 200) {
      state.tokens = result.body;
      state.firstAccessToken = result.body.access_token;
      for (const id of ["userinfo", "refresh", "fail-replay"]) $(id).disabled = false;
      await inspectIdToken(result.body.id_token, result.body.access_token);
    } else {
      $("exchange").disabled = false;
    }
  }

  function publicJwk(jwk) {
    if (jwk.kty === "RSA") return { kty: "RSA", n: jwk.n, e: jwk.e };
    if (jwk.kty === "EC") return { kty: "EC", crv: jwk.crv, x: jwk.x, y: jwk.y };
    return null;
  }
  async function verifySignature(token, header) {
    const alg = webCryptoAlg(header.alg || "");
    if (!alg) return { ok: false, text: t("This page cannot verify alg {alg}.", { alg: header.alg }) };
    const jwks = await call(state.discovery.jwks_uri, {});
    const keys = (jwks.body && jwks.body.keys) || [];
    const jwk = keys.find((k) => k.kid === header.kid);
    if (!jwk) return { ok: false, text: t("No key with kid {kid} in the JWKS.", { kid: header.kid }) };
    const key = await crypto.subtle.importKey("jwk", publicJwk(jwk), alg.key, false, ["verify"]);
    const parts = token.split(".");
    const ok = await crypto.subtle.verify(
      alg.sign, key, fromBase64url(parts[2]), new TextEncoder().encode(parts[0] + "." + parts[1]));
    const used = { alg: header.alg, kid: header.kid, jwks: state.discovery.jwks_uri };
    return {
      ok: ok,
      text: ok
        ? t("Signature valid: {alg} with key {kid} from the JWKS ({jwks}), checked by WebCrypto in this browser.", used)
        : t("Signature INVALID: {alg} with key {kid} from the JWKS ({jwks}), checked by WebCrypto in this browser.", used),
    };
  }
  async function halfHash(value, hash) {
    const digest = new Uint8Array(await crypto.subtle.digest(hash, new TextEncoder().encode(value)));
    return base64url(digest.slice(0, digest.length / 2));
  }
  async function inspectIdToken(idToken, accessToken) {
    const list = $("id-token-checks");
    list.replaceChildren();
    if (!idToken) {
      $("signature-result").textContent = t("The response has no id_token.");
      return;
    }
    const parts = idToken.split(".");
    const decode = (part) => JSON.parse(new TextDecoder().decode(fromBase64url(part)));
    const header = decode(parts[0]);
    const claims = decode(parts[1]);
    $("id-token-header").textContent = json(header);
    $("id-token-claims").textContent = json(claims);
    const verdict = await verifySignature(idToken, header);
    const signature = $("signature-result");
    signature.textContent = verdict.text;
    signature.className = verdict.ok ? "ok" : "bad";
    signature.dataset.verified = verdict.ok ? "true" : "false";
    signature.dataset.alg = header.alg;
    const now = Math.floor(Date.now() / 1000);
    const audience = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    const checks = [
      [claims.iss === state.discovery.issuer, t("iss is the issuer from discovery")],
      [audience.includes(state.clientId), t("aud contains this client_id")],
      [claims.nonce === state.request.params.nonce, t("nonce is the one sent in step 3")],
      [typeof claims.exp === "number" && claims.exp > now, t("exp is in the future")],
    ];
    const alg = webCryptoAlg(header.alg || "");
    if (claims.at_hash && accessToken && alg) {
      checks.push([claims.at_hash === (await halfHash(accessToken, alg.hash)), t("at_hash matches the access token")]);
    }
    for (const [ok, text] of checks) {
      const item = document.createElement("li");
      item.textContent = (ok ? "✓ " : "✗ ") + text;
      item.className = ok ? "ok" : "bad";
      list.appendChild(item);
    }
  }
  // The userinfo request with ``token`` and the server's answer, as text.
  async function userinfo(token) {
    const url = state.discovery.userinfo_endpoint;
    const result = await call(url, { headers: { Authorization: "Bearer " + token } });
    return "GET " + pathOf(url) + "\nAuthorization: Bearer " + token + "\n\n" + showResponse(result);
  }
  async function refresh() {
    const params = { grant_type: "refresh_token", refresh_token: state.tokens.refresh_token, client_id: state.clientId };
    const result = await postForm(state.discovery.token_endpoint, params);
    $("refresh-response").textContent = showForm(state.discovery.token_endpoint, params) + "\n\n" + showResponse(result);
    if (result.status === 200) {
      state.tokens = Object.assign({}, state.tokens, result.body);
    }
  }

  // --- the three failures --------------------------------------------------------------------
  async function newCode(params) {
    const request = { params: params, url: authorizeUrl(params) };
    return { request: request, result: await runAuthorization(request.url, false) };
  }
  async function failVerifier() {
    const out = $("fail-verifier-result");
    out.textContent = t("Getting a new code…");
    const verifier = randomVerifier(64);
    const params = Object.assign({}, state.request.params, {
      state: randomId(), nonce: randomId(), code_challenge: await s256(verifier), code_challenge_method: "S256",
    });
    const { result } = await newCode(params);
    if (result.kind !== "callback" || !result.params.code) {
      out.textContent = describeOutcome(result);
      return;
    }
    const wrong = randomVerifier(64);
    const form = exchangeParams(result.params.code, wrong);
    const answer = await postForm(state.discovery.token_endpoint, form);
    out.textContent = t("The challenge was made from {verifier};\nthis request sends another verifier.", { verifier: verifier }) + "\n\n"
      + showForm(state.discovery.token_endpoint, form) + "\n\n" + showResponse(answer);
  }
  async function failReplay() {
    const out = $("fail-replay-result");
    const answer = await postForm(state.discovery.token_endpoint, state.exchange);
    const after = await userinfo(state.firstAccessToken);
    out.textContent = t("The same request as in step 4, again:") + "\n\n" + showForm(state.discovery.token_endpoint, state.exchange)
      + "\n\n" + showResponse(answer) + "\n\n" + t("The first access token, after the replay:") + "\n\n" + after;
  }
  async function failChallenge() {
    const out = $("fail-challenge-result");
    out.textContent = t("Sending an authorization request without code_challenge…");
    const params = Object.assign({}, state.request.params, { state: randomId(), nonce: randomId() });
    delete params.code_challenge;
    delete params.code_challenge_method;
    const { request, result } = await newCode(params);
    out.textContent = "GET " + pathOf(request.url) + "\n\n" + describeOutcome(result);
  }

  // --- persistence (this tab only) -----------------------------------------------------------
  function save(extra) {
    const kept = {
      verifier: state.verifier,
      challenge: state.challenge,
      method: state.method,
      clientId: state.clientId,
      request: state.request,
    };
    sessionStorage.setItem(STORE, JSON.stringify(Object.assign(kept, extra || {})));
  }
  function restore() {
    let kept = null;
    try {
      kept = JSON.parse(sessionStorage.getItem(STORE) || "null");
    } catch (error) {
      kept = null;
    }
    if (!kept) return null;
    Object.assign(state, { verifier: kept.verifier, challenge: kept.challenge, method: kept.method || "S256", clientId: kept.clientId });
    if (state.verifier) {
      $("verifier").textContent = state.verifier;
      $("challenge").textContent = state.challenge;
      $("method").value = state.method;
    }
    if (state.clientId) {
      $("client-summary").textContent = t("Client {client_id} was registered earlier in this tab.", { client_id: state.clientId });
      $("register").textContent = t("Register another client");
    }
    return kept;
  }

  // --- start -----------------------------------------------------------------------------------
  function bind(id, action) {
    $(id).addEventListener("click", () => {
      Promise.resolve()
        .then(action)
        .catch((error) => {
          $("environment-warning").hidden = false;
          $("environment-warning").textContent = t("Unexpected error: {error}", { error: error });
        });
    });
  }

  async function start() {
    const problems = [];
    if (new URL(ISSUER).origin !== location.origin) {
      problems.push(t("This page is open at {origin}, but the server's issuer is {issuer}: open the"
        + " playground at {issuer}/playground so its requests stay on one origin.",
      { origin: location.origin, issuer: ISSUER }));
    }
    if (!window.crypto || !crypto.subtle) {
      problems.push(t("This browser offers no WebCrypto here (it needs https, or http on localhost):"
        + " the challenge and the signature check cannot be computed."));
    }
    if (problems.length) {
      $("environment-warning").hidden = false;
      $("environment-warning").textContent = problems.join(" ");
    }
    for (const id of ["authorize", "exchange", "userinfo", "refresh", "fail-verifier", "fail-replay", "fail-challenge"]) {
      $(id).disabled = true;
    }
    const discovery = await call(DISCOVERY, {});
    if (discovery.status !== 200) {
      $("server-info").textContent = t("Discovery answered {status}; the playground cannot go on.", { status: discovery.status });
      return;
    }
    state.discovery = discovery.body;
    const doc = state.discovery;
    $("server-info").textContent = t("Issuer {issuer}. PKCE methods: {methods}. id_token algorithms: {algs}.", {
      issuer: doc.issuer,
      methods: (doc.code_challenge_methods_supported || []).join(", "),
      algs: (doc.id_token_signing_alg_values_supported || []).join(", "),
    }) + (doc.registration_endpoint ? "" : " " + t("Dynamic registration is off on this server, so step 2 cannot work."));
    for (const alg of doc.id_token_signing_alg_values_supported || []) {
      const option = document.createElement("option");
      option.value = alg;
      option.textContent = alg;
      $("id-token-alg").appendChild(option);
    }
    $("registration-body").value = json(defaultBody());
    if (!doc.registration_endpoint) $("register").disabled = true;
    const kept = restore();
    methodNote();
    shellCommands();
    // Back from the callback page in this tab (pop-up blocked): the request it answers.
    const returned = sessionStorage.getItem(CALLBACK_STORE);
    sessionStorage.removeItem(CALLBACK_STORE);
    if (returned && kept && kept.request && state.clientId) {
      state.request = kept.request;
      renderRequest(kept.request);
      receive({ kind: "callback", params: JSON.parse(returned) }, kept.request);
    } else {
      prepareRequest();
    }
    bind("generate", generate);
    bind("register", register);
    bind("authorize", authorize);
    bind("exchange", exchange);
    bind("userinfo", async () => {
      $("userinfo-response").textContent = await userinfo(state.tokens.access_token);
    });
    bind("refresh", refresh);
    bind("fail-verifier", failVerifier);
    bind("fail-replay", failReplay);
    bind("fail-challenge", failChallenge);
    $("method").addEventListener("change", () => {
      methodNote();
      if (state.verifier) generate();
    });
    $("id-token-alg").addEventListener("change", chooseAlg);
    if (!state.verifier && window.crypto && crypto.subtle) await generate();
    main.dataset.ready = "true";
  }

  start();
})();
