-- wrk script: one small JSON inference request of the projectile model
-- (bench/serve/run.sh).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"inputs":[{"name":"v","shape":[1,1],"datatype":"FP64","data":[20]},' ..
           '{"name":"angle","shape":[1,1],"datatype":"FP64","data":[45]},' ..
           '{"name":"t","shape":[1,1],"datatype":"FP64","data":[1]}]}'
