// The part of the `ws` package this server uses (ws ships no types of its own).
import { createRequire } from 'node:module';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

export interface Socket {
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): this;
  on(event: 'close', listener: (code: number) => void): this;
  on(event: 'error', listener: (e: Error) => void): this;
}

export interface SocketServer {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, done: (ws: Socket) => void): void;
  close(): void;
}

export const OPEN = 1;

interface WsModule {
  WebSocketServer: new (options: {
    noServer: true;
    maxPayload: number;
    handleProtocols?: (protocols: Set<string>) => string | false;
  }) => SocketServer;
}

export const ws = createRequire(import.meta.url)('ws') as WsModule;
