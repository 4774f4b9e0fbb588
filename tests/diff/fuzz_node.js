// The node (V8) side of the differential test (scripts/difftest.sh).
//
//   node fuzz_node.js gen DIR SEED COUNT [SIZE]   writes DIR/N.bin, random input for wasm-opt -ttf
//                                                 (1-16 KiB each, or SIZE bytes)
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
// NaNs, which print as "nan" (a JS number does not keep a NaN's bits); a
// v128 prints as 32 hex digits, lane 0 last, as diff_driver prints it.
//
// The JS API forbids v128 at the JS boundary (a call throws a TypeError), but
// a call from one wasm instance into another may carry it. So a module that
// imports log-v128 gets it from a small shim module that splits the vector
// into two i64 halves for JS, and an export with v128 in its type is called
// through a wrapper module that passes zeros and returns v128 results as
// i64 pairs. The shims add no instructions a trap or a stack overflow could
// come from, only one frame per call.
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
    case 'v128': {
      const half = (x) => BigInt.asUintN(64, x).toString(16).padStart(16, '0');
      return `v128 0x${half(v[1])}${half(v[0])}`;
    }
    default: return `${type} ${v === null ? 'null' : 'ref'}`;
  }
}
const zero = {i32: 0, i64: 0n, f32: 0, f64: 0, funcref: null, externref: null};

// ---- the v128 shims, assembled as binary modules
const TYPECODE = {i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b, funcref: 0x70, externref: 0x6f};
function uleb(n) {
  const out = [];
  do {
    let c = n & 0x7f;
    n >>>= 7;
    if (n) c |= 0x80;
    out.push(c);
  } while (n);
  return out;
}
const str = (s) => [...uleb(Buffer.byteLength(s)), ...Buffer.from(s)];
const vec = (items) => [...uleb(items.length), ...items.flat()];
const section = (id, body) => (body.length ? [id, ...uleb(body.length), ...body] : []);
const functype = (params, results) => [0x60, ...vec(params.map((t) => [TYPECODE[t]])), ...vec(results.map((t) => [TYPECODE[t]]))];
// the instructions pushing a zero of each type
const ZERO_CODE = {
  i32: [0x41, 0], i64: [0x42, 0], f32: [0x43, 0, 0, 0, 0], f64: [0x44, 0, 0, 0, 0, 0, 0, 0, 0],
  v128: [0xfd, 0x0c, ...new Array(16).fill(0)], funcref: [0xd0, 0x70], externref: [0xd0, 0x6f],
};
const halves = (local) => [0x20, ...uleb(local), 0xfd, 0x1d, 0, 0x20, ...uleb(local), 0xfd, 0x1d, 1];

// A module of `funcs` ({type, imports: [{module, name, type}], body(locals)})
// where import k is function k and function j is exported as "fN".
function assemble(imports, funcs) {
  const types = [...imports.map((i) => i.type), ...funcs.map((f) => f.type)];
  const code = funcs.map((f) => {
    const body = [...vec(f.locals.map((t) => [1, TYPECODE[t]])), ...f.code, 0x0b];
    return [...uleb(body.length), ...body];
  });
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...section(1, vec(types.map((t) => functype(t.params, t.results)))),
    ...section(2, vec(imports.map((imp, k) => [...str(imp.module), ...str(imp.name), 0, ...uleb(k)]))),
    ...section(3, vec(funcs.map((f, j) => uleb(imports.length + j)))),
    ...section(7, vec(funcs.map((f, j) => [...str(`f${j}`), 0, ...uleb(imports.length + j)]))),
    ...section(10, vec(code)),
  ]);
}

// log-v128 for the fuzzed module: the vector goes to JS as (low, high) i64s
function logV128Shim(print) {
  const m = assemble([{module: 'js', name: 'log', type: {params: ['i64', 'i64'], results: []}}],
    [{type: {params: ['v128'], results: []}, locals: [], code: [...halves(0), 0x10, 0]}]);
  return new WebAssembly.Instance(new WebAssembly.Module(m), {js: {log: (lo, hi) => print([lo, hi])}}).exports.f0;
}

// A JS-callable function calling `func` (of `type`, with v128 in it) with
// zero arguments; it returns the results with each v128 as two i64s, and
// `unpack` turns its return value back into one value per result.
function v128Wrapper(func, type) {
  const results = type.results;
  const flat = results.flatMap((t) => (t === 'v128' ? ['i64', 'i64'] : [t]));
  const code = type.params.flatMap((t) => ZERO_CODE[t]);
  code.push(0x10, 0);
  for (let k = results.length - 1; k >= 0; k--) code.push(0x21, ...uleb(k));
  results.forEach((t, k) => code.push(...(t === 'v128' ? halves(k) : [0x20, ...uleb(k)])));
  const m = assemble([{module: 'm', name: 'f', type}], [{type: {params: [], results: flat}, locals: results, code}]);
  const call = new WebAssembly.Instance(new WebAssembly.Module(m), {m: {f: func}}).exports.f0;
  return () => {
    let r = call();
    if (flat.length === 1) r = [r];
    let i = 0;
    return results.map((t) => (t === 'v128' ? [r[i++], r[i++]] : r[i++]));
  };
}

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
  if (info.imports.some((imp) => imp.name === 'log-v128')) support['log-v128'] = logV128Shim((v) => { log.push(`log ${show('v128', v)}`); });
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
    const sig = [...type.params, ...type.results];
    if (sig.some((t) => !(t in zero) && t !== 'v128')) {
      out.push('skip unsupported type');
      continue;
    }
    try {
      const call = sig.includes('v128') ? v128Wrapper(ex[name], type) : null;
      if (ex.hangLimitInitializer) ex.hangLimitInitializer();
      let r = call ? call() : ex[name](...type.params.map((t) => zero[t]));
      out.push(...log.splice(0));
      if (type.results.length === 1 && !call) r = [r];
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
function gen(dir, seed, count, fixed) {
  let s = BigInt.asUintN(64, BigInt(seed) * 0x9E3779B97F4A7C15n + 1n);
  const next = () => {
    s ^= s >> 12n; s ^= BigInt.asUintN(64, s << 25n); s ^= s >> 27n;
    return Number(BigInt.asUintN(64, s * 0x2545F4914F6CDD1Dn) >> 32n);
  };
  for (let i = 0; i < count; i++) {
    const size = fixed > 0 ? fixed : 1024 + (next() % (15 * 1024));
    const b = Buffer.alloc(size);
    for (let k = 0; k < size; k++) b[k] = next() & 0xff;
    fs.writeFileSync(`${dir}/${i}.bin`, b);
  }
}

const [cmd, ...rest] = process.argv.slice(2);
if (cmd === 'gen') {
  gen(rest[0], rest[1], Number(rest[2]), Number(rest[3] || 0));
} else if (cmd === 'run') {
  for (const f of rest) {
    const out = [];
    runModule(f, out);
    process.stdout.write(out.join('\n') + '\n');
  }
} else {
  process.stderr.write('usage: node fuzz_node.js gen DIR SEED COUNT [SIZE] | run FILE.wasm...\n');
  process.exit(2);
}
