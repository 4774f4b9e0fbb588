;; Input of the nan_canon test (nan_canon_test.sh): arithmetic NaNs with
;; payloads and signs an engine may choose, leaving through results, integers,
;; lanes of another shape and memory; and code whose values must not change.
(module
  (memory 1)
  (func (export "f32_add") (result f32)
    (f32.add (f32.const nan:0x200000) (f32.const 1)))
  (func (export "f32_neg_div") (result f32)
    (f32.neg (f32.div (f32.const 0) (f32.const 0))))
  (func (export "f64_sqrt_bits") (result i64)
    (i64.reinterpret_f64 (f64.sqrt (f64.const -1))))
  (func (export "f32_max_bits") (result i32)
    (i32.reinterpret_f32 (f32.max (f32.const -nan:0x1234) (f32.const 1))))
  (func (export "promote_bits") (result i64)
    (i64.reinterpret_f64 (f64.promote_f32 (f32.const -nan:0x1))))
  (func (export "demote_bits") (result i32)
    (i32.reinterpret_f32 (f32.demote_f64 (f64.const nan:0x1234567))))
  (func (export "f32x4_add") (result v128)
    (f32x4.add (v128.const f32x4 nan:0x200000 1 -nan 2) (v128.const f32x4 1 2 3 inf)))
  (func (export "f64x2_min") (result v128)
    (f64x2.min (v128.const f64x2 -nan:0x5 0) (v128.const f64x2 1 -0)))
  (func (export "lane_out") (result i32)
    (i32x4.extract_lane 0
      (f32x4.mul (v128.const f32x4 inf 0 0 0) (v128.const f32x4 0 0 0 0))))
  (func (export "stored") (result i64)
    (v128.store (i32.const 16) (f32x4.sqrt (v128.const f32x4 -1 4 -nan:0x7 9)))
    (i64.xor (i64.load (i32.const 16)) (i64.load (i32.const 24))))
  (func (export "demote_promote") (result v128)
    (f64x2.promote_low_f32x4
      (f32x4.demote_f64x2_zero (v128.const f64x2 -nan:0x8000000 0.5))))
  (func (export "nearest_neg") (result v128)
    (f32x4.neg (f32x4.nearest (v128.const f32x4 nan:0x1 -1.5 2.5 -nan:0x3))))
  ;; parameters and locals before the scratch locals; values must not change
  (func $mix (param $x f32) (param $n i32) (result f64)
    (local $acc f64) (local $v v128)
    (local.set $v (f32x4.splat (local.get $x)))
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $v (f32x4.add (local.get $v) (f32x4.mul (local.get $v) (v128.const f32x4 0.5 0.25 1 2))))
        (local.set $acc (f64.add (local.get $acc)
          (f64.promote_f32 (f32.sqrt (f32x4.extract_lane 1 (local.get $v))))))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (f64.add (local.get $acc) (f64x2.extract_lane 0 (f64x2.promote_low_f32x4 (local.get $v)))))
  (func (export "mix") (result f64)
    (call $mix (f32.const 1.5) (i32.const 7)))
  ;; an instruction after `return` still validates with its canonicalisation
  (func (export "dead") (result f32)
    (return (f32.const 3))
    (f32.mul (f32.const 1) (f32.const 2))))
