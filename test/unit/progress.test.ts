/** The CLI's progress bar: drawn for large transfers on a terminal, never when piped. */
import { PassThrough } from 'node:stream';
import { bytes, duration, progressDisplay } from '../../src/cli/progress';

const MiB = 1024 * 1024;

function terminal(isTTY: boolean): NodeJS.WriteStream & { text: () => string } {
  const stream = new PassThrough() as unknown as NodeJS.WriteStream & { text: () => string };
  let written = '';
  stream.on('data', (chunk: Buffer) => (written += String(chunk)));
  Object.assign(stream, { isTTY, columns: 120, cursorTo: () => true, clearLine: () => true, moveCursor: () => true, text: () => written });
  return stream;
}

it('draws a bar with the amount, the rate and an ETA on a terminal', async () => {
  const stream = terminal(true);
  const display = progressDisplay('put big.bin', true, stream);
  display.update({ transferred: 0, total: 100 * MiB });
  display.update({ transferred: 50 * MiB, total: 100 * MiB });
  display.stop();
  await new Promise((resolve) => setImmediate(resolve));
  expect(stream.text()).toMatch(/put big\.bin \[=+-+\] 50% \| 50\.0 MiB\/100\.0 MiB \| [\d.]+ \w+\/s \| ETA \d+(s|m\d\ds|h\d\dm)/);
});

it('draws nothing when the output is not a terminal, when asked not to, or for small transfers', async () => {
  for (const [isTTY, enabled, total] of [
    [false, true, 100 * MiB],
    [true, false, 100 * MiB],
    [true, true, MiB],
    [true, true, undefined],
  ] as const) {
    const stream = terminal(isTTY);
    const display = progressDisplay('put x', enabled, stream);
    display.update({ transferred: 1, total });
    display.stop();
    await new Promise((resolve) => setImmediate(resolve));
    expect(stream.text()).toBe('');
  }
});

it('writes sizes and times for people', () => {
  expect(duration(0.2)).toBe('1s');
  expect(duration(95)).toBe('1m35s');
  expect(duration(7260)).toBe('2h01m');
  expect(bytes(13)).toBe('13 B');
  expect(bytes(1536)).toBe('1.5 KiB');
  expect(bytes(2 * 1024 * MiB)).toBe('2.0 GiB');
});
