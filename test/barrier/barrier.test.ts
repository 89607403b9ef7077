import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { DecryptError } from '../../src/barrier/aead.js';
import { Barrier, SealedError } from '../../src/barrier/barrier.js';
import { SealError, SealManager } from '../../src/barrier/seal.js';
import { ConflictError } from '../../src/storage/errors.js';
import { MemoryStorage } from '../../src/storage/memory.js';
import { TransactionalStorage } from '../../src/storage/transaction.js';

async function unsealedBarrier() {
  const physical = new MemoryStorage();
  const barrier = new Barrier(physical);
  const kek = randomBytes(32);
  await barrier.initialize(kek);
  return { physical, barrier, kek };
}

describe('barrier', () => {
  it('stores only ciphertext and reads back plaintext', async () => {
    const { physical, barrier } = await unsealedBarrier();
    await barrier.put('logical/a/secret', Buffer.from('hunter2-very-secret'));
    const raw = await physical.get('logical/a/secret');
    assert.ok(raw);
    assert.equal(Buffer.from(raw).includes('hunter2'), false);
    assert.equal(Buffer.from((await barrier.get('logical/a/secret'))!).toString(), 'hunter2-very-secret');
  });

  it('gives every value its own nonce and a layout of header, nonce, ciphertext, tag (across nonce-pool refills)', async () => {
    const { physical, barrier } = await unsealedBarrier();
    const nonces = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      await barrier.batch([{ type: 'put', key: `n/${i}`, value: Buffer.from('same plaintext') }]);
      const raw = Buffer.from((await physical.get(`n/${i}`))!);
      assert.equal(raw.length, 5 + 12 + 'same plaintext'.length + 16);
      nonces.add(raw.subarray(5, 17).toString('hex'));
    }
    assert.equal(nonces.size, 1000, 'no nonce was handed out twice');
    for (const i of [0, 341, 342, 999]) assert.equal(Buffer.from((await barrier.get(`n/${i}`))!).toString(), 'same plaintext');
  });

  it('rejects a flipped ciphertext byte', async () => {
    const { physical, barrier } = await unsealedBarrier();
    await barrier.put('k', Buffer.from('value'));
    const raw = Buffer.from((await physical.get('k'))!);
    raw[raw.length - 20]! ^= 0x01;
    await physical.put('k', raw);
    await assert.rejects(barrier.get('k'), DecryptError);
  });

  it('a value read before is still authenticated again: a flipped byte, a moved value or a caller changing its copy shows', async () => {
    const { physical, barrier } = await unsealedBarrier();
    await barrier.put('m/a', Buffer.from('first value'));
    const good = Buffer.from((await physical.get('m/a'))!);
    const got = (await barrier.get('m/a')) as Buffer;
    assert.equal(got.toString(), 'first value');
    got.fill(0); // a caller wiping its copy must not change what the next reader gets
    assert.equal(Buffer.from((await barrier.get('m/a'))!).toString(), 'first value');
    const bad = Buffer.from(good);
    bad[bad.length - 20]! ^= 0x01;
    await physical.put('m/a', bad);
    await assert.rejects(barrier.get('m/a'), DecryptError, 'changed bytes are opened (and refused), not served from memory');
    await physical.put('m/b', good);
    await assert.rejects(barrier.get('m/b'), DecryptError);
    await physical.put('m/a', good);
    assert.equal(Buffer.from((await barrier.get('m/a'))!).toString(), 'first value');
    await barrier.put('m/a', Buffer.from('second value'));
    assert.equal(Buffer.from((await barrier.get('m/a'))!).toString(), 'second value');
    await barrier.seal();
    await assert.rejects(barrier.get('m/a'), SealedError);
  });

  it('getDecoded shares one decoded object per stored ciphertext: a write, another node\'s bytes, a discarded transaction, a seal or another decoder get a new one', async () => {
    const { physical, barrier, kek } = await unsealedBarrier();
    const decodes: boolean[] = [];
    const decode = (plain: Uint8Array, shared: boolean) => {
      decodes.push(shared);
      return Object.freeze({ text: Buffer.from(plain).toString() });
    };
    assert.equal(await barrier.getDecoded('d/a', decode), undefined);
    await barrier.put('d/a', Buffer.from('one'));
    const first = await barrier.getDecoded('d/a', decode);
    assert.deepEqual(first, { text: 'one' });
    const second = await barrier.getDecoded('d/a', decode);
    assert.notEqual(second, first, 'a first read is decoded for its reader alone');
    assert.equal(await barrier.getDecoded('d/a', decode), second, 'from the second read on, the same object while the ciphertext is unchanged');
    assert.deepEqual(decodes, [false, true], 'decoded unshared once, then once shared');
    // Another decoder never gets this decoder's object.
    const other = await barrier.getDecoded('d/a', (p) => ({ len: p.length }));
    assert.deepEqual(other, { len: 3 });
    // A write through the barrier: a new object.
    await barrier.put('d/a', Buffer.from('two'));
    assert.deepEqual(await barrier.getDecoded('d/a', decode), { text: 'two' });
    // Bytes changed below the barrier (another node, a restore): decoded again; tampered bytes refused.
    const stored = Buffer.from((await physical.get('d/a'))!);
    await barrier.put('d/b', Buffer.from('three'));
    const moved = Buffer.from((await physical.get('d/b'))!);
    await physical.put('d/a', moved);
    await assert.rejects(barrier.getDecoded('d/a', decode), DecryptError, 'a value moved from another key is opened (and refused), not served from memory');
    await physical.put('d/a', stored);
    const again = await barrier.getDecoded('d/a', decode);
    assert.deepEqual(again, { text: 'two' });
    // Seal and unseal: nothing decoded before is handed out again.
    await barrier.seal();
    await assert.rejects(barrier.getDecoded('d/a', decode), SealedError);
    await barrier.unseal(kek);
    const afterUnseal = await barrier.getDecoded('d/a', decode);
    assert.deepEqual(afterUnseal, { text: 'two' });
    assert.notEqual(afterUnseal, again);
    assert.notEqual(await barrier.getDecoded('d/a', decode), again, 'nor from its second read on');
  });

  it('getDecoded inside a transaction sees its buffered writes, and a discarded value is never served afterwards', async () => {
    const { TransactionalStorage } = await import('../../src/storage/transaction.js');
    const tx = new TransactionalStorage(new MemoryStorage());
    const barrier = new Barrier(tx);
    await barrier.initialize(randomBytes(32));
    const decode = (plain: Uint8Array) => Object.freeze({ text: Buffer.from(plain).toString() });
    await barrier.put('t/a', Buffer.from('committed'));
    const before = await barrier.getDecoded('t/a', decode);
    await assert.rejects(tx.run(async () => {
      await barrier.put('t/a', Buffer.from('discarded'));
      assert.deepEqual(await barrier.getDecoded('t/a', decode), { text: 'discarded' });
      throw new Error('abort');
    }), /abort/);
    assert.deepEqual(await barrier.getDecoded('t/a', decode), { text: 'committed' });
    assert.deepEqual(before, { text: 'committed' });
  });

  it('a write refreshes a memoized value, so reading it back opens nothing; a write that never commits is never served', async () => {
    const physical = new MemoryStorage();
    const tx = new TransactionalStorage(physical);
    const barrier = new Barrier(tx);
    await barrier.initialize(randomBytes(32));
    const memoOf = (key: string) => (barrier as unknown as { memo: { lru: { get(k: string): { cipher: Buffer; plain: Buffer } | undefined } } }).memo.lru.get(key);
    await barrier.put('r/meta', Buffer.from('v1'));
    await barrier.put('r/cold', Buffer.from('c1'));
    assert.equal(memoOf('r/meta'), undefined, 'a write alone does not fill the memo');
    assert.equal(Buffer.from((await barrier.get('r/meta'))!).toString(), 'v1'); // opened and memoized
    // A read-modify-write that commits: the memo holds the new pair, matching what is stored.
    await tx.run(async () => {
      const old = Buffer.from((await barrier.get('r/meta'))!).toString();
      await barrier.batch([{ type: 'put', key: 'r/meta', value: Buffer.from(`${old}+v2`) }]);
    });
    const stored = Buffer.from((await physical.get('r/meta'))!);
    assert.ok(memoOf('r/meta')!.cipher.equals(stored), 'memoized under the committed ciphertext');
    assert.equal(memoOf('r/meta')!.plain.toString(), 'v1+v2');
    assert.equal(Buffer.from((await barrier.get('r/meta'))!).toString(), 'v1+v2');
    assert.equal(memoOf('r/cold'), undefined, 'a key that was not memoized stays out');
    // A write whose transaction is discarded: its ciphertext is never stored, so never served.
    await assert.rejects(tx.run(async () => {
      await barrier.put('r/meta', Buffer.from('never'));
      throw new Error('discarded');
    }), /discarded/);
    assert.equal(Buffer.from((await barrier.get('r/meta'))!).toString(), 'v1+v2');
    // Same for a write that lost a conflict.
    const gateOpen = { open: () => {} };
    const held = new Promise<void>((r) => (gateOpen.open = r));
    const loser = tx.run(async () => {
      await barrier.get('r/meta');
      await held;
      await barrier.put('r/meta', Buffer.from('loser'));
    });
    await tx.run(async () => barrier.put('r/meta', Buffer.from('winner')));
    gateOpen.open();
    await assert.rejects(loser, ConflictError);
    assert.equal(Buffer.from((await barrier.get('r/meta'))!).toString(), 'winner');
    // A deleted key is dropped.
    await barrier.delete('r/meta');
    assert.equal(memoOf('r/meta'), undefined);
    assert.equal(await barrier.get('r/meta'), undefined);
  });

  it('rejects a value moved to another key (path is authenticated)', async () => {
    const { physical, barrier } = await unsealedBarrier();
    await barrier.put('logical/x/admin-password', Buffer.from('top'));
    await physical.put('logical/x/public', (await physical.get('logical/x/admin-password'))!);
    await assert.rejects(barrier.get('logical/x/public'), DecryptError);
  });

  it('refuses every operation while sealed and hides the seal keys from listings', async () => {
    const { barrier, kek } = await unsealedBarrier();
    await barrier.put('a', Buffer.from('1'));
    assert.deepEqual(await barrier.list(''), ['a']);
    await barrier.seal();
    await assert.rejects(barrier.get('a'), SealedError);
    await assert.rejects(barrier.put('a', Buffer.from('2')), SealedError);
    await barrier.unseal(kek);
    assert.equal(Buffer.from((await barrier.get('a'))!).toString(), '1');
    await assert.rejects(barrier.put('seal/keyring', Buffer.from('x')), /may not start with seal/);
  });

  it('rotation adds a term; old values still decrypt, new ones use the new term', async () => {
    const { physical, barrier, kek } = await unsealedBarrier();
    await barrier.put('old', Buffer.from('before'));
    assert.equal(barrier.keyStatus().term, 1);
    await barrier.rotate();
    assert.equal(barrier.keyStatus().term, 2);
    await barrier.put('new', Buffer.from('after'));
    assert.equal(Buffer.from((await physical.get('new'))!).readUInt32BE(0), 2);
    assert.equal(Buffer.from((await physical.get('old'))!).readUInt32BE(0), 1);
    await barrier.seal();
    await barrier.unseal(kek);
    assert.equal(Buffer.from((await barrier.get('old'))!).toString(), 'before');
    assert.equal(Buffer.from((await barrier.get('new'))!).toString(), 'after');
  });

  it('a wrong key-encryption key fails to unseal', async () => {
    const { barrier } = await unsealedBarrier();
    await barrier.seal();
    await assert.rejects(barrier.unseal(randomBytes(32)), DecryptError);
    assert.equal(barrier.sealed, true);
  });

  it('rotates automatically after max operations', async () => {
    const physical = new MemoryStorage();
    const barrier = new Barrier(physical, Date.now, 3);
    await barrier.initialize(randomBytes(32));
    for (let i = 0; i < 4; i++) await barrier.put(`k${i}`, Buffer.from('v'));
    assert.equal(barrier.keyStatus().term, 2);
  });
});

describe('shamir seal', () => {
  it('unseals with any threshold of shares and rejects a wrong combination', async () => {
    const physical = new MemoryStorage();
    const barrier = new Barrier(physical);
    const seal = new SealManager(physical, barrier);
    const shares = await seal.initialize(5, 3);
    assert.equal(shares.length, 5);
    assert.equal(shares[0]!.length, 33);
    await barrier.put('x', Buffer.from('y'));
    await barrier.seal();

    // Two real shares and one from another server: GCM fails, progress resets.
    const other = await new SealManager(new MemoryStorage(), new Barrier(new MemoryStorage())).initialize(5, 3);
    await seal.submitShare(shares[0]!);
    await seal.submitShare(shares[1]!);
    await assert.rejects(seal.submitShare(other[2]!), SealError);
    assert.equal(seal.progress().progress, 0);
    assert.equal(barrier.sealed, true);

    // Duplicates do not count twice.
    assert.equal((await seal.submitShare(shares[4]!)).progress, 1);
    assert.equal((await seal.submitShare(shares[4]!)).progress, 1);
    await seal.submitShare(shares[2]!);
    const done = await seal.submitShare(shares[0]!);
    assert.equal(done.sealed, false);
    assert.equal(Buffer.from((await barrier.get('x'))!).toString(), 'y');
  });

  it('validates share counts like Vault', async () => {
    const seal = new SealManager(new MemoryStorage(), new Barrier(new MemoryStorage()));
    await assert.rejects(seal.initialize(3, 1), /threshold must be greater than one/);
    await assert.rejects(seal.initialize(2, 3), /cannot be larger/);
    await assert.rejects(seal.initialize(0, 0), /at least one/);
    const single = await seal.initialize(1, 1);
    assert.equal(single[0]!.length, 32);
  });
});
