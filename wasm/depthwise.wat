;; convlens depthwise-convolution kernel, WebAssembly SIMD (f32x4).
;;
;; One channel plane at a time, zero-padded by the caller so no tap is ever out of bounds:
;;   out[oy][ox] = Σ_u Σ_v w[u·KW + v] · x[(oy·sy + u·dh)][ox·sx + v·dw]
;; for 8 consecutive output columns per step (two f32x4 accumulators share each weight splat):
;;   s1: horizontal stride 1, the 8 inputs of a tap are two plain loads;
;;   s2: horizontal stride 2, four loads and two shuffles keep the even lanes.
;; Any vertical stride (the caller's byte step between output rows). Arguments in bytes:
;;   x: the padded plane's first element used by output row 0; w: KH·KW floats;
;;   out: rows × groups·8 floats, written (not accumulated);
;;   rowStep: bytes between the input rows of consecutive output rows (sy · pitch);
;;   tapRow: bytes between kernel rows (dh · pitch); tapCol: bytes between kernel columns (dw · 4).
;; Build: npm run wasm (wabt) writes depthwise.wasm beside this file.
(module
  (memory (export "memory") 1)
  (func (export "s1") (param $x i32) (param $w i32) (param $out i32) (param $KH i32) (param $KW i32)
    (param $tapRow i32) (param $tapCol i32) (param $rowStep i32) (param $rows i32) (param $groups i32)
    (local $oy i32) (local $g i32) (local $u i32) (local $v i32) (local $xr i32) (local $xu i32) (local $xv i32) (local $wq i32)
    (local $acc0 v128) (local $acc1 v128) (local $wv v128)
    (local.set $oy (i32.const 0))
    (block $done_y (loop $next_y
      (br_if $done_y (i32.ge_u (local.get $oy) (local.get $rows)))
      (local.set $xr (i32.add (local.get $x) (i32.mul (local.get $oy) (local.get $rowStep))))
      (local.set $g (i32.const 0))
      (block $done_g (loop $next_g
        (br_if $done_g (i32.ge_u (local.get $g) (local.get $groups)))
        (local.set $acc0 (v128.const i32x4 0 0 0 0))
        (local.set $acc1 (v128.const i32x4 0 0 0 0))
        (local.set $wq (local.get $w))
        (local.set $xu (i32.add (local.get $xr) (i32.shl (local.get $g) (i32.const 5))))
        (local.set $u (local.get $KH))
        (block $done_u (loop $next_u
          (br_if $done_u (i32.eqz (local.get $u)))
          (local.set $xv (local.get $xu))
          (local.set $v (local.get $KW))
          (block $done_v (loop $next_v
            (br_if $done_v (i32.eqz (local.get $v)))
            (local.set $wv (v128.load32_splat (local.get $wq)))
            (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul (local.get $wv) (v128.load (local.get $xv)))))
            (local.set $acc1 (f32x4.add (local.get $acc1) (f32x4.mul (local.get $wv) (v128.load offset=16 (local.get $xv)))))
            (local.set $wq (i32.add (local.get $wq) (i32.const 4)))
            (local.set $xv (i32.add (local.get $xv) (local.get $tapCol)))
            (local.set $v (i32.sub (local.get $v) (i32.const 1)))
            (br $next_v)))
          (local.set $xu (i32.add (local.get $xu) (local.get $tapRow)))
          (local.set $u (i32.sub (local.get $u) (i32.const 1)))
          (br $next_u)))
        (v128.store (local.get $out) (local.get $acc0))
        (v128.store offset=16 (local.get $out) (local.get $acc1))
        (local.set $out (i32.add (local.get $out) (i32.const 32)))
        (local.set $g (i32.add (local.get $g) (i32.const 1)))
        (br $next_g)))
      (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
      (br $next_y))))
  (func (export "s2") (param $x i32) (param $w i32) (param $out i32) (param $KH i32) (param $KW i32)
    (param $tapRow i32) (param $tapCol i32) (param $rowStep i32) (param $rows i32) (param $groups i32)
    (local $oy i32) (local $g i32) (local $u i32) (local $v i32) (local $xr i32) (local $xu i32) (local $xv i32) (local $wq i32)
    (local $acc0 v128) (local $acc1 v128) (local $wv v128)
    (local.set $oy (i32.const 0))
    (block $done_y (loop $next_y
      (br_if $done_y (i32.ge_u (local.get $oy) (local.get $rows)))
      (local.set $xr (i32.add (local.get $x) (i32.mul (local.get $oy) (local.get $rowStep))))
      (local.set $g (i32.const 0))
      (block $done_g (loop $next_g
        (br_if $done_g (i32.ge_u (local.get $g) (local.get $groups)))
        (local.set $acc0 (v128.const i32x4 0 0 0 0))
        (local.set $acc1 (v128.const i32x4 0 0 0 0))
        (local.set $wq (local.get $w))
        ;; 8 outputs at stride 2 read 16 input columns
        (local.set $xu (i32.add (local.get $xr) (i32.shl (local.get $g) (i32.const 6))))
        (local.set $u (local.get $KH))
        (block $done_u (loop $next_u
          (br_if $done_u (i32.eqz (local.get $u)))
          (local.set $xv (local.get $xu))
          (local.set $v (local.get $KW))
          (block $done_v (loop $next_v
            (br_if $done_v (i32.eqz (local.get $v)))
            (local.set $wv (v128.load32_splat (local.get $wq)))
            ;; lanes 0, 2, 4, 6 of two consecutive vectors: the inputs of 4 outputs at stride 2
            (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul (local.get $wv)
              (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (v128.load (local.get $xv)) (v128.load offset=16 (local.get $xv))))))
            (local.set $acc1 (f32x4.add (local.get $acc1) (f32x4.mul (local.get $wv)
              (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (v128.load offset=32 (local.get $xv)) (v128.load offset=48 (local.get $xv))))))
            (local.set $wq (i32.add (local.get $wq) (i32.const 4)))
            (local.set $xv (i32.add (local.get $xv) (local.get $tapCol)))
            (local.set $v (i32.sub (local.get $v) (i32.const 1)))
            (br $next_v)))
          (local.set $xu (i32.add (local.get $xu) (local.get $tapRow)))
          (local.set $u (i32.sub (local.get $u) (i32.const 1)))
          (br $next_u)))
        (v128.store (local.get $out) (local.get $acc0))
        (v128.store offset=16 (local.get $out) (local.get $acc1))
        (local.set $out (i32.add (local.get $out) (i32.const 32)))
        (local.set $g (i32.add (local.get $g) (i32.const 1)))
        (br $next_g)))
      (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
      (br $next_y)))))
