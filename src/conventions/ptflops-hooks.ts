/**
 * ptflops' module hooks as the preset rules read them (ptflops.ts, and its 1-D/3-D rules in
 * nd-rules.ts and nd-resample.ts). A hook is found by the module's exact type
 * (ptflops/pytorch_engine.py is_supported_instance l. 311-314, add_flops_counter_hook_function
 * l. 215-229): a function call has no module, and a module of a subclass of a hooked class
 * (the spec's `subclassed`) has no hook. What a hook counts is divided by the batch with the
 * others (Rule.hook); what the patched functions count is not (Rule.count).
 */
import { outElements } from './families.js';
import type { LayerFacts, RuleContext } from './types.js';

export const moduleHook =
  (hook: (f: LayerFacts, ctx: RuleContext) => number) =>
  (f: LayerFacts, ctx: RuleContext): number =>
    f.functional || f.subclassed ? 0 : hook(f, ctx);

/** upsample_flops_counter_hook (ptflops/pytorch_ops.py l. 21-27) reads output[0], the first sample: C·ΠO of one sample, whatever the batch. */
export const upsampleHook = (f: LayerFacts): number => outElements(f) / f.outputs[0][0];
