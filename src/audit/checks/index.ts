// Every check, in the order reports list them. One file per check.
import type { Check } from '../check.ts';
import { apiKeyQueryCheck } from './api-key-query.ts';
import { authenticationCheck } from './authentication.ts';
import { bolaCheck } from './bola.ts';
import { businessFlowsCheck } from './business-flows.ts';
import { cookiesCheck } from './cookies.ts';
import { corsCheck } from './cors.ts';
import { csrfCheck } from './csrf.ts';
import { dataExposureCheck } from './data-exposure.ts';
import { errorsCheck } from './errors.ts';
import { functionLevelCheck } from './function-level.ts';
import { headersCheck } from './headers.ts';
import { injectionCheck } from './injection.ts';
import { inventoryCheck } from './inventory.ts';
import { jwtCheck } from './jwt.ts';
import { massAssignmentCheck } from './mass-assignment.ts';
import { resourcesCheck } from './resources.ts';
import { ssrfCheck } from './ssrf.ts';
import { transportCheck } from './transport.ts';

export const CHECKS: readonly Check[] = [
  headersCheck,
  corsCheck,
  cookiesCheck,
  transportCheck,
  errorsCheck,
  inventoryCheck,
  injectionCheck,
  resourcesCheck,
  apiKeyQueryCheck,
  bolaCheck,
  massAssignmentCheck,
  dataExposureCheck,
  functionLevelCheck,
  jwtCheck,
  ssrfCheck,
  csrfCheck,
  businessFlowsCheck,
  authenticationCheck,
];
