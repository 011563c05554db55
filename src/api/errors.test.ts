import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeError, findCause, FlotillaError, isRetryable, isTerminal } from './errors.js';

class SampleError extends FlotillaError<'Busy' | 'Broken'> {
  override readonly name = 'SampleError';
  constructor(code: 'Busy' | 'Broken', message: string, options?: { cause?: unknown }) {
    super(code, message, { ...options, retryable: code === 'Busy' });
  }
}

test('retryable and terminal come from the class, unknown errors count as retryable', () => {
  assert.equal(isRetryable(new SampleError('Busy', 'x')), true);
  assert.equal(isTerminal(new SampleError('Broken', 'x')), true);
  assert.equal(new SampleError('Broken', 'x').terminal, true);
  assert.equal(isRetryable(new Error('x')), true);
  assert.equal(isTerminal(new Error('x')), false);
});

test('causes are found along the chain and described once', () => {
  const inner = new SampleError('Broken', 'disk full');
  const outer = new Error('saving outputs', { cause: inner });
  assert.equal(
    findCause(outer, (e): e is SampleError => e instanceof SampleError),
    inner,
  );
  assert.equal(describeError(outer), 'saving outputs: disk full');
  assert.equal(describeError(new Error('saving: disk full', { cause: inner })), 'saving: disk full');
});
