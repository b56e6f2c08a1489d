// edgesync fleet dashboard: renders the snapshots pushed on /api/stream (Server-Sent Events).
// No framework, no build step. Every value is written with textContent (never HTML).
(function () {
  'use strict';

  const $ = (id) => document.getElementById(id);
  const nf = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });
  const COLUMNS = ['node', 'state', 'last-seen', 'backlog', 'backlog-age', 'rate-in', 'rate-out', 'lag',
    'alerts', 'deadletters', 'rule-hits', 'config', 'version'];

  function num(x) { return x === null || x === undefined ? '–' : nf.format(x); }

  function bytes(b) {
    if (b === null || b === undefined) return '';
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    while (b >= 1024 && i < units.length - 1) { b /= 1024; i++; }
    return nf.format(b) + ' ' + units[i];
  }

  function duration(ms) {
    if (ms === null || ms === undefined) return '–';
    if (ms < 1000) return Math.round(ms) + ' ms';
    const s = ms / 1000;
    if (s < 60) return nf.format(s) + ' s';
    if (s < 3600) return Math.floor(s / 60) + ' min ' + Math.round(s % 60) + ' s';
    return nf.format(s / 3600) + ' h';
  }

  function ago(ms) { return ms === null || ms === undefined ? 'never' : duration(ms) + ' ago'; }

  function cell(tr, name) { return tr.querySelector('td.' + name); }

  function rowFor(id) {
    const tbody = $('node-rows');
    let tr = tbody.querySelector('tr[data-node="' + CSS.escape(id) + '"]');
    if (!tr) {
      tr = document.createElement('tr');
      tr.dataset.node = id;
      for (const c of COLUMNS) {
        const td = document.createElement('td');
        td.className = c;
        tr.appendChild(td);
      }
      const badge = document.createElement('span');
      badge.className = 'badge';
      cell(tr, 'state').appendChild(badge);
      const sub = document.createElement('span');
      sub.className = 'sub link';
      cell(tr, 'state').appendChild(sub);
      cell(tr, 'node').textContent = id;
      // keep rows sorted by node id
      const rows = Array.from(tbody.querySelectorAll('tr[data-node]'));
      const next = rows.find((r) => r.dataset.node > id);
      tbody.insertBefore(tr, next || null);
    }
    return tr;
  }

  function renderNode(n) {
    const tr = rowFor(n.nodeId);
    tr.dataset.state = n.state;
    tr.className = n.state;
    const badge = cell(tr, 'state').querySelector('.badge');
    badge.className = 'badge ' + n.state;
    badge.textContent = n.state;
    const linkEl = cell(tr, 'state').querySelector('.link');
    const problems = n.problems || {};
    const held = Object.keys(problems).filter((k) => k !== 'log');
    linkEl.textContent = (n.state === 'online' ? (n.reportedLink ? 'link ' + n.reportedLink : '') : 'no contact')
      + (held.length ? ' · held: ' + held.join(', ') : '') + (problems.log ? ' · log writes failing' : '');
    linkEl.title = Object.keys(problems).map((c) => c + ': ' + problems[c]).join('\n');
    linkEl.classList.toggle('problem', held.length > 0 || !!problems.log);
    cell(tr, 'last-seen').textContent = ago(n.lastSeenAgoMs);
    cell(tr, 'last-seen').title = n.lastSeen || '';
    const b = n.backlog || {};
    const bl = cell(tr, 'backlog');
    bl.dataset.events = b.events || 0;
    bl.dataset.estimated = b.estimated ? 'true' : 'false';
    bl.textContent = (b.estimated ? '~' : '') + num(b.events || 0) + (b.bytes ? ' · ' + bytes(b.bytes) : '');
    bl.title = b.estimated ? 'estimated: last report ' + num(b.reportedEvents) + ' + input rate × time offline' : '';
    cell(tr, 'backlog-age').textContent = b.events > 0 ? duration(b.oldestAgeMs) : '–';
    const rin = cell(tr, 'rate-in');
    rin.dataset.value = n.eventsInPerSec;
    rin.textContent = num(n.eventsInPerSec);
    cell(tr, 'rate-out').textContent = num(n.eventsOutPerSec);
    const lag = n.lagMs || {};
    cell(tr, 'lag').textContent = lag.p50 === null || lag.p50 === undefined ? '–'
      : duration(lag.p50) + ' / ' + duration(lag.p95);
    cell(tr, 'alerts').textContent = num(n.alerts);
    cell(tr, 'deadletters').textContent = num(n.deadLetters);
    cell(tr, 'rule-hits').textContent = num(n.ruleHits);
    cell(tr, 'config').textContent = n.configVersion || '–';
    cell(tr, 'version').textContent = n.version || '–';
  }

  function renderAlerts(alerts) {
    const ul = $('alerts');
    ul.textContent = '';
    if (!alerts || alerts.length === 0) {
      const li = document.createElement('li');
      li.className = 'muted';
      li.textContent = 'none yet';
      ul.appendChild(li);
      return;
    }
    for (const a of alerts) {
      const li = document.createElement('li');
      li.dataset.node = a.nodeId;
      li.dataset.rule = a.ruleId || '';
      const sev = document.createElement('span');
      sev.className = 'sev ' + (a.severity || '');
      sev.textContent = a.severity || 'alert';
      li.appendChild(sev);
      li.appendChild(document.createTextNode((a.ruleId || '?') + ' on ' + a.nodeId
        + (a.source ? ' · ' + a.source : '') + ' · event ' + (a.eventTime || '?')));
      ul.appendChild(li);
    }
  }

  function drawSpark(history) {
    const canvas = $('fleet-spark');
    const dpr = window.devicePixelRatio || 1;
    const w = canvas.clientWidth || 320;
    const h = canvas.clientHeight || 60;
    if (canvas.width !== w * dpr) { canvas.width = w * dpr; canvas.height = h * dpr; }
    const ctx = canvas.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    if (!history || history.length < 2) return;
    const max = Math.max(1, ...history.map((p) => Math.max(p.inPerSec, p.writtenPerSec)));
    const x = (i) => (i / (history.length - 1)) * (w - 2) + 1;
    const y = (v) => h - 2 - (v / max) * (h - 14);
    for (const [key, color] of [['writtenPerSec', '#16a34a'], ['inPerSec', '#2563eb']]) {
      ctx.beginPath();
      history.forEach((p, i) => (i === 0 ? ctx.moveTo(x(i), y(p[key])) : ctx.lineTo(x(i), y(p[key]))));
      ctx.strokeStyle = color;
      ctx.lineWidth = 1.5;
      ctx.stroke();
    }
    ctx.fillStyle = '#667085';
    ctx.font = '10px sans-serif';
    ctx.fillText('max ' + nf.format(max) + '/s', 2, 10);
  }

  // with dashboard.peers: how many ingest instances this view joins, and which do not answer
  function renderPeers(peers) {
    const el = $('peers');
    if (!peers || peers.length === 0) {
      el.textContent = '';
      delete el.dataset.state;
      return;
    }
    const down = peers.filter((p) => !p.up).map((p) => p.peer);
    el.textContent = (peers.length + 1 - down.length) + ' of ' + (peers.length + 1) + ' ingest instances'
      + (down.length ? ' (not answering: ' + down.join(', ') + ')' : '');
    el.dataset.state = down.length ? 'degraded' : 'ok';
  }

  function render(s) {
    const f = s.fleet;
    $('server-time').textContent = 'cloud time ' + new Date(s.serverTime).toISOString();
    renderPeers(s.peers);
    $('fleet-online').textContent = f.online;
    $('fleet-offline').textContent = f.offline;
    for (const [id, v] of [['fleet-rate', f.inPerSec], ['fleet-out-rate', f.outPerSec],
      ['fleet-written-rate', f.writtenPerSec], ['fleet-backlog', f.backlogEvents]]) {
      $(id).dataset.value = v;
      $(id).textContent = num(v);
    }
    $('fleet-lag').textContent = duration(f.lagP95Ms);
    $('fleet-deadletters').textContent = num(f.deadLetters);
    const none = $('no-nodes');
    if (none && s.nodes.length > 0) none.remove();
    const seen = new Set();
    for (const n of s.nodes) { renderNode(n); seen.add(n.nodeId); }
    for (const tr of $('node-rows').querySelectorAll('tr[data-node]')) {
      if (!seen.has(tr.dataset.node)) tr.remove();
    }
    renderAlerts(s.alerts);
    drawSpark(f.history);
    document.body.dataset.updatedAt = String(s.serverTime);
  }

  function connect() {
    const conn = $('conn');
    const es = new EventSource('/api/stream');
    es.addEventListener('snapshot', (e) => {
      conn.dataset.state = 'live';
      conn.textContent = 'live';
      render(JSON.parse(e.data));
    });
    es.onerror = () => {
      // EventSource reconnects by itself (retry: 2000 from the server)
      conn.dataset.state = 'reconnecting';
      conn.textContent = 'reconnecting…';
    };
  }

  connect();
})();
