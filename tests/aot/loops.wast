;; Loops the native tier runs as unchecked copies after an entry test
;; (src/wasm/aot_loop.c, docs/aot.md "Unchecked loops"): results, traps and
;; the memory left behind by a trap must be the interpreter's, whichever copy
;; runs. ctest runs this script on both tiers (aot_loops, aot_loops_interp).
(module
  (memory 1)

  ;; m[p + 4i] = i + k for i in [0, n): counts up, exits on i != n
  (func (export "fill") (param $p i32) (param $n i32) (param $k i32)
    (local $i i32)
    (block $done
      (br_if $done (i32.eqz (local.get $n)))
      (loop $l
        (i32.store (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 2)))
                   (i32.add (local.get $i) (local.get $k)))
        (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))))

  ;; sum of the i32 at p, p + 4, ... below p + 4n (exits on a pointer, lt_u)
  (func (export "sum") (param $p i32) (param $n i32) (result i32)
    (local $e i32) (local $s i32)
    (local.set $e (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 2))))
    (loop $l
      (local.set $s (i32.add (local.get $s) (i32.load (local.get $p))))
      (br_if $l (i32.lt_u (local.tee $p (i32.add (local.get $p) (i32.const 4))) (local.get $e))))
    (local.get $s))

  ;; counts down: m8[p + i] = i for i = n .. 1 (the condition is the counter itself)
  (func (export "down") (param $p i32) (param $n i32)
    (loop $l
      (i32.store8 (i32.add (local.get $p) (local.get $n)) (local.get $n))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))

  ;; signed: m16[p + 2(i + 8)] = i for i from a while i < b (signed)
  (func (export "signed") (param $p i32) (param $a i32) (param $b i32)
    (loop $l
      (i32.store16 offset=16 (i32.add (local.get $p) (i32.mul (local.get $a) (i32.const 2))) (local.get $a))
      (br_if $l (i32.lt_s (local.tee $a (i32.add (local.get $a) (i32.const 1))) (local.get $b)))))

  ;; decreasing, gt_u and ge_s in the other operand order: m8[i] = 7 while i > lo
  (func (export "dec_gt") (param $i i32) (param $lo i32)
    (loop $l
      (i32.store8 (local.get $i) (i32.const 7))
      (br_if $l (i32.lt_u (local.get $lo) (local.tee $i (i32.sub (local.get $i) (i32.const 1)))))))
  (func (export "dec_ge") (param $i i32) (param $lo i32)
    (loop $l
      (i32.store8 (local.get $i) (i32.const 9))
      (br_if $l (i32.ge_s (local.tee $i (i32.sub (local.get $i) (i32.const 3))) (local.get $lo)))))

  ;; le_u up to the largest i32: never ends without a trap
  (func (export "le_max") (param $i i32)
    (loop $l
      (i32.store8 (local.get $i) (i32.const 5))
      (br_if $l (i32.le_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const -1)))))

  ;; a step that never meets the bound: runs until the access traps
  (func (export "skip") (param $i i32)
    (loop $l
      (i32.store8 (local.get $i) (i32.const 3))
      (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 3))) (i32.const 10)))))

  ;; overlapping source and destination: m[d + 8i] = m[s + 8i] (f64), forwards
  (func (export "copy64") (param $d i32) (param $s i32) (param $n i32)
    (local $i i32)
    (loop $l
      (f64.store (i32.add (local.get $d) (i32.shl (local.get $i) (i32.const 3)))
                 (f64.load (i32.add (local.get $s) (i32.shl (local.get $i) (i32.const 3)))))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n)))))

  ;; a[i] += c * b[i], f64, with offsets (the matmul kernel's inner loop)
  (func (export "axpy") (param $a i32) (param $b i32) (param $n i32) (param $c f64)
    (local $i i32)
    (loop $l
      (f64.store offset=8 (local.get $a)
        (f64.add (f64.load offset=8 (local.get $a)) (f64.mul (local.get $c) (f64.load (local.get $b)))))
      (local.set $a (i32.add (local.get $a) (i32.const 8)))
      (local.set $b (i32.add (local.get $b) (i32.const 8)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))

  ;; an address that wraps: p + i for p near 2^32 reaches 0 and up
  (func (export "wrap") (param $p i32) (param $i i32) (param $n i32) (result i32)
    (local $s i32)
    (loop $l
      (local.set $s (i32.add (local.get $s) (i32.load8_u (i32.add (local.get $p) (local.get $i)))))
      (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
    (local.get $s))

  ;; a load whose value is unused still traps; a division in the loop traps
  (func (export "unused") (param $p i32) (param $n i32)
    (loop $l
      (drop (i64.load (local.get $p)))
      (local.set $p (i32.add (local.get $p) (i32.const 8)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
  (func (export "divs") (param $p i32) (param $n i32)
    (local $i i32)
    (loop $l
      (i32.store (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 2)))
                 (i32.div_u (i32.const 100) (i32.sub (i32.const 3) (local.get $i))))
      (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n)))))

  ;; whole-vector SIMD accesses: a[i] += c * b[i] two f64 lanes at a time
  (func (export "axpy2") (param $a i32) (param $b i32) (param $n i32) (param $c f64)
    (loop $l
      (v128.store (local.get $a)
        (f64x2.add (v128.load (local.get $a)) (f64x2.mul (f64x2.splat (local.get $c)) (v128.load (local.get $b)))))
      (local.set $a (i32.add (local.get $a) (i32.const 16)))
      (local.set $b (i32.add (local.get $b) (i32.const 16)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))

  (func (export "grow") (result i32) (memory.grow (i32.const 1)))
  (func (export "i32") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "u8") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "u16") (param i32) (result i32) (i32.load16_u (local.get 0)))
  (func (export "f64") (param i32) (result f64) (f64.load (local.get 0)))
  (func (export "setf64") (param i32 f64) (f64.store (local.get 0) (local.get 1)))
)

(assert_return (invoke "fill" (i32.const 100) (i32.const 10) (i32.const 5)))
(assert_return (invoke "i32" (i32.const 100)) (i32.const 5))
(assert_return (invoke "i32" (i32.const 136)) (i32.const 14))
(assert_return (invoke "i32" (i32.const 140)) (i32.const 0))
(assert_return (invoke "sum" (i32.const 100) (i32.const 10)) (i32.const 95))
(assert_return (invoke "sum" (i32.const 100) (i32.const 0)) (i32.const 5))
;; the last element ends exactly at the memory's end
(assert_return (invoke "fill" (i32.const 65496) (i32.const 10) (i32.const 1)))
(assert_return (invoke "i32" (i32.const 65532)) (i32.const 10))
;; one element past the end: the nine before it are stored, then the trap
(assert_trap (invoke "fill" (i32.const 65500) (i32.const 10) (i32.const 50)) "out of bounds memory access")
(assert_return (invoke "i32" (i32.const 65500)) (i32.const 50))
(assert_return (invoke "i32" (i32.const 65532)) (i32.const 58))
;; after growing, the same call fits
(assert_return (invoke "grow") (i32.const 1))
(assert_return (invoke "fill" (i32.const 65500) (i32.const 10) (i32.const 60)))
(assert_return (invoke "i32" (i32.const 65536)) (i32.const 69))
(assert_return (invoke "sum" (i32.const 65500) (i32.const 10)) (i32.const 645))

(assert_return (invoke "down" (i32.const 200) (i32.const 5)))
(assert_return (invoke "u8" (i32.const 205)) (i32.const 5))
(assert_return (invoke "u8" (i32.const 201)) (i32.const 1))
(assert_return (invoke "u8" (i32.const 200)) (i32.const 0))
(assert_return (invoke "down" (i32.const 131060) (i32.const 11)))
(assert_return (invoke "u8" (i32.const 131071)) (i32.const 11))
(assert_return (invoke "u8" (i32.const 131061)) (i32.const 1))
(assert_trap (invoke "down" (i32.const 131050) (i32.const 30)) "out of bounds memory access")
(assert_return (invoke "u8" (i32.const 131071)) (i32.const 11))

(assert_return (invoke "signed" (i32.const 300) (i32.const -4) (i32.const 3)))
(assert_return (invoke "u16" (i32.const 308)) (i32.const 0xfffc))
(assert_return (invoke "u16" (i32.const 320)) (i32.const 2))
(assert_return (invoke "u16" (i32.const 322)) (i32.const 0))
(assert_return (invoke "signed" (i32.const 400) (i32.const 5) (i32.const -5)))
(assert_return (invoke "u16" (i32.const 426)) (i32.const 5))
(assert_return (invoke "u16" (i32.const 428)) (i32.const 0))
(assert_trap (invoke "signed" (i32.const 0) (i32.const -20) (i32.const 0)) "out of bounds memory access")

(assert_return (invoke "dec_gt" (i32.const 509) (i32.const 500)))
(assert_return (invoke "u8" (i32.const 501)) (i32.const 7))
(assert_return (invoke "u8" (i32.const 500)) (i32.const 0))
(assert_return (invoke "dec_gt" (i32.const 600) (i32.const 700)))
(assert_return (invoke "u8" (i32.const 600)) (i32.const 7))
(assert_return (invoke "u8" (i32.const 599)) (i32.const 0))
(assert_return (invoke "dec_gt" (i32.const 5) (i32.const -1)))
(assert_return (invoke "u8" (i32.const 5)) (i32.const 7))
(assert_return (invoke "u8" (i32.const 4)) (i32.const 0))
(assert_trap (invoke "dec_gt" (i32.const 0) (i32.const 0)) "out of bounds memory access")
(assert_return (invoke "u8" (i32.const 0)) (i32.const 7))
(assert_return (invoke "dec_ge" (i32.const 720) (i32.const 700)))
(assert_return (invoke "u8" (i32.const 702)) (i32.const 9))
(assert_return (invoke "u8" (i32.const 699)) (i32.const 0))
(assert_trap (invoke "dec_ge" (i32.const 10) (i32.const -100)) "out of bounds memory access")
(assert_return (invoke "u8" (i32.const 1)) (i32.const 9))

(assert_return (invoke "setf64" (i32.const 1000) (f64.const 1.5)))
(assert_return (invoke "copy64" (i32.const 1008) (i32.const 1000) (i32.const 20)))
(assert_return (invoke "f64" (i32.const 1160)) (f64.const 1.5))
(assert_return (invoke "setf64" (i32.const 2000) (f64.const 1)))
(assert_return (invoke "setf64" (i32.const 2008) (f64.const 2)))
(assert_return (invoke "copy64" (i32.const 2000) (i32.const 2008) (i32.const 20)))
(assert_return (invoke "f64" (i32.const 2000)) (f64.const 2))
(assert_return (invoke "f64" (i32.const 2008)) (f64.const 0))

(assert_return (invoke "setf64" (i32.const 3008) (f64.const 1)))
(assert_return (invoke "setf64" (i32.const 3016) (f64.const 2)))
(assert_return (invoke "setf64" (i32.const 4000) (f64.const 10)))
(assert_return (invoke "setf64" (i32.const 4008) (f64.const 20)))
(assert_return (invoke "axpy" (i32.const 3000) (i32.const 4000) (i32.const 2) (f64.const 0.5)))
(assert_return (invoke "f64" (i32.const 3008)) (f64.const 6))
(assert_return (invoke "f64" (i32.const 3016)) (f64.const 12))
(assert_return (invoke "setf64" (i32.const 4056) (f64.const 3)))
(assert_return (invoke "setf64" (i32.const 131064) (f64.const 0)))
(assert_trap (invoke "axpy" (i32.const 131000) (i32.const 4000) (i32.const 100) (f64.const 1))
  "out of bounds memory access")
(assert_return (invoke "f64" (i32.const 131064)) (f64.const 3))
(assert_return (invoke "f64" (i32.const 131048)) (f64.const 0))

(assert_return (invoke "setf64" (i32.const 6000) (f64.const 1)))
(assert_return (invoke "setf64" (i32.const 6008) (f64.const 2)))
(assert_return (invoke "setf64" (i32.const 6024) (f64.const 4)))
(assert_return (invoke "axpy2" (i32.const 7000) (i32.const 6000) (i32.const 2) (f64.const 0.5)))
(assert_return (invoke "f64" (i32.const 7000)) (f64.const 0.5))
(assert_return (invoke "f64" (i32.const 7008)) (f64.const 1))
(assert_return (invoke "f64" (i32.const 7024)) (f64.const 2))
(assert_return (invoke "f64" (i32.const 7032)) (f64.const 0))
(assert_return (invoke "setf64" (i32.const 6056) (f64.const 8)))
(assert_return (invoke "setf64" (i32.const 131008) (f64.const 0)))
(assert_return (invoke "setf64" (i32.const 131016) (f64.const 0)))
(assert_return (invoke "setf64" (i32.const 131024) (f64.const 0)))
(assert_return (invoke "setf64" (i32.const 131032) (f64.const 0)))
(assert_return (invoke "setf64" (i32.const 131040) (f64.const 0)))
(assert_return (invoke "setf64" (i32.const 131048) (f64.const 0)))
(assert_return (invoke "setf64" (i32.const 131056) (f64.const 0)))
(assert_return (invoke "setf64" (i32.const 131064) (f64.const 0)))
(assert_trap (invoke "axpy2" (i32.const 131008) (i32.const 6000) (i32.const 5) (f64.const 1))
  "out of bounds memory access")
(assert_return (invoke "f64" (i32.const 131008)) (f64.const 1))
(assert_return (invoke "f64" (i32.const 131016)) (f64.const 2))
(assert_return (invoke "f64" (i32.const 131032)) (f64.const 4))
(assert_return (invoke "f64" (i32.const 131064)) (f64.const 8))

(assert_return (invoke "fill" (i32.const 0) (i32.const 4) (i32.const 1)))
(assert_return (invoke "wrap" (i32.const -2) (i32.const 2) (i32.const 8)) (i32.const 3))
(assert_trap (invoke "wrap" (i32.const 131070) (i32.const 0) (i32.const 3)) "out of bounds memory access")

(assert_return (invoke "unused" (i32.const 131000) (i32.const 9)))
(assert_trap (invoke "unused" (i32.const 131000) (i32.const 10)) "out of bounds memory access")
(assert_trap (invoke "divs" (i32.const 5000) (i32.const 8)) "integer divide by zero")
(assert_return (invoke "i32" (i32.const 5000)) (i32.const 33))
(assert_return (invoke "i32" (i32.const 5008)) (i32.const 100))
(assert_return (invoke "i32" (i32.const 5012)) (i32.const 0))

(assert_trap (invoke "le_max" (i32.const 131000)) "out of bounds memory access")
(assert_return (invoke "u8" (i32.const 131071)) (i32.const 5))
(assert_trap (invoke "skip" (i32.const 2)) "out of bounds memory access")
(assert_return (invoke "u8" (i32.const 131069)) (i32.const 3))
(assert_return (invoke "u8" (i32.const 131070)) (i32.const 5))

