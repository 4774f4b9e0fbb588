// The live viewer of `portalis serve` (docs/serve.md): the scene in 3D,
// animated from the server's event stream, with controls, the module list,
// the performance overlay, a frame-time chart and the execution graph.
// window.portalis exposes the state to tests (web/test/viewer_test.mjs).
import { events, getJSON } from './api.js';
import { Chart } from './chart.js';
import { drawGraph } from './graph.js';
import { bindButtons, showModules, showOverlay } from './panel.js';
import { Scene3D } from './scene3d.js';

const view = new Scene3D(document.getElementById('view'));
const chart = new Chart(document.getElementById('chart'));
const status = document.getElementById('status');
let scene = null, last = null, modulesKey = '';
let frames = 0, viewFps = 0, fpsSince = performance.now();

const showError = (e) => { status.textContent = String(e.message || e); };

async function loadScene() {
  scene = await getJSON('/api/scene');
  view.load(scene);
  document.getElementById('scene-name').textContent = scene.scene;
  modulesKey = '';
  if (last) onFrame(last);
}

function onFrame(s) {
  last = s;
  status.textContent = '';
  view.update(s.values);
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

window.portalis = {
  ready: false,
  state: () => last,
  position: (path) => view.worldPosition(path),
};

bindButtons(showError, (r) => { status.textContent = r.rebuilt ? 'scene rebuilt' : 'scene unchanged'; });
loadScene()
  .then(() => {
    events(onFrame, () => loadScene().catch(showError), () => { status.textContent = 'reconnecting...'; });
    window.portalis.ready = true;
    animate();
  })
  .catch(showError);
