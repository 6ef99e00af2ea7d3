// The login form's bot defence (ID-BOT-01): the ALTCHA v2 challenge the page carries is solved
// here before the form is sent, as ALTCHA's widget does (iterated SHA-256 over salt, nonce and a
// big-endian uint32 counter until the key starts with the prefix), with the browser's WebCrypto.
"use strict";
(function () {
  var form = document.getElementById("challenged-form");
  var field = document.getElementById("altcha");
  var state = document.getElementById("challenge-state");
  if (!form || !field || !window.crypto || !window.crypto.subtle) { return; }
  var challenge = JSON.parse(field.getAttribute("data-challenge"));
  var p = challenge.parameters;

  function bytes(hex) {
    var out = new Uint8Array(hex.length / 2);
    for (var i = 0; i < out.length; i++) { out[i] = parseInt(hex.substr(i * 2, 2), 16); }
    return out;
  }
  function hex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }
  var salt = bytes(p.salt), nonce = bytes(p.nonce), prefix = p.keyPrefix.toLowerCase();
  var algorithm = p.algorithm === "SHA-512" || p.algorithm === "SHA-384" ? p.algorithm : "SHA-256";

  async function derive(counter) {
    var data = new Uint8Array(salt.length + nonce.length + 4);
    data.set(salt, 0);
    data.set(nonce, salt.length);
    new DataView(data.buffer).setUint32(salt.length + nonce.length, counter, false);
    var derived = await crypto.subtle.digest(algorithm, data);
    for (var i = 1; i < Math.max(1, p.cost); i++) { derived = await crypto.subtle.digest(algorithm, derived); }
    return hex(derived).slice(0, p.keyLength * 2);
  }
  async function solve() {
    for (var counter = 0; counter < 0xffffffff; counter++) {
      var key = await derive(counter);
      if (key.indexOf(prefix) === 0) { return {counter: counter, derivedKey: key}; }
    }
    return null;
  }
  var solving = null;
  form.addEventListener("submit", function (event) {
    if (field.value) { return; }
    event.preventDefault();
    if (solving) { return; }
    state.textContent = "自動操作ではないことを確認しています…";
    solving = solve().then(function (solution) {
      field.value = btoa(JSON.stringify({challenge: challenge, solution: solution}));
      state.textContent = "";
      form.submit();
    });
  });
})();
