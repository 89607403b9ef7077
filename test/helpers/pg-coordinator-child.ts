/**
 * A Coffer node's coordinator in its own process, for the SIGKILL takeover test:
 * `node --import tsx test/helpers/pg-coordinator-child.ts <url> <table> <nodeId>`.
 * Prints one JSON line per leadership change ({"leader":true}) and runs until killed.
 */
import { PostgresCoordinator } from '../../src/storage/postgres-cluster.js';

const [url, table, nodeId] = process.argv.slice(2) as [string, string, string];
const c = await PostgresCoordinator.open({ connectionUrl: url, table, nodeId, apiAddr: `http://${nodeId}.test:8200` });
c.onLeadershipChange((leader) => console.log(JSON.stringify({ leader })));
if (c.isLeader()) console.log(JSON.stringify({ leader: true }));
console.log(JSON.stringify({ open: true }));
// The coordinator's timers do not keep a process alive; this one must stay until killed.
setInterval(() => {}, 1 << 30);
