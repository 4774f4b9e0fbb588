// The live viewer of `portalis serve` (docs/serve.md): the scene in 3D,
// animated from the server's event stream, with controls, the module list,
// the performance overlay, a frame-time chart and the execution graph; and
// the playback of finished runs (playback.js).
// window.portalis exposes the state to tests (web/test/viewer_test.cjs).
import { events, getJSON } from './api.js';
import { Chart } from './chart.js';
import { drawGraph } from './graph.js';
import { bindButtons, showModules, showOverlay } from './panel.js';
import { Playback } from './playback.js';
import { Scene3D } from './scene3d.js';

const view = new Scene3D(document.getElementById('view'));
const chart = new Chart(document.getElementById('chart'));
const status = document.getElementById('status');
let scene = null, last = null, modulesKey = '', replaying = false;
let frames = 0, viewFps = 0, fpsSince = performance.now();

const showError = (e) => { status.textContent = String(e.message || e); };

async function loadScene() {
  if (replaying) return;
  scene = await getJSON('/api/scene');
  view.load(scene);
  document.getElementById('scene-name').textContent = scene.scene;
  modulesKey = '';
  if (last) onFrame(last);
}

function onFrame(s) {
  last = s;
  status.textContent = '';
  if (!replaying) view.update(s.values);
  chart.push(s);
  const key = JSON.stringify(s.modules.map((m) => [m.path, m.state, m.paused, m.runs]));
  if (key !== modulesKey) {
    modulesKey = key;
    showModules(s.modules, showError);
    if (scene) drawGraph(document.getElementById('graph'), scene, s.modules);
  }
}

function animate() {
  requestAnimationFrame(animate);
  view.render();
  frames++;
  const now = performance.now();
  if (now - fpsSince >= 500) {
    viewFps = (frames * 1000) / (now - fpsSince);
    frames = 0;
    fpsSince = now;
  }
  if (last) showOverlay(last, viewFps);
}

const playback = new Playback(view, () => { replaying = true; },
  () => { replaying = false; if (scene) loadScene().catch(showError); }, showError);

window.portalis = {
  ready: false,
  state: () => last,
  position: (path) => view.worldPosition(path),
  playback: {
    load: (i) => playback.load(i),
    seek: (f) => playback.seek(f),
    frame: () => playback.frame,
    frames: () => (playback.run ? playback.run.times.length : 0),
    playing: () => playback.timer !== null,
    trail: () => playback.trail,
    series: () => (playback.plot ? playback.plot.series.length - 1 : 0),
  },
};

bindButtons(showError, (r) => { status.textContent = r.rebuilt ? 'scene rebuilt' : 'scene unchanged'; });
// A server may offer runs to play back without a live scene (404 on /api/scene).
const live = getJSON('/api/state').then(() => loadScene()).then(
  () => { events(onFrame, () => loadScene().catch(showError), () => { status.textContent = 'reconnecting...'; }); },
  (e) => { document.getElementById('live').hidden = true; showError(e); });
Promise.all([live, playback.list().catch(showError)]).then(() => {
  window.portalis.ready = true;
  animate();
});
