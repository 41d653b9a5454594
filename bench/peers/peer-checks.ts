/** The checks a peer system makes before it runs a scenario. */
import net from 'node:net';
import { peerHost } from './peer-ports.js';

/** Whether something accepts TCP connections on 127.0.0.1:port within `timeoutMs`. */
export function isPortOpen(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: peerHost, port });
    const done = (open: boolean): void => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** The common checks before a peer runs: one partition and one consumer at most. */
export function peerScenarioLimits(
  scenario: { partitionCount: number; consumerCount: number },
): string | undefined {
  if (scenario.partitionCount !== 1) return 'peers run one stream or queue (partitions = 1)';
  if (scenario.consumerCount > 1) return 'peers run at most one consumer';
  return undefined;
}
