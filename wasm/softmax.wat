;; convlens softmax kernels, WebAssembly SIMD (f32x4), for multiscaleAttention's scores
;; (ops/multiscale-attention-softmax.ts): a band of a head's score rows lives in this module's memory.
;;
;;   softmax_rows(ptr, rows, cols): for each row of `cols` floats at ptr + r·cols·4, in place,
;;     m = max of the row, e_j = exp(x_j − m) (x_j − m rounded to float32), s = Σ e_j (four float32
;;     partial sums, then (s0 + s1) + (s2 + s3), then the cols mod 4 tail in order),
;;     x_j = e_j · (1/s) (1/s rounded to float32). A NaN anywhere in a row makes the row NaN, as
;;     softmax does (f32x4.max and f32.max return NaN for a NaN operand).
;;   softmax_vjp_rows(p, g, rows, cols): the softmax's vector-Jacobian product row by row, in place on
;;     g: t = Σ_j g_j·p_j (four float32 partial sums, (t0 + t1) + (t2 + t3), then the tail in order),
;;     g_j = p_j·(g_j − t).
;;   exp_rows(ptr, n): exp of n floats in place, for x ≤ 0 (what softmax gives it; x above 0 is taken as 0).
;;   exp4: Cephes' expf on four lanes, x clamped to [−87.33655, 0] (below, 2^−126 · e^r: a value
;;     under 1.2e−38 where float32 exp would be subnormal or 0, nothing a softmax row's sum ≥ 1
;;     sees), n = nearest(x·log₂e), r = x − n·C1 − n·C2 (C1 = 0.693359375, n·C1 exact for |n| ≤ 126),
;;     e^r = 1 + r + r²·P(r) (degree 5), times 2ⁿ built in the exponent bits. Within 1 float32 ulp of
;;     the correctly rounded exp over [−87.3, 0] (test/ops/multiscale-attention-softmax.test.ts).
;; Arguments in bytes (ptr). Build: npm run wasm (wabt) writes softmax.wasm beside this file.
(module
  (memory (export "memory") 1)

  (func $exp4 (param $x v128) (result v128)
    (local $n v128) (local $r v128) (local $p v128)
    (local.set $x (f32x4.max (f32x4.min (local.get $x) (v128.const f32x4 0 0 0 0))
                             (v128.const f32x4 -87.33654 -87.33654 -87.33654 -87.33654)))
    (local.set $n (f32x4.nearest (f32x4.mul (local.get $x) (v128.const f32x4 1.44269504088896341 1.44269504088896341 1.44269504088896341 1.44269504088896341))))
    (local.set $r (f32x4.sub (local.get $x) (f32x4.mul (local.get $n) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375))))
    (local.set $r (f32x4.sub (local.get $r) (f32x4.mul (local.get $n) (v128.const f32x4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4))))
    (local.set $p (v128.const f32x4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1)))
    (local.set $p (f32x4.add (f32x4.add (f32x4.mul (local.get $p) (f32x4.mul (local.get $r) (local.get $r))) (local.get $r))
                             (v128.const f32x4 1 1 1 1)))
    ;; 2ⁿ: (n + 127) << 23 as float32 bits (n in [−126, 0])
    (f32x4.mul (local.get $p)
      (i32x4.shl (i32x4.add (i32x4.trunc_sat_f32x4_s (local.get $n)) (v128.const i32x4 127 127 127 127)) (i32.const 23))))

  (func (export "exp_rows") (param $ptr i32) (param $n i32)
    (local $at i32) (local $end i32) (local $vecEnd i32)
    (local.set $at (local.get $ptr))
    (local.set $end (i32.add (local.get $ptr) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $vecEnd (i32.add (local.get $ptr) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done_v (loop $next_v
      (br_if $done_v (i32.ge_u (local.get $at) (local.get $vecEnd)))
      (v128.store (local.get $at) (call $exp4 (v128.load (local.get $at))))
      (local.set $at (i32.add (local.get $at) (i32.const 16)))
      (br $next_v)))
    (block $done_s (loop $next_s
      (br_if $done_s (i32.ge_u (local.get $at) (local.get $end)))
      (f32.store (local.get $at) (f32x4.extract_lane 0 (call $exp4 (f32x4.splat (f32.load (local.get $at))))))
      (local.set $at (i32.add (local.get $at) (i32.const 4)))
      (br $next_s))))

  (func (export "softmax_rows") (param $ptr i32) (param $rows i32) (param $cols i32)
    (local $r i32) (local $row i32) (local $at i32) (local $end i32) (local $vecEnd i32)
    (local $m4 v128) (local $mv v128) (local $s4 v128) (local $e v128) (local $iv v128)
    (local $m f32) (local $s f32) (local $t f32) (local $inv f32)
    (local.set $row (local.get $ptr))
    (local.set $r (i32.const 0))
    (block $done_r (loop $next_r
      (br_if $done_r (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $end (i32.add (local.get $row) (i32.shl (local.get $cols) (i32.const 2))))
      (local.set $vecEnd (i32.add (local.get $row) (i32.shl (i32.and (local.get $cols) (i32.const -4)) (i32.const 2))))
      ;; the row's maximum
      (local.set $m4 (v128.const f32x4 -inf -inf -inf -inf))
      (local.set $at (local.get $row))
      (block $done_m (loop $next_m
        (br_if $done_m (i32.ge_u (local.get $at) (local.get $vecEnd)))
        (local.set $m4 (f32x4.max (local.get $m4) (v128.load (local.get $at))))
        (local.set $at (i32.add (local.get $at) (i32.const 16)))
        (br $next_m)))
      (local.set $m (f32.max (f32.max (f32x4.extract_lane 0 (local.get $m4)) (f32x4.extract_lane 1 (local.get $m4)))
                             (f32.max (f32x4.extract_lane 2 (local.get $m4)) (f32x4.extract_lane 3 (local.get $m4)))))
      (block $done_mt (loop $next_mt
        (br_if $done_mt (i32.ge_u (local.get $at) (local.get $end)))
        (local.set $m (f32.max (local.get $m) (f32.load (local.get $at))))
        (local.set $at (i32.add (local.get $at) (i32.const 4)))
        (br $next_mt)))
      ;; e = exp(x − m) in place, and their sum
      (local.set $mv (f32x4.splat (local.get $m)))
      (local.set $s4 (v128.const f32x4 0 0 0 0))
      (local.set $at (local.get $row))
      (block $done_e (loop $next_e
        (br_if $done_e (i32.ge_u (local.get $at) (local.get $vecEnd)))
        (local.set $e (call $exp4 (f32x4.sub (v128.load (local.get $at)) (local.get $mv))))
        (v128.store (local.get $at) (local.get $e))
        (local.set $s4 (f32x4.add (local.get $s4) (local.get $e)))
        (local.set $at (i32.add (local.get $at) (i32.const 16)))
        (br $next_e)))
      (local.set $s (f32.add (f32.add (f32x4.extract_lane 0 (local.get $s4)) (f32x4.extract_lane 1 (local.get $s4)))
                             (f32.add (f32x4.extract_lane 2 (local.get $s4)) (f32x4.extract_lane 3 (local.get $s4)))))
      (block $done_et (loop $next_et
        (br_if $done_et (i32.ge_u (local.get $at) (local.get $end)))
        (local.set $t (f32x4.extract_lane 0 (call $exp4 (f32x4.splat (f32.sub (f32.load (local.get $at)) (local.get $m))))))
        (f32.store (local.get $at) (local.get $t))
        (local.set $s (f32.add (local.get $s) (local.get $t)))
        (local.set $at (i32.add (local.get $at) (i32.const 4)))
        (br $next_et)))
      ;; times 1/s
      (local.set $inv (f32.div (f32.const 1) (local.get $s)))
      (local.set $iv (f32x4.splat (local.get $inv)))
      (local.set $at (local.get $row))
      (block $done_p (loop $next_p
        (br_if $done_p (i32.ge_u (local.get $at) (local.get $vecEnd)))
        (v128.store (local.get $at) (f32x4.mul (v128.load (local.get $at)) (local.get $iv)))
        (local.set $at (i32.add (local.get $at) (i32.const 16)))
        (br $next_p)))
      (block $done_pt (loop $next_pt
        (br_if $done_pt (i32.ge_u (local.get $at) (local.get $end)))
        (f32.store (local.get $at) (f32.mul (f32.load (local.get $at)) (local.get $inv)))
        (local.set $at (i32.add (local.get $at) (i32.const 4)))
        (br $next_pt)))
      (local.set $row (local.get $end))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $next_r))))

  (func (export "softmax_vjp_rows") (param $p i32) (param $g i32) (param $rows i32) (param $cols i32)
    (local $r i32) (local $pa i32) (local $ga i32) (local $pEnd i32) (local $pVecEnd i32) (local $rowBytes i32)
    (local $t4 v128) (local $tv v128) (local $t f32)
    (local.set $rowBytes (i32.shl (local.get $cols) (i32.const 2)))
    (local.set $r (i32.const 0))
    (block $done_r (loop $next_r
      (br_if $done_r (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $pEnd (i32.add (local.get $p) (local.get $rowBytes)))
      (local.set $pVecEnd (i32.add (local.get $p) (i32.shl (i32.and (local.get $cols) (i32.const -4)) (i32.const 2))))
      ;; t = Σ g·p
      (local.set $t4 (v128.const f32x4 0 0 0 0))
      (local.set $pa (local.get $p))
      (local.set $ga (local.get $g))
      (block $done_d (loop $next_d
        (br_if $done_d (i32.ge_u (local.get $pa) (local.get $pVecEnd)))
        (local.set $t4 (f32x4.add (local.get $t4) (f32x4.mul (v128.load (local.get $ga)) (v128.load (local.get $pa)))))
        (local.set $pa (i32.add (local.get $pa) (i32.const 16)))
        (local.set $ga (i32.add (local.get $ga) (i32.const 16)))
        (br $next_d)))
      (local.set $t (f32.add (f32.add (f32x4.extract_lane 0 (local.get $t4)) (f32x4.extract_lane 1 (local.get $t4)))
                             (f32.add (f32x4.extract_lane 2 (local.get $t4)) (f32x4.extract_lane 3 (local.get $t4)))))
      (block $done_dt (loop $next_dt
        (br_if $done_dt (i32.ge_u (local.get $pa) (local.get $pEnd)))
        (local.set $t (f32.add (local.get $t) (f32.mul (f32.load (local.get $ga)) (f32.load (local.get $pa)))))
        (local.set $pa (i32.add (local.get $pa) (i32.const 4)))
        (local.set $ga (i32.add (local.get $ga) (i32.const 4)))
        (br $next_dt)))
      ;; g = p·(g − t)
      (local.set $tv (f32x4.splat (local.get $t)))
      (local.set $pa (local.get $p))
      (local.set $ga (local.get $g))
      (block $done_s (loop $next_s
        (br_if $done_s (i32.ge_u (local.get $pa) (local.get $pVecEnd)))
        (v128.store (local.get $ga) (f32x4.mul (v128.load (local.get $pa)) (f32x4.sub (v128.load (local.get $ga)) (local.get $tv))))
        (local.set $pa (i32.add (local.get $pa) (i32.const 16)))
        (local.set $ga (i32.add (local.get $ga) (i32.const 16)))
        (br $next_s)))
      (block $done_st (loop $next_st
        (br_if $done_st (i32.ge_u (local.get $pa) (local.get $pEnd)))
        (f32.store (local.get $ga) (f32.mul (f32.load (local.get $pa)) (f32.sub (f32.load (local.get $ga)) (local.get $t))))
        (local.set $pa (i32.add (local.get $pa) (i32.const 4)))
        (local.set $ga (i32.add (local.get $ga) (i32.const 4)))
        (br $next_st)))
      (local.set $p (local.get $pEnd))
      (local.set $g (i32.add (local.get $g) (local.get $rowBytes)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $next_r))))
)
