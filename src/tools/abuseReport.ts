/**
 * The report of `npm run abuse`: one table row per scenario of what the victim saw and what the
 * gateway's memory did, the run's setting above it and a note per scenario below.
 */
import os from 'node:os';
import { VICTIM_LOOPS, VICTIM_TIMEOUT_MS, type Options } from './abuseOptions';
import type { VictimResult } from './abuseVictim';

export interface Row {
  scenario: string;
  victim?: VictimResult;
  attackerRequests?: number;
  answers: Map<string, number>;
  rssStart?: number;
  rssPeak?: number;
  open?: { open: number; of: number };
  /** Why the row is incomplete, or what happened to the gateway. */
  problem?: string;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? 0;
}

const count = (n: number) => n.toLocaleString('en');
const ms = (value: number) => (value < 10 ? value.toFixed(1) : count(Math.round(value)));
const mib = (value: number | undefined) => (value === undefined || !Number.isFinite(value) ? '–' : count(Math.round(value)));

/** "429×1,234 cut×5", most frequent first. */
function outcomes(counts: Map<string, number> | Record<string, number>): string {
  const entries = counts instanceof Map ? [...counts] : Object.entries(counts);
  return entries.length === 0
    ? '–'
    : entries
        .sort((a, b) => b[1] - a[1])
        .map(([outcome, n]) => `${outcome}×${count(n)}`)
        .join(' ');
}

export function printTable(rows: Row[], notes: string[], options: Options, started: Date): void {
  const cpus = os.cpus();
  const extra = Object.entries(options.env).map(([name, value]) => ` ${name}=${value}`);
  console.log(
    `\n${started.toISOString()}; ${cpus.length} CPUs (${cpus[0]?.model ?? '?'}), ${Math.round(os.totalmem() / 1024 ** 3)} GiB, Node ${process.version}`,
  );
  console.log(
    `gateway: embedded on a local MinIO, WEB_CONCURRENCY=1${extra.join('')}; ${options.seconds} s per scenario; victim: ${VICTIM_LOOPS} loops of a 1 KiB PUT of a new key, its GET and a listing of its folder, ${VICTIM_TIMEOUT_MS / 1000} s timeout\n`,
  );
  const lines = [
    '| scenario | victim requests | p50 ms | p99 ms | max ms | victim non-2xx | unanswered | /readyz not 200 | attacker requests | attacker answers | gateway RSS MiB, start → peak | attacker conns open at end |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map((row) => {
      const latencies = [...(row.victim?.latencies ?? [])].sort((a, b) => a - b);
      const failures = Object.values(row.victim?.failures ?? {}).reduce((sum, n) => sum + n, 0);
      const victim = row.victim
        ? [
            count(latencies.length),
            ms(percentile(latencies, 0.5)),
            ms(percentile(latencies, 0.99)),
            ms(latencies.at(-1) ?? 0),
            failures === 0 ? '0' : `${count(failures)} (${outcomes(row.victim.failures)})`,
            count(row.victim.unanswered),
            `${count(row.victim.notReady)} of ${count(row.victim.probes)}`,
          ]
        : ['–', '–', '–', '–', '–', '–', '–'];
      const scenario = row.problem ? `${row.scenario} (${row.problem})` : row.scenario;
      return `| ${[
        scenario,
        ...victim,
        row.attackerRequests === undefined ? '–' : count(row.attackerRequests),
        row.attackerRequests === undefined ? '–' : row.answers.size === 0 ? 'none' : outcomes(row.answers),
        `${mib(row.rssStart)} → ${mib(row.rssPeak)}`,
        row.open ? `${count(row.open.open)} of ${count(row.open.of)}` : '–',
      ].join(' | ')} |`;
    }),
  ];
  console.log(lines.join('\n'));
  console.log(
    `\nLatencies cover every victim request, an unanswered one at the time it was waited for. /readyz is asked every half second, as a load balancer would. Attacker answers: HTTP statuses; "cut": the connection closed without one; requests still under way at the end have none.\n`,
  );
  console.log(notes.join('\n'));
}

/** The gateway's most frequent log messages at warn or above during a scenario, for its note. */
export function logNote(log: Map<string, number>): string {
  if (log.size === 0) return '';
  const top = [...log].sort((a, b) => b[1] - a[1]).slice(0, 3);
  return ` Gateway log at warn or above: ${top.map(([message, n]) => `${n.toLocaleString('en')} × "${message}"`).join(', ')}${log.size > 3 ? ', …' : ''}.`;
}
