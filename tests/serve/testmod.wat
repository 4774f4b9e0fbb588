;; Functions behind the test models of tests/serve/models (one module, one
;; config per model): scalar results, several results, a batch entry point
;; with portalis_alloc buffers, a trap and an endless loop.
(module
  (memory (export "memory") 1)
  (global $top (mut i32) (i32.const 1024))
  (func (export "double") (param i64) (result i64)
    (i64.mul (local.get 0) (i64.const 2)))
  ;; bump allocator, growing the memory when needed; 0 when it cannot
  (func (export "portalis_alloc") (param $n i32) (result i32)
    (local $p i32) (local $end i32)
    (local.set $p (global.get $top))
    (local.set $end (i32.and (i32.add (i32.add (local.get $p) (local.get $n)) (i32.const 7)) (i32.const -8)))
    (if (i32.gt_u (local.get $end) (i32.shl (memory.size) (i32.const 16)))
      (then
        (if (i32.eq (memory.grow (i32.add (i32.shr_u (i32.sub (local.get $end) (i32.shl (memory.size) (i32.const 16))) (i32.const 16)) (i32.const 1)))
                    (i32.const -1))
          (then (return (i32.const 0))))))
    (global.set $top (local.get $end))
    (local.get $p))
  ;; rows n: out[i] = 2 * in[i] (i64)
  (func (export "double_batch") (param $n i32) (param $in i32) (param $out i32) (result i32)
    (local $i i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (i64.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 3)))
          (i64.mul (i64.load (i32.add (local.get $in) (i32.shl (local.get $i) (i32.const 3)))) (i64.const 2)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i32.const 0))
  (func (export "addsub") (param i32 i32) (result i32 i32)
    (i32.add (local.get 0) (local.get 1))
    (i32.sub (local.get 0) (local.get 1)))
  ;; three FP32 in, a pointer to (sum: FP32, count: INT32) out
  (func (export "sum3") (param f32 f32 f32) (result i32)
    (f32.store (i32.const 64) (f32.add (f32.add (local.get 0) (local.get 1)) (local.get 2)))
    (i32.store (i32.const 68) (i32.const 3))
    (i32.const 64))
  (func (export "boom") (param i64) (result i64)
    unreachable)
  (func (export "spin") (param i64) (result i64)
    (loop $forever (br $forever))
    (i64.const 0))
  (func (export "vec") (param v128) (result i64)
    (i64x2.extract_lane 0 (local.get 0)))
  (func (export "wild") (param i64) (result i32)
    (i32.const -16))
)
