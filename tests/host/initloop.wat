;; A reactor whose _initialize never returns: only a budget stops it.
(module
  (memory (export "memory") 1)
  (func (export "_initialize") (loop $l (br $l)))
  (func (export "update") (param f64 f64)))
