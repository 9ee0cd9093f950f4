// Passkey ceremonies of authgate's pages (login, second factor, account security).
// A form with data-passkey="login" | "second-factor" | "register" holds the hidden fields
// posted with the result; data-options is where its options come from. No inline script:
// the pages' Content-Security-Policy allows scripts from this origin only.
(function () {
  "use strict";

  function toBuffer(text) {
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) { b64 += "="; }
    var bin = atob(b64);
    var bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { bytes[i] = bin.charCodeAt(i); }
    return bytes.buffer;
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer);
    var bin = "";
    for (var i = 0; i < bytes.length; i++) { bin += String.fromCharCode(bytes[i]); }
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (c) { return Object.assign({}, c, { id: toBuffer(c.id) }); });
  }

  function requestOptions(o) {
    return Object.assign({}, o, {
      challenge: toBuffer(o.challenge),
      allowCredentials: descriptors(o.allowCredentials)
    });
  }

  function creationOptions(o) {
    return Object.assign({}, o, {
      challenge: toBuffer(o.challenge),
      user: Object.assign({}, o.user, { id: toBuffer(o.user.id) }),
      excludeCredentials: descriptors(o.excludeCredentials)
    });
  }

  function credentialJSON(c) {
    var r = c.response;
    var out = {
      id: c.id,
      rawId: toText(c.rawId),
      type: c.type,
      authenticatorAttachment: c.authenticatorAttachment || null,
      clientExtensionResults: c.getClientExtensionResults ? c.getClientExtensionResults() : {},
      response: { clientDataJSON: toText(r.clientDataJSON) }
    };
    if (r.attestationObject) {
      out.response.attestationObject = toText(r.attestationObject);
      out.response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      out.response.authenticatorData = toText(r.authenticatorData);
      out.response.signature = toText(r.signature);
      out.response.userHandle = r.userHandle ? toText(r.userHandle) : null;
    }
    return out;
  }

  function showError(text) {
    var box = document.getElementById("passkey-error");
    if (box) { box.textContent = text; box.hidden = false; }
  }

  function field(form, name) {
    var input = form.querySelector('input[name="' + name + '"]');
    return input ? input.value : "";
  }

  async function post(url, params) {
    var response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(params).toString()
    });
    var data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    if (!response.ok || data === null) {
      throw new Error((data && data.error_description) ||
        "The passkey request failed. Reload the page and try again.");
    }
    return data;
  }

  function optionParams(form) {
    return { ix: field(form, "ix"), csrf: field(form, "csrf"), purpose: field(form, "purpose") };
  }

  var pending = null;

  async function signIn(form, conditional) {
    if (pending) { pending.abort(); }
    var controller = new AbortController();
    pending = controller;
    var options = await post(form.dataset.options, optionParams(form));
    var request = { publicKey: requestOptions(options), signal: controller.signal };
    if (conditional) { request.mediation = "conditional"; }
    var credential = await navigator.credentials.get(request);
    if (!credential) { return; }
    form.querySelector('input[name="credential"]').value = JSON.stringify(credentialJSON(credential));
    form.submit();
  }

  async function register(form) {
    var options = await post(form.dataset.options, { csrf: field(form, "csrf") });
    var credential = await navigator.credentials.create({ publicKey: creationOptions(options) });
    if (!credential) { return; }
    await post(form.action, {
      csrf: field(form, "csrf"),
      name: (form.querySelector('input[name="name"]') || { value: "" }).value,
      credential: JSON.stringify(credentialJSON(credential))
    });
    window.location.reload();
  }

  function failed(error) {
    if (error && error.name === "AbortError") { return; }
    if (error && error.name === "NotAllowedError") {
      showError("The passkey request was cancelled or timed out.");
      return;
    }
    showError(error && error.message ? error.message : "The passkey request failed.");
  }

  document.addEventListener("DOMContentLoaded", function () {
    var supported = typeof window.PublicKeyCredential === "function";
    document.querySelectorAll("form[data-passkey]").forEach(function (form) {
      var button = form.querySelector("button[data-passkey-start]");
      if (!supported) {
        if (button) { button.hidden = true; }
        return;
      }
      var kind = form.dataset.passkey;
      if (button) {
        button.addEventListener("click", function (event) {
          event.preventDefault();
          (kind === "register" ? register(form) : signIn(form, false)).catch(failed);
        });
      }
      if (kind === "login" && PublicKeyCredential.isConditionalMediationAvailable) {
        PublicKeyCredential.isConditionalMediationAvailable().then(function (available) {
          if (available) { signIn(form, true).catch(failed); }
        });
      }
    });
  });
})();
