import { MemoryStorage } from '../../src/storage/memory.js';
import { runSnapshotConformance } from './storage-conformance.js';

runSnapshotConformance('inmem', async () => new MemoryStorage());
