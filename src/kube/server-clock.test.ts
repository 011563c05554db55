/** The API server's clock from `Date` headers: a skewed local clock, the narrowing, a step. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ServerClock } from './server-clock.js';

/** A server whose clock is `serverMs`; its `Date` header truncates to the second, as HTTP's does. */
const dateHeader = (serverMs: number) => new Date(Math.floor(serverMs / 1000) * 1000).toUTCString();

test('a local clock five minutes ahead reads the server time within a second after one answer', () => {
  const local = 1_800_000_000_000 + 300_000; // five minutes ahead of the server
  const clock = new ServerClock({ localNow: () => local });
  assert.equal(clock.now(), local, 'before any answer: the local clock');
  const server = () => local - 300_000;
  clock.observe(dateHeader(server()), local - 5, local);
  assert.ok(Math.abs(clock.now() - server()) <= 1000, `${clock.now() - server()} ms off`);
  assert.ok(clock.uncertaintyMs() <= 1005);
});

test('answers that straddle a second boundary narrow the offset to about their spacing', () => {
  let local = 1_800_000_000_123;
  const trueOffset = -123_456; // server − local
  const clock = new ServerClock({ localNow: () => local });
  for (let i = 0; i < 40; i++) {
    const sent = local;
    local += 3; // a 3 ms round trip, answered in its middle
    clock.observe(dateHeader(sent + 1.5 + trueOffset), sent, local);
    local += 97; // the next request 97 ms later
  }
  // Answers 100 ms apart: the boundary is found to within one spacing plus a round trip.
  assert.ok(clock.uncertaintyMs() <= 110, `uncertainty ${clock.uncertaintyMs()} ms`);
  assert.ok(Math.abs(clock.offsetMs() - trueOffset) <= 60, `offset ${clock.offsetMs()} against ${trueOffset}`);
});

test('a step between the clocks (the server stepped, or the local clock given) is followed from the next answer on', () => {
  let local = 1_800_000_000_000;
  let offset = 0;
  const clock = new ServerClock({ localNow: () => local });
  const answer = () => {
    const sent = local;
    local += 2;
    clock.observe(dateHeader(sent + 1 + offset), sent, local);
    local += 250;
  };
  for (let i = 0; i < 10; i++) answer();
  assert.ok(Math.abs(clock.offsetMs()) <= 1000);
  local -= 300_000; // NTP steps the local clock back; the server's did not move
  offset = 300_000;
  answer();
  assert.ok(Math.abs(clock.offsetMs() - 300_000) <= 1000, `offset ${clock.offsetMs()} after the step`);
  for (let i = 0; i < 10; i++) answer();
  assert.ok(Math.abs(clock.offsetMs() - 300_000) <= 1000);
});

test('an answer without a readable Date header changes nothing', () => {
  const clock = new ServerClock({ localNow: () => 1_000 });
  clock.observe(undefined, 0, 1);
  clock.observe('not a date', 0, 1);
  assert.equal(clock.offsetMs(), 0);
  assert.equal(clock.uncertaintyMs(), Infinity);
});

test('now() never runs back when a narrower estimate moves the offset back (one round stamps in order)', () => {
  let local = 1_800_000_000_000;
  const clock = new ServerClock({ localNow: () => local });
  // The first answer leaves the offset anywhere in a second: its middle is +500 ms.
  clock.observe(dateHeader(local), local, local);
  const first = clock.now();
  assert.ok(first >= local + 400, `estimate ${first - local} ms ahead`);
  // A second answer 10 ms later shows the server's second began later than the middle assumed.
  local += 10;
  clock.observe(dateHeader(local - 900), local, local);
  assert.ok(clock.offsetMs() < first - (local - 10), 'the estimate moved back');
  assert.ok(clock.now() >= first, `now() went from ${first} back to ${clock.now()}`);
});

test('a step of the server clock back by minutes is followed at once', () => {
  let local = 1_800_000_000_000;
  let server = local;
  const clock = new ServerClock({ localNow: () => local });
  clock.observe(dateHeader(server), local, local + 1);
  const before = clock.now();
  server -= 300_000;
  local += 100;
  server += 100;
  clock.observe(dateHeader(server), local, local + 1);
  assert.ok(before - clock.now() > 298_000, `now() moved back only ${before - clock.now()} ms`);
});
