/**
 * The JSON scalar: graphql-scalars' GraphQLJSON, except for a bare word in a literal. GraphQL reads
 * an unquoted word inside a JSON argument (attributes: { mode: bilinear }, a layer's bias: FALSE)
 * as an enum value, which JSON has no place for; GraphQLJSON's parseLiteral has no case for it and
 * answers undefined, so the key vanished and the call ran with the default in its place (nearest
 * for bilinear, a bias counted for FALSE). Reading it as a string instead would guess at what was
 * meant (FALSE is not false); the request is refused, naming the word, where it is in the value and
 * how to write it. graphql-js's ValuesOfCorrectTypeRule calls parseLiteral while validating, so the
 * refusal is a validation error (GRAPHQL_INVALID, located at the word) and nothing runs.
 */
import { createRequire } from 'node:module';
import type * as GraphQL from 'graphql';
import { GraphQLScalarType, Kind } from 'graphql';
import type { ValueNode } from 'graphql';
import { GraphQLJSON } from 'graphql-scalars';

// mercurius validates with graphql's CommonJS build, whose rule passes on only its own GraphQLError
// as it is (another class's message is prefixed with the whole literal printed)
const { GraphQLError } = createRequire(import.meta.url)('graphql') as typeof GraphQL;

/** The first enum value in a literal, with its path below the literal's top (`layers[0].bias`, `[0].data[1]`, '' at the top). */
function bareWord(node: ValueNode, at = ''): { node: ValueNode & { value: string }; at: string } | null {
  if (node.kind === Kind.ENUM) return { node, at };
  if (node.kind === Kind.LIST) {
    for (const [i, v] of node.values.entries()) {
      const found = bareWord(v, `${at}[${i}]`);
      if (found) return found;
    }
  } else if (node.kind === Kind.OBJECT) {
    for (const f of node.fields) {
      const found = bareWord(f.value, at ? `${at}.${f.name.value}` : f.name.value);
      if (found) return found;
    }
  }
  return null;
}

function refusal(word: string, at: string, node: ValueNode): GraphQL.GraphQLError {
  const key = /(?:^|\.)([A-Za-z_]\w*)$/.exec(at)?.[1];
  const quoted = `${key ? `${key}: ` : ''}${JSON.stringify(word)}`;
  // TRUE, False, NULL …: a JSON literal GraphQL spells in lower case only
  const literal = ['true', 'false', 'null'].find((l) => l === word.toLowerCase());
  return new GraphQLError(
    `the bare word ${word}${at ? ` at ${at}` : ''} in a JSON value is a GraphQL enum value, which JSON has no place for: quote it (${quoted})${literal ? `, or write ${literal} for the ${literal === 'null' ? 'null' : 'boolean'}` : ''}; unquoted, a JSON value takes only numbers, true, false, null, lists and objects`,
    { nodes: [node] },
  );
}

export const JSONScalar = new GraphQLScalarType({
  ...GraphQLJSON.toConfig(),
  parseLiteral(node, variables) {
    const found = bareWord(node);
    if (found) throw refusal(found.node.value, found.at, found.node);
    return GraphQLJSON.parseLiteral(node, variables);
  },
});
