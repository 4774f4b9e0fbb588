;; Hostile and limit-probing functions, run on both tiers by test_aot.c.
(module $hostile
  (import "host" "callback" (func $callback (param i32) (result i32)))
  (import "host" "fail" (func $fail (param i32)))
  (type $ii (func (param i32) (result i32)))
  (type $v (func))
  (memory 1 4)
  (table 4 funcref)
  (elem (i32.const 0) $double $spin $double)
  (global $calls (mut i32) (i32.const 0))

  (func $spin (export "spin")
    (loop $l (br $l)))

  (func $recurse (export "recurse") (param $n i32) (result i32)
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (i32.add (call $recurse (i32.add (local.get $n) (i32.const 1))) (i32.const 1)))

  ;; recursion with a large frame: 16 i64 values live across the call, so
  ;; the C stack runs out before a high depth limit; with $grow every level
  ;; also calls into the runtime (memory.grow 0), whose stack check traps first
  (func $fat (export "fat_recurse") (param $n i32) (param $grow i32) (result i32)
    (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (local.set 2 (i64.mul (i64.extend_i32_u (local.get $n)) (i64.const 3)))
    (local.set 3 (i64.mul (i64.extend_i32_u (local.get $n)) (i64.const 5)))
    (local.set 4 (i64.mul (i64.extend_i32_u (local.get $n)) (i64.const 7)))
    (local.set 5 (i64.mul (i64.extend_i32_u (local.get $n)) (i64.const 9)))
    (local.set 6 (i64.mul (i64.extend_i32_u (local.get $n)) (i64.const 11)))
    (local.set 7 (i64.mul (i64.extend_i32_u (local.get $n)) (i64.const 13)))
    (local.set 8 (i64.mul (i64.extend_i32_u (local.get $n)) (i64.const 15)))
    (local.set 9 (i64.mul (i64.extend_i32_u (local.get $n)) (i64.const 17)))
    (local.set 10 (i64.mul (i64.extend_i32_u (local.get $n)) (i64.const 19)))
    (local.set 11 (i64.mul (i64.extend_i32_u (local.get $n)) (i64.const 21)))
    (local.set 12 (i64.mul (i64.extend_i32_u (local.get $n)) (i64.const 23)))
    (local.set 13 (i64.mul (i64.extend_i32_u (local.get $n)) (i64.const 25)))
    (local.set 14 (i64.mul (i64.extend_i32_u (local.get $n)) (i64.const 27)))
    (local.set 15 (i64.mul (i64.extend_i32_u (local.get $n)) (i64.const 29)))
    (local.set 16 (i64.mul (i64.extend_i32_u (local.get $n)) (i64.const 31)))
    (local.set 17 (i64.mul (i64.extend_i32_u (local.get $n)) (i64.const 33)))
    (if (local.get $grow) (then (drop (memory.grow (i32.const 0)))))
    (i32.wrap_i64 (i64.xor (i64.add (i64.xor (i64.add (i64.xor (i64.add (i64.xor (i64.add (i64.xor (i64.add (i64.xor (i64.add (i64.xor (i64.add (i64.xor (i64.add (i64.extend_i32_u (call $fat (i32.add (local.get $n) (i32.const 1)) (local.get $grow))) (local.get 2)) (local.get 3)) (local.get 4)) (local.get 5)) (local.get 6)) (local.get 7)) (local.get 8)) (local.get 9)) (local.get 10)) (local.get 11)) (local.get 12)) (local.get 13)) (local.get 14)) (local.get 15)) (local.get 16)) (local.get 17))))
  (func (export "calls") (result i32) (global.get $calls))
  (func (export "reset") (global.set $calls (i32.const 0)))

  (func (export "load_near") (result i32)
    ;; the last 4 bytes are fine, one byte further is not
    (drop (i32.load (i32.const 65532)))
    (i32.load (i32.const 65533)))
  (func (export "load_far") (result i64)
    (i64.load offset=0xffffffff (i32.const 0xffffffff)))
  (func (export "store_far") (param $a i32)
    (i32.store8 offset=4096 (local.get $a) (i32.const 1)))

  ;; out of bounds under native frames, after a store, with the value unused
  (func $deep_oob (export "deep_oob") (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (i32.load (i32.const 65536)))
      (else (i32.add (call $deep_oob (i32.sub (local.get $n) (i32.const 1))) (i32.const 1)))))
  (func (export "store_then_oob") (param $a i32)
    (i32.store (i32.const 16) (i32.const 0x1234))
    (i32.store (local.get $a) (i32.const 7)))
;; constant, provably different addresses: the compiler may swap the
  ;; accesses unless told not to, and the fault must still come between them
  (func (export "store_then_load_oob") (param $v f64) (result f64)
    (f64.store (i32.const 24) (local.get $v))
    (f64.load (i32.const 823012729)))
  (func (export "load_oob_then_store") (param $v i32) (result i32)
    (local $x i32)
    (local.set $x (i32.load (i32.const 70000)))
    (i32.store (i32.const 32) (local.get $v))
    (local.get $x))
  (func (export "peek") (param $a i32) (result i32) (i32.load (local.get $a)))
  (func (export "dead_load") (param $a i32) (drop (i64.load (local.get $a))))

  (func (export "grow") (param $n i32) (result i32)
    (memory.grow (local.get $n)))
  (func (export "size") (result i32) (memory.size))

  (func $double (param $x i32) (result i32) (i32.mul (local.get $x) (i32.const 2)))
  (func (export "indirect") (param $i i32) (param $x i32) (result i32)
    (call_indirect (type $ii) (local.get $x) (local.get $i)))

  ;; deterministic work: fuel used must match across tiers
  (func $work (export "work") (param $n i32) (result i32)
    (local $i i32) (local $acc i32)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (block $next
          (local.set $acc (i32.add (local.get $acc) (call $double (local.get $i))))
          (if (i32.and (local.get $i) (i32.const 1))
            (then (local.set $acc (i32.xor (local.get $acc) (i32.const 0x55))))
            ;; a br_table with a loop target charges the loop's cost first
            (else (br_table $next $l $l (i32.and (local.get $i) (i32.const 2))))))
        (br $l)))
    (local.get $acc))

  (func $deep_trap (export "deep_trap") (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (i32.div_u (i32.const 1) (local.get $n)))
      (else (i32.add (call $deep_trap (i32.sub (local.get $n) (i32.const 1))) (i32.const 1)))))

  ;; the same below functions with one direct call and no export, which do
  ;; not store their call sites (wa_fdesc.site1): the same backtraces
  (func $st (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (i32.div_u (i32.const 1) (local.get $n)))
      (else (i32.add (call $st (i32.sub (local.get $n) (i32.const 1))) (i32.const 1)))))
  (func (export "single_trap") (param $n i32) (result i32) (call $st (local.get $n)))
  (func $so (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (i32.load (i32.const 65536)))
      (else (i32.add (call $so (i32.sub (local.get $n) (i32.const 1))) (i32.const 1)))))
  (func (export "single_oob") (param $n i32) (result i32) (call $so (local.get $n)))
  (func $sr (param $n i32) (result i32)
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (i32.add (call $sr (i32.add (local.get $n) (i32.const 1))) (i32.const 1)))
  (func (export "single_recurse") (param $n i32) (result i32) (call $sr (local.get $n)))
  ;; one that stores its site under one that does not, and the reverse
  (func $sm (param $n i32) (result i32) (call $deep_trap (local.get $n)))
  (func $smm (param $n i32) (result i32)
    (if (result i32) (local.get $n)
      (then (call $deep_trap (local.get $n)))
      (else (call $sm (i32.const 2)))))
  (func (export "single_mixed") (param $n i32) (result i32) (call $smm (local.get $n)))

  ;; host re-entry: the host calls "work" back
  (func (export "reenter") (param $n i32) (result i32)
    (call $callback (local.get $n)))
  (func (export "host_fail") (call $fail (i32.const 7)))
;; a NaN with a payload through arithmetic: its bits out (canonicalize_nans)
  (func (export "nan_add") (param $bits i32) (result i32)
    (i32.reinterpret_f32 (f32.add (f32.reinterpret_i32 (local.get $bits)) (f32.const 1))))
  (func (export "nan_promote") (param $bits i32) (result i64)
    (i64.reinterpret_f64 (f64.promote_f32 (f32.reinterpret_i32 (local.get $bits)))))
)
