// Every check, in the order reports list them. One file per check.
import type { Check } from '../check.ts';
import { apiKeyQueryCheck } from './api-key-query.ts';
import { corsCheck } from './cors.ts';
import { errorsCheck } from './errors.ts';
import { headersCheck } from './headers.ts';
import { injectionCheck } from './injection.ts';
import { inventoryCheck } from './inventory.ts';
import { resourcesCheck } from './resources.ts';
import { transportCheck } from './transport.ts';

export const CHECKS: readonly Check[] = [
  headersCheck,
  corsCheck,
  transportCheck,
  errorsCheck,
  inventoryCheck,
  injectionCheck,
  resourcesCheck,
  apiKeyQueryCheck,
];
