;; Tick module: outputs:y = time (reactor; "portalis" imports, docs/abi.md).
(module
  (import "portalis" "attr" (func $attr (param i32 i32) (result i32)))
  (import "portalis" "set_f64" (func $set (param i32 f64)))
  (memory (export "memory") 1)
  (data (i32.const 16) "outputs:y")
  (global $out (mut i32) (i32.const -1))
  (func (export "_initialize") (global.set $out (call $attr (i32.const 16) (i32.const 9))))
  (func (export "update") (param $t f64) (param $dt f64)
    (call $set (global.get $out) (local.get $t))))
