import { Worker } from 'node:worker_threads';

/** A test worker playing one role from workers/ring-worker.mjs, with its messages queued. */
export class RoleWorker {
  readonly worker: Worker;
  private readonly messages: Array<Record<string, unknown>> = [];
  private readonly waiters: Array<() => void> = [];
  private failure: Error | undefined;

  constructor(data: Record<string, unknown>) {
    this.worker = new Worker(new URL('./workers/ring-worker.mjs', import.meta.url),
      { workerData: data });
    this.worker.on('message', (message: Record<string, unknown>) => {
      this.messages.push(message);
      this.waiters.splice(0).forEach((wake) => wake());
    });
    this.worker.on('exit', (code) => {
      this.failure ??= new Error(`worker exited (code ${code}) before reporting`);
      this.waiters.splice(0).forEach((wake) => wake());
    });
    this.worker.on('error', (error) => {
      this.failure = error;
      this.waiters.splice(0).forEach((wake) => wake());
    });
  }

  /** The first message (in order) that has `key`, removing it and everything before it. */
  async next(key: string): Promise<Record<string, unknown>> {
    for (;;) {
      const index = this.messages.findIndex((message) => key in message);
      if (index >= 0) return this.messages.splice(0, index + 1)[index];
      if (this.failure !== undefined) throw this.failure;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  done(): Promise<Record<string, unknown>> {
    return this.next('done');
  }

  async terminate(): Promise<void> {
    await this.worker.terminate();
  }
}
