/**
 * The real `coffer` program run in this process (runCli) against a test server, with its output
 * captured: quicker than a child process for suites that run many commands.
 */
import assert from 'node:assert/strict';
import { runCli } from '../../src/cli/program.js';

/** Commands against the server `target()` names, with `home()` as the CLI's home directory. */
export function inProcessCli(target: () => { url: string; rootToken: string }, home: () => string) {
  /** Runs `coffer ...argv` with the root token (or `token`); never throws on a non-zero exit. */
  const coffer = async (argv: string[], token?: string) => {
    let out = '';
    let err = '';
    const code = await runCli(argv, {
      env: { COFFER_ADDR: target().url, COFFER_TOKEN: token ?? target().rootToken },
      home: home(),
      io: { out: (s) => void (out += s), err: (s) => void (err += s), stdoutIsTTY: false, readStdin: async () => '', promptSecret: async () => '' },
    });
    return { code, out, err };
  };
  /** Runs a command that must succeed and returns its JSON output (undefined when it printed nothing). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const ok = async (argv: string[]): Promise<any> => {
    const res = await coffer(argv);
    assert.equal(res.code, 0, `coffer ${argv.join(' ')}: ${res.err}`);
    return res.out.trim() === '' ? undefined : JSON.parse(res.out);
  };
  return { coffer, ok };
}
