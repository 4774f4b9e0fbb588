;; A module whose linear memory starts at 2 MiB (32 pages): over a 1 MB cap.
(module
  (memory (export "memory") 32)
  (func (export "update") (param f64 f64)))
