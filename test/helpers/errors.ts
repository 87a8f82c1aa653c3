import { expect } from 'vitest';

import { DinoError } from '../../lib';

/** The DinoError a promise rejects with (fails the test if it resolves or rejects otherwise). */
export async function rejected(p: Promise<unknown>): Promise<DinoError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(DinoError);
    return err as DinoError;
  }
  throw new Error('expected the promise to reject');
}
