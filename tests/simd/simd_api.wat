;; v128 through the embedding API (tests/simd/test_simd.c): arguments and
;; results mixed with scalars, a host function taking and returning v128s,
;; a mutable v128 global, v128 locals, blocks, branches and select.
(module
  (import "host" "rev" (func $rev (param i32 v128) (result v128 i64)))
  (global $g (export "g") (mut v128) (v128.const i32x4 1 2 3 4))
  (global $k (export "k") v128 (v128.const i64x2 -1 7))
  (func (export "swap") (param v128 i32 v128) (result v128 i32 v128)
    local.get 2 local.get 1 local.get 0)
  (func (export "via_host") (param v128) (result v128 i64)
    (call $rev (i32.const 9) (local.get 0)))
  (func (export "bump") (param i32) (result v128)
    (global.set $g (i32x4.add (global.get $g) (i32x4.splat (local.get 0))))
    (global.get $g))
  (func (export "pick") (param v128 v128 i32) (result v128)
    (local $t v128)
    (local.set $t (select (local.get 0) (local.get 1) (local.get 2)))
    (block (result v128)
      (br_if 0 (local.tee $t (f32x4.mul (local.get $t) (local.get $t))) (local.get 2))
      (drop)
      (i8x16.shuffle 15 14 13 12 11 10 9 8 7 6 5 4 3 2 1 0 (local.get $t) (local.get 1))))
  (func (export "sum") (param v128) (result i64)
    (i64.add (i64x2.extract_lane 0 (local.get 0)) (i64x2.extract_lane 1 (local.get 0)))))
