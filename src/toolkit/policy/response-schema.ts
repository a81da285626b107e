// Response schemas are the property allowlist: fast-json-stringify writes only what the
// schema lists. That holds only if no object in the schema admits unlisted properties, so
// boot refuses any that does, and any node that would accept anything at all.

type Node = Record<string, unknown>;

/** JSON pointers (within the schema) of every node that lets unlisted data through. */
export function looseSchemaPaths(schema: unknown, path = ''): string[] {
  if (schema === true || schema === undefined) return [path || '/'];
  if (typeof schema !== 'object' || schema === null) return [];
  const node = schema as Node;
  const found: string[] = [];
  if (typeof node.$ref === 'string') return [`${path || '/'} ($ref: inline response schemas so they can be checked)`];
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    const members = node[key];
    if (Array.isArray(members)) members.forEach((member, i) => found.push(...looseSchemaPaths(member, `${path}/${key}/${i}`)));
  }
  const types = Array.isArray(node.type) ? (node.type as unknown[]) : node.type === undefined ? [] : [node.type];
  const isObject = types.includes('object') || node.properties !== undefined;
  const isArray = types.includes('array') || node.items !== undefined;
  if (isObject) {
    if (node.additionalProperties !== false) found.push(`${path || '/'} (object without additionalProperties: false)`);
    const properties = (node.properties ?? {}) as Node;
    for (const [name, inner] of Object.entries(properties)) found.push(...looseSchemaPaths(inner, `${path}/properties/${name}`));
    const patterns = (node.patternProperties ?? {}) as Node;
    for (const [pattern, inner] of Object.entries(patterns)) found.push(...looseSchemaPaths(inner, `${path}/patternProperties/${pattern}`));
  }
  if (isArray) found.push(...looseSchemaPaths(node.items, `${path}/items`));
  const constrained = types.length > 0 || 'const' in node || 'enum' in node || ['anyOf', 'oneOf', 'allOf'].some((k) => k in node);
  if (!constrained) found.push(`${path || '/'} (accepts any value)`);
  return found;
}

/** Fastify accepts `{200: schema}` and `{200: {content: {'application/json': {schema}}}}`. */
export function responseSchemasByStatus(response: unknown): Map<string, unknown[]> {
  const byStatus = new Map<string, unknown[]>();
  if (typeof response !== 'object' || response === null) return byStatus;
  for (const [status, entry] of Object.entries(response as Node)) {
    const content = (entry as Node | null)?.content;
    if (typeof content === 'object' && content !== null) {
      byStatus.set(status, Object.values(content as Node).map((media) => (media as Node).schema));
    } else {
      byStatus.set(status, [entry]);
    }
  }
  return byStatus;
}
