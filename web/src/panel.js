// The side panel and the overlay: buttons, the module list with its toggles
// and statistics, the frame-rate and per-module latency overlay.
import { postJSON } from './api.js';

const $ = (id) => document.getElementById(id);

export function bindButtons(onError, onScan) {
  for (const action of ['play', 'pause', 'step', 'reset'])
    $(action).onclick = () => postJSON('/api/control', { action }).catch(onError);
  $('scan').onclick = () => postJSON('/api/scan').then(onScan).catch(onError);
}

function cell(row, text, cls) {
  const td = row.insertCell();
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
}

const fmt = (x) => (x === null || x === undefined ? '-' : x < 10 ? x.toFixed(2) : x.toFixed(0));

export function showModules(modules, onError) {
  const body = $('modules').tBodies[0];
  body.replaceChildren();
  for (const m of modules) {
    const row = body.insertRow();
    row.dataset.path = m.path;
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.checked = !m.paused;
    box.disabled = m.state !== 'active';
    box.dataset.testid = 'toggle ' + m.path;
    box.onchange = () => postJSON('/api/modules', { path: m.path, enabled: box.checked }).catch(onError);
    row.insertCell().appendChild(box);
    cell(row, m.path).title = m.error || m.entry;
    cell(row, m.paused ? 'off' : m.state, m.state === 'active' ? '' : 'bad');
    cell(row, m.runs, 'num');
    cell(row, fmt(m.mean_us), 'num');
    cell(row, fmt(m.p99_us), 'num');
  }
}

export function showOverlay(s, viewFps) {
  $('fps').textContent = viewFps.toFixed(0);
  $('simfps').textContent = s.playing ? fmt(s.fps) : 'paused';
  $('frame').textContent = s.frame;
  $('time').textContent = s.time.toFixed(3);
  $('framems').textContent = fmt(s.frame_ms);
  $('modlat').replaceChildren(...s.modules.map((m) => {
    const d = document.createElement('div');
    d.textContent = `${m.path.split('/').pop()}: ${fmt(m.mean_us)} µs mean, ${fmt(m.p99_us)} µs p99`;
    return d;
  }));
}
