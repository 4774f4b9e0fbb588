// Frame time and the modules' latency over the last frames (uPlot).
import uPlot from 'uplot';

const KEEP = 300;

export class Chart {
  constructor(el) {
    this.el = el;
    this.data = [[], []];
    this.names = [];
    this.plot = null;
  }

  build(names) {
    this.names = names;
    this.data = [[], [], ...names.map(() => [])];
    const palette = ['#6af', '#fa6', '#6d8', '#d6d', '#dd6', '#6dd'];
    const series = [{}, { label: 'frame ms', stroke: '#eee', width: 1.5 }];
    names.forEach((n, i) => series.push({ label: n.split('/').pop() + ' µs', stroke: palette[i % palette.length], scale: 'us' }));
    if (this.plot) this.plot.destroy();
    this.plot = new uPlot({
      width: this.el.clientWidth || 350, height: 150, series,
      scales: { x: { time: false } },
      axes: [{ stroke: '#9ab' }, { stroke: '#9ab' }, { side: 1, scale: 'us', stroke: '#9ab', grid: { show: false } }],
      legend: { live: false },
    }, this.data, this.el);
  }

  push(s) {
    const names = s.modules.map((m) => m.path);
    if (!this.plot || names.join() !== this.names.join()) this.build(names);
    this.data[0].push(s.frame);
    this.data[1].push(s.frame_ms);
    s.modules.forEach((m, i) => this.data[2 + i].push(m.mean_us));
    if (this.data[0].length > KEEP) this.data.forEach((a) => a.shift());
    this.plot.setData(this.data);
  }
}
