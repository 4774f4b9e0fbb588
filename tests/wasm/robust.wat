;; Modules for test_robust.c: host re-entrancy, memory growth, and the
;; unreachable-code regression of issue 11.6.
(module
  (import "env" "again" (func $again (param i32) (result i32)))
  (memory (export "mem") 1)
  ;; f(n): 0 when n is 0, else again(n - 1) + 1, where the host's `again`
  ;; calls f back: host -> wasm -> host -> ... n levels deep.
  (func (export "f") (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (i32.const 0))
      (else (i32.add (call $again (i32.sub (local.get $n) (i32.const 1))) (i32.const 1)))))
  ;; Grows memory by n pages without touching them; returns the old size.
  (func (export "grow") (param $n i32) (result i32)
    (memory.grow (local.get $n)))
  (func (export "size") (result i32) (memory.size))
  ;; Stores and loads at the end of memory (the last grown page is usable).
  (func (export "poke_last") (result i32)
    (i32.store (i32.sub (i32.mul (memory.size) (i32.const 65536)) (i32.const 4)) (i32.const 42))
    (i32.load (i32.sub (i32.mul (memory.size) (i32.const 65536)) (i32.const 4))))
;; Counts to n in a loop: fuel regions (3 at entry, 9 per back-edge).
  (func (export "count") (param $n i32) (result i32) (local $i i32)
    (loop $l
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $i))
;; NaN canonicalisation (issue 11.8): arithmetic NaNs, and one that only moves bits.
  (func (export "nan_div") (result i32) (i32.reinterpret_f32 (f32.div (f32.const 0) (f32.const 0))))
  (func (export "nan_add") (param f32) (result i32) (i32.reinterpret_f32 (f32.add (local.get 0) (f32.const 1))))
  (func (export "nan_neg") (result i32) (i32.reinterpret_f32 (f32.neg (f32.const -nan:0x200000))))
  (func (export "nan_sqrt") (result i64) (i64.reinterpret_f64 (f64.sqrt (f64.const -1))))
  ;; memory[0] = memory[0] + x (a read-modify-write the translator fuses), read back as bits
  (func (export "nan_rmw") (param f32) (result i32)
    (f32.store (i32.const 0) (f32.const nan:0x200000))
    (f32.store (i32.const 0) (f32.add (f32.load (i32.const 0)) (local.get 0)))
    (i32.load (i32.const 0)))
  ;; Issue 11.6: a load in unreachable code with an empty operand stack.
  (func (export "unreach") return i64.load32_s drop))
