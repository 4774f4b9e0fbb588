;; Module for the command-line tests (tests/cli/cli_test.sh).
(module
  (memory (export "memory") 1)
  (func $add (export "add") (param i32 i32) (result i32)
    (i32.add (local.get 0) (local.get 1)))
  (func $boom (export "boom")
    unreachable)
  (func $spin (export "spin")
    (loop $forever (br $forever)))
  (func $grow (export "grow") (param i32) (result i32)
    (memory.grow (local.get 0)))
  ;; the bits of NaN + 1 for a NaN with a payload: canonical (0x7fc00000)
  ;; under -W nan-canonicalization
  (func $nanbits (export "nanbits") (result i32)
    (i32.reinterpret_f32
      (f32.add (f32.reinterpret_i32 (i32.const 0x7fa00001)) (f32.const 1)))))
