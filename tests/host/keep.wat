;; Pure module with array outputs of their own size (docs/abi.md, array
;; outputs): keep(v, n, cap, kept, all) copies the positive values of v
;; (n values) into kept, at most cap of them, returns how many it wrote
;; (bound to "count:outputs:kept"), and copies all of v to `all`.
;; keep_bad returns one more than the capacity.
(module
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 1024))
  (func (export "portalis_alloc") (param $n i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $heap))
    (global.set $heap (i32.and (i32.add (i32.add (global.get $heap) (local.get $n)) (i32.const 15))
                               (i32.const -16)))
    (if (i32.gt_u (global.get $heap) (i32.mul (memory.size) (i32.const 65536)))
      (then (drop (memory.grow (i32.add (i32.shr_u (global.get $heap) (i32.const 16)) (i32.const 1))))))
    (local.get $p))
  (func $keep (export "keep") (param $v i32) (param $n i32) (param $cap i32) (param $kept i32) (param $all i32)
    (result i32)
    (local $i i32) (local $k i32) (local $x f64)
    (block $done
      (loop $next
        (br_if $done (i32.ge_s (local.get $i) (local.get $n)))
        (local.set $x (f64.load (i32.add (local.get $v) (i32.shl (local.get $i) (i32.const 3)))))
        (f64.store (i32.add (local.get $all) (i32.shl (local.get $i) (i32.const 3))) (local.get $x))
        (if (i32.and (f64.gt (local.get $x) (f64.const 0)) (i32.lt_s (local.get $k) (local.get $cap)))
          (then
            (f64.store (i32.add (local.get $kept) (i32.shl (local.get $k) (i32.const 3))) (local.get $x))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $k))
  (func (export "keep_bad") (param i32 i32 i32 i32 i32) (result i32)
    (i32.add (local.get 2) (i32.const 1))))
