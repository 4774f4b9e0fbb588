;; Traps on its third call.
(module
  (global $n (mut i32) (i32.const 0))
  (func (export "update") (param f64 f64)
    (global.set $n (i32.add (global.get $n) (i32.const 1)))
    (if (i32.ge_s (global.get $n) (i32.const 3)) (then unreachable))))
