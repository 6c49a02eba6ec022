;; convlens GEMM micro-kernel, WebAssembly SIMD (f32x4).
;;
;; block(a, b, out, K, mBlocks, panels): for every 4-row block ib of A and 8-column panel p of B,
;;   out[ib·4 + r][p·8 + c] = Σ_k A[ib·4 + r][k] · B[k][p·8 + c]
;; Layouts (byte offsets into this module's memory, all f32):
;;   A: blocks of 4 rows, k-major inside a block: row ib·4 + r, column k at a + ((ib·K + k)·4 + r)·4
;;   B: 8-column panels, K×8 each:            column p·8 + c, row k at b + ((p·K + k)·8 + c)·4
;;   out: rows of panels·8 floats:            row i, column j at out + (i·panels·8 + j)·4
;; Per k, one load of the 4 A values, two of B's 8, four lane broadcasts and 16 SIMD mul/add
;; into 8 accumulators (the 4×8 tile): 15 live vectors, within x86's 16 XMM registers.
;; Build: npm run wasm (wabt) writes gemm.wasm beside this file.
(module
  (memory (export "memory") 1)
  (func (export "block") (param $a i32) (param $b i32) (param $out i32) (param $K i32) (param $mBlocks i32) (param $panels i32)
    (local $ib i32) (local $p i32) (local $k i32) (local $pa i32) (local $pb i32) (local $po i32) (local $stride i32)
    (local $av v128) (local $x v128) (local $b0 v128) (local $b1 v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    ;; bytes per output row
    (local.set $stride (i32.shl (local.get $panels) (i32.const 5)))
    (local.set $ib (i32.const 0))
    (block $done_i
      (loop $next_i
        (br_if $done_i (i32.ge_u (local.get $ib) (local.get $mBlocks)))
        (local.set $p (i32.const 0))
        (block $done_p
          (loop $next_p
            (br_if $done_p (i32.ge_u (local.get $p) (local.get $panels)))
        (local.set $c00 (v128.const i32x4 0 0 0 0))
        (local.set $c01 (v128.const i32x4 0 0 0 0))
        (local.set $c10 (v128.const i32x4 0 0 0 0))
        (local.set $c11 (v128.const i32x4 0 0 0 0))
        (local.set $c20 (v128.const i32x4 0 0 0 0))
        (local.set $c21 (v128.const i32x4 0 0 0 0))
        (local.set $c30 (v128.const i32x4 0 0 0 0))
        (local.set $c31 (v128.const i32x4 0 0 0 0))
        (local.set $pa (i32.add (local.get $a) (i32.shl (i32.mul (local.get $ib) (local.get $K)) (i32.const 4))))
        (local.set $pb (i32.add (local.get $b) (i32.shl (i32.mul (local.get $p) (local.get $K)) (i32.const 5))))
        (local.set $k (local.get $K))
        (block $done_k
          (loop $next_k
            (br_if $done_k (i32.eqz (local.get $k)))
          (local.set $av (v128.load (local.get $pa)))
          (local.set $b0 (v128.load (local.get $pb)))
          (local.set $b1 (v128.load offset=16 (local.get $pb)))
          (local.set $x (i8x16.shuffle 0 1 2 3 0 1 2 3 0 1 2 3 0 1 2 3 (local.get $av) (local.get $av)))
          (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $x) (local.get $b0))))
          (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $x) (local.get $b1))))
          (local.set $x (i8x16.shuffle 4 5 6 7 4 5 6 7 4 5 6 7 4 5 6 7 (local.get $av) (local.get $av)))
          (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $x) (local.get $b0))))
          (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $x) (local.get $b1))))
          (local.set $x (i8x16.shuffle 8 9 10 11 8 9 10 11 8 9 10 11 8 9 10 11 (local.get $av) (local.get $av)))
          (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $x) (local.get $b0))))
          (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $x) (local.get $b1))))
          (local.set $x (i8x16.shuffle 12 13 14 15 12 13 14 15 12 13 14 15 12 13 14 15 (local.get $av) (local.get $av)))
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
        (br $next_i)))))
