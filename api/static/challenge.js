// rdv: the proof of work of the booking form (ALTCHA's protocol, v1).
// It fetches a challenge from the form's data-challenge URL, finds the
// number n such that hex(SHA-256(salt + n)) is the challenge, and puts
// base64 of {algorithm, challenge, number, salt, signature} in the hidden
// field "altcha" before the form is sent. Our own code: no inline script,
// no eval, nothing from another site.
'use strict';

(() => {
  const form = document.querySelector('form[data-challenge]');
  if (!form) {
    return;
  }
  const field = form.querySelector('input[name="altcha"]');
  const status = document.getElementById('challenge-status');
  if (!window.crypto || !crypto.subtle) {
    // WebCrypto exists only in a secure context: HTTPS, or localhost.
    if (status) {
      status.textContent = "Votre navigateur ne permet pas la vérification anti-robot sur cette page (connexion non sécurisée) : la réservation en ligne n'aboutira pas.";
    }
    return;
  }
  const encoder = new TextEncoder();
  // A solution is used only while its challenge has at least this long to
  // live, by the browser's clock; an older one is replaced before sending.
  const margin = 60 * 1000;
  const batch = 100;
  let solution = null; // promise of {payload, expires (ms)}
  let sending = false;

  const say = (text) => {
    if (status) {
      status.textContent = text;
    }
  };

  const hex = (buf) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');

  const solve = async () => {
    const resp = await fetch(form.dataset.challenge, {
      headers: { Accept: 'application/json' }, cache: 'no-store', credentials: 'same-origin',
    });
    if (!resp.ok) {
      throw new Error('challenge: status ' + resp.status);
    }
    const c = await resp.json();
    const query = c.salt.split('?')[1] || '';
    const expires = Number(new URLSearchParams(query).get('expires')) * 1000;
    // Hashes are asked for by batches: the browser computes them off the
    // main thread, and a batch costs one wait instead of one per hash.
    for (let n = 0; n <= c.maxnumber; n += batch) {
      const size = Math.min(batch, c.maxnumber - n + 1);
      const digests = await Promise.all(Array.from({ length: size },
        (_, i) => crypto.subtle.digest('SHA-256', encoder.encode(c.salt + (n + i)))));
      const i = digests.findIndex((d) => hex(d) === c.challenge);
      if (i >= 0) {
        const payload = btoa(JSON.stringify({
          algorithm: c.algorithm, challenge: c.challenge, number: n + i, salt: c.salt, signature: c.signature,
        }));
        return { payload, expires };
      }
    }
    throw new Error('challenge: no solution');
  };

  const start = () => {
    solution = solve();
    solution.catch(() => {}); // reported when the form is sent
    return solution;
  };

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (sending) {
      return;
    }
    sending = true;
    say('Vérification anti-robot en cours…');
    try {
      let s = await (solution || start()).catch(() => start());
      if (s.expires - Date.now() < margin) {
        s = await start();
      }
      field.value = s.payload;
      solution = null; // a solution serves once
      say('Vérification faite, envoi du formulaire…');
      form.submit();
    } catch (e) {
      sending = false;
      solution = null;
      say("La vérification anti-robot n'a pas pu être faite. Vérifiez votre connexion et renvoyez le formulaire.");
    }
  });

  // Back to a page kept by the browser after it was sent: solve anew.
  window.addEventListener('pageshow', (event) => {
    if (event.persisted) {
      sending = false;
      start();
    }
  });

  start();
})();
