/** The progress bar draws only on a terminal, with counts, percentage, rate and ETA. */
import { describe, expect, it } from 'vitest';

import { ProgressBar } from '../../lib/video/progress';
import { progressLine } from '../../lib/video/progress';

describe('ProgressBar', () => {
  it('formats count, share, rate and ETA', () => {
    const line = progressLine('segment', 10, 40, 2000, 80);
    expect(line).toMatch(/^segment \[#+-+\] 10\/40  25% 5\.0 fps ETA 6s$/);
    expect(line.length).toBeLessThanOrEqual(80);
    expect(progressLine('segment', 40, 40, 4000, 80)).toMatch(/\[#+\] 40\/40 100%/);
  });

  it('draws on a TTY and clears its line at the end', () => {
    const written: string[] = [];
    const bar = new ProgressBar('segment', 4, { isTTY: true, columns: 60, write: (s: string) => written.push(s) });
    for (let i = 1; i <= 4; i++) bar.update(i);
    bar.finish();
    expect(written[0]).toMatch(/^\rsegment \[.*\] 1\/4/);
    expect(written.at(-2)).toMatch(/4\/4 100%/);
    expect(written.at(-1)).toBe('\r\x1b[K');
  });

  it('stays silent when stderr is not a terminal or the length is unknown', () => {
    const written: string[] = [];
    const sink = { write: (s: string) => written.push(s) };
    const a = new ProgressBar('segment', 10, sink);
    a.update(5);
    a.finish();
    const b = new ProgressBar('segment', undefined, { ...sink, isTTY: true });
    b.update(5);
    b.finish();
    expect(written).toEqual([]);
  });
});
