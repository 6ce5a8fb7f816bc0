// Starts the first screen's two requests (who am I, the inbox) while the app's script is still on its
// way, instead of after it ran: on a slow phone that is a second saved. A file, not an inline script,
// because the Content-Security-Policy allows no inline code. The app takes the answers (or asks again).
// Each answer carries when it was asked and answered, so the inbox can set its countdowns to the hub's
// clock from the first answer on.
(function () {
  // This script loads async: when the app's own script ran first it has asked by itself and left a
  // mark here. Answers fetched now would only ever be older than the app's, so nothing is asked.
  if (window.__leadlineBoot) return;
  function get(url) {
    var sent = Date.now();
    return fetch(url, { credentials: 'same-origin', headers: { accept: 'application/json' } }).then(function (res) {
      var received = Date.now();
      if (!res.ok) throw new Error('HTTP ' + res.status);
      return res.json().then(function (value) {
        return { value: value, sent: sent, received: received };
      });
    });
  }
  var boot = { me: get('/api/auth/me'), inbox: get('/api/inbox') };
  // Not logged in yet: expected, the app shows the login form and asks again later.
  boot.me.catch(function () {});
  boot.inbox.catch(function () {});
  window.__leadlineBoot = boot;
})();
