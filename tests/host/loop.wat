;; Never returns: exceeds any time budget.
(module
  (func (export "update") (param f64 f64)
    (loop $l (br $l))))
