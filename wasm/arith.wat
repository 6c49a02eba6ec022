;; convlens same-shape arithmetic, WebAssembly SIMD (f32x4): r[i] = a[i] ∘ b[i] for ∘ in + − × ÷
;; (tensor/arith-simd.ts, for tensor/broadcast-loops.ts's same-shape rows: a residual add, a gate's
;; product). The JavaScript loop takes 2.6 ns per element on this project's machines (two float32
;; loads widened to double, the operation, a rounding store); staging both operands in this
;; module's memory, four lanes at a time, and copying the result back takes under 1 ns. f32x4 and
;; f32 arithmetic is IEEE float32, correctly rounded; the JavaScript loop computes in double and
;; rounds once to float32, which for +, −, ×, ÷ of float32 operands is the same correctly rounded
;; value (double has more than 2·24 + 2 bits), so the results are the same bits.
;;   add|sub|mul|div(a, b, r, n): n floats at byte addresses a, b, into r (r may be a or b);
;;     four per step, the last n mod 4 scalar.
;; Build: npm run wasm (wabt) writes arith.wasm beside this file.
(module
  (memory (export "memory") 1)
  (func (export "add") (param $a i32) (param $b i32) (param $r i32) (param $n i32)
    (local $end i32) (local $vecEnd i32)
    (local.set $end (i32.add (local.get $a) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $vecEnd (i32.add (local.get $a) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done_v (loop $next_v
      (br_if $done_v (i32.ge_u (local.get $a) (local.get $vecEnd)))
      (v128.store (local.get $r) (f32x4.add (v128.load (local.get $a)) (v128.load (local.get $b))))
      (local.set $a (i32.add (local.get $a) (i32.const 16)))
      (local.set $b (i32.add (local.get $b) (i32.const 16)))
      (local.set $r (i32.add (local.get $r) (i32.const 16)))
      (br $next_v)))
    (block $done_s (loop $next_s
      (br_if $done_s (i32.ge_u (local.get $a) (local.get $end)))
      (f32.store (local.get $r) (f32.add (f32.load (local.get $a)) (f32.load (local.get $b))))
      (local.set $a (i32.add (local.get $a) (i32.const 4)))
      (local.set $b (i32.add (local.get $b) (i32.const 4)))
      (local.set $r (i32.add (local.get $r) (i32.const 4)))
      (br $next_s))))
  (func (export "sub") (param $a i32) (param $b i32) (param $r i32) (param $n i32)
    (local $end i32) (local $vecEnd i32)
    (local.set $end (i32.add (local.get $a) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $vecEnd (i32.add (local.get $a) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done_v (loop $next_v
      (br_if $done_v (i32.ge_u (local.get $a) (local.get $vecEnd)))
      (v128.store (local.get $r) (f32x4.sub (v128.load (local.get $a)) (v128.load (local.get $b))))
      (local.set $a (i32.add (local.get $a) (i32.const 16)))
      (local.set $b (i32.add (local.get $b) (i32.const 16)))
      (local.set $r (i32.add (local.get $r) (i32.const 16)))
      (br $next_v)))
    (block $done_s (loop $next_s
      (br_if $done_s (i32.ge_u (local.get $a) (local.get $end)))
      (f32.store (local.get $r) (f32.sub (f32.load (local.get $a)) (f32.load (local.get $b))))
      (local.set $a (i32.add (local.get $a) (i32.const 4)))
      (local.set $b (i32.add (local.get $b) (i32.const 4)))
      (local.set $r (i32.add (local.get $r) (i32.const 4)))
      (br $next_s))))
  (func (export "mul") (param $a i32) (param $b i32) (param $r i32) (param $n i32)
    (local $end i32) (local $vecEnd i32)
    (local.set $end (i32.add (local.get $a) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $vecEnd (i32.add (local.get $a) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done_v (loop $next_v
      (br_if $done_v (i32.ge_u (local.get $a) (local.get $vecEnd)))
      (v128.store (local.get $r) (f32x4.mul (v128.load (local.get $a)) (v128.load (local.get $b))))
      (local.set $a (i32.add (local.get $a) (i32.const 16)))
      (local.set $b (i32.add (local.get $b) (i32.const 16)))
      (local.set $r (i32.add (local.get $r) (i32.const 16)))
      (br $next_v)))
    (block $done_s (loop $next_s
      (br_if $done_s (i32.ge_u (local.get $a) (local.get $end)))
      (f32.store (local.get $r) (f32.mul (f32.load (local.get $a)) (f32.load (local.get $b))))
      (local.set $a (i32.add (local.get $a) (i32.const 4)))
      (local.set $b (i32.add (local.get $b) (i32.const 4)))
      (local.set $r (i32.add (local.get $r) (i32.const 4)))
      (br $next_s))))
  (func (export "div") (param $a i32) (param $b i32) (param $r i32) (param $n i32)
    (local $end i32) (local $vecEnd i32)
    (local.set $end (i32.add (local.get $a) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $vecEnd (i32.add (local.get $a) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done_v (loop $next_v
      (br_if $done_v (i32.ge_u (local.get $a) (local.get $vecEnd)))
      (v128.store (local.get $r) (f32x4.div (v128.load (local.get $a)) (v128.load (local.get $b))))
      (local.set $a (i32.add (local.get $a) (i32.const 16)))
      (local.set $b (i32.add (local.get $b) (i32.const 16)))
      (local.set $r (i32.add (local.get $r) (i32.const 16)))
      (br $next_v)))
    (block $done_s (loop $next_s
      (br_if $done_s (i32.ge_u (local.get $a) (local.get $end)))
      (f32.store (local.get $r) (f32.div (f32.load (local.get $a)) (f32.load (local.get $b))))
      (local.set $a (i32.add (local.get $a) (i32.const 4)))
      (local.set $b (i32.add (local.get $b) (i32.const 4)))
      (local.set $r (i32.add (local.get $r) (i32.const 4)))
      (br $next_s))))
)
