'use strict';
// The key form in Telegram (DESIGN §3), served as /v1/keyform/app.js. Telegram's own script is
// not loaded (the page's CSP allows only Rebind's files), so the launch data is read from the URL
// fragment and Telegram is spoken to through its postEvent bridge. Every word the user reads
// comes from the page (the templates) or from the server's answers, shown as text only.
(() => {
  const $ = (id) => document.getElementById(id);
  const body = document.body;
  const form = $('form');
  const submit = $('submit');
  const status = $('status');
  const closeButton = $('close');
  const FIELDS = ['api_key', 'api_secret', 'passphrase'];
  const COLOR = /^#[0-9a-fA-F]{3,8}$/;
  // Characters a copy from an exchange's page or a chat can carry invisibly; the server drops them too.
  const INVISIBLE = /[\u200B-\u200D\u2060\uFEFF\u00AD\u200E\u200F\u202A-\u202E]/g;

  const launch = readLaunch();
  const defaultHints = {passphrase: $('passphrase_hint').textContent.trim()};
  let rules = null; // the account's format rules, once loaded

  function webApp() {
    return (window.Telegram && window.Telegram.WebApp) || null;
  }

  // Telegram's client bridge: a native proxy in the apps, postMessage to the parent on the web.
  function postEvent(eventType) {
    if (window.TelegramWebviewProxy) {
      window.TelegramWebviewProxy.postEvent(eventType, '');
    } else if (window.parent !== window) {
      // Any of Telegram's web clients may frame the page (the CSP says which); the events
      // carry no data, so they may go to whichever one it is, as Telegram's own script does.
      window.parent.postMessage(JSON.stringify({eventType, eventData: {}}), '*');
    }
  }

  function readLaunch() {
    const fragment = new URLSearchParams(location.hash.slice(1));
    const app = webApp();
    return {
      initData: (app && app.initData) || fragment.get('tgWebAppData') || '',
      accountId: new URLSearchParams(location.search).get('account') || '',
      theme: fragment.get('tgWebAppThemeParams'),
    };
  }

  // Theme colours become --tg-theme-<key> custom properties (the names Telegram's script uses);
  // the stylesheet falls back to its own light or dark colours for any that are missing.
  function applyTheme(json) {
    if (!json) return;
    const theme = JSON.parse(json);
    const root = document.documentElement;
    for (const [key, value] of Object.entries(theme)) {
      if (/^[a-z][a-z_]{0,40}$/.test(key) && typeof value === 'string' && COLOR.test(value)) {
        root.style.setProperty('--tg-theme-' + key.replace(/_/g, '-'), value);
      }
    }
    // Telegram's background decides between the stylesheet's light and dark fallbacks.
    if (typeof theme.bg_color === 'string' && COLOR.test(theme.bg_color)) {
      root.dataset.scheme = isDark(theme.bg_color) ? 'dark' : 'light';
    }
  }

  function isDark(hex) {
    let digits = hex.slice(1);
    if (digits.length < 6) digits = digits.slice(0, 3).replace(/./g, '$&$&');
    const [r, g, b] = [0, 2, 4].map((i) => parseInt(digits.slice(i, i + 2), 16));
    return 0.299 * r + 0.587 * g + 0.114 * b < 128;
  }

  function greetTelegram() {
    try {
      applyTheme(launch.theme);
    } catch (error) {} // a malformed theme leaves the stylesheet's own colours
    try {
      const app = webApp();
      if (app) {
        app.ready();
        app.expand();
      } else {
        postEvent('web_app_ready');
        postEvent('web_app_expand');
      }
    } catch (error) {} // outside Telegram there is no one to tell
  }

  function closeApp() {
    try {
      const app = webApp();
      if (app) return app.close();
      postEvent('web_app_close');
    } catch (error) {} // fall through to the browser's own close
    window.close();
  }

  function setState(state, message) {
    body.dataset.state = state;
    status.textContent = message || '';
    const settled = state === 'done' || state === 'failed' || state === 'refused';
    closeButton.hidden = !settled;
    form.hidden = !(state === 'ready' || state === 'checking' || state === 'refused');
    submit.disabled = state === 'checking';
    for (const name of FIELDS) $(name).readOnly = state === 'checking';
    // The outcome, and the button under it, can be below the fold under a long form.
    if (settled) closeButton.scrollIntoView({block: 'nearest'});
  }

  function fail(message) {
    clearFields(FIELDS);
    setState('failed', message);
  }

  const networkError = () => $('msg_network_error').textContent.trim();

  function messageOf(answer) {
    const error = answer && answer.error;
    return error && typeof error.message === 'string' ? error.message : networkError();
  }

  // POSTs JSON; resolves to {status, body} when the server answers a JSON object, and rejects
  // otherwise (no network, a proxy's HTML error page…).
  async function post(path, payload) {
    const response = await fetch(path, {
      method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify(payload),
      credentials: 'same-origin', cache: 'no-store',
    });
    const answer = await response.json();
    if (!answer || typeof answer !== 'object') throw new TypeError();
    return {status: response.status, body: answer};
  }

  // The value as the server will read it; keys lose inner spaces too (a paste wrapped over lines).
  function clean(name, value) {
    const text = value.replace(INVISIBLE, '').replace(/\s/g, ' ').trim();
    return name === 'passphrase' ? text : text.replace(/ /g, '');
  }

  function compileRule(rule, name) {
    if (!rule || typeof rule !== 'object') return null;
    let pattern = null;
    try {
      if (typeof rule.pattern === 'string') pattern = new RegExp(rule.pattern);
    } catch (error) {} // a pattern this browser cannot read is left to the server
    return {
      pattern,
      min: Number.isFinite(rule.min) ? rule.min : 1,
      max: Number.isFinite(rule.max) ? rule.max : Infinity,
      hint: (typeof rule.hint === 'string' && rule.hint) || defaultHints[name] || '',
    };
  }

  // verdict: '' (nothing typed), 'ok' or 'error'.
  function setHint(name, message, verdict) {
    const hint = $(name + '_hint');
    hint.textContent = message;
    hint.classList.toggle('error', verdict === 'error');
    hint.classList.toggle('ok', verdict === 'ok');
    $(name).setAttribute('aria-invalid', verdict === 'error' ? 'true' : 'false');
  }

  function checkField(name) {
    const rule = rules && rules[name];
    if (!rule) return;
    const value = clean(name, $(name).value);
    const length = Array.from(value).length;
    let verdict = '';
    if (value) {
      const fits = (!rule.pattern || rule.pattern.test(value)) && length >= rule.min && length <= rule.max;
      verdict = fits ? 'ok' : 'error';
    }
    setHint(name, rule.hint, verdict);
  }

  function clearFields(names) {
    for (const name of names) {
      $(name).value = '';
      checkField(name);
    }
  }

  function visibleFields() {
    return FIELDS.filter((name) => !$(name).closest('[hidden]'));
  }

  async function loadAccount() {
    let answer;
    try {
      answer = await post('keyform/account', {init_data: launch.initData, account_id: launch.accountId});
    } catch (error) {
      return fail(networkError());
    }
    const account = answer.body;
    if (answer.status !== 200) return fail(messageOf(account));
    if (!account.rules || typeof account.rules !== 'object') return fail(networkError());

    // Render the page again in the user's language, once (the fragment keeps the launch data).
    const locale = typeof account.locale === 'string' ? account.locale : '';
    const query = new URLSearchParams(location.search);
    if (locale && locale.toLowerCase() !== document.documentElement.lang.toLowerCase() && !query.has('locale')) {
      const search = '?account=' + encodeURIComponent(launch.accountId) + '&locale=' + encodeURIComponent(locale);
      return location.replace(location.pathname + search + location.hash);
    }

    const needsPassphrase = account.needs_passphrase === true;
    rules = {};
    for (const name of FIELDS) {
      if (name !== 'passphrase' || needsPassphrase) rules[name] = compileRule(account.rules[name], name);
    }
    $('passphrase_field').hidden = !needsPassphrase;
    $('account').textContent = typeof account.intro === 'string' ? account.intro : '';
    $('account').hidden = !$('account').textContent;
    for (const name of FIELDS) checkField(name);
    setState('ready');
  }

  async function send(event) {
    event.preventDefault();
    const state = body.dataset.state;
    if (state !== 'ready' && state !== 'refused') return;
    const payload = {init_data: launch.initData, account_id: launch.accountId};
    for (const name of visibleFields()) payload[name] = $(name).value;
    setState('checking');

    let answer;
    try {
      answer = await post('keyform', payload);
    } catch (error) {
      return setState('refused', networkError());
    }
    const result = answer.body;
    const error = result.error || {};
    if (answer.status === 200) {
      clearFields(FIELDS);
      setState('done', typeof result.message === 'string' ? result.message : '');
    } else if (answer.status === 400 && visibleFields().includes(error.field)) {
      setState('ready');
      setHint(error.field, messageOf(result), 'error');
      $(error.field).focus();
    } else if (answer.status === 401 || answer.status === 403) {
      fail(messageOf(result)); // the launch data is stale or not this user's: reopen from the chat
    } else {
      clearFields(['api_secret', 'passphrase']);
      setState('refused', messageOf(result));
    }
  }

  // Enter moves to the next field; only the last one sends the form.
  function nextOnEnter(event) {
    if (event.key !== 'Enter' || event.isComposing) return;
    const fields = visibleFields();
    const index = fields.indexOf(event.target.id);
    if (index >= 0 && index < fields.length - 1) {
      event.preventDefault();
      $(fields[index + 1]).focus();
    }
  }

  function start() {
    greetTelegram();
    closeButton.addEventListener('click', closeApp);
    form.addEventListener('submit', send);
    for (const name of FIELDS) {
      $(name).addEventListener('input', () => checkField(name));
      $(name).addEventListener('keydown', nextOnEnter);
    }
    if (!launch.initData || !launch.accountId) {
      return setState('failed', $('msg_no_launch').textContent.trim());
    }
    loadAccount();
  }

  start();
})();
