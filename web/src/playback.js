// Playback of a finished run (GET /api/playback/N, the output layers given
// with `portalis serve --playback`): the run's geometry in the 3D view, a
// slider to scrub its frames and a button to play them at the run's frame
// rate, and a uPlot chart of its sampled values over time with the shown
// frame marked. While a run is shown, the live scene's frames do not move
// the view; "Live" returns to it.
import uPlot from 'uplot';
import { getJSON } from './api.js';

const $ = (id) => document.getElementById(id);
const MAX_SERIES = 9;

// The index of the last sample at or before t (samples ascending).
function at(times, t) {
  let lo = 0, hi = times.length - 1;
  if (hi < 0 || times[0] > t) return 0;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (times[mid] <= t) lo = mid; else hi = mid - 1;
  }
  return lo;
}

export class Playback {
  constructor(view, onEnter, onLeave, onError) {
    this.view = view;
    this.onEnter = onEnter;
    this.onLeave = onLeave;
    this.onError = onError;
    this.run = null;
    this.frame = 0;
    this.timer = null;
    this.plot = null;
    this.trail = []; // the frames shown by the last Play, for the test
    $('pb-load').onclick = () => this.load(Number($('runs').value)).catch(onError);
    $('pb-play').onclick = () => (this.timer ? this.pause() : this.play());
    $('pb-live').onclick = () => this.leave();
    $('pb-slider').oninput = () => { this.pause(); this.seek(Number($('pb-slider').value)); };
  }

  // Lists the runs the server offers; the section stays hidden without any.
  async list() {
    const runs = await getJSON('/api/playback');
    $('runs').replaceChildren(...runs.map((r) => new Option(r.name, r.index)));
    $('playback').hidden = runs.length === 0;
    return runs;
  }

  async load(index) {
    this.pause();
    const run = await getJSON('/api/playback/' + index);
    this.run = run;
    this.onEnter();
    this.view.load(run);
    $('pb-slider').max = Math.max(run.times.length - 1, 0);
    this.chart();
    this.seek(0);
    return run;
  }

  // The frame f of the run: every track's sample at that time.
  seek(f) {
    const run = this.run;
    if (!run || !run.times.length) return;
    this.frame = Math.min(Math.max(f, 0), run.times.length - 1);
    if (this.timer) this.trail.push(this.frame);
    const t = run.times[this.frame], values = {};
    for (const [key, tr] of Object.entries(run.tracks)) values[key] = tr.values[at(tr.times, t)];
    this.view.update(values);
    $('pb-slider').value = this.frame;
    $('pb-frame').textContent = `frame ${this.frame + 1} / ${run.times.length} · t = ${(t / (run.fps || 24)).toFixed(3)} s`;
    if (this.plot) this.plot.setCursor({ left: this.plot.valToPos(t, 'x'), top: 10 });
  }

  play() {
    if (!this.run || !this.run.times.length) return;
    if (this.frame >= this.run.times.length - 1) this.seek(0);
    $('pb-play').textContent = 'Pause';
    const period = 1000 / (this.run.fps || 24);
    this.trail = [this.frame];
    this.timer = setInterval(() => {
      if (this.frame >= this.run.times.length - 1) this.pause();
      else this.seek(this.frame + 1);
    }, period);
  }

  pause() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    $('pb-play').textContent = 'Play';
  }

  leave() {
    this.pause();
    this.run = null;
    if (this.plot) { this.plot.destroy(); this.plot = null; }
    this.onLeave();
  }

  // One series per component of the tracks with at most 4 numbers a sample
  // (scalars and vectors: positions, angles), at the run's sample times.
  chart() {
    if (this.plot) this.plot.destroy();
    const run = this.run, data = [run.times], series = [{}];
    const palette = ['#6af', '#fa6', '#6d8', '#d6d', '#dd6', '#6dd', '#f77', '#aaf', '#ccc'];
    for (const [key, tr] of Object.entries(run.tracks)) {
      const n = tr.values.length ? tr.values[0].length : 0;
      if (n === 0 || n > 4) continue;
      const name = key.split('/').pop();
      for (let c = 0; c < n && series.length <= MAX_SERIES; c++) {
        data.push(run.times.map((t) => tr.values[at(tr.times, t)][c]));
        series.push({ label: n > 1 ? `${name}[${c}]` : name, stroke: palette[(series.length - 1) % palette.length], width: 1.5 });
      }
    }
    const el = $('pb-chart');
    this.plot = new uPlot({
      width: el.clientWidth || 350, height: 150, series,
      scales: { x: { time: false } },
      axes: [{ stroke: '#9ab' }, { stroke: '#9ab' }],
      legend: { live: false },
    }, data, el);
  }
}
