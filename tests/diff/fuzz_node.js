// The node (V8) side of the differential test (scripts/difftest.sh).
//
//   node fuzz_node.js gen DIR SEED COUNT    writes DIR/N.bin, random input for wasm-opt -ttf
//   node fuzz_node.js run FILE.wasm...      runs each module, printing what diff_driver prints
//
// A run instantiates the module with binaryen's `fuzzing-support` logging
// imports and calls every exported function in export order with zero
// arguments, calling `hangLimitInitializer` (when exported) before each, as
// binaryen's own fuzz harness does. It prints one line per event:
//   module NAME | call EXPORT | log TYPE VALUE | result TYPE VALUE | trap
//   | stack exhausted (the rest of the module is not compared: engines may
//   differ in how deep they go) | skip REASON
// Integers print as signed decimal and floats as their bits in hex, except
// NaNs, which print as "nan" (their payloads may differ by the spec).
'use strict';
const fs = require('fs');

// ---- the parts of the binary the JS API does not expose: function types
function leb(b, p) {
  let v = 0n, shift = 0n, c;
  do {
    c = b[p.i++];
    v |= BigInt(c & 0x7f) << shift;
    shift += 7n;
  } while (c & 0x80);
  return Number(v);
}
const VALTYPES = {0x7f: 'i32', 0x7e: 'i64', 0x7d: 'f32', 0x7c: 'f64', 0x7b: 'v128', 0x70: 'funcref', 0x6f: 'externref'};
function skipLimits(b, p) {
  const flags = b[p.i++];
  leb(b, p);
  if (flags & 1) leb(b, p);
}
// Returns {types: [{params, results}], funcs: [typeIndex per function index],
// exportFuncs: {name: functionIndex}, imports: [{module, name, kind}]}.
function parseModule(b) {
  const m = {types: [], funcs: [], exportFuncs: {}, imports: []};
  const p = {i: 8};
  const name = () => {
    const n = leb(b, p);
    const s = Buffer.from(b.subarray(p.i, p.i + n)).toString('utf8');
    p.i += n;
    return s;
  };
  while (p.i < b.length) {
    const id = b[p.i++];
    const size = leb(b, p);
    const end = p.i + size;
    if (id === 1) {
      for (let n = leb(b, p); n > 0; n--) {
        p.i++; // 0x60
        const params = [], results = [];
        for (let k = leb(b, p); k > 0; k--) params.push(VALTYPES[b[p.i++]]);
        for (let k = leb(b, p); k > 0; k--) results.push(VALTYPES[b[p.i++]]);
        m.types.push({params, results});
      }
    } else if (id === 2) {
      for (let n = leb(b, p); n > 0; n--) {
        const mod = name(), nm = name(), kind = b[p.i++];
        m.imports.push({module: mod, name: nm, kind});
        if (kind === 0) m.funcs.push(leb(b, p));
        else if (kind === 1) { p.i++; skipLimits(b, p); }
        else if (kind === 2) skipLimits(b, p);
        else p.i += 2;
      }
    } else if (id === 3) {
      for (let n = leb(b, p); n > 0; n--) m.funcs.push(leb(b, p));
    } else if (id === 7) {
      for (let n = leb(b, p); n > 0; n--) {
        const nm = name(), kind = b[p.i++], index = leb(b, p);
        if (kind === 0) m.exportFuncs[nm] = index;
      }
    }
    p.i = end;
  }
  return m;
}

// ---- printing values
const f32 = new Float32Array(1), u32 = new Uint32Array(f32.buffer);
const f64 = new Float64Array(1), u64 = new BigUint64Array(f64.buffer);
function show(type, v) {
  switch (type) {
    case 'i32': return `i32 ${v | 0}`;
    case 'i64': return `i64 ${BigInt.asIntN(64, v)}`;
    case 'f32':
      if (Number.isNaN(v)) return 'f32 nan';
      f32[0] = v;
      return `f32 0x${u32[0].toString(16).padStart(8, '0')}`;
    case 'f64':
      if (Number.isNaN(v)) return 'f64 nan';
      f64[0] = v;
      return `f64 0x${u64[0].toString(16).padStart(16, '0')}`;
    default: return `${type} ${v === null ? 'null' : 'ref'}`;
  }
}
const zero = {i32: 0, i64: 0n, f32: 0, f64: 0, funcref: null, externref: null};

function isStackOverflow(e) {
  return e instanceof RangeError && /call stack/i.test(e.message);
}

function runModule(file, out) {
  out.push(`module ${file.replace(/.*\//, '')}`);
  const bytes = fs.readFileSync(file);
  let info, module;
  try {
    module = new WebAssembly.Module(bytes);
    info = parseModule(bytes);
  } catch (e) {
    out.push('skip invalid module');
    return;
  }
  const log = [];
  const support = {};
  for (const t of ['i32', 'i64', 'f32', 'f64']) support[`log-${t}`] = (v) => { log.push(`log ${show(t, v)}`); };
  for (const imp of info.imports) {
    if (imp.module !== 'fuzzing-support' || !(imp.name in support) || imp.kind !== 0) {
      out.push(`skip import ${imp.module}.${imp.name}`);
      return;
    }
  }
  let instance;
  try {
    instance = new WebAssembly.Instance(module, {'fuzzing-support': support});
  } catch (e) {
    out.push(...log.splice(0), isStackOverflow(e) ? 'stack exhausted' : 'instantiate trap');
    return;
  }
  const ex = instance.exports;
  for (const name of Object.keys(info.exportFuncs)) {
    const type = info.types[info.funcs[info.exportFuncs[name]]];
    if (name === 'hangLimitInitializer') continue;
    out.push(`call ${name}`);
    if ([...type.params, ...type.results].some((t) => !(t in zero))) {
      out.push('skip unsupported type');
      continue;
    }
    try {
      if (ex.hangLimitInitializer) ex.hangLimitInitializer();
      let r = ex[name](...type.params.map((t) => zero[t]));
      out.push(...log.splice(0));
      if (type.results.length === 1) r = [r];
      type.results.forEach((t, k) => out.push(`result ${show(t, r[k])}`));
    } catch (e) {
      if (isStackOverflow(e)) {
        log.length = 0;
        out.push('stack exhausted');
        return;
      }
      out.push(...log.splice(0), e instanceof WebAssembly.RuntimeError ? 'trap' : `error ${e}`);
    }
  }
}

// xorshift64*: the same SEED gives the same inputs on every machine
function gen(dir, seed, count) {
  let s = BigInt.asUintN(64, BigInt(seed) * 0x9E3779B97F4A7C15n + 1n);
  const next = () => {
    s ^= s >> 12n; s ^= BigInt.asUintN(64, s << 25n); s ^= s >> 27n;
    return Number(BigInt.asUintN(64, s * 0x2545F4914F6CDD1Dn) >> 32n);
  };
  for (let i = 0; i < count; i++) {
    const size = 1024 + (next() % (15 * 1024));
    const b = Buffer.alloc(size);
    for (let k = 0; k < size; k++) b[k] = next() & 0xff;
    fs.writeFileSync(`${dir}/${i}.bin`, b);
  }
}

const [cmd, ...rest] = process.argv.slice(2);
if (cmd === 'gen') {
  gen(rest[0], rest[1], Number(rest[2]));
} else if (cmd === 'run') {
  for (const f of rest) {
    const out = [];
    runModule(f, out);
    process.stdout.write(out.join('\n') + '\n');
  }
} else {
  process.stderr.write('usage: node fuzz_node.js gen DIR SEED COUNT | run FILE.wasm...\n');
  process.exit(2);
}
