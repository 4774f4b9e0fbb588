// The scene in three.js: one Object3D per USD prim (its xform ops composed in
// xformOpOrder), shapes as meshes, Points as points; values driven by the
// simulation update the ops (or the points) every frame.
import * as THREE from 'three';
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';

const DEG = Math.PI / 180;

// The matrix of one xform op (USD's row-vector convention is the transpose
// of three's column vectors; composing in xformOpOrder order as M = op0 * op1
// * ... applies the last op first, as USD does).
function opMatrix(name, v) {
  const m = new THREE.Matrix4();
  const kind = name.split(':')[1] || '';
  if (!v) return m;
  if (kind === 'translate') return m.makeTranslation(v[0], v[1], v[2]);
  if (kind === 'scale') return m.makeScale(v[0], v[1], v[2]);
  if (kind === 'rotateX') return m.makeRotationX(v[0] * DEG);
  if (kind === 'rotateY') return m.makeRotationY(v[0] * DEG);
  if (kind === 'rotateZ') return m.makeRotationZ(v[0] * DEG);
  if (kind.startsWith('rotate') && kind.length === 9) {
    // rotateXYZ: X first, then Y, then Z (as a column-vector product Z*Y*X)
    const order = kind.slice(6);
    const e = new THREE.Euler(v[0] * DEG, v[1] * DEG, v[2] * DEG, order.split('').reverse().join(''));
    return m.makeRotationFromEuler(e);
  }
  if (kind === 'orient') return m.makeRotationFromQuaternion(new THREE.Quaternion(v[1], v[2], v[3], v[0]));
  if (kind === 'transform' && v.length === 16) return m.fromArray(v);
  return m;
}

function color(p) {
  const c = p.color;
  return c && c.length >= 3 ? new THREE.Color(c[0], c[1], c[2]) : new THREE.Color(0.75, 0.75, 0.8);
}

// Cylinder, cone and capsule are along Y in three; USD's default axis is Z.
function alongAxis(geom, axis) {
  if (axis === 'X') geom.rotateZ(-Math.PI / 2);
  else if (axis !== 'Y') geom.rotateX(Math.PI / 2);
  return geom;
}

function meshGeometry(p) {
  const g = new THREE.BufferGeometry();
  g.setAttribute('position', new THREE.Float32BufferAttribute(p.points || [], 3));
  const idx = [];
  let at = 0;
  for (const n of p.faceVertexCounts || []) {
    for (let k = 1; k + 1 < n; k++) idx.push(p.faceVertexIndices[at], p.faceVertexIndices[at + k], p.faceVertexIndices[at + k + 1]);
    at += n;
  }
  g.setIndex(idx);
  g.computeVertexNormals();
  return g;
}

function shape(p) {
  const mat = new THREE.MeshStandardMaterial({ color: color(p), roughness: 0.6, metalness: 0.1 });
  const num = (k, d) => (p[k] && p[k].length ? p[k][0] : d);
  switch (p.type) {
    case 'Cube': { const s = num('size', 2); return new THREE.Mesh(new THREE.BoxGeometry(s, s, s), mat); }
    case 'Sphere': return new THREE.Mesh(new THREE.SphereGeometry(num('radius', 1), 32, 16), mat);
    case 'Cylinder':
      return new THREE.Mesh(alongAxis(new THREE.CylinderGeometry(num('radius', 1), num('radius', 1), num('height', 2), 32), p.axis), mat);
    case 'Cone': return new THREE.Mesh(alongAxis(new THREE.ConeGeometry(num('radius', 1), num('height', 2), 32), p.axis), mat);
    case 'Capsule': return new THREE.Mesh(alongAxis(new THREE.CapsuleGeometry(num('radius', 0.5), num('height', 1), 8, 16), p.axis), mat);
    case 'Mesh': mat.side = THREE.DoubleSide; return new THREE.Mesh(meshGeometry(p), mat);
    case 'Points': {
      const g = new THREE.BufferGeometry();
      g.setAttribute('position', new THREE.Float32BufferAttribute(p.points || [], 3));
      if (p.pointsAttr) // a module's output: a few pixels whatever the distance
        return new THREE.Points(g, new THREE.PointsMaterial({ color: 0xffaa44, size: 3, sizeAttenuation: false }));
      const size = p.widths && p.widths.length ? p.widths[0] : 0.05;
      return new THREE.Points(g, new THREE.PointsMaterial({ color: color(p), size }));
    }
    default: return null;
  }
}

export class Scene3D {
  constructor(container) {
    this.renderer = new THREE.WebGLRenderer({ antialias: true, preserveDrawingBuffer: true });
    this.renderer.setPixelRatio(window.devicePixelRatio);
    container.appendChild(this.renderer.domElement);
    this.camera = new THREE.PerspectiveCamera(45, 1, 0.05, 5000);
    this.controls = new OrbitControls(this.camera, this.renderer.domElement);
    this.three = new THREE.Scene();
    this.three.background = new THREE.Color(0x20252c);
    this.three.add(new THREE.HemisphereLight(0xffffff, 0x445544, 1.6));
    const sun = new THREE.DirectionalLight(0xffffff, 1.5);
    sun.position.set(5, 10, 7);
    this.three.add(sun);
    this.root = new THREE.Group();
    this.three.add(this.root);
    this.prims = new Map(); // path -> { obj, ops, shape }
    this.container = container;
    this.resize();
    window.addEventListener('resize', () => this.resize());
  }

  resize() {
    const w = this.container.clientWidth || 800, h = this.container.clientHeight || 600;
    this.renderer.setSize(w, h);
    this.camera.aspect = w / h;
    this.camera.updateProjectionMatrix();
  }

  load(scene) {
    this.root.clear();
    this.prims.clear();
    // Z up in USD -> Y up in three
    this.root.rotation.set(scene.upAxis === 'Z' ? -Math.PI / 2 : 0, 0, 0);
    for (const p of scene.prims) {
      const obj = new THREE.Group();
      obj.name = p.path;
      obj.matrixAutoUpdate = false;
      const s = shape(p);
      if (s) obj.add(s);
      const entry = { obj, ops: p.ops.map((o) => ({ op: o.op, v: o.v, invert: !!o.invert })), shape: s, pointsAttr: p.pointsAttr };
      this.prims.set(p.path, entry); // a module output drawn as points is "PRIM.ATTR"
      this.compose(entry);
      let parent = this.root;
      for (let q = p.path.lastIndexOf('/'); q > 0 && !p.pointsAttr; q = p.path.lastIndexOf('/', q - 1)) {
        const anc = this.prims.get(p.path.slice(0, q));
        if (anc) { parent = anc.obj; break; }
      }
      parent.add(obj);
      if (p.visibility === 'invisible') obj.visible = false;
    }
    this.frame();
  }

  compose(entry) {
    const m = new THREE.Matrix4();
    for (const o of entry.ops) {
      const om = opMatrix(o.op, o.v);
      if (o.invert) om.invert();
      m.multiply(om);
    }
    entry.obj.matrix.copy(m);
    entry.obj.matrixWorldNeedsUpdate = true;
  }

  // values: { "PRIM.ATTR": [numbers] } of a snapshot
  update(values) {
    for (const [key, v] of Object.entries(values)) {
      const dot = key.lastIndexOf('.');
      const entry = this.prims.get(key) || this.prims.get(key.slice(0, dot));
      if (!entry) continue;
      const attr = key.slice(dot + 1);
      if ((attr === 'points' || attr === entry.pointsAttr) && entry.shape) {
        entry.shape.geometry.setAttribute('position', new THREE.Float32BufferAttribute(v, 3));
        entry.shape.geometry.computeBoundingSphere();
        continue;
      }
      const op = entry.ops.find((o) => o.op === attr);
      if (op) { op.v = v; this.compose(entry); }
    }
  }

  // Frames the camera on everything.
  frame() {
    this.root.updateMatrixWorld(true);
    const box = new THREE.Box3().setFromObject(this.root);
    if (box.isEmpty()) box.set(new THREE.Vector3(-1, -1, -1), new THREE.Vector3(1, 1, 1));
    const c = box.getCenter(new THREE.Vector3()), r = box.getSize(new THREE.Vector3()).length() / 2 || 1;
    this.camera.position.set(c.x, c.y + r * 0.35, c.z + r * 1.1);
    this.controls.target.copy(c);
    this.controls.update();
  }

  // The world position of a prim in USD coordinates (for tests and the overlay).
  worldPosition(path) {
    const e = this.prims.get(path);
    if (!e) return null;
    this.three.updateMatrixWorld(true);
    const p = new THREE.Vector3().setFromMatrixPosition(e.obj.matrixWorld);
    const inv = new THREE.Matrix4().copy(this.root.matrixWorld).invert();
    p.applyMatrix4(inv);
    return [p.x, p.y, p.z];
  }

  render() {
    this.controls.update();
    this.renderer.render(this.three, this.camera);
  }
}
