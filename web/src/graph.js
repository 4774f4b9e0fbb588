// The execution graph: module nodes in pipeline-stage order, the prims they
// drive, and the attribute connections between them (SVG).
const NS = 'http://www.w3.org/2000/svg';

function el(name, attrs, text) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text) e.textContent = text;
  return e;
}

const primOf = (attrPath) => attrPath.slice(0, attrPath.lastIndexOf('.'));

export function drawGraph(svg, scene, modules) {
  svg.replaceChildren();
  const mods = [...modules].sort((a, b) => a.stage - b.stage);
  const modSet = new Set(mods.map((m) => m.path));
  const targets = [];
  for (const c of scene.connections) {
    const to = primOf(c.to);
    if (!modSet.has(to) && !targets.includes(to)) targets.push(to);
  }
  const w = svg.clientWidth || 350, rowH = 26;
  const height = Math.max(mods.length, targets.length, 1) * rowH + 10;
  svg.setAttribute('viewBox', `0 0 ${w} ${height}`);
  svg.style.height = height + 'px';
  const pos = new Map();
  mods.forEach((m, i) => pos.set(m.path, { x: 10, y: 8 + i * rowH, cls: 'module', name: m.path }));
  targets.forEach((t, i) => pos.set(t, { x: w / 2 + 20, y: 8 + i * rowH, cls: 'prim', name: t }));
  const bw = w / 2 - 30;
  for (const c of scene.connections) {
    const a = pos.get(primOf(c.from)), b = pos.get(primOf(c.to));
    if (!a || !b) continue;
    const x1 = a.x + bw, y1 = a.y + 9, x2 = b.x, y2 = b.y + 9;
    const path = a === b ? '' : `M${x1},${y1} C${(x1 + x2) / 2},${y1} ${(x1 + x2) / 2},${y2} ${x2},${y2}`;
    if (path) svg.appendChild(el('path', { d: path, class: 'edge' }));
  }
  for (const p of pos.values()) {
    svg.appendChild(el('rect', { x: p.x, y: p.y, width: bw, height: 18, rx: 3, class: p.cls }));
    svg.appendChild(el('text', { x: p.x + 4, y: p.y + 13 }, p.name));
  }
}
