/**
 * Runs items through two stages in order — prepare (decode + preprocess) and infer — so that the
 * preparation of the next items overlaps the inference of the current ones, with a bounded number
 * of items between the stages. Internal: not part of the public API.
 * @module
 */

/**
 * Prepares items up to `ahead` places past the newest inference while at most `inferring`
 * inferences run (an inference starts once the one `inferring` places back is done, so a
 * backend with that many sessions never queues them). Results come back in item order. A
 * failure of any item rejects with that error after every started stage has settled (nothing is
 * left running unobserved).
 */
export async function pipelined<P, R>(
  count: number,
  limits: { ahead: number; inferring: number },
  prepare: (index: number) => Promise<P>,
  infer: (prepared: P, index: number) => Promise<R>,
): Promise<R[]> {
  const prepared: Promise<P>[] = [];
  const results: Promise<R>[] = [];
  const start = (i: number): void => {
    if (i >= count || prepared[i] !== undefined) return;
    const p = prepare(i);
    p.catch(() => undefined); // observed below, in order
    prepared[i] = p;
  };
  const { ahead, inferring } = limits;
  for (let i = 0; i < Math.min(ahead, count); i++) start(i);
  try {
    for (let i = 0; i < count; i++) {
      const item = await (prepared[i] as Promise<P>);
      if (i - inferring >= 0) await results[i - inferring];
      const r = infer(item, i);
      r.catch(() => undefined);
      results.push(r);
      start(i + ahead);
    }
    return await Promise.all(results);
  } finally {
    await Promise.allSettled([...prepared, ...results]);
  }
}
