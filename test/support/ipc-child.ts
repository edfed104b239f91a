import { fork, type ChildProcess } from 'node:child_process';

/** Forks `fixture` with `env` over the test's environment, its output piped (kept by {@link IpcChild}) and IPC on. */
export function forkFixture(fixture: string, env: Record<string, string>): ChildProcess {
  return fork(fixture, [], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
}

/**
 * A child process driven over IPC: each request is `{ id, cmd, ...args }`, each answer `{ id, ok, value | error }`;
 * the child's first message without an id says it is ready. Requests still waiting when it exits are rejected with
 * the last of its output.
 */
export class IpcChild {
  private next = 0;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  /** The last 5,000 characters the child wrote to stdout and stderr. */
  output = '';

  protected constructor(readonly child: ChildProcess) {
    child.stdout?.on('data', (d: Buffer) => (this.output = (this.output + d.toString()).slice(-5000)));
    child.stderr?.on('data', (d: Buffer) => (this.output = (this.output + d.toString()).slice(-5000)));
    child.on('message', (message: { id?: number; ok?: boolean; value?: unknown; error?: string }) => {
      if (message.id === undefined) return;
      const waiter = this.waiting.get(message.id);
      this.waiting.delete(message.id);
      if (message.ok) waiter?.resolve(message.value);
      else waiter?.reject(new Error(message.error));
    });
    child.once('exit', (code, signal) => {
      for (const waiter of this.waiting.values()) waiter.reject(new Error(`replica exited (${code ?? signal}):\n${this.output}`));
      this.waiting.clear();
    });
  }

  /** Resolves at the child's first message; rejects when it exits first or says nothing for 30 s. */
  protected ready(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`replica did not start:\n${this.output}`)), 30_000);
      this.child.once('message', () => (clearTimeout(timer), resolve()));
      this.child.once('exit', () => (clearTimeout(timer), reject(new Error(`replica exited at start:\n${this.output}`))));
    });
  }

  protected request<T>(cmd: string, args: Record<string, unknown> = {}): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ id, cmd, ...args });
    });
  }

  /** Asks the child to exit; kills it if it has not exited 5 s later. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    await Promise.race([this.request('exit').catch(() => undefined), new Promise((r) => setTimeout(r, 5000))]);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}
