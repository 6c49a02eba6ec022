;; convlens pooling, WebAssembly SIMD (f32x4), for maxPool2d and avgPool2d (ops/pool-simd.ts).
;; `stage` lays a band of planes (copied in raw by the caller) out padded: a plane is PH rows of PW
;; floats, the border −∞ for max and 0 for avg, so every window is the same kh×kw block of taps and
;; one uniform loop covers every output. Four adjacent outputs of a row per step: stride 1 reads taps
;; with one unaligned v128 load, stride 2 with two loads whose even lanes an i8x16.shuffle keeps
;; (written inline: as a called helper function, not inlined by Node 20's V8, it cost 7× the time).
;; Outputs are written compact (row oy of plane p at (p·OH + oy)·OW): a row's last step may store up
;; to 3 lanes past the row's end, which the next row's first step overwrites (or, after the last row,
;; the caller's slack takes); the taps of those lanes read past the row, into staged memory or slack.
;;   max_planes(in, out, planes, PW, PH, OH, OW, kh, kw, sy, sx):
;;     acc = f32x4.pmax(acc, tap) = acc < tap ? tap : acc from −∞, the JS loop's `v > m` (ties keep the
;;     first tap, −0 before +0 stays −0), and a lane mask of the NaN taps (tap ≠ tap) ORed on the side:
;;     a lane that met a NaN gives the quiet NaN 0x7fc00000 (PyTorch: NaN wins). f32x4.max would do
;;     both in one instruction, but V8 emits it as about eight x86 instructions (the NaN and −0 rules);
;;     pmax is one maxps: 0.55 → 0.19 ns per tap (3×3, 113² planes, load ~3).
;;   avg_planes(in, out, div, planes, PW, PH, OH, OW, kh, kw, sy, sx):
;;     the taps summed in float64 in row-major order from +0 (the JS loop's double sum: the staged
;;     zeros add nothing), divided in float64 by div[oy·OW + ox] (the divisor map, same for every
;;     plane), rounded once to float32: the JS loop's bits.
;; Build: npm run wasm (wabt) writes pool.wasm beside this file.
(module
  (memory (export "memory") 1)

  ;; stage(raw, dst, planes, H, W, PH, PW, top, left, border): planes of H×W floats at raw, contiguous,
  ;; laid out padded at dst: PH rows of PW floats per plane, staged row r being input row r − top with
  ;; `left` border floats before its columns; rows and columns outside the input hold `border`. A
  ;; row inside the input: its left border, its columns copied by whole vectors, its right border;
  ;; a row outside: border by whole vectors. Whole vectors read up to 3 floats past a source row (the
  ;; next row, or the caller's slack) and store up to 3 past their span, which the rest of the row,
  ;; the next row (written after it) or the caller's slack takes. (memory.copy per row cost more than
  ;; the pooling itself on 14-wide rows: V8 calls out for it.)
  (func (export "stage") (param $raw i32) (param $dst i32) (param $planes i32) (param $H i32) (param $W i32)
    (param $PH i32) (param $PW i32) (param $top i32) (param $left i32) (param $border f32)
    (local $p i32) (local $r i32) (local $h i32) (local $at i32) (local $end i32) (local $src i32) (local $from i32)
    (local $cols i32) (local $rowBytes i32) (local $colBytes i32) (local $leftBytes i32) (local $bv v128)
    (local.set $bv (f32x4.splat (local.get $border)))
    (local.set $rowBytes (i32.shl (local.get $PW) (i32.const 2)))
    (local.set $leftBytes (i32.shl (local.get $left) (i32.const 2)))
    ;; input columns a staged row holds: min(W, PW − left)
    (local.set $cols (select (local.get $W) (i32.sub (local.get $PW) (local.get $left))
      (i32.lt_s (local.get $W) (i32.sub (local.get $PW) (local.get $left)))))
    (local.set $colBytes (i32.shl (local.get $cols) (i32.const 2)))
    (local.set $at (local.get $dst))
    (local.set $src (local.get $raw))
    (block $done_p (loop $next_p
      (br_if $done_p (i32.ge_u (local.get $p) (local.get $planes)))
      (local.set $r (i32.const 0))
      (block $done_r (loop $next_r
        (br_if $done_r (i32.ge_u (local.get $r) (local.get $PH)))
        (local.set $h (i32.sub (local.get $r) (local.get $top)))
        (local.set $end (i32.add (local.get $at) (local.get $rowBytes)))
        (if (i32.and (i32.ge_s (local.get $h) (i32.const 0)) (i32.lt_s (local.get $h) (local.get $H)))
          (then
            ;; left border
            (block $done_l (loop $next_l
              (br_if $done_l (i32.ge_u (local.get $at) (i32.add (i32.sub (local.get $end) (local.get $rowBytes)) (local.get $leftBytes))))
              (f32.store (local.get $at) (local.get $border))
              (local.set $at (i32.add (local.get $at) (i32.const 4)))
              (br $next_l)))
            ;; the input's columns, whole vectors
            (local.set $from (i32.add (local.get $src) (i32.shl (i32.mul (local.get $h) (local.get $W)) (i32.const 2))))
            (local.set $h (i32.add (local.get $at) (local.get $colBytes))) ;; (reused: where the columns end)
            (block $done_c (loop $next_c
              (br_if $done_c (i32.ge_u (local.get $at) (local.get $h)))
              (v128.store (local.get $at) (v128.load (local.get $from)))
              (local.set $at (i32.add (local.get $at) (i32.const 16)))
              (local.set $from (i32.add (local.get $from) (i32.const 16)))
              (br $next_c)))
            ;; right border (over the copy's overshoot)
            (local.set $at (local.get $h))
            (block $done_rb (loop $next_rb
              (br_if $done_rb (i32.ge_u (local.get $at) (local.get $end)))
              (f32.store (local.get $at) (local.get $border))
              (local.set $at (i32.add (local.get $at) (i32.const 4)))
              (br $next_rb))))
          (else
            (block $done_f (loop $next_f
              (br_if $done_f (i32.ge_u (local.get $at) (local.get $end)))
              (v128.store (local.get $at) (local.get $bv))
              (local.set $at (i32.add (local.get $at) (i32.const 16)))
              (br $next_f)))))
        (local.set $at (local.get $end))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $next_r)))
      (local.set $src (i32.add (local.get $src) (i32.shl (i32.mul (local.get $H) (local.get $W)) (i32.const 2))))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br $next_p))))

  (func (export "max_planes") (param $in i32) (param $out i32) (param $planes i32) (param $PW i32) (param $PH i32)
    (param $OH i32) (param $OW i32) (param $kh i32) (param $kw i32) (param $sy i32) (param $sx i32)
    (local $p i32) (local $oy i32) (local $ox i32) (local $ky i32) (local $kx i32)
    (local $plane i32) (local $row i32) (local $win i32) (local $tap i32) (local $o i32)
    (local $rowBytes i32) (local $stepBytes i32) (local $s1 i32) (local $kw3 i32) (local $acc v128) (local $v v128) (local $nan v128)
    (local.set $rowBytes (i32.shl (local.get $PW) (i32.const 2)))
    (local.set $stepBytes (i32.shl (local.get $sx) (i32.const 4)))
    (local.set $s1 (i32.eq (local.get $sx) (i32.const 1)))
    (local.set $kw3 (i32.eq (local.get $kw) (i32.const 3)))
    (local.set $o (local.get $out))
    (local.set $plane (local.get $in))
    (block $done_p (loop $next_p
      (br_if $done_p (i32.ge_u (local.get $p) (local.get $planes)))
      (local.set $oy (i32.const 0))
      (block $done_y (loop $next_y
        (br_if $done_y (i32.ge_u (local.get $oy) (local.get $OH)))
        (local.set $row (i32.add (local.get $plane) (i32.mul (i32.mul (local.get $oy) (local.get $sy)) (local.get $rowBytes))))
        (local.set $win (local.get $row))
        (local.set $ox (i32.const 0))
        (block $done_x (loop $next_x
          (br_if $done_x (i32.ge_u (local.get $ox) (local.get $OW)))
          (local.set $acc (v128.const f32x4 -inf -inf -inf -inf))
          (local.set $nan (v128.const i32x4 0 0 0 0))
          (local.set $ky (i32.const 0))
          (block $done_ky (loop $next_ky
            (br_if $done_ky (i32.ge_u (local.get $ky) (local.get $kh)))
            (local.set $tap (i32.add (local.get $win) (i32.mul (local.get $ky) (local.get $rowBytes))))
            ;; kw = 3 (the zoo's pools): the row's three taps written out, in the loop's order
            (if (local.get $kw3)
              (then
                (local.set $v (if (result v128) (local.get $s1)
                  (then (v128.load offset=0 (local.get $tap)))
                  (else (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27
                    (v128.load offset=0 (local.get $tap)) (v128.load offset=16 (local.get $tap))))))
                (local.set $acc (f32x4.pmax (local.get $acc) (local.get $v)))
                (local.set $nan (v128.or (local.get $nan) (f32x4.ne (local.get $v) (local.get $v))))
                (local.set $v (if (result v128) (local.get $s1)
                  (then (v128.load offset=4 (local.get $tap)))
                  (else (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27
                    (v128.load offset=4 (local.get $tap)) (v128.load offset=20 (local.get $tap))))))
                (local.set $acc (f32x4.pmax (local.get $acc) (local.get $v)))
                (local.set $nan (v128.or (local.get $nan) (f32x4.ne (local.get $v) (local.get $v))))
                (local.set $v (if (result v128) (local.get $s1)
                  (then (v128.load offset=8 (local.get $tap)))
                  (else (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27
                    (v128.load offset=8 (local.get $tap)) (v128.load offset=24 (local.get $tap))))))
                (local.set $acc (f32x4.pmax (local.get $acc) (local.get $v)))
                (local.set $nan (v128.or (local.get $nan) (f32x4.ne (local.get $v) (local.get $v)))))
              (else
              (local.set $kx (i32.const 0))
              (block $done_kx (loop $next_kx
                (br_if $done_kx (i32.ge_u (local.get $kx) (local.get $kw)))
                (local.set $v (if (result v128) (local.get $s1)
                  (then (v128.load (local.get $tap)))
                  (else (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27
                    (v128.load (local.get $tap)) (v128.load offset=16 (local.get $tap))))))
                (local.set $acc (f32x4.pmax (local.get $acc) (local.get $v)))
                (local.set $nan (v128.or (local.get $nan) (f32x4.ne (local.get $v) (local.get $v))))
                (local.set $tap (i32.add (local.get $tap) (i32.const 4)))
                (local.set $kx (i32.add (local.get $kx) (i32.const 1)))
                (br $next_kx)))))
            (local.set $ky (i32.add (local.get $ky) (i32.const 1)))
            (br $next_ky)))
          (v128.store (i32.add (local.get $o) (i32.shl (local.get $ox) (i32.const 2)))
            (v128.bitselect (v128.const i32x4 0x7fc00000 0x7fc00000 0x7fc00000 0x7fc00000) (local.get $acc) (local.get $nan)))
          (local.set $win (i32.add (local.get $win) (local.get $stepBytes)))
          (local.set $ox (i32.add (local.get $ox) (i32.const 4)))
          (br $next_x)))
        (local.set $o (i32.add (local.get $o) (i32.shl (local.get $OW) (i32.const 2))))
        (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
        (br $next_y)))
      (local.set $plane (i32.add (local.get $plane) (i32.mul (local.get $PH) (local.get $rowBytes))))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br $next_p))))

  (func (export "avg_planes") (param $in i32) (param $out i32) (param $div i32) (param $planes i32) (param $PW i32) (param $PH i32)
    (param $OH i32) (param $OW i32) (param $kh i32) (param $kw i32) (param $sy i32) (param $sx i32)
    (local $p i32) (local $oy i32) (local $ox i32) (local $ky i32) (local $kx i32)
    (local $plane i32) (local $row i32) (local $win i32) (local $tap i32) (local $o i32) (local $d i32)
    (local $rowBytes i32) (local $stepBytes i32) (local $s1 i32) (local $kw3 i32) (local $v v128) (local $lo v128) (local $hi v128) (local $dv v128)
    (local.set $rowBytes (i32.shl (local.get $PW) (i32.const 2)))
    (local.set $stepBytes (i32.shl (local.get $sx) (i32.const 4)))
    (local.set $s1 (i32.eq (local.get $sx) (i32.const 1)))
    (local.set $kw3 (i32.eq (local.get $kw) (i32.const 3)))
    (local.set $o (local.get $out))
    (local.set $plane (local.get $in))
    (block $done_p (loop $next_p
      (br_if $done_p (i32.ge_u (local.get $p) (local.get $planes)))
      (local.set $oy (i32.const 0))
      (local.set $d (local.get $div))
      (block $done_y (loop $next_y
        (br_if $done_y (i32.ge_u (local.get $oy) (local.get $OH)))
        (local.set $row (i32.add (local.get $plane) (i32.mul (i32.mul (local.get $oy) (local.get $sy)) (local.get $rowBytes))))
        (local.set $win (local.get $row))
        (local.set $ox (i32.const 0))
        (block $done_x (loop $next_x
          (br_if $done_x (i32.ge_u (local.get $ox) (local.get $OW)))
          (local.set $lo (v128.const f64x2 0 0))
          (local.set $hi (v128.const f64x2 0 0))
          (local.set $ky (i32.const 0))
          (block $done_ky (loop $next_ky
            (br_if $done_ky (i32.ge_u (local.get $ky) (local.get $kh)))
            (local.set $tap (i32.add (local.get $win) (i32.mul (local.get $ky) (local.get $rowBytes))))
            ;; kw = 3 (the zoo's pools): the row's three taps written out, in the loop's order
            (if (local.get $kw3)
              (then
                (local.set $v (if (result v128) (local.get $s1)
                  (then (v128.load offset=0 (local.get $tap)))
                  (else (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27
                    (v128.load offset=0 (local.get $tap)) (v128.load offset=16 (local.get $tap))))))
                (local.set $lo (f64x2.add (local.get $lo) (f64x2.promote_low_f32x4 (local.get $v))))
                (local.set $hi (f64x2.add (local.get $hi) (f64x2.promote_low_f32x4
                  (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $v) (local.get $v)))))
                (local.set $v (if (result v128) (local.get $s1)
                  (then (v128.load offset=4 (local.get $tap)))
                  (else (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27
                    (v128.load offset=4 (local.get $tap)) (v128.load offset=20 (local.get $tap))))))
                (local.set $lo (f64x2.add (local.get $lo) (f64x2.promote_low_f32x4 (local.get $v))))
                (local.set $hi (f64x2.add (local.get $hi) (f64x2.promote_low_f32x4
                  (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $v) (local.get $v)))))
                (local.set $v (if (result v128) (local.get $s1)
                  (then (v128.load offset=8 (local.get $tap)))
                  (else (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27
                    (v128.load offset=8 (local.get $tap)) (v128.load offset=24 (local.get $tap))))))
                (local.set $lo (f64x2.add (local.get $lo) (f64x2.promote_low_f32x4 (local.get $v))))
                (local.set $hi (f64x2.add (local.get $hi) (f64x2.promote_low_f32x4
                  (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $v) (local.get $v))))))
              (else
              (local.set $kx (i32.const 0))
              (block $done_kx (loop $next_kx
                (br_if $done_kx (i32.ge_u (local.get $kx) (local.get $kw)))
                (local.set $v (if (result v128) (local.get $s1)
                  (then (v128.load (local.get $tap)))
                  (else (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27
                    (v128.load (local.get $tap)) (v128.load offset=16 (local.get $tap))))))
                (local.set $lo (f64x2.add (local.get $lo) (f64x2.promote_low_f32x4 (local.get $v))))
                (local.set $hi (f64x2.add (local.get $hi) (f64x2.promote_low_f32x4
                  (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $v) (local.get $v)))))
                (local.set $tap (i32.add (local.get $tap) (i32.const 4)))
                (local.set $kx (i32.add (local.get $kx) (i32.const 1)))
                (br $next_kx)))))
            (local.set $ky (i32.add (local.get $ky) (i32.const 1)))
            (br $next_ky)))
          (local.set $dv (v128.load (i32.add (local.get $d) (i32.shl (local.get $ox) (i32.const 2)))))
          (local.set $lo (f64x2.div (local.get $lo) (f64x2.promote_low_f32x4 (local.get $dv))))
          (local.set $hi (f64x2.div (local.get $hi) (f64x2.promote_low_f32x4
            (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $dv) (local.get $dv)))))
          (v128.store (i32.add (local.get $o) (i32.shl (local.get $ox) (i32.const 2)))
            (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
              (f32x4.demote_f64x2_zero (local.get $lo)) (f32x4.demote_f64x2_zero (local.get $hi))))
          (local.set $win (i32.add (local.get $win) (local.get $stepBytes)))
          (local.set $ox (i32.add (local.get $ox) (i32.const 4)))
          (br $next_x)))
        (local.set $o (i32.add (local.get $o) (i32.shl (local.get $OW) (i32.const 2))))
        (local.set $d (i32.add (local.get $d) (i32.shl (local.get $OW) (i32.const 2))))
        (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
        (br $next_y)))
      (local.set $plane (i32.add (local.get $plane) (i32.mul (local.get $PH) (local.get $rowBytes))))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br $next_p))))
)
