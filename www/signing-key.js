// The JWT-bearer connection's key on the screen: "Generate key pair" makes a new key in this browser
// with the core's generateSigningKey (WebCrypto; the private key never leaves the page except in the
// next save, to the worker, which seals it), and offers what the instance needs to trust it — the
// self-signed certificate (PEM, to copy or download, for a verifier map with a certificate in
// sys_certificate) and the public key as a JWK. A saved connection shows its key id, its public JWK
// and its JWKS URL, which the instance can fetch instead of holding a certificate (the worker serves
// the current key and, during a rotation, the previous one there). The certificate exists only at
// generation: it is kept on screen until another connection is opened, and marked saved once the
// worker holds the key.

import { generateSigningKey } from "./pkg/servicenow_connection.js";

import { timeElement } from "./token-state.js";

const byId = (id) => document.getElementById(id);

/** A certificate's common name: at most 64 characters (RFC 5280 ub-common-name). */
function commonName(connectionId) {
  return `servicenow-connection ${connectionId || "new connection"}`.slice(0, 64);
}

/** The key material of a public JWK, to tell whether two JWKs are the same key. */
function material(jwk) {
  return jwk ? JSON.stringify([jwk.kty, jwk.n ?? jwk.x, jwk.e ?? jwk.y]) : null;
}

function say(id, text) {
  byId(id).textContent = text;
}

async function copy(text, statusId, what, field) {
  try {
    await navigator.clipboard.writeText(text);
    say(statusId, `${what} copied.`);
  } catch {
    // No clipboard access (an insecure origin, or permission refused): leave it selected instead.
    field.focus();
    field.select();
    say(statusId, `Copying is not allowed here: the ${what.toLowerCase()} is selected, press Ctrl+C (⌘C) to copy it.`);
  }
}

/**
 * `form` is the connection form (connection-form.js); `onError(message)` shows a failure to generate.
 */
export function setUpSigningKey({ form, onError }) {
  // The key pair made here: {certificate, jwk, keyId, connectionId}; the private key went to the form.
  let generated = null;
  let shownView = null;
  let downloadUrl = null;
  // Whether the form held a generated key at the last render: the only change of the form's fields
  // the panel shows.
  let renderedWithKey = null;

  function setDownload(certificate, connectionId) {
    if (downloadUrl) URL.revokeObjectURL(downloadUrl);
    const link = byId("download-certificate");
    if (certificate === null) {
      downloadUrl = null;
      link.href = "#";
      return;
    }
    downloadUrl = URL.createObjectURL(new Blob([certificate], { type: "application/x-pem-file" }));
    link.href = downloadUrl;
    link.download = `${connectionId || "connection"}-signing-certificate.pem`;
  }

  function renderGenerated() {
    const panel = byId("generated-key");
    panel.hidden = generated === null;
    if (!generated) {
      byId("generated-certificate").value = "";
      setDownload(null);
      return;
    }
    byId("generated-certificate").value = generated.certificate;
    setDownload(generated.certificate, generated.connectionId);
    const saved = material(shownView?.signingKey?.jwk) === material(generated.jwk) && !form.hasGeneratedKey;
    say("generated-key-note", saved
      ? "Saved: the worker holds the private key (sealed), and it will not be shown again. The certificate is shown until you open another connection: copy or download it now if the instance's verifier map takes a certificate."
      : "Not saved yet: the private key is kept in this page only and sent to the worker when you save. Give the instance the certificate, or the JWKS URL once saved.");
  }

  /** The key part of the "For the instance's JWT verifier" section. */
  function renderSaved() {
    const state = byId("signing-key-state");
    state.replaceChildren();
    const key = shownView?.signingKey ?? null;
    const jwk = form.hasGeneratedKey && generated ? generated.jwk : key?.jwk ?? null;
    byId("jwk").value = jwk ? JSON.stringify(jwk, null, 2) : "";
    byId("copy-jwk").disabled = jwk === null;
    byId("jwksUrl").value = shownView?.jwksUrl ?? "";
    byId("copy-jwks-url").disabled = !shownView?.jwksUrl;
    const line = (...parts) => {
      const p = document.createElement("p");
      p.append(...parts);
      state.append(p);
    };
    if (form.hasGeneratedKey) {
      line("A new key pair waits for Save; the JWK below is its public key.");
    } else if (!key) {
      line(shownView ? "No private key stored yet: set one or generate a key pair, then save." : "Save the connection to get its JWKS URL.");
    } else {
      const id = document.createElement("code");
      id.textContent = key.keyId;
      line("Key ID ", id, ` (${key.algorithm}), since `, timeElement(key.since), ".");
      if (key.previous) {
        const previous = document.createElement("code");
        previous.textContent = key.previous.keyId;
        line("The previous key ", previous, " stays in the key set until the instance has issued a token for the new one (Generate).");
      }
    }
    if (shownView && !shownView.jwksUrl && key) line("The JWKS URL appears once the connection is saved.");
  }

  /** A generated key is shown while the form holds it (unsaved) or the shown connection has it (saved). */
  function forgetUnlessKept() {
    if (generated && !form.hasGeneratedKey && material(shownView?.signingKey?.jwk) !== material(generated.jwk)) generated = null;
  }

  function render() {
    renderedWithKey = form.hasGeneratedKey;
    renderGenerated();
    renderSaved();
  }

  byId("generate-key-pair").addEventListener("click", async () => {
    const button = byId("generate-key-pair");
    button.disabled = true;
    say("generated-key-status", "Generating a key pair…");
    try {
      const connectionId = form.read().id;
      const made = await generateSigningKey({ algorithm: form.jwtAlgorithm(), subject: commonName(connectionId) });
      form.setGeneratedKey(made.privateKey);
      generated = { certificate: made.certificate, jwk: made.jwk, keyId: made.keyId, connectionId };
      render();
      say("generated-key-status", `Key pair generated (key ID ${made.keyId}). Save to store the private key.`);
    } catch (error) {
      say("generated-key-status", "");
      onError(`The key pair could not be generated: ${error?.message ?? "the browser refused"}.`);
    } finally {
      button.disabled = false;
    }
  });

  byId("copy-certificate").addEventListener("click", () => {
    copy(byId("generated-certificate").value, "generated-key-status", "Certificate", byId("generated-certificate"));
  });
  byId("copy-jwk").addEventListener("click", () => copy(byId("jwk").value, "signing-key-status", "JWK", byId("jwk")));
  byId("copy-jwks-url").addEventListener("click", () => copy(byId("jwksUrl").value, "signing-key-status", "JWKS URL", byId("jwksUrl")));

  return {
    /**
     * Shows the key of a connection view (null for a new connection). A certificate generated here
     * stays while its key waits for the save, or is the key of the connection shown.
     */
    show(view) {
      shownView = view;
      forgetUnlessKept();
      say("signing-key-status", "");
      if (!generated) say("generated-key-status", "");
      render();
    },
    /** The form changed: only a generated key taken or dropped (a typed key replaces it) matters. */
    refresh() {
      if (form.hasGeneratedKey === renderedWithKey) return;
      forgetUnlessKept();
      render();
    },
  };
}
