// Rampart needs Node.js 24 (node:sqlite, and the crypto and HTTP behaviour it is tested on).
// The package's entry points ask here first, so an older Node gets one line that names the
// version it needs instead of a failure deep inside a dependency.
export const REQUIRED_NODE_MAJOR = 24;

export function nodeVersionProblem(version: string = process.versions.node): string | undefined {
  return Number(version.split('.')[0]) >= REQUIRED_NODE_MAJOR
    ? undefined
    : `rampart needs Node.js ${REQUIRED_NODE_MAJOR} or newer; this is Node.js ${version} (install Node.js ${REQUIRED_NODE_MAJOR} LTS)`;
}
