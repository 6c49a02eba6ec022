/**
 * Where in the request a GraphQL variable error points: graphql-js says which variable failed and
 * why (`Variable "$o" got invalid value …`), and names the place inside it only in its message; the
 * error carries the variable's definition and nothing more. The place is found again here by
 * coercing the variable's value as graphql-js did (coerceInputValue reports each failure with its
 * path, in the same order), and given as a JSONPath into the request: `$.variables.o.dtyp` in a
 * POST body, `query.variables.o.dtyp` for GET's `variables` parameter.
 *
 * The schema is mercurius's, built with graphql's CommonJS build; under vitest this module's
 * `import 'graphql'` is its ES build, whose functions refuse the other's types: graphql's
 * functions come from require, as mercurius's do (selection.ts does the same).
 */
import { createRequire } from 'node:module';
import type * as GraphQL from 'graphql';
import type { GraphQLError, GraphQLSchema, VariableDefinitionNode } from 'graphql';
import { jsonPath } from '../../errors.js';

const { coerceInputValue, typeFromAST } = createRequire(import.meta.url)('graphql') as typeof GraphQL;

type Key = string | number;

/** Thrown from coerceInputValue's callback once the failures asked for are found (it may report many more). */
const ENOUGH = Symbol('enough');

/**
 * The first `count` failures of coercing `value` to the variable's type, each as its path in the
 * value; a failure at an input object that names one field (an unknown field, a required field
 * missing) is put at that field.
 */
function failurePaths(schema: GraphQLSchema, definition: VariableDefinitionNode, value: unknown, count: number): Key[][] {
  const type = typeFromAST(schema, definition.type as Parameters<typeof typeFromAST>[1]);
  const paths: Key[][] = [];
  if (type === undefined) return paths;
  try {
    coerceInputValue(value, type as GraphQL.GraphQLInputType, (path, invalid, error) => {
      paths.push([...path, ...fieldOf(invalid, error.message)]);
      if (paths.length >= count) throw ENOUGH;
    });
  } catch {
    // ENOUGH (or a failure graphql-js would have met too): the paths found so far
  }
  return paths;
}

const REQUIRED_FIELD = /^Field "([_A-Za-z][_0-9A-Za-z]*)" of required type "[^"]*" was not provided\.$/;

/** The one field of the input object `invalid` that graphql-js's `message` is about, if it is about one. */
function fieldOf(invalid: unknown, message: string): Key[] {
  const required = REQUIRED_FIELD.exec(message);
  if (required) return [required[1]];
  if (invalid === null || typeof invalid !== 'object' || Array.isArray(invalid)) return [];
  // `Field "<key>" is not defined by type "<Type>".`: the key as sent, which may hold any character
  const unknown = Object.keys(invalid).filter((k) => message.startsWith(`Field "${k}" is not defined by type "`));
  return unknown.length === 0 ? [] : [unknown.reduce((a, b) => (b.length > a.length ? b : a))];
}

/**
 * For each error, the JSONPath of the variable value it refuses, under `at` (where the request
 * holds its variables); undefined for an error that is not about a variable's value. A variable
 * not given, or null where its type is non-null, is the variable's own path; a fault of the document
 * that names a variable (one never used, or used where another type is expected) is undefined.
 */
export function variableErrorPaths(errors: readonly GraphQLError[], schema: GraphQLSchema | undefined, variables: unknown, at: string): (string | undefined)[] {
  const given = variables !== null && typeof variables === 'object' && !Array.isArray(variables) ? (variables as Record<string, unknown>) : {};
  // each variable's invalid-value errors in the order graphql-js reported them, and its failures' paths
  const seen = new Map<string, number>();
  const found = new Map<string, Key[][]>();
  const invalidCount = (name: string) => errors.filter((e) => e.message.startsWith(`Variable "$${name}" got invalid value `)).length;
  const under = (parts: Key[]) => at + jsonPath(parts).slice(1);
  return errors.map((e) => {
    const definition = e.nodes?.[0] as VariableDefinitionNode | undefined;
    if (definition?.kind !== 'VariableDefinition') return undefined;
    const name = definition.variable.name.value;
    if (!e.message.startsWith(`Variable "$${name}" got invalid value `)) {
      // a required variable not given, or given null: the variable's own path; the document's own
      // faults that name a variable ("is never used", "used in position expecting") are not the variables'
      return /(was not provided|must not be null)\.$/.test(e.message) ? under([name]) : undefined;
    }
    const k = seen.get(name) ?? 0;
    seen.set(name, k + 1);
    if (!found.has(name)) found.set(name, schema && Object.hasOwn(given, name) ? failurePaths(schema, definition, given[name], invalidCount(name)) : []);
    return under([name, ...(found.get(name)![k] ?? [])]);
  });
}
