/**
 * What a worker has done: jobs by outcome, batches and how full they were, and lag (how long
 * jobs waited in the queue, and how many were still pending at the last fetch).
 * @module
 */

/** A snapshot of a worker's counters. */
export interface WorkerCounters {
  /** Jobs whose result was stored and acknowledged. */
  jobs: number;
  /** Of those, jobs that ended in an error result. */
  failed: number;
  /** Jobs sent to the dead-letter subject. */
  deadLettered: number;
  /** Jobs handed back for a retry (negative acknowledgement after a failure). */
  retried: number;
  /** Deliveries that were redeliveries (the job had been delivered before). */
  redelivered: number;
  /** Batches run (one model.extract call each, at most). */
  batches: number;
  /** Mean jobs per batch divided by the batch size (1 = every batch full). */
  batchFill: number;
  /** Mean time from a job's publication to its delivery to this worker, ms. */
  meanLagMs: number;
  /** Jobs still pending in the queue after the last delivered one (as the server reported it). */
  pending: number;
  /** Mean model.extract time per batch, ms. */
  meanBatchMs: number;
  /** Jobs per second since the worker started. */
  jobsPerSecond: number;
}

/** Mutable counters behind {@link WorkerCounters}. */
export class Counters {
  jobs = 0;
  failed = 0;
  deadLettered = 0;
  retried = 0;
  redelivered = 0;
  batches = 0;
  pending = 0;
  #batchJobs = 0;
  #lagMs = 0;
  #lagCount = 0;
  #batchMs = 0;
  readonly #batchSize: number;
  readonly #start = performance.now();

  constructor(batchSize: number) {
    this.#batchSize = batchSize;
  }

  /** Records one delivered job: its queue lag and the pending count the server gave with it. */
  delivered(lagMs: number, pending: number, deliveryCount: number): void {
    this.#lagMs += Math.max(0, lagMs);
    this.#lagCount++;
    this.pending = pending;
    if (deliveryCount > 1) this.redelivered++;
  }

  batch(jobs: number, ms: number): void {
    this.batches++;
    this.#batchJobs += jobs;
    this.#batchMs += ms;
  }

  snapshot(): WorkerCounters {
    const seconds = (performance.now() - this.#start) / 1000;
    return {
      jobs: this.jobs,
      failed: this.failed,
      deadLettered: this.deadLettered,
      retried: this.retried,
      redelivered: this.redelivered,
      batches: this.batches,
      batchFill: this.batches > 0 ? this.#batchJobs / this.batches / this.#batchSize : 0,
      meanLagMs: this.#lagCount > 0 ? this.#lagMs / this.#lagCount : 0,
      pending: this.pending,
      meanBatchMs: this.batches > 0 ? this.#batchMs / this.batches : 0,
      jobsPerSecond: seconds > 0 ? this.jobs / seconds : 0,
    };
  }
}

/** One line for logs. */
export function formatCounters(c: WorkerCounters): string {
  return (
    `jobs ${c.jobs} (failed ${c.failed}, dead ${c.deadLettered}, retried ${c.retried}, redelivered ${c.redelivered}), ` +
    `batches ${c.batches} fill ${(c.batchFill * 100).toFixed(0)}% ${c.meanBatchMs.toFixed(1)} ms, ` +
    `lag ${c.meanLagMs.toFixed(0)} ms, pending ${c.pending}, ${c.jobsPerSecond.toFixed(1)} jobs/s`
  );
}
