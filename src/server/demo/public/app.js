// The demo page: pick a route, topic, partition (empty: all of them) and start position, then
// show the messages as the SDK's live subscription delivers them, with the lag of each partition
// and the produce-to-page latency; a box below sends a message to the same route and topic
// (client.produce), which then shows up in the live view like any other. Plain browser JS, no
// build step. URL parameters
// (?route=/demo&topic=demo&partition=all|0&from=earliest|latest|time&time=...&name=alice&autostart=1)
// fill the form, so a link can start consuming at once. On a route that checks tokens the page
// asks the demo for one for the name typed (POST /demo/token, only with npm run demo -- --auth)
// and passes connect() a token function, which the SDK calls again before each token expires.

/** Rows kept in the table; older ones are dropped so a busy topic cannot exhaust the page. */
const MAX_ROWS = 500;
/** Messages the latency percentiles are taken over. */
const LATENCY_WINDOW = 100;
/** The header the demo producer stamps with its send time, in milliseconds since the epoch. */
const SENT_AT = 'sent-at';

const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
const ui = {
  form: /** @type {HTMLFormElement} */ ($('controls')),
  route: /** @type {HTMLSelectElement} */ ($('route')),
  topic: /** @type {HTMLInputElement} */ ($('topic')),
  nameField: $('name-field'),
  name: /** @type {HTMLInputElement} */ ($('name')),
  partition: /** @type {HTMLInputElement} */ ($('partition')),
  from: /** @type {HTMLSelectElement} */ ($('from')),
  timeField: $('time-field'),
  time: /** @type {HTMLInputElement} */ ($('time')),
  start: /** @type {HTMLButtonElement} */ ($('start')),
  stop: /** @type {HTMLButtonElement} */ ($('stop')),
  status: $('status'),
  count: $('count'),
  lag: $('lag'),
  p50: $('latency-p50'),
  p99: $('latency-p99'),
  partitionsWrap: $('partitions-wrap'),
  partitionRows: $('partition-rows'),
  endpoint: $('endpoint'),
  error: $('error'),
  rows: $('messages'),
  wrap: $('table-wrap'),
  empty: $('empty'),
  sendForm: /** @type {HTMLFormElement} */ ($('send-form')),
  sendKey: /** @type {HTMLInputElement} */ ($('send-key')),
  sendValue: /** @type {HTMLInputElement} */ ($('send-value')),
  send: /** @type {HTMLButtonElement} */ ($('send')),
  sendResult: $('send-result'),
};

/** The running subscription, if any. */
let session = null;
/** The connection messages are sent on when no subscription runs on their route: { uri, client }. */
let sender = null;

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

/**
 * Milliseconds since the epoch from the message's sent-at header, or null without one. The
 * producer's clock against this browser's: on two machines their skew is in the figure.
 */
function sentAt(m) {
  const h = m.headers.find((x) => x.key === SENT_AT);
  const text = h?.text() ?? null;
  return text !== null && /^\d{1,16}$/.test(text) ? Number(text) : null;
}

function msText(ms) {
  return `${ms} ms`;
}

function cell(field, text) {
  const td = document.createElement('td');
  td.dataset.field = field;
  td.textContent = text;
  return td;
}

function partitionCell(partition) {
  const td = cell('partition', String(partition));
  td.dataset.hue = String(partition % 6);
  return td;
}

/** @param {{ m: any, latency: number | null }} r */
function messageRow({ m, latency }) {
  const tr = document.createElement('tr');
  tr.dataset.testid = 'message';
  tr.dataset.partition = String(m.partition);
  tr.dataset.offset = String(m.offset);
  const lat = cell('latency', latency === null ? '–' : msText(latency));
  if (latency !== null) lat.dataset.ms = String(latency);
  tr.append(
    partitionCell(m.partition),
    cell('offset', String(m.offset)),
    cell('timestamp', isoOf(m.timestamp)),
    lat,
    cell('key', m.keyText()),
    cell('value', m.valueText()),
    cell('headers', headersText(m.headers)),
  );
  return tr;
}

/** Nearest-rank percentile of an ascending list. */
function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

function showMs(output, ms) {
  output.textContent = ms === undefined ? '–' : msText(ms);
  if (ms === undefined) delete output.dataset.ms;
  else output.dataset.ms = String(ms);
}

/**
 * What the page knows of each partition: messages shown, the offset after the last one shown
 * (or where the subscription started), and the high watermark of its latest push. A push is
 * reported as it arrives, before its messages are shown, so the lag counts those still queued.
 */
function createPartitionView() {
  /** @type {Map<number, { count: number, next: bigint | null, hw: bigint | null, row: HTMLTableRowElement }>} */
  const parts = new Map();
  const get = (partition) => {
    let p = parts.get(partition);
    if (p === undefined) {
      const row = document.createElement('tr');
      row.dataset.testid = 'partition-row';
      row.dataset.partition = String(partition);
      row.append(partitionCell(partition), cell('count', '0'), cell('next-offset', '–'), cell('high-watermark', '–'), cell('lag', '–'));
      p = { count: 0, next: null, hw: null, row };
      parts.set(partition, p);
      // Rows in partition order, whatever order partitions first show up in.
      const after = [...ui.partitionRows.children].find((r) => Number(/** @type {HTMLElement} */ (r).dataset.partition) > partition);
      ui.partitionRows.insertBefore(row, after ?? null);
      ui.partitionsWrap.hidden = false;
    }
    return p;
  };
  const max = (a, b) => (a === null || b > a ? b : a);
  const lagOf = (p) => (p.hw === null || p.next === null ? null : p.hw > p.next ? p.hw - p.next : 0n);
  return {
    /** Partitions and start offsets of a (re)subscription: only those not seen yet. */
    started(cursor) {
      for (const [partition, offset] of cursor) {
        const p = get(partition);
        if (p.next === null) p.next = offset;
      }
    },
    progress({ partition, highWatermark, nextOffset, count }) {
      const p = get(partition);
      p.hw = highWatermark;
      // Only skipped offsets (e.g. transaction markers): nothing to show, but the position moved.
      if (count === 0) p.next = max(p.next, nextOffset);
    },
    shown(m) {
      const p = get(m.partition);
      p.count++;
      p.next = max(p.next, m.offset + 1n);
    },
    render() {
      let total = null;
      for (const p of parts.values()) {
        const lag = lagOf(p);
        if (lag !== null) total = (total ?? 0n) + lag;
        const [, count, next, hw, lagCell] = p.row.children;
        count.textContent = String(p.count);
        next.textContent = p.next === null ? '–' : String(p.next);
        hw.textContent = p.hw === null ? '–' : String(p.hw);
        lagCell.textContent = lag === null ? '–' : String(lag);
      }
      ui.lag.textContent = total === null ? '–' : String(total);
    },
    clear() {
      parts.clear();
      ui.partitionRows.replaceChildren();
      ui.partitionsWrap.hidden = true;
      ui.lag.textContent = '–';
    },
  };
}
const partitionView = createPartitionView();

/**
 * Produce-to-page latency over the last LATENCY_WINDOW messages that were sent after Start:
 * older ones come from the log, and their "latency" is their age.
 */
function createLatencyStats() {
  let recent = [];
  let since = 0;
  return {
    reset(startedAt) {
      recent = [];
      since = startedAt;
      showMs(ui.p50, undefined);
      showMs(ui.p99, undefined);
    },
    add(latency, sent) {
      if (sent < since) return;
      recent.push(latency);
      if (recent.length > LATENCY_WINDOW) recent.shift();
    },
    render() {
      if (recent.length === 0) return;
      const sorted = [...recent].sort((a, b) => a - b);
      showMs(ui.p50, percentile(sorted, 50));
      showMs(ui.p99, percentile(sorted, 99));
    },
  };
}
const latencyStats = createLatencyStats();

/**
 * Messages arrive in bursts (a push carries many); rows and figures are updated once per burst,
 * and only the last MAX_ROWS of a burst are built at all.
 */
function createRenderer() {
  let pending = [];
  let timer = 0;
  const flush = () => {
    timer = 0;
    const atBottom = ui.wrap.scrollHeight - ui.wrap.scrollTop - ui.wrap.clientHeight < 40;
    const frag = document.createDocumentFragment();
    for (const r of pending) frag.append(messageRow(r));
    pending = [];
    ui.rows.append(frag);
    while (ui.rows.childElementCount > MAX_ROWS) ui.rows.firstElementChild?.remove();
    ui.empty.hidden = ui.rows.childElementCount > 0;
    partitionView.render();
    latencyStats.render();
    // Follow new rows unless the reader scrolled up to look at older ones.
    if (atBottom) ui.wrap.scrollTop = ui.wrap.scrollHeight;
  };
  return {
    /** A message as it was taken from the subscription, with its latency (null without sent-at). */
    add(m, latency) {
      pending.push({ m, latency });
      if (pending.length > MAX_ROWS) pending.shift();
      this.update();
    },
    /** Figures changed without a new message (a push with none, a resubscription). */
    update() {
      if (timer === 0) timer = setTimeout(flush, 0);
    },
    clear() {
      clearTimeout(timer);
      timer = 0;
      pending = [];
      ui.rows.replaceChildren();
      ui.empty.hidden = false;
      partitionView.clear();
    },
  };
}
const renderer = createRenderer();

function wsUrl(uri) {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${uri}`;
}

function setRunning(running) {
  for (const el of [ui.route, ui.topic, ui.name, ui.partition, ui.from, ui.time]) el.disabled = running;
  ui.start.disabled = running || ui.route.options.length === 0;
  ui.stop.disabled = !running;
  ui.send.disabled = ui.route.options.length === 0;
}

function showSendResult(state, text) {
  ui.sendResult.dataset.state = state;
  ui.sendResult.textContent = text;
}

/** The running subscription's connection when it is on `uri`, else one of the sender's own. */
async function clientFor(sdk, uri) {
  if (session !== null && session.uri === uri && session.client !== null) return session.client;
  if (sender !== null && sender.uri === uri) return sender.client;
  const old = sender;
  sender = { uri, client: await sdk.connect(wsUrl(uri)) };
  closeQuietly(old?.client);
  return sender.client;
}

/**
 * Sends the box's message to the form's route and topic (and partition, when one is chosen),
 * stamped with sent-at so its produce-to-page latency shows. One record per click; the SDK sends
 * it with an idempotency key and retries it after a dropped connection without writing it twice.
 */
async function send(sdk) {
  let form;
  try {
    form = readTarget();
  } catch (e) {
    showSendResult('error', e instanceof Error ? e.message : String(e));
    return;
  }
  const value = ui.sendValue.value;
  if (value === '') {
    showSendResult('error', 'type a message to send');
    return;
  }
  const enc = new TextEncoder();
  const key = ui.sendKey.value;
  ui.send.disabled = true;
  showSendResult('sending', 'sending…');
  try {
    const client = await clientFor(sdk, form.uri);
    const [ack] = await client.produce(form.topic, [{
      key: key === '' ? null : enc.encode(key),
      value: enc.encode(value),
      headers: [{ key: 'source', value: enc.encode('demo page') }, { key: SENT_AT, value: enc.encode(String(Date.now())) }],
    }], form.partition === null ? {} : { partition: form.partition });
    if (ack.error !== undefined) {
      showSendResult('error', `not written: ${ack.error}`);
      return;
    }
    ui.sendResult.dataset.partition = String(ack.partition);
    ui.sendResult.dataset.offset = String(ack.offset);
    showSendResult('ok', `written to partition ${ack.partition} at offset ${ack.offset}`);
    ui.sendValue.value = '';
  } catch (e) {
    const code = typeof e === 'object' && e !== null && 'code' in e && e.code ? `${e.code}: ` : '';
    showSendResult('error', code + (e instanceof Error ? e.message : String(e)));
  } finally {
    ui.send.disabled = ui.route.options.length === 0;
  }
}

/** Route, topic and partition of the form; throws an Error naming the first field that is not usable. */
function readTarget() {
  const uri = ui.route.value;
  if (uri === '') throw new Error('choose a route');
  const topic = ui.topic.value.trim();
  if (topic === '') throw new Error('enter a topic');
  // Empty (the placeholder "all"): every partition of the topic.
  const partitionText = ui.partition.value.trim();
  const partition = partitionText === '' ? null : Number(partitionText);
  if (partition !== null && (!Number.isInteger(partition) || partition < 0)) throw new Error('the partition is a whole number from 0, or empty for all');
  return { uri, topic, partition };
}

/** The whole form: readTarget's fields and where to start from. */
function readForm() {
  const { uri, topic, partition } = readTarget();
  let from = ui.from.value;
  if (from === 'time') {
    const t = new Date(ui.time.value);
    if (ui.time.value === '' || Number.isNaN(t.getTime())) throw new Error('enter a time to start from');
    from = t;
  }
  const auth = ui.route.selectedOptions[0]?.dataset.auth === '1';
  return { uri, topic, partition, from, auth, name: ui.name.value.trim() };
}

/**
 * A token for `name` from the demo's own endpoint. A real page gets its tokens from its identity
 * provider (an OAuth/OIDC login); this one exists only with npm run demo -- --auth.
 */
async function demoToken(name) {
  const res = await fetch('/demo/token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name }), cache: 'no-store' });
  const body = await res.json().catch(() => ({}));
  if (!res.ok || typeof body.token !== 'string') throw new Error(`POST /demo/token answered ${res.status}${body.error_msg ? `: ${body.error_msg}` : ''}`);
  return body.token;
}

/** The name field is for routes that check tokens. */
function syncNameField() {
  ui.nameField.hidden = ui.route.selectedOptions[0]?.dataset.auth !== '1';
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
  const s = { abort, client: null, count: 0, uri: form.uri };
  session = s;
  renderer.clear();
  latencyStats.reset(Date.now());
  ui.count.textContent = '0';
  ui.endpoint.textContent = wsUrl(form.uri);
  setRunning(true);
  setStatus('connecting');

  try {
    // Without a name the page connects without a token: the proxy then refuses its commands.
    const options = form.auth && form.name !== '' ? { token: () => demoToken(form.name) } : {};
    s.client = await sdk.connect(wsUrl(form.uri), options);
    if (abort.signal.aborted) return;
    const messages = s.client.subscribe(form.topic, {
      ...(form.partition === null ? {} : { partitions: [form.partition] }),
      from: form.from,
      signal: abort.signal,
      onProgress: (p) => {
        if (s !== session) return;
        partitionView.progress(p);
        renderer.update();
      },
      onStatus: ({ state, attempt, error }) => {
        if (s !== session) return;
        setStatus(state, attempt === undefined ? state : `${state} (attempt ${attempt})`);
        if (error !== undefined && state !== 'connected') showError(error);
        else if (state === 'connected') {
          showError(null);
          // After every (re)subscribe the cursor holds each subscribed partition.
          partitionView.started(messages.cursor);
          renderer.update();
        }
      },
    });
    for await (const m of messages) {
      const received = Date.now();
      const sent = sentAt(m);
      const latency = sent === null ? null : received - sent;
      s.count++;
      partitionView.shown(m);
      if (latency !== null) latencyStats.add(latency, sent);
      renderer.add(m, latency);
      ui.count.textContent = String(s.count);
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
    if (r.auth === true) o.dataset.auth = '1';
    o.textContent = r.id === r.uri ? r.uri : `${r.uri} (${r.id})`;
    return o;
  }));
  if (routes.length === 0) throw new Error('this proxy has no enabled route: add one with the admin API, then reload');
}

/**
 * ?route= (a uri or an id), topic, partition (a number, or all), from, time. Every parameter is applied that can be;
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
  const name = q.get('name');
  if (name !== null) ui.name.value = name;
  const partition = q.get('partition');
  if (partition !== null) {
    if (partition === 'all' || partition === '') ui.partition.value = '';
    else if (/^\d{1,10}$/.test(partition)) ui.partition.value = partition;
    else problems.push(`partition=${partition}: use a partition number, or all`);
  }
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
  ui.route.addEventListener('change', syncNameField);
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
  ui.sendForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void send(sdk);
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
  syncNameField();
  setRunning(false);
  if (problems.length > 0) showError(new Error(problems.join('; ')));
  else if (autostart) void start(sdk);
}

void main();
