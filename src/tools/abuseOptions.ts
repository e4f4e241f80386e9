/**
 * The options of `npm run abuse` (abuse.ts), read from its command line, and the victim's
 * settings, which are not options.
 */
import { parseArgs } from 'node:util';
import { SCENARIOS } from './abuseScenarios';

export const VICTIM_LOOPS = 4;
export const VICTIM_TIMEOUT_MS = 10_000;

export interface Options {
  seconds: number;
  quick: boolean;
  /** Parts per multipart session in the completions scenario. */
  parts: number;
  only: string[];
  /** Added to the gateway's environment. */
  env: Record<string, string>;
}

export function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string' },
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      parts: { type: 'string' },
      env: { type: 'string', multiple: true, default: [] },
    },
  });
  const quick = values.quick === true;
  const number = (name: string, text: string | undefined, fallback: number, most: number) => {
    const value = text === undefined ? fallback : Number(text);
    if (!Number.isFinite(value) || value <= 0 || value > most) throw new Error(`--${name} must be a positive number, at most ${most}`);
    return value;
  };
  const names = SCENARIOS.map((scenario) => scenario.name);
  const only = values.only === undefined ? names : values.only.split(',').map((name) => name.trim());
  const unknown = only.filter((name) => !names.includes(name));
  if (unknown.length > 0) throw new Error(`--only: no scenario ${unknown.join(', ')}; scenarios: ${names.join(', ')}`);
  const env: Record<string, string> = {};
  for (const assignment of values.env) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(assignment);
    if (!match?.[1]) throw new Error(`--env takes NAME=VALUE, not ${assignment}`);
    if (match[1] === 'STORAGE_DATA_DIR') throw new Error('--env: STORAGE_DATA_DIR is the tool’s own temporary folder');
    env[match[1]] = match[2] ?? '';
  }
  return {
    seconds: number('seconds', values.seconds, quick ? 8 : 20, 3600),
    quick,
    // S3's limit of parts per upload.
    parts: Math.round(number('parts', values.parts, quick ? 200 : 1000, 10_000)),
    only,
    env,
  };
}
