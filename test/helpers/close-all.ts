// For `after` hooks: close whatever a `before` managed to start. A `before` that failed half way
// leaves some of its variables unset; they are skipped, every other resource is still closed
// (one failure does not keep the next open), and real close failures are reported together.
type Closable = { close(): unknown } | (() => unknown) | null | undefined;

export async function closeAll(...resources: Closable[]): Promise<void> {
  const failures: unknown[] = [];
  for (const resource of resources) {
    try {
      if (typeof resource === 'function') await resource();
      else if (resource) await resource.close();
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length > 0) throw new AggregateError(failures, `${failures.length} resource(s) failed to close`);
}
