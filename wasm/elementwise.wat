;; convlens element-wise kernels, WebAssembly SIMD (f32x4): GELU over rows with a per-row bias
;; (runtime/fuse-mlp.ts: ConvNeXt's hidden tensor [4C × H·W], channels first).
;;
;;   gelu_rows(ptr, rows, cols, bias, hasBias): for each row r of `cols` floats at ptr + r·cols·4,
;;     v = y + bias[r] (float32, as the bias Add node rounds; skipped when hasBias is 0),
;;     y = (0.5·v)·(1 + erf(v·√½)), erf(x) = x·P(x²)/Q(x²) on x clamped to [−4, 4], ±1 at the clamp
;;   with ops/erf32.ts's coefficients (Eigen's and XLA's float erf), evaluated in float32 (the JS
;;   kernel evaluates the same formula in double: a few float32 ulps apart). f32x4.min/max return
;;   NaN for a NaN lane, so NaN stays NaN. Four columns per step; the last cols mod 4 scalar.
;; Arguments in bytes (ptr, bias). Build: npm run wasm (wabt) writes elementwise.wasm beside this file.
(module
  (memory (export "memory") 1)
  (func (export "gelu_rows") (param $ptr i32) (param $rows i32) (param $cols i32) (param $bias i32) (param $hasBias i32)
    (local $r i32) (local $at i32) (local $end i32) (local $vecEnd i32)
    (local $b f32) (local $bv v128) (local $v v128) (local $x v128) (local $x2 v128) (local $p v128) (local $q v128)
    (local $s f32) (local $sx f32) (local $s2 f32)
    (local.set $at (local.get $ptr))
    (local.set $r (i32.const 0))
    (block $done_r (loop $next_r
      (br_if $done_r (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $b (if (result f32) (local.get $hasBias)
        (then (f32.load (i32.add (local.get $bias) (i32.shl (local.get $r) (i32.const 2)))))
        (else (f32.const 0))))
      (local.set $bv (f32x4.splat (local.get $b)))
      (local.set $end (i32.add (local.get $at) (i32.shl (local.get $cols) (i32.const 2))))
      (local.set $vecEnd (i32.add (local.get $at) (i32.shl (i32.and (local.get $cols) (i32.const -4)) (i32.const 2))))
      (block $done_v (loop $next_v
        (br_if $done_v (i32.ge_u (local.get $at) (local.get $vecEnd)))
        (local.set $v (v128.load (local.get $at)))
        (if (local.get $hasBias) (then (local.set $v (f32x4.add (local.get $v) (local.get $bv)))))
        (local.set $x (f32x4.mul (local.get $v) (f32x4.splat (f32.const 0.7071067811865476))))
        (local.set $x (f32x4.min (f32x4.max (local.get $x) (f32x4.splat (f32.const -4.0))) (f32x4.splat (f32.const 4.0))))
        (local.set $x2 (f32x4.mul (local.get $x) (local.get $x)))
        (local.set $p (f32x4.mul (f32x4.add (f32x4.mul (f32x4.add (f32x4.mul (f32x4.add (f32x4.mul (f32x4.add (f32x4.mul (f32x4.add (f32x4.mul (f32x4.add (f32x4.mul (f32x4.splat (f32.const -2.72614225801306e-10)) (local.get $x2)) (f32x4.splat (f32.const 2.77068142495902e-08))) (local.get $x2)) (f32x4.splat (f32.const -2.10102402082508e-06))) (local.get $x2)) (f32x4.splat (f32.const -5.69250639462346e-05))) (local.get $x2)) (f32x4.splat (f32.const -0.000734990630326855))) (local.get $x2)) (f32x4.splat (f32.const -0.00295459980854025))) (local.get $x2)) (f32x4.splat (f32.const -0.0160960333262415))) (local.get $x)))
        (local.set $q (f32x4.add (f32x4.mul (f32x4.add (f32x4.mul (f32x4.add (f32x4.mul (f32x4.add (f32x4.mul (f32x4.splat (f32.const -1.45660718464996e-05)) (local.get $x2)) (f32x4.splat (f32.const -0.000213374055278905))) (local.get $x2)) (f32x4.splat (f32.const -0.00168282697438203))) (local.get $x2)) (f32x4.splat (f32.const -0.00737332916720468))) (local.get $x2)) (f32x4.splat (f32.const -0.0142647390514189))))
        ;; at the clamp (|x| = 4) erf is ±1 in float32, but the fit gives ±(1 − 6e-8): 0.5·v would
        ;; magnify that residue without bound (gelu(−1e10) = −300, not 0), so those lanes take ±1
        (local.set $p (v128.bitselect
          (v128.or (v128.and (local.get $x) (v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000)) (f32x4.splat (f32.const 1.0)))
          (f32x4.div (local.get $p) (local.get $q))
          (f32x4.ge (f32x4.abs (local.get $x)) (f32x4.splat (f32.const 4.0)))))
        (v128.store (local.get $at)
          (f32x4.mul (f32x4.mul (local.get $v) (f32x4.splat (f32.const 0.5))) (f32x4.add (f32x4.splat (f32.const 1.0)) (local.get $p))))
        (local.set $at (i32.add (local.get $at) (i32.const 16)))
        (br $next_v)))
      (block $done_s (loop $next_s
        (br_if $done_s (i32.ge_u (local.get $at) (local.get $end)))
        (local.set $s (f32.load (local.get $at)))
        (if (local.get $hasBias) (then (local.set $s (f32.add (local.get $s) (local.get $b)))))
        (local.set $sx (f32.mul (local.get $s) (f32.const 0.7071067811865476)))
        (local.set $sx (f32.min (f32.max (local.get $sx) (f32.const -4)) (f32.const 4)))
        (local.set $s2 (f32.mul (local.get $sx) (local.get $sx)))
        ;; ±1 at the clamp, as in the vector loop
        (local.set $s2 (select (f32.copysign (f32.const 1) (local.get $sx)) (f32.div (f32.mul (f32.add (f32.mul (f32.add (f32.mul (f32.add (f32.mul (f32.add (f32.mul (f32.add (f32.mul (f32.add (f32.mul (f32.const -2.72614225801306e-10) (local.get $s2)) (f32.const 2.77068142495902e-08)) (local.get $s2)) (f32.const -2.10102402082508e-06)) (local.get $s2)) (f32.const -5.69250639462346e-05)) (local.get $s2)) (f32.const -0.000734990630326855)) (local.get $s2)) (f32.const -0.00295459980854025)) (local.get $s2)) (f32.const -0.0160960333262415)) (local.get $sx)) (f32.add (f32.mul (f32.add (f32.mul (f32.add (f32.mul (f32.add (f32.mul (f32.const -1.45660718464996e-05) (local.get $s2)) (f32.const -0.000213374055278905)) (local.get $s2)) (f32.const -0.00168282697438203)) (local.get $s2)) (f32.const -0.00737332916720468)) (local.get $s2)) (f32.const -0.0142647390514189)))
          (f32.ge (f32.abs (local.get $sx)) (f32.const 4))))
        (f32.store (local.get $at) (f32.mul (f32.mul (local.get $s) (f32.const 0.5)) (f32.add (f32.const 1) (local.get $s2))))
        (local.set $at (i32.add (local.get $at) (i32.const 4)))
        (br $next_s)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $next_r)))))
