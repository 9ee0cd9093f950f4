// The PKCE playground's callback page: hands the authorization response (query or fragment
// parameters) back to the playground that opened it, on this origin only, then closes.
// Opened in the same tab instead (pop-up blocked), it keeps the response in this tab's
// sessionStorage and goes back to the playground, which picks it up.
"use strict";

(function () {
  const main = document.getElementById("callback");
  const status = document.getElementById("callback-status");
  const params = {};
  for (const source of [location.search, location.hash.replace(/^#/, "?")]) {
    for (const [name, value] of new URLSearchParams(source)) {
      params[name] = value;
    }
  }
  // The response is in this page's address; do not keep it in the history.
  history.replaceState(null, "", location.pathname);
  const message = { type: "authgate-playground-callback", params: params };
  let opener = null;
  try {
    if (window.opener && !window.opener.closed && window.opener.location.origin === location.origin) {
      opener = window.opener;
    }
  } catch (error) {
    opener = null; // another origin opened this page: it gets nothing
  }
  if (opener !== null) {
    opener.postMessage(message, location.origin);
    status.textContent = "The response went back to the playground; this window closes.";
    window.close();
    return;
  }
  sessionStorage.setItem("authgate-playground-callback", JSON.stringify(params));
  status.textContent = "Returning to the playground…";
  location.replace(main.dataset.playground + "#step-3");
})();
