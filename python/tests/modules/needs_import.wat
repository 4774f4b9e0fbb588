;; A module whose import nothing provides: loading it is a LinkError.
(module
  (import "env" "missing" (func $missing (param i32)))
  (func (export "run") (call $missing (i32.const 1))))
