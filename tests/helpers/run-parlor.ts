import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { PARLOR_BIN } from './server-process.ts';

const execFileAsync = promisify(execFile);

/** Runs the `parlor` binary to completion, as a script would; never throws on a non-zero exit. */
export async function runParlor(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [PARLOR_BIN, ...args], { env: { ...process.env, ...env }, timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}
