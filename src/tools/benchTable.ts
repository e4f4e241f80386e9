/** The rows of `npm run bench` and the one table it prints of them. */
import type { Options } from './benchOptions';

export interface Row {
  metric: string;
  gateway: number;
  direct?: number;
  unit: string;
  /** How the goal reads: a ratio of gateway to direct, or an absolute bound. */
  goal: string;
  met: boolean | undefined;
  /** Lower is better (latency, CPU, memory): the ratio is gateway / direct all the same. */
  lowerIsBetter?: boolean;
}

/** A row of the floor under the gateway: what the bare proxy reached, beside the store direct. */
export function floorRow(metric: string, bare: number, direct: number, unit: string): Row {
  return { metric, gateway: bare, direct, unit, goal: '–', met: undefined };
}

export function ratioRow(metric: string, gateway: number, direct: number, unit: string, goal: number): Row {
  return { metric, gateway, direct, unit, goal: `≥ ${goal}`, met: gateway / direct >= goal };
}

export function printTable(rows: Row[], options: Options): void {
  const format = (value: number) => (value >= 100 ? Math.round(value).toLocaleString('en') : value.toFixed(2));
  const lines = [
    `| metric | gateway | MinIO direct | ratio | goal | met |`,
    `| --- | --- | --- | --- | --- | --- |`,
    ...rows.map((row) => {
      const ratio = row.direct
        ? row.lowerIsBetter
          ? `×${(row.gateway / row.direct).toFixed(2)}`
          : (row.gateway / row.direct).toFixed(2)
        : '–';
      const direct = row.direct === undefined ? '–' : `${format(row.direct)} ${row.unit}`;
      return `| ${row.metric} | ${format(row.gateway)} ${row.unit} | ${direct} | ${ratio} | ${row.goal} | ${row.met === undefined ? '–' : row.met ? 'yes' : 'no'} |`;
    }),
  ];
  console.log(
    `\n${options.seconds} s per load phase, ${options.concurrency} concurrent; large transfers: ${options.bigMib} MiB and ${options.streams} × ${options.parallelMib} MiB; memory: ${options.memoryMib} MiB; gateway workers: ${options.workers ?? 'its default'}\n`,
  );
  console.log(lines.join('\n'));
}
