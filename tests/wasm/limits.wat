;; Modules for test_limits: runaway code for fuel, deadlines and interrupts,
;; memory growth for the memory cap, recursion for the call depth.
(module
  (import "env" "host" (func $host))
  (memory (export "memory") 1)
  (func (export "spin") (loop (br 0)))
  (func (export "spin_if") (param i32) (loop (br_if 0 (i32.ne (local.get 0) (i32.const -1)))))
  (func $count (export "count") (param $n i32) (result i32) (local $i i32)
    (loop
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if 0 (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $i))
  (func $rec (export "recurse") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
      (else (i32.add (i32.const 1) (call $rec (i32.sub (local.get 0) (i32.const 1)))))))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "table_loop") (param i32)
    (loop $l (block $b (br_table $l $b (local.get 0)))))
  (func (export "host_then_spin") (call $host) (loop (br 0))))
