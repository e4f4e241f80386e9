/**
 * The scenarios of `npm run abuse` (abuse.ts), in the order they run and are printed: the victim
 * alone first, for comparison, then each attack. What a scenario is: abuseSetup.ts.
 */
import { completions, deepKeys } from './abuseCostlyRequests';
import type { Scenario } from './abuseSetup';
import { slowClients } from './abuseSlowClients';

export const SCENARIOS: Scenario[] = [
  {
    name: 'baseline',
    what: () => 'the victim alone',
    prepare: () => Promise.resolve({}),
  },
  deepKeys,
  ...slowClients,
  completions,
];
