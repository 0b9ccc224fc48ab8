/**
 * The WebSocket client of a run's event stream (`runs/{id}/events?after=ID`, see
 * docs/server.md): delivers each message as it comes, reconnects with back-off after a lost
 * connection resuming with `after=` the last id received, and stops on `end`. A message's id
 * is an opaque cursor (the server's position in the run store and the logs), valid for any
 * server of the workspace, restarted or not: a resume gets every message once, in order.
 */
import type { RunEvent } from './types';
import { apiWsUrl } from './request';

/** What a RunEventStream reports. */
export interface RunEventStreamOptions {
  /** Resume after this message id ('0': from the first message). */
  after?: string;
  /** Each new message, in order. */
  onEvent: (event: RunEvent) => void;
  /** The `end` message came (after its onEvent): the stream is over. */
  onEnd?: (event: Extract<RunEvent, { type: 'end' }>) => void;
  /** Connection state changes: `error` carries a message while reconnecting, null once open. */
  onConnection?: (connected: boolean, error: string | null) => void;
  /** Builds the socket URL (tests); defaults to apiWsUrl. */
  url?: (path: string, query: Record<string, string | number>) => string;
  /** Builds the socket (tests); defaults to `new WebSocket(url)`. */
  socket?: (url: string) => WebSocket;
  /** First and longest reconnect delays in ms (doubling in between). */
  minDelay?: number;
  maxDelay?: number;
}

/** A live subscription to one run's events; `close()` ends it for good. */
export class RunEventStream {
  /** Open the stream of run `runId` at once. */
  constructor(
    readonly runId: string,
    private readonly options: RunEventStreamOptions
  ) {
    this._lastId = options.after ?? '0';
    this._connect();
  }

  /** The id of the last message delivered (resume point). */
  get lastId(): string {
    return this._lastId;
  }

  /** True once the stream ended (`end` came) or was closed. */
  get isClosed(): boolean {
    return this._closed;
  }

  /** Stop for good: close the socket and cancel any pending reconnect. */
  close(): void {
    this._closed = true;
    if (this._timer !== null) {
      clearTimeout(this._timer);
      this._timer = null;
    }
    const socket = this._socket;
    this._socket = null;
    if (socket) {
      socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
      try {
        socket.close();
      } catch {
        /* already closed */
      }
    }
  }

  private _connect(): void {
    if (this._closed) {
      return;
    }
    const makeUrl = this.options.url ?? ((path, query) => apiWsUrl(path, query));
    const url = makeUrl(`runs/${encodeURIComponent(this.runId)}/events`, { after: this._lastId });
    let socket: WebSocket;
    try {
      socket = this.options.socket ? this.options.socket(url) : new WebSocket(url);
    } catch (error) {
      this._scheduleReconnect(String(error));
      return;
    }
    this._socket = socket;
    socket.onopen = () => {
      this._attempt = 0;
      this.options.onConnection?.(true, null);
    };
    socket.onmessage = (msg: MessageEvent) => this._onMessage(msg.data);
    socket.onerror = () => {
      /* onclose follows and reconnects */
    };
    socket.onclose = (event: CloseEvent) => {
      if (this._socket !== socket) {
        return;
      }
      this._socket = null;
      if (!this._closed) {
        // The server closes an ended run's socket at once when nothing is left to send;
        // reconnecting then is cheap and ends with another immediate close, so back off.
        this._scheduleReconnect(`connection closed (${event.code}${event.reason ? ` ${event.reason}` : ''})`);
      }
    };
  }

  private _onMessage(data: unknown): void {
    if (this._closed || typeof data !== 'string') {
      return;
    }
    let event: RunEvent;
    try {
      event = JSON.parse(data) as RunEvent;
    } catch {
      return;
    }
    if (typeof event.id !== 'string' || event.id === this._lastId) {
      return; // not a message of this stream, or the one a resume started after
    }
    this._lastId = event.id;
    this.options.onEvent(event);
    if (event.type === 'end') {
      this.close();
      this.options.onEnd?.(event);
    }
  }

  private _scheduleReconnect(reason: string): void {
    if (this._closed || this._timer !== null) {
      return;
    }
    const min = this.options.minDelay ?? 250;
    const max = this.options.maxDelay ?? 10000;
    const delay = Math.min(max, min * 2 ** this._attempt);
    this._attempt += 1;
    this.options.onConnection?.(false, reason);
    this._timer = setTimeout(() => {
      this._timer = null;
      this._connect();
    }, delay);
  }

  private _lastId: string;
  private _closed = false;
  private _attempt = 0;
  private _socket: WebSocket | null = null;
  private _timer: ReturnType<typeof setTimeout> | null = null;
}
