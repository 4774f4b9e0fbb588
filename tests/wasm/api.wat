;; Modules for test_api: names with NUL bytes, multi-value results, host imports.
(module
  (import "host" "add" (func $add (param i32 i32) (result i32)))
  (func (export "") (result i32) (i32.const 1))
  (func (export "\00\01") (result i32) (i32.const 2))
  (func (export "\00") (result i32) (i32.const 3))
  (func (export "swap") (param i64 f64) (result f64 i64) (local.get 1) (local.get 0))
  (func (export "via_host") (param i32) (result i32) (call $add (local.get 0) (i32.const 40)))
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1))))
