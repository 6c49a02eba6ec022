;; convlens GEMM micro-kernel, WebAssembly SIMD (f32x4).
;;
;; block(a, b, out, K, mBlocks, panels, bias, stride): for every 4-row block ib of A and 8-column
;; panel p of B,
;;   out[ib·4 + r][p·8 + c] = bias[ib·4 + r] + Σ_k A[ib·4 + r][k] · B[k][p·8 + c]
;; (the accumulators start at the row's bias: a conv's bias costs no pass over its output).
;; Layouts (byte offsets into this module's memory, all f32):
;;   A: blocks of 4 rows, k-major inside a block: row ib·4 + r, column k at a + ((ib·K + k)·4 + r)·4
;;   B: 8-column panels, K×8 each:            column p·8 + c, row k at b + ((p·K + k)·8 + c)·4
;;   out: rows `stride` bytes apart:           row i, column j at out + i·stride + j·4
;;   bias: one float per row of A (mBlocks·4), at bias + i·4
;; Per k, two loads of B's 8, four splat loads of the A values (v128.load32_splat: a broadcast
;; load on x86 with AVX, which takes no shuffle unit; loading the 4 A values as one vector and
;; splatting lanes with shuffles was 12 % slower: the shuffles compete with mul/add for the FP
;; ports) and 16 SIMD mul/add into 8 accumulators (the 4×8 tile): 11 live vectors, within x86's
;; 16 XMM registers. Without FMA (plain SIMD), 8 mul + 8 add per k on two mul and two add ports
;; is about the machine's limit (measured 45 GFLOP/s on the 2-core EPYC).
;; Build: npm run wasm (wabt) writes gemm.wasm beside this file, and gemm-relaxed.wasm with every
;; (f32x4.add (local.get $c) (f32x4.mul a b)) fused into f32x4.relaxed_madd (scripts/build-wasm.ts;
;; loaded where the engine validates it):
;; variant: relaxed
(module
  (memory (export "memory") 1)
  (func (export "block") (param $a i32) (param $b i32) (param $out i32) (param $K i32) (param $mBlocks i32) (param $panels i32)
    (param $bias i32) (param $stride i32)
    (local $ib i32) (local $p i32) (local $k i32) (local $pa i32) (local $pb i32) (local $po i32) (local $pbias i32)
    (local $x v128) (local $b0 v128) (local $b1 v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local.set $ib (i32.const 0))
    (block $done_i
      (loop $next_i
        (br_if $done_i (i32.ge_u (local.get $ib) (local.get $mBlocks)))
        (local.set $p (i32.const 0))
        (block $done_p
          (loop $next_p
            (br_if $done_p (i32.ge_u (local.get $p) (local.get $panels)))
        (local.set $pbias (i32.add (local.get $bias) (i32.shl (local.get $ib) (i32.const 4))))
        (local.set $c00 (v128.load32_splat (local.get $pbias)))
        (local.set $c01 (local.get $c00))
        (local.set $c10 (v128.load32_splat offset=4 (local.get $pbias)))
        (local.set $c11 (local.get $c10))
        (local.set $c20 (v128.load32_splat offset=8 (local.get $pbias)))
        (local.set $c21 (local.get $c20))
        (local.set $c30 (v128.load32_splat offset=12 (local.get $pbias)))
        (local.set $c31 (local.get $c30))
        (local.set $pa (i32.add (local.get $a) (i32.shl (i32.mul (local.get $ib) (local.get $K)) (i32.const 4))))
        (local.set $pb (i32.add (local.get $b) (i32.shl (i32.mul (local.get $p) (local.get $K)) (i32.const 5))))
        (local.set $k (local.get $K))
        (block $done_k
          (loop $next_k
            (br_if $done_k (i32.eqz (local.get $k)))
          (local.set $b0 (v128.load (local.get $pb)))
          (local.set $b1 (v128.load offset=16 (local.get $pb)))
          (local.set $x (v128.load32_splat (local.get $pa)))
          (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $x) (local.get $b0))))
          (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $x) (local.get $b1))))
          (local.set $x (v128.load32_splat offset=4 (local.get $pa)))
          (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $x) (local.get $b0))))
          (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $x) (local.get $b1))))
          (local.set $x (v128.load32_splat offset=8 (local.get $pa)))
          (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $x) (local.get $b0))))
          (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $x) (local.get $b1))))
          (local.set $x (v128.load32_splat offset=12 (local.get $pa)))
          (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $x) (local.get $b0))))
          (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $x) (local.get $b1))))
          (local.set $pa (i32.add (local.get $pa) (i32.const 16)))
          (local.set $pb (i32.add (local.get $pb) (i32.const 32)))
          (local.set $k (i32.sub (local.get $k) (i32.const 1)))
          (br $next_k)))
        (local.set $po (i32.add (local.get $out)
          (i32.add (i32.mul (i32.shl (local.get $ib) (i32.const 2)) (local.get $stride)) (i32.shl (local.get $p) (i32.const 5)))))
        (v128.store (local.get $po) (local.get $c00))
        (v128.store offset=16 (local.get $po) (local.get $c01))
        (local.set $po (i32.add (local.get $po) (local.get $stride)))
        (v128.store (local.get $po) (local.get $c10))
        (v128.store offset=16 (local.get $po) (local.get $c11))
        (local.set $po (i32.add (local.get $po) (local.get $stride)))
        (v128.store (local.get $po) (local.get $c20))
        (v128.store offset=16 (local.get $po) (local.get $c21))
        (local.set $po (i32.add (local.get $po) (local.get $stride)))
        (v128.store (local.get $po) (local.get $c30))
        (v128.store offset=16 (local.get $po) (local.get $c31))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $next_p)))
        (local.set $ib (i32.add (local.get $ib) (i32.const 1)))
        (br $next_i))))

  ;; im2col(src, taps, K, pos, width, OW, rowStep, sx, dst): the implicit im2col of a convolution,
  ;; written straight into B's 8-column panels (panel q of the block at dst + q·K·32, row k of it
  ;; at + k·32) from a zero-padded input staged in this memory, so no tap needs a bounds test:
  ;;   B[k][j] = src[base(pos + j) + taps[k]],  base(p) = floor(p / OW)·rowStep + (p mod OW)·sx·4
  ;; (bytes: taps[k] = ((c·Hp + u·dh)·Wp + v·dw)·4 for tap k = (c·KH + u)·KW + v, rowStep =
  ;; sy·Wp·4). A panel whose 8 columns lie in one output row reads each row k as 8 consecutive
  ;; inputs (sx 1: two loads) or 8 inputs two apart (sx 2: four loads, two even-lane shuffles; the
  ;; caller leaves 16 floats of slack after the staged input); other panels (crossing an output
  ;; row, the last partial one, other strides) go column by column. Columns past `width` are left.
  (func (export "im2col") (param $src i32) (param $taps i32) (param $K i32) (param $pos i32) (param $width i32)
    (param $OW i32) (param $rowStep i32) (param $sx i32) (param $dst i32)
    (local $j i32) (local $n i32) (local $oy i32) (local $ox i32) (local $base i32) (local $k i32)
    (local $t i32) (local $d i32) (local $c i32) (local $panelBytes i32)
    (local.set $panelBytes (i32.shl (local.get $K) (i32.const 5)))
    (local.set $j (i32.const 0))
    (block $done_j (loop $next_j
      (br_if $done_j (i32.ge_u (local.get $j) (local.get $width)))
      (local.set $n (i32.sub (local.get $width) (local.get $j)))
      (if (i32.gt_u (local.get $n) (i32.const 8)) (then (local.set $n (i32.const 8))))
      (local.set $oy (i32.div_u (local.get $pos) (local.get $OW)))
      (local.set $ox (i32.sub (local.get $pos) (i32.mul (local.get $oy) (local.get $OW))))
      (local.set $base (i32.add (local.get $src)
        (i32.add (i32.mul (local.get $oy) (local.get $rowStep)) (i32.shl (i32.mul (local.get $ox) (local.get $sx)) (i32.const 2)))))
      (local.set $d (local.get $dst))
      (local.set $t (local.get $taps))
      (local.set $k (local.get $K))
      (if (i32.and (i32.eq (local.get $n) (i32.const 8)) (i32.le_u (i32.add (local.get $ox) (i32.const 8)) (local.get $OW)))
        (then
          (if (i32.eq (local.get $sx) (i32.const 1))
            (then
              (block $done_k (loop $next_k
                (br_if $done_k (i32.eqz (local.get $k)))
                (local.set $c (i32.add (local.get $base) (i32.load (local.get $t))))
                (v128.store (local.get $d) (v128.load (local.get $c)))
                (v128.store offset=16 (local.get $d) (v128.load offset=16 (local.get $c)))
                (local.set $d (i32.add (local.get $d) (i32.const 32)))
                (local.set $t (i32.add (local.get $t) (i32.const 4)))
                (local.set $k (i32.sub (local.get $k) (i32.const 1)))
                (br $next_k))))
            (else (if (i32.eq (local.get $sx) (i32.const 2))
              (then
                (block $done_k2 (loop $next_k2
                  (br_if $done_k2 (i32.eqz (local.get $k)))
                  (local.set $c (i32.add (local.get $base) (i32.load (local.get $t))))
                  (v128.store (local.get $d)
                    (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (v128.load (local.get $c)) (v128.load offset=16 (local.get $c))))
                  (v128.store offset=16 (local.get $d)
                    (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (v128.load offset=32 (local.get $c)) (v128.load offset=48 (local.get $c))))
                  (local.set $d (i32.add (local.get $d) (i32.const 32)))
                  (local.set $t (i32.add (local.get $t) (i32.const 4)))
                  (local.set $k (i32.sub (local.get $k) (i32.const 1)))
                  (br $next_k2))))
              (else (call $columns (local.get $src) (local.get $taps) (local.get $K) (local.get $pos) (i32.const 8)
                (local.get $OW) (local.get $rowStep) (local.get $sx) (local.get $dst)))))))
        (else (call $columns (local.get $src) (local.get $taps) (local.get $K) (local.get $pos) (local.get $n)
          (local.get $OW) (local.get $rowStep) (local.get $sx) (local.get $dst))))
      (local.set $pos (i32.add (local.get $pos) (i32.const 8)))
      (local.set $dst (i32.add (local.get $dst) (local.get $panelBytes)))
      (local.set $j (i32.add (local.get $j) (i32.const 8)))
      (br $next_j))))

  ;; columns 0 to n - 1 of one panel (n ≤ 8), one at a time, each from its own output row and column
  (func $columns (param $src i32) (param $taps i32) (param $K i32) (param $pos i32) (param $n i32)
    (param $OW i32) (param $rowStep i32) (param $sx i32) (param $dst i32)
    (local $oy i32) (local $base i32) (local $k i32) (local $t i32) (local $d i32)
    (block $done_c (loop $next_c
      (br_if $done_c (i32.eqz (local.get $n)))
      (local.set $oy (i32.div_u (local.get $pos) (local.get $OW)))
      (local.set $base (i32.add (local.get $src) (i32.add (i32.mul (local.get $oy) (local.get $rowStep))
        (i32.shl (i32.mul (i32.sub (local.get $pos) (i32.mul (local.get $oy) (local.get $OW))) (local.get $sx)) (i32.const 2)))))
      (local.set $d (local.get $dst))
      (local.set $t (local.get $taps))
      (local.set $k (local.get $K))
      (block $done_k (loop $next_k
        (br_if $done_k (i32.eqz (local.get $k)))
        (f32.store (local.get $d) (f32.load (i32.add (local.get $base) (i32.load (local.get $t)))))
        (local.set $d (i32.add (local.get $d) (i32.const 32)))
        (local.set $t (i32.add (local.get $t) (i32.const 4)))
        (local.set $k (i32.sub (local.get $k) (i32.const 1)))
        (br $next_k)))
      (local.set $pos (i32.add (local.get $pos) (i32.const 1)))
      (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $next_c))))

  ;; pack(src, K, lda, blocks, dst): A's packing (the layout of `block` above) for `blocks` whole
  ;; blocks of 4 rows, from A staged row-major in this memory (row i, column k at src + (i·lda + k)·4)
  ;; to dst + ((ib·K + k)·4 + r)·4. Four columns of the block's four rows at a time: four loads, a
  ;; 4×4 transpose by shuffles, four consecutive stores; the last K mod 4 columns one float at a
  ;; time. lda and K in floats, src and dst in bytes.
  (func (export "pack") (param $src i32) (param $K i32) (param $lda i32) (param $blocks i32) (param $dst i32)
    (local $ib i32) (local $k i32) (local $row i32) (local $pitch i32) (local $k4 i32)
    (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128) (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local.set $pitch (i32.shl (local.get $lda) (i32.const 2)))
    (local.set $k4 (i32.and (local.get $K) (i32.const -4)))
    (local.set $ib (i32.const 0))
    (block $done_i (loop $next_i
      (br_if $done_i (i32.ge_u (local.get $ib) (local.get $blocks)))
      (local.set $row (i32.add (local.get $src) (i32.mul (i32.shl (local.get $ib) (i32.const 2)) (local.get $pitch))))
      (local.set $k (i32.const 0))
      (block $done_v (loop $next_v
        (br_if $done_v (i32.ge_u (local.get $k) (local.get $k4)))
        (local.set $r0 (v128.load (local.get $row)))
        (local.set $r1 (v128.load (i32.add (local.get $row) (local.get $pitch))))
        (local.set $r2 (v128.load (i32.add (local.get $row) (i32.shl (local.get $pitch) (i32.const 1)))))
        (local.set $r3 (v128.load (i32.add (local.get $row) (i32.mul (local.get $pitch) (i32.const 3)))))
        ;; [a0 b0 a1 b1] [c0 d0 c1 d1] [a2 b2 a3 b3] [c2 d2 c3 d3]
        (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r0) (local.get $r1)))
        (local.set $t1 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r2) (local.get $r3)))
        (local.set $t2 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r0) (local.get $r1)))
        (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r2) (local.get $r3)))
        (v128.store (local.get $dst) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t1)))
        (v128.store offset=16 (local.get $dst) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t1)))
        (v128.store offset=32 (local.get $dst) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t2) (local.get $t3)))
        (v128.store offset=48 (local.get $dst) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t2) (local.get $t3)))
        (local.set $row (i32.add (local.get $row) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 64)))
        (local.set $k (i32.add (local.get $k) (i32.const 4)))
        (br $next_v)))
      (block $done_s (loop $next_s
        (br_if $done_s (i32.ge_u (local.get $k) (local.get $K)))
        (f32.store (local.get $dst) (f32.load (local.get $row)))
        (f32.store offset=4 (local.get $dst) (f32.load (i32.add (local.get $row) (local.get $pitch))))
        (f32.store offset=8 (local.get $dst) (f32.load (i32.add (local.get $row) (i32.shl (local.get $pitch) (i32.const 1)))))
        (f32.store offset=12 (local.get $dst) (f32.load (i32.add (local.get $row) (i32.mul (local.get $pitch) (i32.const 3)))))
        (local.set $row (i32.add (local.get $row) (i32.const 4)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $next_s)))
      (local.set $ib (i32.add (local.get $ib) (i32.const 1)))
      (br $next_i))))

  ;; place(src, rowBytes, rows, dst, pitch): `rows` contiguous rows of rowBytes copied into rows
  ;; `pitch` bytes apart (the input, staged unpadded in one copy, into the zero-padded planes)
  (func (export "place") (param $src i32) (param $rowBytes i32) (param $rows i32) (param $dst i32) (param $pitch i32)
    (block $done (loop $next
      (br_if $done (i32.eqz (local.get $rows)))
      (memory.copy (local.get $dst) (local.get $src) (local.get $rowBytes))
      (local.set $src (i32.add (local.get $src) (local.get $rowBytes)))
      (local.set $dst (i32.add (local.get $dst) (local.get $pitch)))
      (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
      (br $next))))

  ;; gemv(w, x, y, K, rows): y[o] = Σ_k w[o·K + k]·x[k] for o < rows, w row-major (byte addresses;
  ;; K in floats): a linear layer on one row (a classifier head), where packing A for `block` would
  ;; cost as much as the product (each weight is used once). Four rows at a time share each load of
  ;; x: per row an f32x4 of partial sums over k ≡ lane (mod 4) up to K rounded down to 4, added
  ;; across lanes as (l0 + l1) + (l2 + l3), then the K mod 4 tail in k order; the last rows mod 4
  ;; one at a time the same way.
  (func $hsum (param $v v128) (result f32)
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
      (f32.add (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))
  (func (export "gemv") (param $w i32) (param $x i32) (param $y i32) (param $K i32) (param $rows i32)
    (local $o i32) (local $k i32) (local $k4 i32) (local $pitch i32) (local $p i32) (local $q i32)
    (local $xv v128) (local $wv v128) (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $s0 f32) (local $s1 f32) (local $s2 f32) (local $s3 f32) (local $xs f32)
    (local.set $pitch (i32.shl (local.get $K) (i32.const 2)))
    (local.set $k4 (i32.and (local.get $K) (i32.const -4)))
    (local.set $o (i32.const 0))
    (block $done_4 (loop $next_4
      (br_if $done_4 (i32.gt_u (i32.add (local.get $o) (i32.const 4)) (local.get $rows)))
      (local.set $a0 (v128.const i32x4 0 0 0 0))
      (local.set $a1 (v128.const i32x4 0 0 0 0))
      (local.set $a2 (v128.const i32x4 0 0 0 0))
      (local.set $a3 (v128.const i32x4 0 0 0 0))
      (local.set $p (local.get $w))
      (local.set $q (local.get $x))
      (local.set $k (i32.const 0))
      (block $done_k (loop $next_k
        (br_if $done_k (i32.ge_u (local.get $k) (local.get $k4)))
        (local.set $xv (v128.load (local.get $q)))
        (local.set $wv (v128.load (local.get $p)))
        (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $xv) (local.get $wv))))
        (local.set $wv (v128.load (i32.add (local.get $p) (local.get $pitch))))
        (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $xv) (local.get $wv))))
        (local.set $wv (v128.load (i32.add (local.get $p) (i32.shl (local.get $pitch) (i32.const 1)))))
        (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $xv) (local.get $wv))))
        (local.set $wv (v128.load (i32.add (local.get $p) (i32.mul (local.get $pitch) (i32.const 3)))))
        (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $xv) (local.get $wv))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (local.set $q (i32.add (local.get $q) (i32.const 16)))
        (local.set $k (i32.add (local.get $k) (i32.const 4)))
        (br $next_k)))
      (local.set $s0 (call $hsum (local.get $a0)))
      (local.set $s1 (call $hsum (local.get $a1)))
      (local.set $s2 (call $hsum (local.get $a2)))
      (local.set $s3 (call $hsum (local.get $a3)))
      (block $done_t (loop $next_t
        (br_if $done_t (i32.ge_u (local.get $k) (local.get $K)))
        (local.set $xs (f32.load (local.get $q)))
        (local.set $s0 (f32.add (local.get $s0) (f32.mul (f32.load (local.get $p)) (local.get $xs))))
        (local.set $s1 (f32.add (local.get $s1) (f32.mul (f32.load (i32.add (local.get $p) (local.get $pitch))) (local.get $xs))))
        (local.set $s2 (f32.add (local.get $s2) (f32.mul (f32.load (i32.add (local.get $p) (i32.shl (local.get $pitch) (i32.const 1)))) (local.get $xs))))
        (local.set $s3 (f32.add (local.get $s3) (f32.mul (f32.load (i32.add (local.get $p) (i32.mul (local.get $pitch) (i32.const 3)))) (local.get $xs))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (local.set $q (i32.add (local.get $q) (i32.const 4)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $next_t)))
      (f32.store (local.get $y) (local.get $s0))
      (f32.store offset=4 (local.get $y) (local.get $s1))
      (f32.store offset=8 (local.get $y) (local.get $s2))
      (f32.store offset=12 (local.get $y) (local.get $s3))
      (local.set $w (i32.add (local.get $w) (i32.shl (local.get $pitch) (i32.const 2))))
      (local.set $y (i32.add (local.get $y) (i32.const 16)))
      (local.set $o (i32.add (local.get $o) (i32.const 4)))
      (br $next_4)))
    (block $done_1 (loop $next_1
      (br_if $done_1 (i32.ge_u (local.get $o) (local.get $rows)))
      (local.set $a0 (v128.const i32x4 0 0 0 0))
      (local.set $p (local.get $w))
      (local.set $q (local.get $x))
      (local.set $k (i32.const 0))
      (block $done_k (loop $next_k
        (br_if $done_k (i32.ge_u (local.get $k) (local.get $k4)))
        (local.set $xv (v128.load (local.get $q)))
        (local.set $wv (v128.load (local.get $p)))
        (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $xv) (local.get $wv))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (local.set $q (i32.add (local.get $q) (i32.const 16)))
        (local.set $k (i32.add (local.get $k) (i32.const 4)))
        (br $next_k)))
      (local.set $s0 (call $hsum (local.get $a0)))
      (block $done_t (loop $next_t
        (br_if $done_t (i32.ge_u (local.get $k) (local.get $K)))
        (local.set $s0 (f32.add (local.get $s0) (f32.mul (f32.load (local.get $p)) (f32.load (local.get $q)))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (local.set $q (i32.add (local.get $q) (i32.const 4)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $next_t)))
      (f32.store (local.get $y) (local.get $s0))
      (local.set $w (i32.add (local.get $w) (local.get $pitch)))
      (local.set $y (i32.add (local.get $y) (i32.const 4)))
      (local.set $o (i32.add (local.get $o) (i32.const 1)))
      (br $next_1))))

  ;; clamp(ptr, n, lo, hi) and relu(ptr, n) in place: wasm/clamp.wat's two kernels (see its header
  ;; for the semantics: Math.min/max's and the JavaScript compare's answers, NaN kept), here so that an
  ;; activation fused into the GEMM's copy-out (tensor/gemm.ts withEpilogue) maps the output area
  ;; where it lies, without copying it into another module's memory and back (ops/clamp-simd.ts).
  (func (export "clamp") (param $ptr i32) (param $n i32) (param $lo f32) (param $hi f32)
    (local $at i32) (local $end i32) (local $vecEnd i32) (local $lv v128) (local $hv v128)
    (local.set $lv (f32x4.splat (local.get $lo)))
    (local.set $hv (f32x4.splat (local.get $hi)))
    (local.set $at (local.get $ptr))
    (local.set $end (i32.add (local.get $ptr) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $vecEnd (i32.add (local.get $ptr) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done_v (loop $next_v
      (br_if $done_v (i32.ge_u (local.get $at) (local.get $vecEnd)))
      (v128.store (local.get $at)
        (f32x4.min (f32x4.max (v128.load (local.get $at)) (local.get $lv)) (local.get $hv)))
      (local.set $at (i32.add (local.get $at) (i32.const 16)))
      (br $next_v)))
    (block $done_s (loop $next_s
      (br_if $done_s (i32.ge_u (local.get $at) (local.get $end)))
      (f32.store (local.get $at)
        (f32.min (f32.max (f32.load (local.get $at)) (local.get $lo)) (local.get $hi)))
      (local.set $at (i32.add (local.get $at) (i32.const 4)))
      (br $next_s))))
  (func (export "relu") (param $ptr i32) (param $n i32)
    (local $at i32) (local $end i32) (local $vecEnd i32) (local $v v128) (local $y f32)
    (local.set $at (local.get $ptr))
    (local.set $end (i32.add (local.get $ptr) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $vecEnd (i32.add (local.get $ptr) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done_v (loop $next_v
      (br_if $done_v (i32.ge_u (local.get $at) (local.get $vecEnd)))
      (local.set $v (v128.load (local.get $at)))
      (v128.store (local.get $at) (v128.and (local.get $v) (v128.or (f32x4.gt (local.get $v) (v128.const f32x4 0 0 0 0)) (f32x4.ne (local.get $v) (local.get $v)))))
      (local.set $at (i32.add (local.get $at) (i32.const 16)))
      (br $next_v)))
    (block $done_s (loop $next_s
      (br_if $done_s (i32.ge_u (local.get $at) (local.get $end)))
      (local.set $y (f32.load (local.get $at)))
      (f32.store (local.get $at) (select (local.get $y) (f32.const 0) (i32.or (f32.gt (local.get $y) (f32.const 0)) (f32.ne (local.get $y) (local.get $y)))))
      (local.set $at (i32.add (local.get $at) (i32.const 4)))
      (br $next_s))))
)
