/**
 * What a resolver's field selects directly below it, with the argument values: the analyses a
 * Report adds (memory, roofline, …) are computed in the same worker task as the analysis, so the
 * analyze resolver reads them off its own selection before it starts that task. Fragments are
 * flattened and @skip/@include applied, as graphql-js executes the selection.
 */
import { createRequire } from 'node:module';
import { Kind } from 'graphql';
import type * as GraphQL from 'graphql';
import type { FieldNode, FragmentSpreadNode, GraphQLResolveInfo, InlineFragmentNode, SelectionSetNode } from 'graphql';

/**
 * mercurius require()s graphql's CommonJS build, so the schema's types are that build's: its own
 * functions must read them (the ES build's instanceof checks fail on another build's classes).
 */
const { getArgumentValues, getDirectiveValues, getNamedType, GraphQLIncludeDirective, GraphQLSkipDirective, isObjectType } = createRequire(import.meta.url)('graphql') as typeof GraphQL;

/** Each field selected below the resolved one, by field name: the argument values of every selection of it. */
export function selectedFields(info: GraphQLResolveInfo): Map<string, Record<string, unknown>[]> {
  const out = new Map<string, Record<string, unknown>[]>();
  const type = getNamedType(info.returnType);
  if (!isObjectType(type)) return out;
  const fields = type.getFields();
  const included = (node: FieldNode | FragmentSpreadNode | InlineFragmentNode) =>
    getDirectiveValues(GraphQLSkipDirective, node, info.variableValues)?.if !== true && getDirectiveValues(GraphQLIncludeDirective, node, info.variableValues)?.if !== false;
  const seen = new Set<string>();
  const visit = (set: SelectionSetNode | undefined) => {
    for (const s of set?.selections ?? []) {
      if (!included(s)) continue;
      if (s.kind === Kind.FIELD) {
        const def = fields[s.name.value];
        if (!def) continue;
        const args = getArgumentValues(def, s, info.variableValues);
        const list = out.get(s.name.value);
        if (list) list.push(args);
        else out.set(s.name.value, [args]);
      } else if (s.kind === Kind.INLINE_FRAGMENT) {
        visit(s.selectionSet);
      } else if (!seen.has(s.name.value)) {
        // validation has refused fragment cycles; one visit per fragment is what execution merges
        seen.add(s.name.value);
        visit(info.fragments[s.name.value]?.selectionSet);
      }
    }
  };
  for (const node of info.fieldNodes) visit(node.selectionSet);
  return out;
}

/**
 * The fields selected below `path` (a chain of fields from the resolved one: ['layers'] for
 * Report.layers, ['layers', 'matched'] for Comparison.layers.matched), by name in selection order,
 * fragments flattened and @skip/@include applied: what an answer writes of each item of a list.
 */
export function selectedUnder(info: GraphQLResolveInfo, path: string[]): string[] {
  const out = new Set<string>();
  const included = (node: FieldNode | FragmentSpreadNode | InlineFragmentNode) =>
    getDirectiveValues(GraphQLSkipDirective, node, info.variableValues)?.if !== true && getDirectiveValues(GraphQLIncludeDirective, node, info.variableValues)?.if !== false;
  const walk = (set: SelectionSetNode | undefined, seen: Set<string>, visitField: (node: FieldNode) => void) => {
    for (const s of set?.selections ?? []) {
      if (!included(s)) continue;
      if (s.kind === Kind.FIELD) visitField(s);
      else if (s.kind === Kind.INLINE_FRAGMENT) walk(s.selectionSet, seen, visitField);
      else if (!seen.has(s.name.value)) {
        seen.add(s.name.value);
        walk(info.fragments[s.name.value]?.selectionSet, seen, visitField);
      }
    }
  };
  const descend = (set: SelectionSetNode | undefined, rest: string[]) =>
    walk(set, new Set(), (child) => {
      if (rest.length === 0) {
        if (child.name.value !== '__typename') out.add(child.name.value);
      } else if (child.name.value === rest[0]) descend(child.selectionSet, rest.slice(1));
    });
  for (const node of info.fieldNodes) descend(node.selectionSet, path);
  return [...out];
}

/** The fields selected below each selection of `field`, a direct child of the resolved field (Report.layers' items). */
export const selectedBelow = (info: GraphQLResolveInfo, field: string): string[] => selectedUnder(info, [field]);
