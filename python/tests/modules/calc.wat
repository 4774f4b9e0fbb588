;; The module of the Python tests (python/tests): the specification's
;; `calculate`, every value kind, several results, traps with a backtrace
;; (named functions: built with --debug-names), a loop for fuel, and a memory
;; the tests read and write as a buffer.
(module
  (memory (export "memory") 1 16)
  (global $counter (mut i32) (i32.const 0))
  (func (export "calculate") (param $x f64) (param $y f64) (result f64)
    (f64.add (f64.mul (local.get $x) (local.get $y)) (f64.div (local.get $x) (local.get $y))))
  (func (export "add_i32") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "add_i64") (param i64 i64) (result i64) (i64.add (local.get 0) (local.get 1)))
  (func (export "half_f32") (param f32) (result f32) (f32.mul (local.get 0) (f32.const 0.5)))
  (func (export "divmod") (param i32 i32) (result i32 i32)
    (i32.div_s (local.get 0) (local.get 1)) (i32.rem_s (local.get 0) (local.get 1)))
  (func (export "tick") (global.set $counter (i32.add (global.get $counter) (i32.const 1))))
  (func (export "count") (result i32) (global.get $counter))
  (func $inner_div (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func $outer (export "divide") (param i32 i32) (result i32) (call $inner_div (local.get 0) (local.get 1)))
  (func (export "boom") unreachable)
  (func (export "spin") (param $n i64) (result i64) (local $i i64)
    (loop $l
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br_if $l (i64.lt_u (local.get $i) (local.get $n))))
    (local.get $i))
  ;; fills n f64 at ptr with i * scale; returns the sum
  (func (export "fill") (param $ptr i32) (param $n i32) (param $scale f64) (result f64)
    (local $i i32) (local $sum f64) (local $v f64)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $v (f64.mul (f64.convert_i32_u (local.get $i)) (local.get $scale)))
        (f64.store (i32.add (local.get $ptr) (i32.shl (local.get $i) (i32.const 3))) (local.get $v))
        (local.set $sum (f64.add (local.get $sum) (local.get $v)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (local.get $sum))
  ;; sums n f64 at ptr (data written from Python)
  (func (export "sum") (param $ptr i32) (param $n i32) (result f64)
    (local $i i32) (local $sum f64)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $sum (f64.add (local.get $sum)
          (f64.load (i32.add (local.get $ptr) (i32.shl (local.get $i) (i32.const 3))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (local.get $sum))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  ;; a SIMD value: Python calls refuse it (ArgumentError) rather than pass it
  (func (export "splat") (param f64) (result v128) (f64x2.splat (local.get 0))))
