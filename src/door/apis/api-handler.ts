/**
 * One handler per Kafka API key (one file each, named by key: 00-produce.ts, 01-fetch.ts, …).
 * A handler gets the decoded request body and its version, and returns the response body, or
 * null when the API sends none (Produce with acks 0). Per-topic and per-partition failures are
 * error codes in the response; a thrown error closes the connection.
 */
import type { DoorContext } from '../door-context.js';

/** Who sent a request: the header's client id and the peer's address (groups show them). */
export interface RequestClient {
  clientId: string;
  host: string;
}

export interface ApiHandler {
  readonly apiKey: number;
  /** The versions advertised in ApiVersions and accepted. */
  readonly versions: readonly [number, number];
  handle(context: DoorContext, request: never, version: number,
    client: RequestClient): Promise<object | null>;
}

/** Declares a handler with its request and response types checked. */
export function apiHandler<Request, Response extends object>(handler: {
  apiKey: number;
  versions: readonly [number, number];
  handle(context: DoorContext, request: Request, version: number,
    client: RequestClient): Promise<Response | null>;
}): ApiHandler {
  return handler as unknown as ApiHandler;
}
