// Mamba's dashboard: one snapshot of the broker per second over Server-Sent Events (/events),
// rendered into plain tables and three uPlot charts. No build step: this file is served as is.
/* global uPlot, EventSource, document, window */
'use strict';

const charts = {};

function element(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, value);
  for (const child of children) {
    node.append(child instanceof window.Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function number(value, digits = 0) {
  if (value === null || value === undefined || Number.isNaN(value)) return '–';
  return Number(value).toLocaleString('en-US', { maximumFractionDigits: digits });
}

function bytes(value) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit++; }
  return `${number(value, unit === 0 ? 0 : 1)} ${units[unit]}`;
}

function chart(id, title, series) {
  const target = document.getElementById(id);
  const options = {
    title, width: 380, height: 180,
    scales: { x: { time: true } },
    series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.color, width: 2,
      spanGaps: true }))],
    axes: [{}, { size: 60 }],
  };
  const empty = [[], ...series.map(() => [])];
  charts[id] = new uPlot(options, empty, target);
}

function drawCharts(series) {
  const t = series.map((p) => p.timeMs / 1000);
  charts['chart-rates'].setData([t, series.map((p) => p.produceRecordsPerSecond),
    series.map((p) => p.consumeRecordsPerSecond)]);
  charts['chart-latency'].setData([t, series.map((p) => p.ackLatencyP99Ms)]);
  charts['chart-restarts'].setData([t, series.map((p) => p.restartsTotal)]);
}

function replace(id, ...nodes) {
  document.getElementById(id).replaceChildren(...nodes);
}

function stateCell(state) {
  return element('td', { class: `state-${state}` }, state);
}

function renderOverview(snapshot) {
  const series = snapshot.overview.series;
  const last = series[series.length - 1];
  document.getElementById('produce-rate').textContent = number(last?.produceRecordsPerSecond);
  document.getElementById('consume-rate').textContent = number(last?.consumeRecordsPerSecond);
  document.getElementById('ack-p99').textContent = number(snapshot.overview.ackLatencyP99Ms, 2);
  document.getElementById('restarts-total').textContent = number(snapshot.overview.restartsTotal);
  drawCharts(series);
}

function renderTopics(topics) {
  if (topics.length === 0) {
    replace('topics-body', element('p', { class: 'empty' }, 'no topics'));
    return;
  }
  replace('topics-body', ...topics.map((topic) => {
    const rows = topic.partitions.map((p) => element('tr',
      { 'data-partition': `${topic.name}-${p.partition}` },
      element('td', {}, p.partition), stateCell(p.state), element('td', {}, p.actor),
      element('td', { class: 'num' }, number(p.logStartOffset)),
      element('td', { class: 'num', 'data-hw': `${topic.name}-${p.partition}` },
        number(p.highWatermark)),
      element('td', { class: 'num' }, number(p.durableOffset)),
      element('td', { class: 'num' }, bytes(p.sizeBytes)),
      element('td', { class: 'num' }, p.segments),
      element('td', { class: 'num' }, number(p.produceRecordsPerSecond, 1))));
    const head = element('tr', {}, ...['partition', 'state', 'actor', 'log start',
      'high watermark', 'durable', 'size', 'segments', 'rec/s'].map((h) => element('th', {}, h)));
    const total = topic.partitions.reduce((sum, p) => sum + p.highWatermark - p.logStartOffset, 0);
    return element('details', { open: '', 'data-topic': topic.name },
      element('summary', {}, `${topic.name} — ${topic.partitions.length} partitions, ` +
        `${number(total)} records`),
      element('table', {}, element('thead', {}, head), element('tbody', {}, ...rows)));
  }));
}

function renderGroups(groups) {
  if (groups.length === 0) {
    replace('groups-body', element('p', { class: 'empty' }, 'no groups'));
    return;
  }
  replace('groups-body', ...groups.map((group) => {
    const members = group.members.length === 0
      ? element('p', { class: 'empty' }, 'no live members')
      : element('ul', {}, ...group.members.map((m) =>
        element('li', {}, `${m.memberId}: ${m.assigned.join(', ') || 'nothing assigned'}`)));
    const rows = group.lag.map((l) => element('tr', {},
      element('td', {}, `${l.topic}-${l.partition}`),
      element('td', { class: 'num' }, number(l.committed)),
      element('td', { class: 'num' }, number(l.highWatermark)),
      element('td', { class: 'num', 'data-lag': `${group.groupId}/${l.topic}/${l.partition}` },
        l.lag)));
    return element('div', { 'data-group': group.groupId },
      element('h3', {}, `${group.groupId} (generation ${group.generation})`), members,
      element('table', {}, element('thead', {}, element('tr', {}, ...['partition', 'committed',
        'high watermark', 'lag'].map((h) => element('th', {}, h)))),
      element('tbody', {}, ...rows)));
  }));
}

function renderActors(actors) {
  replace('actors-body', ...actors.map((a) => element('tr', { 'data-actor': a.actor },
    element('td', {}, a.actor), stateCell(a.state),
    element('td', {}, a.partitions.join(', ') || '–'),
    element('td', { class: 'num', 'data-actor-restarts': a.actor }, a.restarts),
    element('td', { class: 'num' }, `${number(a.uptimeSeconds)} s`),
    element('td', { class: 'num' }, `${number(a.heartbeatAgeMs)} ms`))));
}

function renderAlerts(alerts) {
  if (alerts.length === 0) {
    replace('alerts-body', element('tr', {}, element('td', { class: 'empty', colspan: 5 },
      'nothing pending or firing')));
    return;
  }
  replace('alerts-body', ...alerts.map((a) => element('tr', { 'data-alert': a.rule },
    element('td', {}, a.rule), stateCell(a.state),
    element('td', {}, Object.entries(a.labels).filter(([k]) => k !== 'alertname')
      .map(([k, v]) => `${k}=${v}`).join(' ')),
    element('td', {}, a.summary),
    element('td', {}, new Date(a.sinceMs).toLocaleTimeString()))));
}

function render(snapshot) {
  document.getElementById('data-dir').textContent = snapshot.dataDir;
  renderOverview(snapshot);
  renderTopics(snapshot.topics);
  renderGroups(snapshot.groups);
  renderActors(snapshot.actors);
  renderAlerts(snapshot.alerts);
}

function connect() {
  const status = document.getElementById('status');
  const source = new EventSource('/events');
  source.onmessage = (event) => {
    render(JSON.parse(event.data));
    status.textContent = 'live';
    status.className = 'status live';
  };
  source.onerror = () => {
    status.textContent = 'reconnecting…';
    status.className = 'status';
  };
}

chart('chart-rates', 'records / s', [
  { label: 'produce', color: '#2f6f9f' }, { label: 'consume', color: '#2f8f4e' }]);
chart('chart-latency', 'ack latency p99 (ms)', [{ label: 'p99', color: '#b36b1e' }]);
chart('chart-restarts', 'actor restarts (total)', [{ label: 'restarts', color: '#b3261e' }]);
connect();
