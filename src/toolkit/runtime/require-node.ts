// Imported first by the toolkit's entry: ES modules evaluate their imports in order, so this
// throws before any module that needs Node 24 runs.
import { nodeVersionProblem } from './node-version.ts';

const problem = nodeVersionProblem();
if (problem !== undefined) throw new Error(problem);
