/**
 * A validation rule: an operation whose type the schema has no root for (a subscription: this
 * service has none) is a request error, GRAPHQL_INVALID, 400 under application/graphql-response+json
 * (http/graphql/errors.ts), like any other document that does not validate. graphql-js 16 leaves
 * it to execution, which answered "Schema is not configured to execute subscription operation."
 * as a field error under INTERNAL (found by fuzzing the service, 2026-12-02).
 */
import { GraphQLError } from 'graphql';
import type { ASTVisitor, GraphQLObjectType, GraphQLSchema, ValidationContext, ValidationRule } from 'graphql';

/** What the schema offers instead, read from it: its root types' fields (the first few queries, every mutation). */
function offers(schema: GraphQLSchema): string {
  const fields = (t: GraphQLObjectType | null | undefined) => Object.keys(t?.getFields() ?? {});
  const queries = fields(schema.getQueryType());
  const mutations = fields(schema.getMutationType());
  const parts = [`queries (${queries.slice(0, 4).join(', ')}${queries.length > 4 ? ', …' : ''})`, ...(mutations.length ? [`mutations (${mutations.join(', ')})`] : [])];
  return `${parts.join(' and ')}${queries.includes('job') ? '; poll a job with job(id) rather than subscribing' : ''}`;
}

export const operationTypeRule: ValidationRule = (context: ValidationContext): ASTVisitor => ({
  OperationDefinition(node) {
    const schema = context.getSchema();
    const root = node.operation === 'query' ? schema.getQueryType() : node.operation === 'mutation' ? schema.getMutationType() : schema.getSubscriptionType();
    if (root) return;
    const name = node.name ? ` '${node.name.value}'` : '';
    context.reportError(new GraphQLError(`this service has no ${node.operation} operations, so the ${node.operation}${name} cannot run: it answers ${offers(schema)}`, { nodes: [node] }));
  },
});
