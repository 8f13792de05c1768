// The demo page: pick a route, topic, partition and start position, then show the partition's
// messages as the SDK delivers them. Plain browser JS, no build step. URL parameters
// (?route=/demo&topic=demo&partition=0&from=earliest|latest|time&time=...&autostart=1) fill the
// form, so a link can start consuming at once.

/** Rows kept in the table; older ones are dropped so a busy topic cannot exhaust the page. */
const MAX_ROWS = 500;

const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
const ui = {
  form: /** @type {HTMLFormElement} */ ($('controls')),
  route: /** @type {HTMLSelectElement} */ ($('route')),
  topic: /** @type {HTMLInputElement} */ ($('topic')),
  partition: /** @type {HTMLInputElement} */ ($('partition')),
  from: /** @type {HTMLSelectElement} */ ($('from')),
  timeField: $('time-field'),
  time: /** @type {HTMLInputElement} */ ($('time')),
  start: /** @type {HTMLButtonElement} */ ($('start')),
  stop: /** @type {HTMLButtonElement} */ ($('stop')),
  status: $('status'),
  count: $('count'),
  lag: $('lag'),
  endpoint: $('endpoint'),
  error: $('error'),
  rows: $('messages'),
  wrap: $('table-wrap'),
  empty: $('empty'),
};

/** The running consumer, if any. */
let session = null;

function setStatus(state, text = state) {
  ui.status.dataset.state = state;
  ui.status.textContent = text;
}

function showError(e) {
  if (e === null) {
    ui.error.textContent = '';
    return;
  }
  const code = typeof e === 'object' && e !== null && 'code' in e && e.code ? `${e.code}: ` : '';
  ui.error.textContent = code + (e instanceof Error || (typeof e === 'object' && e !== null && 'message' in e) ? e.message : String(e));
}

/** datetime-local wants local time without a zone: YYYY-MM-DDTHH:MM:SS. */
function toLocalInput(date) {
  const p = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())}T${p(date.getHours())}:${p(date.getMinutes())}:${p(date.getSeconds())}`;
}

function isoOf(ms) {
  const d = new Date(Number(ms));
  return Number.isNaN(d.getTime()) || ms < 0n ? String(ms) : d.toISOString();
}

/** Header values are bytes or null; null shows as the key alone. */
function headersText(headers) {
  return headers.map((h) => {
    const v = h.text();
    return v === null ? h.key : `${h.key}=${v}`;
  }).join(', ');
}

function cell(field, text) {
  const td = document.createElement('td');
  td.dataset.field = field;
  td.textContent = text;
  return td;
}

function messageRow(m) {
  const tr = document.createElement('tr');
  tr.dataset.testid = 'message';
  tr.dataset.offset = String(m.offset);
  tr.append(
    cell('offset', String(m.offset)),
    cell('timestamp', isoOf(m.timestamp)),
    cell('key', m.keyText()),
    cell('value', m.valueText()),
    cell('headers', headersText(m.headers)),
  );
  return tr;
}

/**
 * Messages arrive in bursts (a fetch yields many at once); rows are added once per burst, and
 * only the last MAX_ROWS of a burst are built at all.
 */
function createRenderer() {
  let pending = [];
  let timer = 0;
  const flush = () => {
    timer = 0;
    const atBottom = ui.wrap.scrollHeight - ui.wrap.scrollTop - ui.wrap.clientHeight < 40;
    const frag = document.createDocumentFragment();
    for (const m of pending) frag.append(messageRow(m));
    pending = [];
    ui.rows.append(frag);
    while (ui.rows.childElementCount > MAX_ROWS) ui.rows.firstElementChild?.remove();
    ui.empty.hidden = ui.rows.childElementCount > 0;
    // Follow new rows unless the reader scrolled up to look at older ones.
    if (atBottom) ui.wrap.scrollTop = ui.wrap.scrollHeight;
  };
  return {
    add(m) {
      pending.push(m);
      if (pending.length > MAX_ROWS) pending.shift();
      if (timer === 0) timer = setTimeout(flush, 0);
    },
    clear() {
      clearTimeout(timer);
      timer = 0;
      pending = [];
      ui.rows.replaceChildren();
      ui.empty.hidden = false;
    },
  };
}
const renderer = createRenderer();

function wsUrl(uri) {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${uri}`;
}

function setRunning(running) {
  for (const el of [ui.route, ui.topic, ui.partition, ui.from, ui.time]) el.disabled = running;
  ui.start.disabled = running || ui.route.options.length === 0;
  ui.stop.disabled = !running;
}

/** Reads the form; throws an Error naming the first field that is not usable. */
function readForm() {
  const uri = ui.route.value;
  if (uri === '') throw new Error('choose a route');
  const topic = ui.topic.value.trim();
  if (topic === '') throw new Error('enter a topic');
  const partition = Number(ui.partition.value);
  if (!Number.isInteger(partition) || partition < 0) throw new Error('the partition is a whole number from 0');
  let from = ui.from.value;
  if (from === 'time') {
    const t = new Date(ui.time.value);
    if (ui.time.value === '' || Number.isNaN(t.getTime())) throw new Error('enter a time to start from');
    from = t;
  }
  return { uri, topic, partition, from };
}

async function start(sdk) {
  if (session !== null) return;
  showError(null);
  let form;
  try {
    form = readForm();
  } catch (e) {
    showError(e);
    return;
  }
  const abort = new AbortController();
  const s = { abort, client: null, highWatermark: null, last: null, count: 0 };
  session = s;
  renderer.clear();
  ui.count.textContent = '0';
  ui.lag.textContent = '–';
  ui.endpoint.textContent = wsUrl(form.uri);
  setRunning(true);
  setStatus('connecting');

  // Lag = high watermark − last delivered offset − 1. While a fetch's messages are still being
  // delivered the last fetch's high watermark is used; an empty fetch gives its own position.
  const showLag = (position) => {
    if (s.highWatermark === null) return;
    const lag = s.highWatermark - position;
    ui.lag.textContent = String(lag < 0n ? 0n : lag);
  };
  try {
    s.client = await sdk.connect(wsUrl(form.uri));
    if (abort.signal.aborted) return;
    setStatus('connected');
    const messages = s.client.consume(form.topic, form.partition, {
      from: form.from,
      signal: abort.signal,
      onFetch: ({ highWatermark, nextOffset, count }) => {
        s.highWatermark = highWatermark;
        if (count === 0) showLag(nextOffset);
      },
      onStatus: ({ state, attempt, error }) => {
        if (s !== session) return;
        setStatus(state, attempt === undefined ? state : `${state} (attempt ${attempt})`);
        if (error !== undefined && state !== 'connected') showError(error);
        else if (state === 'connected') showError(null);
      },
    });
    for await (const m of messages) {
      s.count++;
      s.last = m.offset;
      renderer.add(m);
      ui.count.textContent = String(s.count);
      showLag(m.offset + 1n);
    }
    if (s === session) setStatus('stopped');
  } catch (e) {
    if (abort.signal.aborted) {
      setStatus('stopped');
    } else {
      setStatus('error');
      showError(e);
    }
  } finally {
    // Also when Stop came while connect() was pending: stop() had no client to close then.
    closeQuietly(s.client);
    if (session === s) {
      session = null;
      setRunning(false);
    }
  }
}

function closeQuietly(client) {
  try {
    client?.close();
  } catch {
    // Already closed: nothing left to release.
  }
}

function stop() {
  const s = session;
  if (s === null) return;
  session = null;
  s.abort.abort();
  closeQuietly(s.client);
  setStatus('stopped');
  setRunning(false);
}

/** Fills the route list from /demo/routes; keeps the form disabled when there is none. */
async function loadRoutes() {
  const res = await fetch('/demo/routes', { cache: 'no-store' });
  if (!res.ok) throw new Error(`GET /demo/routes answered ${res.status}`);
  const routes = await res.json();
  ui.route.replaceChildren(...routes.map((r) => {
    const o = document.createElement('option');
    o.value = r.uri;
    o.dataset.id = r.id;
    o.textContent = r.id === r.uri ? r.uri : `${r.uri} (${r.id})`;
    return o;
  }));
  if (routes.length === 0) throw new Error('this proxy has no enabled route: add one with the admin API, then reload');
}

/**
 * ?route= (a uri or an id), topic, partition, from, time. Every parameter is applied that can be;
 * throws one Error naming those that cannot. Returns whether autostart=1 was given.
 */
function applyParams() {
  const q = new URLSearchParams(location.search);
  const problems = [];
  const route = q.get('route');
  if (route !== null) {
    const match = [...ui.route.options].find((o) => o.value === route || o.dataset.id === route);
    if (match === undefined) problems.push(`route ${route} is not one of this proxy's enabled routes`);
    else ui.route.value = match.value;
  }
  ui.topic.value = q.get('topic') ?? 'demo';
  const partition = q.get('partition');
  if (partition !== null) ui.partition.value = partition;
  const from = q.get('from');
  if (from !== null) {
    if (['earliest', 'latest', 'time'].includes(from)) ui.from.value = from;
    else problems.push(`from=${from}: use earliest, latest or time`);
  }
  const time = q.get('time');
  if (time !== null) {
    const d = new Date(time);
    if (Number.isNaN(d.getTime())) problems.push(`time=${time} is not a date`);
    else ui.time.value = toLocalInput(d);
  }
  if (problems.length > 0) throw new Error(problems.join('; '));
  return q.get('autostart') === '1';
}

function syncTimeField() {
  ui.timeField.hidden = ui.from.value !== 'time';
  if (ui.from.value === 'time' && ui.time.value === '') ui.time.value = toLocalInput(new Date(Date.now() - 60_000));
}

async function main() {
  ui.from.addEventListener('change', syncTimeField);
  ui.stop.addEventListener('click', stop);
  let sdk;
  try {
    // Imported here rather than at the top, so a missing bundle shows as an error on the page
    // instead of a page that silently does nothing.
    sdk = await import('/demo/sdk.js');
  } catch (e) {
    setStatus('error');
    showError(new Error(`the client SDK (/demo/sdk.js) did not load: ${e instanceof Error ? e.message : String(e)}`));
    return;
  }
  ui.form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void start(sdk);
  });
  const problems = [];
  let autostart = false;
  try {
    await loadRoutes();
  } catch (e) {
    problems.push(e instanceof Error ? e.message : String(e));
  }
  try {
    autostart = applyParams();
  } catch (e) {
    problems.push(e instanceof Error ? e.message : String(e));
  }
  syncTimeField();
  setRunning(false);
  if (problems.length > 0) showError(new Error(problems.join('; ')));
  else if (autostart) void start(sdk);
}

void main();
