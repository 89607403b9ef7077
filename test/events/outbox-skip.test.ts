/**
 * A write queues its event for webhooks only while a subscription exists, and logs it for
 * `sys/events/wait` only while a client watches (the `subscribed` record, read inside the write's
 * transaction): without either nothing is written, and no event of a write that starts after a
 * subscription's creation, or after a wait answered, is ever missed, even while writes race it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestServer, type TestServer } from '../helpers/server.js';
import { startReceiver, type Receiver } from './receiver.js';

const SECRET = 'whsec-4b1d8e6f2a9c7035';

describe('events: the outbox is skipped while nobody subscribes', () => {
  let s: TestServer;
  let rx: Receiver;
  const queued = async () => (await s.core.barrier.list('sys/events/outbox/')).length;
  const logged = async () => (await s.core.barrier.list('sys/events/log/')).length;
  const write = async (path: string, v: string) => {
    const res = await s.request('POST', `/v1/secret/data/${path}`, { body: { data: { v } } });
    assert.equal(res.status, 200, res.text);
    return String(res.body.data.version);
  };
  /** Ticks until the outbox and the delivery queue are empty (a tick delivers a bounded number). */
  const drain = async () => {
    for (let i = 0; i < 400; i++) {
      await s.core.tick();
      if ((await queued()) === 0 && (await s.core.barrier.list('sys/events/queue/')).length === 0) return;
    }
    assert.fail('deliveries did not drain');
  };
  const delivered = () => new Set(rx.received.flatMap((r) => r.events).map((e) => `${e.data.ObjectName}@${e.data.Version}`));

  before(async () => {
    s = await createTestServer({ storage: 'sqlite' });
    rx = await startReceiver();
  });
  after(async () => {
    await rx?.close();
    await s?.close();
  });

  it('without a subscription or a waiting client a write queues and logs nothing; a wait makes the next writes log', async () => {
    await write('quiet/a', 'one');
    await write('quiet/a', 'two');
    assert.equal(await queued(), 0);
    assert.equal(await logged(), 0, 'nobody waits: no recent-events log entry');
    const first = await s.request('GET', '/v1/sys/events/wait');
    assert.equal(first.status, 200, first.text);
    const v = await write('quiet/a', 'three');
    assert.equal(await logged(), 1);
    const got = await s.request('GET', `/v1/sys/events/wait?after=${first.body.data.cursor}&timeout=1s`);
    assert.deepEqual(got.body.data.events.map((e: { data: { ObjectName: string; Version: string } }) => `${e.data.ObjectName}@${e.data.Version}`), [`quiet/a@${v}`]);
    assert.equal(await queued(), 0, 'a waiting client does not queue webhook deliveries');
  });

  it('a cursor older than the current watch (the lease lapsed meanwhile) gets an answer at once, with a fresh cursor', async () => {
    s.clock.advance(60_000);
    const first = await s.request('GET', '/v1/sys/events/wait');
    const cursor = first.body.data.cursor as string;
    // Eleven minutes later nobody has waited: the lease (ten minutes) has lapsed, writes stop logging.
    s.clock.advance(11 * 60_000);
    await write('quiet/b', 'unlogged');
    const started = Date.now();
    const res = await s.request('GET', `/v1/sys/events/wait?after=${cursor}&timeout=20s`);
    assert.equal(res.status, 200, res.text);
    assert.ok(Date.now() - started < 5000, `answered after ${Date.now() - started} ms`);
    assert.deepEqual(res.body.data.events, []);
    assert.ok(res.body.data.cursor > cursor, 'a fresh cursor');
  });

  it('a subscription makes the next write queue and deliver its event; deleting the last one stops queuing', async () => {
    assert.equal((await s.request('PUT', '/v1/sys/events/subscriptions/one', { body: { url: rx.url, secret: SECRET } })).status, 204);
    assert.equal((await s.request('PUT', '/v1/sys/events/subscriptions/two', { body: { url: rx.url, secret: SECRET, mounts: ['other/'] } })).status, 204);
    const v = await write('loud/a', 'x');
    assert.equal(await queued(), 1);
    await drain();
    assert.ok(delivered().has(`loud/a@${v}`));
    // One subscription left: still queued.
    assert.equal((await s.request('DELETE', '/v1/sys/events/subscriptions/one')).status, 204);
    await write('loud/a', 'y');
    assert.equal(await queued(), 1);
    await drain();
    assert.equal((await s.request('DELETE', '/v1/sys/events/subscriptions/two')).status, 204);
    await write('loud/a', 'z');
    assert.equal(await queued(), 0, 'no subscription left: nothing queued');
  });

  it('a store without the `subscribed` record (written before it existed) still queues for its subscriptions', async () => {
    assert.equal((await s.request('PUT', '/v1/sys/events/subscriptions/old', { body: { url: rx.url, secret: SECRET } })).status, 204);
    await s.core.barrier.delete('sys/events/subscribed');
    const v = await write('legacy/a', 'x');
    await drain();
    assert.ok(delivered().has(`legacy/a@${v}`));
    assert.equal((await s.request('DELETE', '/v1/sys/events/subscriptions/old')).status, 204);
  });

  /**
   * Eight writers write `<prefix>/w<n>` while `step` runs (started after 50 ms), until 60 writes
   * have started after `step` finished; returns those writes as `path@version`.
   */
  const writesStartedAfter = async (prefix: string, step: () => Promise<void>): Promise<string[]> => {
    const writes: { key: string; startedAt: number }[] = [];
    let doneAt = Infinity;
    let after = 0;
    const writer = async (w: number) => {
      for (let i = 0; after < 60 && i < 2000; i++) {
        const startedAt = performance.now();
        const version = await write(`${prefix}/w${w}`, `${i}`);
        writes.push({ key: `${prefix}/w${w}@${version}`, startedAt });
        if (startedAt > doneAt) after++;
      }
    };
    const stepped = (async () => {
      await new Promise((r) => setTimeout(r, 50));
      await step();
      doneAt = performance.now();
    })();
    await Promise.all([stepped, ...Array.from({ length: 8 }, (_, w) => writer(w))]);
    const due = writes.filter((w) => w.startedAt > doneAt);
    assert.ok(due.length >= 60, `writes after the step: ${due.length}`);
    return due.map((w) => w.key);
  };

  it('no event is missed of a write that starts after a subscription was created, while writes race the creation', async () => {
    rx.received.length = 0;
    const due = await writesStartedAfter('race', async () => {
      const res = await s.request('PUT', '/v1/sys/events/subscriptions/race', { body: { url: rx.url, secret: SECRET, mounts: ['secret/'] } });
      assert.equal(res.status, 204, res.text);
    });
    await drain();
    const got = delivered();
    assert.deepEqual(due.filter((key) => !got.has(key)), [], 'every write started after the creation answered is delivered');
    assert.equal((await s.request('DELETE', '/v1/sys/events/subscriptions/race')).status, 204);
  });

  it('no event is missed of a write that starts after a wait took its cursor, while writes race the watch lease', async () => {
    // A new lease: the earlier ones have lapsed.
    s.clock.advance(11 * 60_000);
    let cursor = '';
    const due = await writesStartedAfter('watchrace', async () => {
      const res = await s.request('GET', '/v1/sys/events/wait');
      assert.equal(res.status, 200, res.text);
      cursor = res.body.data.cursor;
    });
    const seen = new Set<string>();
    for (let i = 0; i < 100; i++) {
      const res = await s.request('GET', `/v1/sys/events/wait?after=${cursor}&timeout=1s&mounts=secret/`);
      assert.equal(res.status, 200, res.text);
      for (const e of res.body.data.events as { data: { ObjectName: string; Version: string } }[]) seen.add(`${e.data.ObjectName}@${e.data.Version}`);
      if (res.body.data.events.length === 0) break;
      cursor = res.body.data.cursor;
    }
    assert.deepEqual(due.filter((key) => !seen.has(key)), [], 'every write started after the wait answered is in the log');
  });
});
