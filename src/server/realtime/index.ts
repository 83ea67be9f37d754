// GET /v1/realtime (OpenAI's Realtime API, transcription sessions) on the server's own port: the
// HTTP upgrade is checked as the HTTP routes are (Host and Origin without a key, origin.ts; the
// key as `Authorization: Bearer` or, from browsers, the `openai-insecure-api-key.<key>`
// subprotocol), sessions are bounded (maxSessions; more get a 429), and each is a RealtimeSession.
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Duplex } from 'node:stream';
import { checkBearer } from '../auth.js';
import { checkHostAndOrigin } from '../origin.js';
import { ApiError, toApiError } from '../openai-errors.js';
import { RealtimeSession, type SessionDeps } from './session.js';
import { ws, type Socket } from './socket.js';

export const REALTIME_PATH = '/v1/realtime';
const KEY_PROTOCOL = 'openai-insecure-api-key.';

export interface RealtimeLimits {
  /** Sessions open at once; more get a 429 (--max-sessions). */
  maxSessions: number;
  /** A session that sends nothing for this long is closed. */
  idleMs: number;
  /** Audio a session may hold not yet transcribed, in seconds. */
  maxPendingSeconds: number;
}

export const DEFAULT_REALTIME_LIMITS: RealtimeLimits = { maxSessions: 8, idleMs: 60_000, maxPendingSeconds: 120 };

export interface RealtimeOptions extends Omit<SessionDeps, 'idleMs' | 'maxPendingSeconds' | 'defaultModel'> {
  apiKey?: string;
  allowedHosts: readonly string[];
  limits: RealtimeLimits;
}

/** The key a request carries: its Bearer header, else a browser's key subprotocol. */
function keyOf(req: IncomingMessage): string | undefined {
  if (req.headers.authorization) return req.headers.authorization;
  const offered = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
  const key = offered.find((p) => p.startsWith(KEY_PROTOCOL));
  return key ? `Bearer ${key.slice(KEY_PROTOCOL.length)}` : undefined;
}

function refuse(socket: Duplex, e: ApiError): void {
  const body = JSON.stringify(e.body());
  const reason = { 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 429: 'Too Many Requests' }[e.status] ?? 'Bad Request';
  socket.end(`HTTP/1.1 ${e.status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

/** Answers WebSocket upgrades on `server`; returns a close that ends every session. */
export function attachRealtime(server: HttpServer, options: RealtimeOptions): { sessions: () => number; close: () => void } {
  const wss = ws.WebSocketServer && new ws.WebSocketServer({
    noServer: true,
    maxPayload: 16 * 1024 * 1024,
    // A browser offers `realtime` with its key; the answer names `realtime` (never the key).
    handleProtocols: (protocols) => (protocols.has('realtime') ? 'realtime' : false),
  });
  const open = new Set<RealtimeSession>();
  const sockets = new Set<Socket>();
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname !== REALTIME_PATH) throw new ApiError(404, `no WebSocket route ${url.pathname}`, 'invalid_request_error', null, 'unknown_url');
      if (!options.apiKey) checkHostAndOrigin(req.headers, options.allowedHosts);
      checkBearer(keyOf(req), options.apiKey);
      const intent = url.searchParams.get('intent');
      if (intent !== null && intent !== 'transcription') throw new ApiError(400, `this server offers transcription sessions only (intent=transcription), not intent=${intent}`, 'invalid_request_error', 'intent', 'unsupported_intent');
      if (open.size >= options.limits.maxSessions) {
        throw new ApiError(429, `the server is busy: ${open.size} realtime sessions are open (at most ${options.limits.maxSessions}, --max-sessions)`, 'rate_limit_error', null, 'rate_limit_exceeded');
      }
      const urlModel = url.searchParams.get('model');
      let defaultModel: string | undefined;
      if (urlModel) {
        try {
          options.checkModel(urlModel);
          defaultModel = urlModel;
        } catch {
          // An OpenAI realtime model's name in the URL (the SDK needs one): the session's model is set by session.update.
        }
      }
      const placeholder = {} as RealtimeSession;
      open.add(placeholder);
      wss.handleUpgrade(req, socket, head, (sock) => {
        open.delete(placeholder);
        sockets.add(sock);
        const session = new RealtimeSession(sock, { ...options, idleMs: options.limits.idleMs, maxPendingSeconds: options.limits.maxPendingSeconds, defaultModel });
        open.add(session);
        session.onClose = () => {
          open.delete(session);
          sockets.delete(sock);
        };
      });
    } catch (e) {
      refuse(socket, e instanceof ApiError ? e : toApiError(e));
    }
  });
  return {
    sessions: () => open.size,
    close() {
      for (const s of sockets) s.terminate();
      for (const s of open) s.dispose?.();
      open.clear();
      wss.close();
    },
  };
}
