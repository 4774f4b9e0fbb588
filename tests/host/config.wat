;; Tick module reading its prim's configuration once, in _initialize
;; (portalis.config_*, docs/abi.md), and publishing what it read as outputs.
(module
  (import "portalis" "attr" (func $attr (param i32 i32) (result i32)))
  (import "portalis" "set_f64" (func $set (param i32 f64)))
  (import "portalis" "config_count" (func $count (param i32 i32) (result i32)))
  (import "portalis" "config_f64" (func $num (param i32 i32 i32) (result f64)))
  (import "portalis" "config_str" (func $str (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "outputs:g")             ;; 9
  (data (i32.const 16) "outputs:f")            ;; 9
  (data (i32.const 32) "outputs:n")            ;; 9
  (data (i32.const 48) "outputs:len")          ;; 11
  (data (i32.const 64) "outputs:missing")      ;; 15
  (data (i32.const 80) "outputs:first")        ;; 13
  (data (i32.const 128) "wasm:gravityOverride") ;; 20
  (data (i32.const 160) "wasm:forceMultiplier") ;; 20
  (data (i32.const 192) "wasm:collisionHandler") ;; 21
  (data (i32.const 224) "wasm:nope")            ;; 9
  (func (export "_initialize")
    (call $set (call $attr (i32.const 0) (i32.const 9))
               (call $num (i32.const 128) (i32.const 20) (i32.const 2)))
    (call $set (call $attr (i32.const 16) (i32.const 9))
               (call $num (i32.const 160) (i32.const 20) (i32.const 0)))
    (call $set (call $attr (i32.const 32) (i32.const 9))
               (f64.convert_i32_s (call $count (i32.const 128) (i32.const 20))))
    (call $set (call $attr (i32.const 48) (i32.const 11))
               (f64.convert_i32_s (call $str (i32.const 192) (i32.const 21) (i32.const 512) (i32.const 64))))
    (call $set (call $attr (i32.const 64) (i32.const 15))
               (f64.convert_i32_s (call $count (i32.const 224) (i32.const 9))))
    ;; first byte of the string read into 512
    (call $set (call $attr (i32.const 80) (i32.const 13))
               (f64.convert_i32_u (i32.load8_u (i32.const 512)))))
  (func (export "update") (param f64 f64)))
