// node-oidc-provider set up like authgate's benchmark defaults, as a comparison target.
//
// Environment: PORT (listens on 127.0.0.1 only), ISSUER (default http://127.0.0.1:PORT),
// BENCH_PASSWORD (default "bench-password"), CODE_TTL (authorization code lifetime in
// seconds, default 60).
// Prints "ready" on stdout once listening; exits on SIGTERM/SIGINT.
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';

import Provider from 'oidc-provider';

function positiveInt(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new TypeError(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  }
  return value;
}

const PORT = positiveInt('PORT', 3000);
const ISSUER = process.env.ISSUER || `http://127.0.0.1:${PORT}`;
const PASSWORD = process.env.BENCH_PASSWORD ?? 'bench-password';
const CODE_TTL = positiveInt('CODE_TTL', 60);
// The store: a Map per process, as a user who keeps node-oidc-provider in memory and cares
// about its speed would write it (the package's own MemoryAdapter is documented as a
// development aid). Why not that adapter: it keeps an LRU of 1000 entries, which evicts
// sessions, codes and tokens under load (authgate keeps everything it issues), and on every
// write of a code or token it rebuilds the grant's member list, scanning every token of the
// grant (setGrantMembers). Each benchmark user keeps one grant for the whole run, so that
// scan grows with every flow: at c=1 it took about 30% of the process's CPU (README.md).
// Here a grant's members are a Set, so writes and revocations cost the same at any size.
const entries = new Map(); // `${model}:${id}` -> { payload, expiresAt (ms, or Infinity) }
const grants = new Map(); // grantId -> Set of entry keys
const sessionUids = new Map(); // session uid -> session id
const userCodes = new Map(); // device flow user code -> id
const expiring = new Map(); // expiry minute -> entry keys, for the sweep
const GRANTABLE = new Set([
  'AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode',
  'BackchannelAuthenticationRequest', 'PreAuthorizedCode',
]);
const MINUTE = 60_000;

function forget(key) {
  const entry = entries.get(key);
  if (!entry) return;
  entries.delete(key);
  const { payload } = entry;
  if (payload.grantId) grants.get(payload.grantId)?.delete(key);
  if (payload.uid && sessionUids.get(payload.uid) === key) sessionUids.delete(payload.uid);
  if (payload.userCode && userCodes.get(payload.userCode) === key) userCodes.delete(payload.userCode);
}

function live(key) {
  const entry = entries.get(key);
  if (!entry) return undefined;
  if (entry.expiresAt <= Date.now()) {
    forget(key);
    return undefined;
  }
  return entry.payload;
}

// Expired entries are dropped when read, and once a minute by the sweep, which visits only
// the entries that expired in the minutes since (memory stays bounded by the lifetimes).
setInterval(() => {
  const now = Date.now();
  for (const [minute, keys] of expiring) {
    if (minute * MINUTE > now) continue;
    expiring.delete(minute);
    for (const key of keys) {
      if ((entries.get(key)?.expiresAt ?? Infinity) <= now) forget(key);
    }
  }
}, MINUTE).unref();

class MapAdapter {
  constructor(model) {
    this.model = model;
  }

  key(id) {
    return `${this.model}:${id}`;
  }

  async upsert(id, payload, expiresIn) {
    const key = this.key(id);
    forget(key);
    const expiresAt = typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : Infinity;
    entries.set(key, { payload, expiresAt });
    if (Number.isFinite(expiresAt)) {
      const minute = Math.ceil(expiresAt / MINUTE);
      const keys = expiring.get(minute);
      if (keys) keys.push(key);
      else expiring.set(minute, [key]);
    }
    if (GRANTABLE.has(this.model) && payload.grantId) {
      let members = grants.get(payload.grantId);
      if (!members) grants.set(payload.grantId, (members = new Set()));
      members.add(key);
    }
    if (this.model === 'Session') sessionUids.set(payload.uid, key);
    if (payload.userCode) userCodes.set(payload.userCode, key);
  }

  async find(id) {
    return live(this.key(id));
  }

  async findByUid(uid) {
    const key = sessionUids.get(uid);
    return key === undefined ? undefined : live(key);
  }

  async findByUserCode(userCode) {
    const key = userCodes.get(userCode);
    return key === undefined ? undefined : live(key);
  }

  async consume(id) {
    const payload = live(this.key(id));
    if (payload) payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id) {
    forget(this.key(id));
  }

  async revokeByGrantId(grantId) {
    const members = grants.get(grantId);
    if (!members) return;
    grants.delete(grantId);
    for (const key of members) forget(key);
  }
}

const USERNAME = /^(?:user\d+|admin)$/;
const DAY = 24 * 60 * 60;
const REDIRECT_URI = 'http://127.0.0.1:9/callback';

// One RSA-2048 signing key per process, like a fresh authgate data directory.
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = {
  ...privateKey.export({ format: 'jwk' }),
  kid: randomUUID(),
  alg: 'RS256',
  use: 'sig',
};

const provider = new Provider(ISSUER, {
  adapter: MapAdapter,
  clients: [
    {
      client_id: 'bench-spa',
      token_endpoint_auth_method: 'none',
      redirect_uris: [REDIRECT_URI],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      id_token_signed_response_alg: 'RS256',
    },
  ],
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  responseTypes: ['code'],
  scopes: ['openid', 'profile', 'email', 'offline_access'],
  claims: {
    openid: ['sub'],
    profile: ['name'],
    email: ['email', 'email_verified'],
  },
  features: {
    devInteractions: { enabled: false },
  },
  // PKCE: oidc-provider 9 only knows S256 and its default pkce.required() is true for
  // clients with token_endpoint_auth_method "none", so nothing to configure.
  async findAccount(ctx, accountId) {
    return {
      accountId,
      async claims() {
        return {
          sub: accountId,
          email: `${accountId}@example.com`,
          email_verified: true,
          name: `Bench ${accountId}`,
        };
      },
    };
  },
  // authgate issues a refresh token on every code exchange of a client allowed the grant,
  // whether or not offline_access was asked for.
  async issueRefreshToken(ctx, client) {
    return client.grantTypeAllowed('refresh_token');
  },
  clientBasedCORS(ctx, origin, client) {
    return client.redirectUris.some((uri) => URL.parse(uri)?.origin === origin);
  },
  ttl: {
    AccessToken: 300,
    AuthorizationCode: CODE_TTL,
    IdToken: 3600,
    RefreshToken(ctx, token, client) {
      // A rotated public-client refresh token keeps the expiry of the one it replaces.
      const previous = ctx?.oidc?.entities.RotatedRefreshToken;
      if (previous && client.clientAuthMethod === 'none' && !token.isSenderConstrained()) {
        return Math.max(1, previous.remainingTTL);
      }
      return 4 * 60 * 60;
    },
    Interaction: 60 * 60,
    Session: DAY,
    Grant: DAY,
  },
});

// ---- interaction pages -------------------------------------------------------------

const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title, body) {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>`
    + `<body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}

function loginPage(uid, error) {
  const message = error ? `<p role="alert">${escapeHtml(error)}</p>` : '';
  return page('Sign in', `${message}<form method="post" action="/interaction/${escapeHtml(uid)}/login">`
    + '<label>Username <input name="username" autocomplete="username" required></label> '
    + '<label>Password <input type="password" name="password" autocomplete="current-password" required></label> '
    + '<button type="submit">Sign in</button></form>');
}

function consentPage(uid, clientId, scopes) {
  return page('Authorize', `<p>${escapeHtml(clientId)} asks for: ${escapeHtml(scopes)}</p>`
    + `<form method="post" action="/interaction/${escapeHtml(uid)}/confirm">`
    + '<button type="submit" name="decision" value="allow">Allow</button></form>');
}

async function readForm(req, limit = 16 * 1024) {
  let size = 0;
  const chunks = [];
  for await (const chunk of req) {
    size += chunk.length;
    if (size > limit) {
      const err = new Error('request body too large');
      err.status = 413;
      err.expose = true;
      throw err;
    }
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function html(ctx, status, body) {
  ctx.status = status;
  ctx.type = 'html';
  ctx.set('Cache-Control', 'no-store');
  ctx.body = body;
}

const ROUTE = /^\/interaction\/([A-Za-z0-9_-]+)(?:\/(login|confirm))?$/;

// Runs before oidc-provider's own routes (Provider#use inserts ahead of them).
if (process.env.BENCH_DEBUG) {
  provider.on('grant.error', (ctx, err) => console.error('grant.error', err.error_description, err.error_detail ?? ''));
}

provider.use(async (ctx, next) => {
  const match = ROUTE.exec(ctx.path);
  if (!match) return next();
  const [, uid, action] = match;
  const wanted = action ? 'POST' : 'GET';
  if (ctx.method !== wanted) {
    ctx.set('Allow', wanted);
    ctx.status = 405;
    return undefined;
  }

  const interaction = await provider.interactionDetails(ctx.req, ctx.res);
  if (interaction.uid !== uid) ctx.throw(400, 'interaction mismatch');
  const { prompt, params } = interaction;

  if (!action) {
    if (prompt.name === 'login') return html(ctx, 200, loginPage(uid));
    if (prompt.name === 'consent') return html(ctx, 200, consentPage(uid, params.client_id, params.scope));
    return ctx.throw(400, `unsupported prompt ${prompt.name}`);
  }

  const form = await readForm(ctx.req);
  let result;
  if (action === 'login') {
    if (prompt.name !== 'login') ctx.throw(400, 'not a login prompt');
    const username = form.get('username') ?? '';
    if (!USERNAME.test(username) || form.get('password') !== PASSWORD) {
      return html(ctx, 200, loginPage(uid, 'Wrong username or password.'));
    }
    result = { login: { accountId: username } };
  } else {
    if (prompt.name !== 'consent') ctx.throw(400, 'not a consent prompt');
    if (form.get('decision') !== 'allow') {
      result = { error: 'access_denied', error_description: 'the user refused' };
    } else {
      const { details } = prompt;
      const grant = interaction.grantId
        ? await provider.Grant.find(interaction.grantId)
        : new provider.Grant({ accountId: interaction.session.accountId, clientId: params.client_id });
      if (details.missingOIDCScope) grant.addOIDCScope(details.missingOIDCScope.join(' '));
      if (details.missingOIDCClaims) grant.addOIDCClaims(details.missingOIDCClaims);
      for (const [indicator, scopes] of Object.entries(details.missingResourceScopes ?? {})) {
        grant.addResourceScope(indicator, scopes.join(' '));
      }
      result = { consent: { grantId: await grant.save() } };
    }
  }

  // Writes the 303 back to /auth/:uid on the raw response itself.
  await provider.interactionFinished(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
  ctx.respond = false;
  return undefined;
});

// ---- server ------------------------------------------------------------------------

const server = provider.listen(PORT, '127.0.0.1', () => {
  process.stdout.write('ready\n');
});

let stopping = false;
function stop() {
  if (stopping) return;
  stopping = true;
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
