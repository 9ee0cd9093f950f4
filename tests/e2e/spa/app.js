// A small single-page application on oidc-client-ts (the real library, from npm), driven by
// tests/e2e/test_spa_oidc_client.py: every step returns what the page itself could read.
"use strict";
window.spa = (() => {
  const config = window.SPA_CONFIG;
  const manager = new oidc.UserManager({
    authority: config.issuer,
    client_id: config.clientId,
    redirect_uri: config.redirectUri,
    post_logout_redirect_uri: config.postLogoutRedirectUri,
    silent_redirect_uri: config.silentRedirectUri,
    includeIdTokenInSilentRenew: true,
    response_type: "code",
    scope: "openid profile",
    loadUserInfo: true,
    automaticSilentRenew: false,
    monitorSession: false,
    userStore: new oidc.WebStorageStateStore({ store: window.sessionStorage }),
  });

  const failure = (error) => ({ ok: false, error: String(error && error.message || error) });
  const summary = (user) => ({
    ok: true,
    sub: user.profile.sub,
    name: user.profile.name || null,
    accessToken: user.access_token,
    hasRefreshToken: typeof user.refresh_token === "string",
  });

  async function bearerCall(url, init) {
    try {
      const response = await fetch(url, init);
      const text = await response.text();
      return {
        read: true,
        status: response.status,
        challenge: response.headers.get("WWW-Authenticate"),
        body: text ? JSON.parse(text) : null,
      };
    } catch (error) {
      return { read: false, error: String(error) };
    }
  }

  if (window.location.pathname === config.silentPath) {
    manager.signinSilentCallback().catch((error) => console.error("silent", error));
  }

  return {
    login() {
      manager.signinRedirect().catch((error) => console.error("signin", error));
    },
    async callback() {
      try {
        return summary(await manager.signinRedirectCallback());
      } catch (error) {
        return failure(error);
      }
    },
    async refresh() {
      try {
        return summary(await manager.signinSilent());
      } catch (error) {
        return failure(error);
      }
    },
    // A silent sign-in in a hidden iframe (prompt=none with the id_token as id_token_hint),
    // as the library does when it holds no refresh token.
    async silentInFrame() {
      try {
        const user = await manager.getUser();
        const hint = user.id_token;
        await manager.storeUser(new oidc.User({ ...user, refresh_token: undefined }));
        return { ...summary(await manager.signinSilent()), hinted: typeof hint === "string" };
      } catch (error) {
        return failure(error);
      }
    },
    async userinfo() {
      const user = await manager.getUser();
      const url = await manager.metadataService.getUserInfoEndpoint();
      return bearerCall(url, { headers: { Authorization: "Bearer " + user.access_token } });
    },
    async revokeAccessToken() {
      try {
        await manager.revokeTokens(["access_token"]);
        return { ok: true };
      } catch (error) {
        return failure(error);
      }
    },
    async tokenWithUnknownClient() {
      const url = await manager.metadataService.getTokenEndpoint();
      const body = new URLSearchParams({
        grant_type: "authorization_code",
        client_id: "no-such-client",
        code: "no-such-code",
        redirect_uri: config.redirectUri,
      });
      return bearerCall(url, { method: "POST", body });
    },
    logout() {
      manager.signoutRedirect({ state: "spa-bye" }).catch((error) => console.error("signout", error));
    },
    async logoutCallback() {
      try {
        const response = await manager.signoutRedirectCallback();
        return { ok: true, state: response.userState || null, user: await manager.getUser() };
      } catch (error) {
        return failure(error);
      }
    },
  };
})();
