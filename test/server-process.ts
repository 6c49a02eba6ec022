/** The server as a process of its own (src/server.ts through tsx), its output collected: for test/server*.test.ts. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));

/** Starts the server on a free loopback port (or `shell`, a command line run by sh -c, in its place); `listening` is its base URL once it logs it. */
export function start(env: Record<string, string>, nodeFlags: readonly string[] = [], shell?: string) {
  const environment = { ...process.env, HOST: '127.0.0.1', PORT: '0', ...env };
  const child = shell
    ? spawn('sh', ['-c', shell], { cwd: root, env: environment })
    : spawn(process.execPath, [...nodeFlags, '--import', 'tsx', 'src/server.ts'], { cwd: root, env: environment });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const listening = new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
      if (m) {
        clearInterval(timer);
        resolve(m[1]);
      }
    }, 50);
    void exited.then(() => {
      clearInterval(timer);
      reject(new Error(`server exited: ${stderr}`));
    });
  });
  listening.catch(() => {});
  return { child, listening, exited, output: () => ({ stdout, stderr }) };
}
