// node-oidc-provider set up like authgate's benchmark defaults, as a comparison target.
//
// Environment: PORT (listens on 127.0.0.1 only), ISSUER (default http://127.0.0.1:PORT),
// BENCH_PASSWORD (default "bench-password"), CODE_TTL (authorization code lifetime in
// seconds, default 60), STORE_SIZE (entries the in-memory store keeps, default 1000000).
// Prints "ready" on stdout once listening; exits on SIGTERM/SIGINT.
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';

import Provider from 'oidc-provider';
import MemoryAdapter from 'oidc-provider/lib/adapters/memory_adapter.js';
import LRU from 'oidc-provider/lib/helpers/lru.js';

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
// The default in-memory adapter keeps an LRU of 1000 entries: under load, sessions, grants,
// codes and tokens would be evicted. authgate keeps everything it issues, so this adapter
// (the same class, with a larger store) keeps it too.
const store = new LRU({ maxSize: positiveInt('STORE_SIZE', 1_000_000) });
class BenchMemoryAdapter extends MemoryAdapter {
  constructor(model) {
    super(model, store);
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
  adapter: BenchMemoryAdapter,
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
