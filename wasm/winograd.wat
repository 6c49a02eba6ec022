;; convlens Winograd F(2×2, 3×3) transforms, WebAssembly SIMD (f32x4), for ops/conv-winograd.ts.
;;
;; The module imports the GEMM module's memory (wasm/gemm.wat), so the transformed input is
;; written where the GEMM's panel fill reads it, and the GEMM's products are read where it wrote
;; them: nothing is copied between modules. Four tiles side by side per step (one per lane).
;;
;; input(src, rowBytes, planeBytes, C, rows, TW, dst, ldvBytes, xiBytes): for channel c < C, tile
;; row r < rows and tile column tx < TW, d = the 4×4 input at rows 2r..2r+3, columns 2tx..2tx+3 of
;; channel c's zero-padded plane (at src + c·planeBytes, rows rowBytes apart), and
;;   V[ξ = 4i + j][c][t = r·TW + tx] = (Bᵀ d B)[i][j]       at dst + ξ·xiBytes + c·ldvBytes + t·4
;;   Bᵀ = [[1, 0, −1, 0], [0, 1, 1, 0], [0, −1, 1, 0], [0, 1, 0, −1]]
;; Bᵀ d first (rows of d combined as whole vectors: d0 − d2, d1 + d2, d2 − d1, d1 − d3), then ·B
;; on the columns: loads at columns 2tx and 2tx + 2, split into even and odd lanes by shuffles,
;; give columns 0, 1, 2, 3 of four tiles. The plane must hold 8 floats past column 2·TW + 1 (the
;; last step reads up to column 2·TW + 7), and V rows 3 floats past t = rows·TW − 1: a step past a
;; row's last tile writes lanes of the next row's first tiles, which that row then overwrites.
;;
;; output(m, ldmBytes, xiBytes, K, rows, TW, OW, bias, y, planeBytes): for kernel k < K and tile
;; (r, tx) as above, m_ξ = M[ξ][k][t] (at m + ξ·xiBytes + k·ldmBytes + t·4), the tile's 2×2 outputs
;;   Y[k][2r + a][2tx + b] = (Aᵀ m A)[a][b] + bias[k]       Aᵀ = [[1, 1, 1, 0], [0, 1, −1, −1]]
;; at y + k·planeBytes + ((2r + a)·OW + 2tx + b)·4 (Y has 2·rows rows of OW per kernel); columns at
;; or past OW are not written. Aᵀ m first (m0 + m1 + m2 and m1 − m2 − m3 over the rows of m), then
;; ·A on the columns, then the bias; the two output rows' lanes interleaved by shuffles. Returns 1
;; when an output it wrote is not finite (±∞ or NaN: y − y is NaN exactly then, summed over the
;; written lanes; the lanes past OW are masked out, their m is not a tile's), else 0.
;; kernels(w, C, blocks, dst, plane): the kernels' transform U = G g Gᵀ, G = [[1, 0, 0], [½, ½, ½],
;; [½, −½, ½], [0, 0, 1]], for blocks·4 kernels staged [k][c][3][3] at w, written as the GEMM's
;; packed A (wasm/gemm.wat block): U_ξ's kernel k, channel c at dst + ξ·plane + ((k >> 2)·C + c)·16
;; + (k & 3)·4. The four kernels of a block are the four lanes (one store per ξ); each lane's nine
;; taps gathered by scalar loads. G g first (its rows a, (a + b + c)/2, (a − b + c)/2, c over the
;; kernel's rows a, b, c), then ·Gᵀ on each row the same way.
;; Build: npm run wasm (wabt) writes winograd.wasm beside this file.
(module
  (import "gemm" "memory" (memory 1))

  ;; (Bᵀ d)'s row i at four tiles, loaded as a = columns 0–3, b = 4–7, a2 = 2–5, b2 = 6–9 from
  ;; tile column tx: its four ·B values stored `step` bytes apart from q
  (func $columns (param $a v128) (param $b v128) (param $a2 v128) (param $b2 v128) (param $q i32) (param $step i32)
    (local $e v128) (local $o v128) (local $e2 v128) (local $o2 v128)
    (local.set $e (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $a) (local.get $b)))
    (local.set $o (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $a) (local.get $b)))
    (local.set $e2 (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $a2) (local.get $b2)))
    (local.set $o2 (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $a2) (local.get $b2)))
    (v128.store (local.get $q) (f32x4.sub (local.get $e) (local.get $e2)))
    (local.set $q (i32.add (local.get $q) (local.get $step)))
    (v128.store (local.get $q) (f32x4.add (local.get $o) (local.get $e2)))
    (local.set $q (i32.add (local.get $q) (local.get $step)))
    (v128.store (local.get $q) (f32x4.sub (local.get $e2) (local.get $o)))
    (local.set $q (i32.add (local.get $q) (local.get $step)))
    (v128.store (local.get $q) (f32x4.sub (local.get $o) (local.get $o2))))

  (func (export "input") (param $src i32) (param $rowBytes i32) (param $planeBytes i32) (param $C i32) (param $rows i32)
    (param $TW i32) (param $dst i32) (param $ldv i32) (param $xi i32)
    (local $c i32) (local $r i32) (local $tx i32) (local $p0 i32) (local $p1 i32) (local $p2 i32) (local $p3 i32)
    (local $q i32) (local $q4 i32) (local $pc i32) (local $vc i32)
    (local.set $q4 (i32.shl (local.get $xi) (i32.const 2)))
    (local.set $c (i32.const 0))
    (block $done_c (loop $next_c
      (br_if $done_c (i32.ge_u (local.get $c) (local.get $C)))
      (local.set $pc (i32.add (local.get $src) (i32.mul (local.get $c) (local.get $planeBytes))))
      (local.set $vc (i32.add (local.get $dst) (i32.mul (local.get $c) (local.get $ldv))))
      (local.set $r (i32.const 0))
      (block $done_r (loop $next_r
        (br_if $done_r (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $tx (i32.const 0))
        (block $done_t (loop $next_t
          (br_if $done_t (i32.ge_u (local.get $tx) (local.get $TW)))
          ;; the tile group's four input rows, column 2tx
          (local.set $p0 (i32.add (local.get $pc)
            (i32.add (i32.mul (i32.shl (local.get $r) (i32.const 1)) (local.get $rowBytes)) (i32.shl (local.get $tx) (i32.const 3)))))
          (local.set $p1 (i32.add (local.get $p0) (local.get $rowBytes)))
          (local.set $p2 (i32.add (local.get $p1) (local.get $rowBytes)))
          (local.set $p3 (i32.add (local.get $p2) (local.get $rowBytes)))
          (local.set $q (i32.add (local.get $vc) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $TW)) (local.get $tx)) (i32.const 2))))
          ;; i = 0: d0 − d2
          (call $columns
            (f32x4.sub (v128.load (local.get $p0)) (v128.load (local.get $p2)))
            (f32x4.sub (v128.load offset=16 (local.get $p0)) (v128.load offset=16 (local.get $p2)))
            (f32x4.sub (v128.load offset=8 (local.get $p0)) (v128.load offset=8 (local.get $p2)))
            (f32x4.sub (v128.load offset=24 (local.get $p0)) (v128.load offset=24 (local.get $p2)))
            (local.get $q) (local.get $xi))
          (local.set $q (i32.add (local.get $q) (local.get $q4)))
          ;; i = 1: d1 + d2
          (call $columns
            (f32x4.add (v128.load (local.get $p1)) (v128.load (local.get $p2)))
            (f32x4.add (v128.load offset=16 (local.get $p1)) (v128.load offset=16 (local.get $p2)))
            (f32x4.add (v128.load offset=8 (local.get $p1)) (v128.load offset=8 (local.get $p2)))
            (f32x4.add (v128.load offset=24 (local.get $p1)) (v128.load offset=24 (local.get $p2)))
            (local.get $q) (local.get $xi))
          (local.set $q (i32.add (local.get $q) (local.get $q4)))
          ;; i = 2: d2 − d1
          (call $columns
            (f32x4.sub (v128.load (local.get $p2)) (v128.load (local.get $p1)))
            (f32x4.sub (v128.load offset=16 (local.get $p2)) (v128.load offset=16 (local.get $p1)))
            (f32x4.sub (v128.load offset=8 (local.get $p2)) (v128.load offset=8 (local.get $p1)))
            (f32x4.sub (v128.load offset=24 (local.get $p2)) (v128.load offset=24 (local.get $p1)))
            (local.get $q) (local.get $xi))
          (local.set $q (i32.add (local.get $q) (local.get $q4)))
          ;; i = 3: d1 − d3
          (call $columns
            (f32x4.sub (v128.load (local.get $p1)) (v128.load (local.get $p3)))
            (f32x4.sub (v128.load offset=16 (local.get $p1)) (v128.load offset=16 (local.get $p3)))
            (f32x4.sub (v128.load offset=8 (local.get $p1)) (v128.load offset=8 (local.get $p3)))
            (f32x4.sub (v128.load offset=24 (local.get $p1)) (v128.load offset=24 (local.get $p3)))
            (local.get $q) (local.get $xi))
          (local.set $tx (i32.add (local.get $tx) (i32.const 4)))
          (br $next_t)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $next_r)))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br $next_c))))

  (func (export "output") (param $m i32) (param $ldm i32) (param $xi i32) (param $K i32) (param $rows i32) (param $TW i32)
    (param $OW i32) (param $bias i32) (param $y i32) (param $planeBytes i32) (result i32)
    (local $bad v128) (local $live v128)
    (local $k i32) (local $r i32) (local $tx i32) (local $q i32) (local $yr i32) (local $yo i32) (local $rowBytes i32)
    (local $mk i32) (local $yk i32) (local $col i32)
    (local $bv v128) (local $m0 v128) (local $m1 v128) (local $m2 v128) (local $m3 v128)
    (local $s00 v128) (local $s01 v128) (local $s02 v128) (local $s03 v128)
    (local $s10 v128) (local $s11 v128) (local $s12 v128) (local $s13 v128)
    (local $y00 v128) (local $y01 v128) (local $y10 v128) (local $y11 v128)
    (local.set $rowBytes (i32.shl (local.get $OW) (i32.const 2)))
    (local.set $k (i32.const 0))
    (block $done_k (loop $next_k
      (br_if $done_k (i32.ge_u (local.get $k) (local.get $K)))
      (local.set $bv (v128.load32_splat (i32.add (local.get $bias) (i32.shl (local.get $k) (i32.const 2)))))
      (local.set $mk (i32.add (local.get $m) (i32.mul (local.get $k) (local.get $ldm))))
      (local.set $yk (i32.add (local.get $y) (i32.mul (local.get $k) (local.get $planeBytes))))
      (local.set $r (i32.const 0))
      (block $done_r (loop $next_r
        (br_if $done_r (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $yr (i32.add (local.get $yk) (i32.mul (i32.shl (local.get $r) (i32.const 1)) (local.get $rowBytes))))
        (local.set $tx (i32.const 0))
        (block $done_t (loop $next_t
          (br_if $done_t (i32.ge_u (local.get $tx) (local.get $TW)))
          (local.set $q (i32.add (local.get $mk) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $TW)) (local.get $tx)) (i32.const 2))))
          ;; column j of m: m_j, m_{4+j}, m_{8+j}, m_{12+j}; s0j = m0 + m1 + m2, s1j = m1 − m2 − m3 (rows of m)
          (local.set $m0 (v128.load (local.get $q)))
          (local.set $m1 (v128.load (i32.add (local.get $q) (i32.shl (local.get $xi) (i32.const 2)))))
          (local.set $m2 (v128.load (i32.add (local.get $q) (i32.shl (local.get $xi) (i32.const 3)))))
          (local.set $m3 (v128.load (i32.add (local.get $q) (i32.mul (local.get $xi) (i32.const 12)))))
          (local.set $s00 (f32x4.add (f32x4.add (local.get $m0) (local.get $m1)) (local.get $m2)))
          (local.set $s10 (f32x4.sub (f32x4.sub (local.get $m1) (local.get $m2)) (local.get $m3)))
          (local.set $q (i32.add (local.get $q) (local.get $xi)))
          (local.set $m0 (v128.load (local.get $q)))
          (local.set $m1 (v128.load (i32.add (local.get $q) (i32.shl (local.get $xi) (i32.const 2)))))
          (local.set $m2 (v128.load (i32.add (local.get $q) (i32.shl (local.get $xi) (i32.const 3)))))
          (local.set $m3 (v128.load (i32.add (local.get $q) (i32.mul (local.get $xi) (i32.const 12)))))
          (local.set $s01 (f32x4.add (f32x4.add (local.get $m0) (local.get $m1)) (local.get $m2)))
          (local.set $s11 (f32x4.sub (f32x4.sub (local.get $m1) (local.get $m2)) (local.get $m3)))
          (local.set $q (i32.add (local.get $q) (local.get $xi)))
          (local.set $m0 (v128.load (local.get $q)))
          (local.set $m1 (v128.load (i32.add (local.get $q) (i32.shl (local.get $xi) (i32.const 2)))))
          (local.set $m2 (v128.load (i32.add (local.get $q) (i32.shl (local.get $xi) (i32.const 3)))))
          (local.set $m3 (v128.load (i32.add (local.get $q) (i32.mul (local.get $xi) (i32.const 12)))))
          (local.set $s02 (f32x4.add (f32x4.add (local.get $m0) (local.get $m1)) (local.get $m2)))
          (local.set $s12 (f32x4.sub (f32x4.sub (local.get $m1) (local.get $m2)) (local.get $m3)))
          (local.set $q (i32.add (local.get $q) (local.get $xi)))
          (local.set $m0 (v128.load (local.get $q)))
          (local.set $m1 (v128.load (i32.add (local.get $q) (i32.shl (local.get $xi) (i32.const 2)))))
          (local.set $m2 (v128.load (i32.add (local.get $q) (i32.shl (local.get $xi) (i32.const 3)))))
          (local.set $m3 (v128.load (i32.add (local.get $q) (i32.mul (local.get $xi) (i32.const 12)))))
          (local.set $s03 (f32x4.add (f32x4.add (local.get $m0) (local.get $m1)) (local.get $m2)))
          (local.set $s13 (f32x4.sub (f32x4.sub (local.get $m1) (local.get $m2)) (local.get $m3)))
          ;; ·A on the columns, then the bias
          (local.set $y00 (f32x4.add (f32x4.add (f32x4.add (local.get $s00) (local.get $s01)) (local.get $s02)) (local.get $bv)))
          (local.set $y01 (f32x4.add (f32x4.sub (f32x4.sub (local.get $s01) (local.get $s02)) (local.get $s03)) (local.get $bv)))
          (local.set $y10 (f32x4.add (f32x4.add (f32x4.add (local.get $s10) (local.get $s11)) (local.get $s12)) (local.get $bv)))
          (local.set $y11 (f32x4.add (f32x4.sub (f32x4.sub (local.get $s11) (local.get $s12)) (local.get $s13)) (local.get $bv)))
          (local.set $yo (i32.add (local.get $yr) (i32.shl (local.get $tx) (i32.const 3))))
          (if (i32.le_u (i32.add (i32.shl (local.get $tx) (i32.const 1)) (i32.const 8)) (local.get $OW))
            (then
              (local.set $bad (f32x4.add (local.get $bad) (f32x4.add
                (f32x4.add (f32x4.sub (local.get $y00) (local.get $y00)) (f32x4.sub (local.get $y01) (local.get $y01)))
                (f32x4.add (f32x4.sub (local.get $y10) (local.get $y10)) (f32x4.sub (local.get $y11) (local.get $y11))))))
              ;; eight whole columns: [y0 y1] of the four tiles interleaved, two stores per row
              (v128.store (local.get $yo) (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $y00) (local.get $y01)))
              (v128.store offset=16 (local.get $yo) (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $y00) (local.get $y01)))
              (local.set $yo (i32.add (local.get $yo) (local.get $rowBytes)))
              (v128.store (local.get $yo) (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $y10) (local.get $y11)))
              (v128.store offset=16 (local.get $yo) (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $y10) (local.get $y11))))
            (else
              ;; the row's last tiles: lane by lane, columns past OW left
              (local.set $col (i32.shl (local.get $tx) (i32.const 1)))
              ;; the lanes whose tile starts before OW (its first column 2tx + 2j); the others' sums masked to +0
              (local.set $live (i32x4.lt_s (i32x4.add (i32x4.splat (local.get $col)) (v128.const i32x4 0 2 4 6)) (i32x4.splat (local.get $OW))))
              (local.set $bad (f32x4.add (local.get $bad) (v128.and (local.get $live) (f32x4.add
                (f32x4.add (f32x4.sub (local.get $y00) (local.get $y00)) (f32x4.sub (local.get $y01) (local.get $y01)))
                (f32x4.add (f32x4.sub (local.get $y10) (local.get $y10)) (f32x4.sub (local.get $y11) (local.get $y11)))))))
              (call $lane (local.get $yo) (local.get $rowBytes) (local.get $col) (local.get $OW)
                (f32x4.extract_lane 0 (local.get $y00)) (f32x4.extract_lane 0 (local.get $y01))
                (f32x4.extract_lane 0 (local.get $y10)) (f32x4.extract_lane 0 (local.get $y11)))
              (call $lane (i32.add (local.get $yo) (i32.const 8)) (local.get $rowBytes) (i32.add (local.get $col) (i32.const 2)) (local.get $OW)
                (f32x4.extract_lane 1 (local.get $y00)) (f32x4.extract_lane 1 (local.get $y01))
                (f32x4.extract_lane 1 (local.get $y10)) (f32x4.extract_lane 1 (local.get $y11)))
              (call $lane (i32.add (local.get $yo) (i32.const 16)) (local.get $rowBytes) (i32.add (local.get $col) (i32.const 4)) (local.get $OW)
                (f32x4.extract_lane 2 (local.get $y00)) (f32x4.extract_lane 2 (local.get $y01))
                (f32x4.extract_lane 2 (local.get $y10)) (f32x4.extract_lane 2 (local.get $y11)))
              (call $lane (i32.add (local.get $yo) (i32.const 24)) (local.get $rowBytes) (i32.add (local.get $col) (i32.const 6)) (local.get $OW)
                (f32x4.extract_lane 3 (local.get $y00)) (f32x4.extract_lane 3 (local.get $y01))
                (f32x4.extract_lane 3 (local.get $y10)) (f32x4.extract_lane 3 (local.get $y11)))))
          (local.set $tx (i32.add (local.get $tx) (i32.const 4)))
          (br $next_t)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $next_r)))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $next_k)))
    (v128.any_true (f32x4.ne (local.get $bad) (local.get $bad))))

  ;; one tile's 2×2 outputs at yo (its first column, col) and the row below, the columns < OW
  (func $lane (param $yo i32) (param $rowBytes i32) (param $col i32) (param $OW i32)
    (param $y00 f32) (param $y01 f32) (param $y10 f32) (param $y11 f32)
    (if (i32.lt_u (local.get $col) (local.get $OW))
      (then
        (f32.store (local.get $yo) (local.get $y00))
        (f32.store (i32.add (local.get $yo) (local.get $rowBytes)) (local.get $y10))))
    (if (i32.lt_u (i32.add (local.get $col) (i32.const 1)) (local.get $OW))
      (then
        (f32.store offset=4 (local.get $yo) (local.get $y01))
        (f32.store offset=4 (i32.add (local.get $yo) (local.get $rowBytes)) (local.get $y11)))))
  ;; four kernels' tap at p (lane 0), p + step, p + 2·step, p + 3·step
  (func $gather (param $p i32) (param $step i32) (result v128)
    (f32x4.replace_lane 3
      (f32x4.replace_lane 2
        (f32x4.replace_lane 1
          (f32x4.splat (f32.load (local.get $p)))
          (f32.load (i32.add (local.get $p) (local.get $step))))
        (f32.load (i32.add (local.get $p) (i32.shl (local.get $step) (i32.const 1)))))
      (f32.load (i32.add (local.get $p) (i32.mul (local.get $step) (i32.const 3))))))

  ;; one row r0, r1, r2 of G g, times Gᵀ: r0, (r0 + r1 + r2)/2, (r0 − r1 + r2)/2, r2 at q + j·plane
  (func $gt (param $r0 v128) (param $r1 v128) (param $r2 v128) (param $q i32) (param $plane i32)
    (local $h v128)
    (local.set $h (f32x4.splat (f32.const 0.5)))
    (v128.store (local.get $q) (local.get $r0))
    (local.set $q (i32.add (local.get $q) (local.get $plane)))
    (v128.store (local.get $q) (f32x4.mul (f32x4.add (f32x4.add (local.get $r0) (local.get $r1)) (local.get $r2)) (local.get $h)))
    (local.set $q (i32.add (local.get $q) (local.get $plane)))
    (v128.store (local.get $q) (f32x4.mul (f32x4.add (f32x4.sub (local.get $r0) (local.get $r1)) (local.get $r2)) (local.get $h)))
    (local.set $q (i32.add (local.get $q) (local.get $plane)))
    (v128.store (local.get $q) (local.get $r2)))

  (func (export "kernels") (param $w i32) (param $C i32) (param $blocks i32) (param $dst i32) (param $plane i32)
    (local $kb i32) (local $c i32) (local $p i32) (local $step i32) (local $q i32) (local $q4 i32) (local $h v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $b0 v128) (local $b1 v128) (local $b2 v128)
    (local $c0 v128) (local $c1 v128) (local $c2 v128)
    (local.set $step (i32.mul (local.get $C) (i32.const 36)))
    (local.set $q4 (i32.shl (local.get $plane) (i32.const 2)))
    (local.set $h (f32x4.splat (f32.const 0.5)))
    (local.set $kb (i32.const 0))
    (block $done_k (loop $next_k
      (br_if $done_k (i32.ge_u (local.get $kb) (local.get $blocks)))
      (local.set $c (i32.const 0))
      (block $done_c (loop $next_c
        (br_if $done_c (i32.ge_u (local.get $c) (local.get $C)))
        (local.set $p (i32.add (local.get $w) (i32.mul (i32.add (i32.mul (i32.shl (local.get $kb) (i32.const 2)) (local.get $C)) (local.get $c)) (i32.const 36))))
        (local.set $a0 (call $gather (local.get $p) (local.get $step)))
        (local.set $a1 (call $gather (i32.add (local.get $p) (i32.const 4)) (local.get $step)))
        (local.set $a2 (call $gather (i32.add (local.get $p) (i32.const 8)) (local.get $step)))
        (local.set $b0 (call $gather (i32.add (local.get $p) (i32.const 12)) (local.get $step)))
        (local.set $b1 (call $gather (i32.add (local.get $p) (i32.const 16)) (local.get $step)))
        (local.set $b2 (call $gather (i32.add (local.get $p) (i32.const 20)) (local.get $step)))
        (local.set $c0 (call $gather (i32.add (local.get $p) (i32.const 24)) (local.get $step)))
        (local.set $c1 (call $gather (i32.add (local.get $p) (i32.const 28)) (local.get $step)))
        (local.set $c2 (call $gather (i32.add (local.get $p) (i32.const 32)) (local.get $step)))
        (local.set $q (i32.add (local.get $dst) (i32.shl (i32.add (i32.mul (local.get $kb) (local.get $C)) (local.get $c)) (i32.const 4))))
        ;; G g's rows: a; (a + b + c)/2; (a − b + c)/2; c
        (call $gt (local.get $a0) (local.get $a1) (local.get $a2) (local.get $q) (local.get $plane))
        (local.set $q (i32.add (local.get $q) (local.get $q4)))
        (call $gt
          (f32x4.mul (f32x4.add (f32x4.add (local.get $a0) (local.get $b0)) (local.get $c0)) (local.get $h))
          (f32x4.mul (f32x4.add (f32x4.add (local.get $a1) (local.get $b1)) (local.get $c1)) (local.get $h))
          (f32x4.mul (f32x4.add (f32x4.add (local.get $a2) (local.get $b2)) (local.get $c2)) (local.get $h))
          (local.get $q) (local.get $plane))
        (local.set $q (i32.add (local.get $q) (local.get $q4)))
        (call $gt
          (f32x4.mul (f32x4.add (f32x4.sub (local.get $a0) (local.get $b0)) (local.get $c0)) (local.get $h))
          (f32x4.mul (f32x4.add (f32x4.sub (local.get $a1) (local.get $b1)) (local.get $c1)) (local.get $h))
          (f32x4.mul (f32x4.add (f32x4.sub (local.get $a2) (local.get $b2)) (local.get $c2)) (local.get $h))
          (local.get $q) (local.get $plane))
        (local.set $q (i32.add (local.get $q) (local.get $q4)))
        (call $gt (local.get $c0) (local.get $c1) (local.get $c2) (local.get $q) (local.get $plane))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $next_c)))
      (local.set $kb (i32.add (local.get $kb) (i32.const 1)))
      (br $next_k))))
)
