import type { WebForm } from '@leadline/core';
import { createHash } from 'node:crypto';
import { DEFAULT_THANK_YOU } from './form-pages';

/** Bumped when the script's behaviour changes; part of its ETag. */
export const SNIPPET_VERSION = 3;

export interface SnippetScript {
  body: string;
  etag: string;
}

/**
 * The embed script served at GET /forms/KEY.js. Included on every page of a site, it remembers the
 * visit's attribution (UTM tags and ad click ids of the landing URL, the landing page and the
 * external referrer) in sessionStorage and a session cookie on the site's own origin, so it survives
 * moving between pages. On a page with `<form data-leadline="KEY">` it takes over the submit: posts
 * with fetch (multipart, so files work, and no CORS preflight), disables the button while sending,
 * and shows the outcome in the page's language right under the form, styled inline (the site needs
 * no CSS of ours). Without JavaScript the same form still posts as a plain HTML form.
 */
export function snippetScript(form: WebForm, endpoint: string): SnippetScript {
  const config = {
    key: form.key,
    endpoint,
    successUrl: form.successUrl,
    thanks: { en: form.thankYou.en || DEFAULT_THANK_YOU.en, ru: form.thankYou.ru || DEFAULT_THANK_YOU.ru },
  };
  const body = `/* Leadline form snippet v${SNIPPET_VERSION} */\n(function (C) {\n${SCRIPT}\n})(${JSON.stringify(config).replace(/</g, '\\u003c')});\n`;
  const etag = `"${SNIPPET_VERSION}-${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
  return { body, etag };
}

// Plain ES2017 that every current browser runs as is (no build step between us and the site).
const SCRIPT = String.raw`
  'use strict';
  var STORE = 'leadline_attr';
  var KEYS = ['utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content', 'gclid', 'yclid', 'fbclid'];
  var TEXT = {
    en: { sending: 'Sending…', network: 'Could not send the form. Check your connection and try again.', invalid: 'Please give a phone number or an email so we can reach you.', phone: 'The phone number does not look right. Please check it or leave an email.', email: 'The email address does not look right. Please check it or leave a phone number.', limited: 'Too many submissions in a row. Please try again in a minute.', big: 'The submission is too large (files up to 10 MB each).', other: 'We cannot take your request right now. Please try again in a minute.' },
    ru: { sending: 'Отправляем…', network: 'Не удалось отправить форму. Проверьте соединение и попробуйте ещё раз.', invalid: 'Укажите телефон или email, чтобы мы могли с вами связаться.', phone: 'Номер телефона указан неверно. Проверьте его или оставьте email.', email: 'Email указан неверно. Проверьте его или оставьте телефон.', limited: 'Слишком много заявок подряд. Попробуйте через минуту.', big: 'Заявка слишком большая (файлы — до 10 МБ каждый).', other: 'Сейчас мы не можем принять заявку. Попробуйте через минуту.' }
  };
  var started = Date.now();
  // Post where the script came from (right behind any proxy or path prefix); the configured URL otherwise.
  var script = document.currentScript;
  var endpoint = script && script.src && /\/forms\/[^/?#]+\.js(?:[?#].*)?$/.test(script.src)
    ? script.src.replace(/\/forms\/[^/?#]+\.js(?:[?#].*)?$/, '/api/inbound/forms/' + encodeURIComponent(C.key))
    : C.endpoint;

  function lang() {
    var l = (document.documentElement.getAttribute('lang') || navigator.language || 'en').toLowerCase();
    return l.indexOf('ru') === 0 ? 'ru' : 'en';
  }
  function readCookie() {
    var m = document.cookie.match(/(?:^|;\s*)leadline_attr=([^;]*)/);
    try { return m ? JSON.parse(decodeURIComponent(m[1])) : null; } catch (e) { return null; }
  }
  function load() {
    try { var s = sessionStorage.getItem(STORE); if (s) return JSON.parse(s); } catch (e) {}
    return readCookie();
  }
  function save(a) {
    var json = JSON.stringify(a);
    try { sessionStorage.setItem(STORE, json); } catch (e) {}
    // A session cookie as well: another tab of the same visit, or a browser without storage.
    document.cookie = STORE + '=' + encodeURIComponent(json) + '; path=/; SameSite=Lax' + (location.protocol === 'https:' ? '; Secure' : '');
  }
  function externalReferrer() {
    try { return document.referrer && new URL(document.referrer).host !== location.host ? document.referrer : ''; } catch (e) { return ''; }
  }
  // The landing page of the visit and its tags; a new tagged arrival (another ad) starts afresh.
  function remember() {
    var params = new URLSearchParams(location.search);
    var tags = {};
    var tagged = false;
    KEYS.forEach(function (k) { var v = params.get(k); if (v) { tags[k] = v.slice(0, 500); tagged = true; } });
    var a = load();
    if (!a || tagged) {
      a = { landing_page: location.href.slice(0, 2000), referrer: externalReferrer().slice(0, 2000), tags: tags };
      save(a);
    }
    return a;
  }
  var attribution = remember();

  function message(form, text, ok) {
    var box = form.querySelector('[data-leadline-message]');
    if (!box) {
      box = document.createElement('div');
      box.setAttribute('data-leadline-message', '');
      box.setAttribute('role', ok ? 'status' : 'alert');
      form.appendChild(box);
    }
    box.setAttribute('role', ok ? 'status' : 'alert');
    box.setAttribute('style', 'margin:12px 0 0;padding:10px 12px;border-radius:6px;font:inherit;line-height:1.4;' +
      (ok ? 'background:#e6f4ea;color:#1e4620;border:1px solid #a8d5b5' : 'background:#fdecea;color:#611a15;border:1px solid #f5b7b1'));
    box.textContent = text;
  }
  function errorText(status, body, t) {
    if (status === 400 && body && body.fields) {
      if (body.fields.phone === 'not a valid phone number') return t.phone;
      if (body.fields.email === 'not a valid email address') return t.email;
      return t.invalid;
    }
    if (status === 429) return t.limited;
    if (status === 413) return t.big;
    return t.other;
  }

  function enhance(form) {
    if (form.__leadline) return;
    form.__leadline = true;
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var l = lang();
      var t = TEXT[l];
      var data = new FormData(form);
      data.set('page', location.href.slice(0, 2000));
      data.set('landing_page', attribution.landing_page || '');
      if (attribution.referrer) data.set('referrer', attribution.referrer);
      Object.keys(attribution.tags || {}).forEach(function (k) { if (!data.get(k)) data.set(k, attribution.tags[k]); });
      data.set('_fill_ms', String(Date.now() - started));
      data.set('_lang', l);
      var buttons = form.querySelectorAll('button, input[type=submit]');
      buttons.forEach(function (b) { b.disabled = true; });
      form.setAttribute('aria-busy', 'true');
      message(form, t.sending, true);
      fetch(endpoint, { method: 'POST', body: data, headers: { Accept: 'application/json' }, credentials: 'omit', mode: 'cors' })
        .then(function (res) {
          return res.json().catch(function () { return null; }).then(function (body) {
            if (res.ok) {
              form.reset();
              message(form, C.thanks[l], true);
              if (C.successUrl) location.assign(C.successUrl);
            } else {
              message(form, errorText(res.status, body, t), false);
            }
          });
        }, function () { message(form, t.network, false); })
        .then(function () {
          buttons.forEach(function (b) { b.disabled = false; });
          form.removeAttribute('aria-busy');
        });
    });
  }
  function scan() {
    document.querySelectorAll('form[data-leadline="' + C.key + '"]').forEach(enhance);
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', scan); else scan();
`;
