;; convlens clamp, WebAssembly SIMD (f32x4): y = min(max(y, lo), hi) in place, for Clip and ReLU6, and ReLU
;; (ops/clamp-simd.ts). The JavaScript loop Math.min(Math.max(x, lo), hi) compiles to compares and
;; branches, which mispredict on activations of random sign: about 10 ns per element, more than
;; the 1×1 conv that wrote them (MobileNetV2, 16 → 96 channels at 112²). f32x4.max/min have
;; Math.max/min's semantics (NaN propagates, −0 < +0), and with x already float32,
;; fround(max(x, lo)) = max(x, fround(lo)) (fround is monotonic), so the values are the same.
;;   clamp(ptr, n, lo, hi): n floats at byte address ptr; four per step, the last n mod 4 scalar.
;;   relu(ptr, n): y = y > 0 || y ≠ y ? y : 0 in place, branch-free (the lane mask of y > 0 or
;;     y NaN, ANDed with y): −0 gives +0 and NaN stays NaN, as PyTorch's relu and the JavaScript
;;     kernel's compare give.
;; Build: npm run wasm (wabt) writes clamp.wasm beside this file.
(module
  (memory (export "memory") 1)
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
