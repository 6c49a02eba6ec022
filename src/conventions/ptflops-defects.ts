/**
 * Where ptflops' printed figure departs from what its own rules count per image, by a defect of the
 * tool (ptflops @ d612c75, see ptflops.ts), said beside the family it touches:
 *
 *   subclasses   the hook table is looked up by the module's exact type
 *                (ptflops/pytorch_engine.py is_supported_instance l. 311-314, used by
 *                add_flops_counter_hook_function l. 215-229): a module of a subclass of a hooked
 *                class (torchvision's Conv3DSimple(nn.Conv3d): every residual conv of r3d_18, and of
 *                mc3_18 with Conv3DNoTemporal) gets no hook and counts 0, with no warning unless
 *                verbose. r3d_18 at 16×112×112: 1,589,580,176 printed, 39,190,265,856 of its conv
 *                MACs left out.
 *   batch        get_flops_pytorch (l. 64-71) divides the module hooks' total by the batch counter
 *                (compute_average_flops_cost l. 180-199: "mean flops consumption per image") and
 *                then adds the patched functions' counts (F.relu, F.*pool*, F.interpolate,
 *                torch.matmul …) undivided: at batch N they count N images where the hooks count one.
 *   upsample     upsample_flops_counter_hook (pytorch_ops.py l. 21-27) reads output[0], the first
 *                sample, as the output: C·ΠO of one image, which the division then makes 1/N of it.
 *   unbatched    a model fed one sample without its batch axis ([C, H, W] into nn.MaxPool2d, as
 *                PyTorch's pools take it): get_flops_pytorch builds (1, *input_res) itself (l. 43-47),
 *                so such a sample reaches the model only through input_constructor (l. 40), and
 *                batch_counter_hook (l. 267-277) takes len(input), its first axis C, for the batch:
 *                the module hooks' total is divided by C (l. 199), the patched functions' not.
 *                The preset divides by the input's first axis as the tool does; the note says so, in
 *                place of the batch note (the patched functions are whole here), beside the subclass
 *                and upsample notes where they apply. A subclassed conv's missing hook is valued by
 *                the rule countWith counted with (its unbatched form: unbatched-convs.ts), not NaN.
 */
import { poolAxes } from './families.js';
import type { DefectInput, Family, LayerFacts, Rule } from './types.js';

const fmt = (n: number) => (Number.isInteger(n) ? n : Math.round(n * 100) / 100).toLocaleString('en-US');
const ENGINE = 'ptflops/pytorch_engine.py';

function named(layers: readonly LayerFacts[]): string {
  const shown = layers.slice(0, 3).map((f) => f.name);
  return `${layers.length} layer${layers.length > 1 ? 's' : ''} (${shown.join(', ')}${layers.length > 3 ? ', …' : ''})`;
}

/** The defects of ptflops' rules (its preset's table) in one counted model, by family. */
export function ptflopsDefects({ batch, unbatchedInput, ctx, layers, rules }: DefectInput): Partial<Record<Family, string>> {
  const byFamily = new Map<Family, DefectInput['layers'][number][]>();
  // appended in place: a copy of the family's list per layer made 20,000 1×1 convs take 32 s
  for (const l of layers) {
    const members = byFamily.get(l.facts.family);
    if (members) members.push(l);
    else byFamily.set(l.facts.family, [l]);
  }
  const out: Partial<Record<Family, string>> = {};
  // a model fed one sample without its batch axis (not a batch one of whose layers pools a sample it sliced off, x[0]):
  // the batch the tool divides by is that sample's first axis; the first pool or conv reading it unbatched is named
  const unbatched = batch > 1 && unbatchedInput ? layers.find((l) => poolAxes(l.facts).unbatched)?.facts : undefined;
  for (const [family, members] of byFamily) {
    const rule = rules[family];
    const notes: string[] = [];
    const skipped = rule?.hook ? members.filter((l) => l.facts.subclassed && !l.facts.functional) : [];
    const own = skipped.reduce((s, l) => s + rule!.hook!({ ...l.facts, subclassed: false }, ctx), 0);
    if (own > 0) {
      notes.push(
        `A ptflops defect: ${named(skipped.map((l) => l.facts))} are modules of a subclass of the class their op names (the spec's \`subclassed\`), which get no hook, as ${ENGINE} is_supported_instance (l. 311-314) looks the hook table up by exact type; they count 0 where the class's hook gives ${fmt(own / batch)}`,
      );
    }
    // the division by the batch: by an unbatched sample's first axis (the patched functions whole), else at batch N the functions counted for all N
    const divided = unbatched ? unbatchedNote(members, rule, batch, unbatched) : functionsNote(members, batch);
    if (divided) notes.push(divided);
    if (rule?.hook && batch > 1 && (family === 'resample' || family === 'resampleNd')) {
      const hooks = members.filter((l) => l.hook > 0);
      const perSample = hooks.reduce((s, l) => s + l.hook, 0);
      if (perSample > 0) {
        notes.push(
          `A ptflops defect: nn.Upsample's hook (ptflops/pytorch_ops.py upsample_flops_counter_hook l. 21-27) counts output[0], one sample's ${fmt(perSample)} outputs, which the division by the batch ${batch} then makes ${fmt(perSample / batch)}`,
        );
      }
    }
    if (notes.length) out[family] = notes.join('. ');
  }
  return out;
}

/** The patched functions' share of a family at batch N > 1: counted for the whole batch, where the hooks are per image. */
function functionsNote(members: DefectInput['layers'], batch: number): string | null {
  if (batch <= 1) return null;
  const functions = members.reduce((s, l) => s + (l.count - l.hook / batch), 0);
  if (functions <= 0) return null;
  return `A ptflops defect: at batch ${batch} the patched functions' ${fmt(functions)} are the whole batch's, added after the module hooks' total was divided by the batch (${ENGINE} get_flops_pytorch l. 69-71, compute_average_flops_cost l. 199): ${fmt(functions / batch)} per image`;
}

/** A model fed one unbatched sample: the family's module hooks, divided by the sample's first axis (null: the family has none). */
function unbatchedNote(members: DefectInput['layers'], rule: Rule | undefined, batch: number, at: LayerFacts): string | null {
  const hooks = rule?.hook ? members.reduce((s, l) => s + l.hook, 0) : 0;
  if (hooks <= 0) return null;
  return `A ptflops defect: the model reads one sample without its batch axis (${at.name} reads [${at.inputs[0].join(', ')}]), which reaches it only through input_constructor (${ENGINE} l. 40-47), and batch_counter_hook (l. 267-277) takes its first axis, ${batch}, for the batch: the module hooks' ${fmt(hooks)} for the one sample are divided by ${batch} (l. 199), ${fmt(hooks / batch)}; the patched functions' counts are whole`;
}
