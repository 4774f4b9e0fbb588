;; Module for the CLI smoke tests (tests/spec/CMakeLists.txt).
(module
  (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
  (func (export "neg64") (param i64) (result i64) i64.const 0 local.get 0 i64.sub)
  (func (export "fma") (param f64 f64 f64) (result f64) local.get 0 local.get 1 f64.mul local.get 2 f64.add)
  (func (export "f32id") (param f32) (result f32) local.get 0)
  (func (export "two") (result i32 i64) i32.const -1 i64.const -1)
  (func $boom (export "boom") (result i32) unreachable)
  (func (export "deep") (result i32) call $boom)
  (func (export "vadd") (param v128 v128) (result v128) local.get 0 local.get 1 i32x4.add)
  (memory (export "mem") 1)
)
