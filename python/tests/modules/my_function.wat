;; my_function.rs as text, for machines without a wasm32 rustc.
(module
  (func (export "my_function") (param $x f64) (param $y f64) (result f64)
    (f64.add (f64.mul (local.get $x) (local.get $y)) (f64.div (local.get $x) (local.get $y)))))
