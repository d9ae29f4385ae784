// Server-Sent Events over fetch(). EventSource cannot send an Authorization
// header, so this client reads the body itself, parses the event stream,
// remembers the last id and reconnects with Last-Event-ID after a drop.

import { ApiError, isAbort, withQuery } from './api.js';
import { authorizationHeader, tokenInUse, waitForToken } from './auth.js';
import { sleep } from './timing.js';

const MAX_BACKOFF_MS = 30_000;

/**
 * Incremental parser of the text/event-stream format. Feed it decoded text in
 * any chunking; it calls onEvent({type, data, id}) for each complete event and
 * onRetry(ms) for "retry:" lines.
 */
export class SseParser {
  constructor({ onEvent, onRetry = () => {} }) {
    this.onEvent = onEvent;
    this.onRetry = onRetry;
    this.pending = '';
    this.lastEventId = null;
    this.type = '';
    this.data = [];
  }

  push(text) {
    const buffer = this.pending + text;
    const lineEnd = /\r\n|\r|\n/g;
    let lineStart = 0;
    let match;
    while ((match = lineEnd.exec(buffer)) !== null) {
      // A lone "\r" at the very end may be the first half of "\r\n".
      if (match[0] === '\r' && match.index === buffer.length - 1) break;
      this.line(buffer.slice(lineStart, match.index));
      lineStart = lineEnd.lastIndex;
    }
    this.pending = buffer.slice(lineStart);
  }

  line(line) {
    if (line === '') {
      this.dispatch();
      return;
    }
    if (line.startsWith(':')) return; // comment, e.g. ": keep-alive"
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.type = value;
    else if (field === 'data') this.data.push(value);
    else if (field === 'id' && !value.includes('\0')) this.lastEventId = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.onRetry(Number(value));
  }

  dispatch() {
    const type = this.type || 'message';
    const hadContent = this.type !== '' || this.data.length > 0;
    const data = this.data.join('\n');
    this.type = '';
    this.data = [];
    // Events without data are still delivered: "event: dropped" may carry none.
    if (hadContent) this.onEvent({ type, data, id: this.lastEventId });
  }
}

/** Ends one connection: the host said it dropped us, so read no further. */
class Dropped extends Error {}

/**
 * Follows /v1/stream with the given filters until `signal` aborts.
 *   onEvent({type: 'execution'|'step', data: {...}, id}) for each change;
 *   onEvent({type: 'gap'}) when changes were missed and the page should reload;
 *   onState('connecting'|'live'|'reconnecting', detail) for a status indicator.
 */
export function followStream(filters, { signal, onEvent, onState = () => {} }) {
  let lastEventId = null;
  let retryMs = 2000;
  let failures = 0;

  const deliver = (event) => {
    if (event.type === 'dropped') throw new Dropped();
    if (event.type === 'gap') {
      onEvent({ type: 'gap', id: event.id });
      return;
    }
    if (event.type !== 'execution' && event.type !== 'step') return;
    let data;
    try {
      data = JSON.parse(event.data);
    } catch {
      return; // not a change this client understands
    }
    onEvent({ type: event.type, data, id: event.id });
  };

  const connectOnce = async () => {
    const sentToken = tokenInUse();
    const headers = { Accept: 'text/event-stream', ...authorizationHeader() };
    if (lastEventId !== null) headers['Last-Event-ID'] = lastEventId;
    const connection = new AbortController();
    const stop = () => connection.abort();
    signal.addEventListener('abort', stop, { once: true });
    try {
      const response = await fetch(withQuery('/v1/stream', filters), {
        headers,
        signal: connection.signal,
        cache: 'no-store',
      });
      if (response.status === 401) {
        response.body?.cancel().catch(() => {});
        await waitForToken(sentToken, signal);
        return 'token';
      }
      if (!response.ok || !response.body) {
        const text = await response.text();
        let message = `${response.status} ${response.statusText}`.trim();
        try {
          message = JSON.parse(text).error.message ?? message;
        } catch {
          // not a JSON error body; keep the status line
        }
        throw new ApiError(response.status, 'stream', message);
      }
      failures = 0;
      onState('live');
      const parser = new SseParser({
        onEvent: (event) => {
          if (event.id !== null) lastEventId = event.id;
          deliver(event);
        },
        onRetry: (ms) => {
          retryMs = ms;
        },
      });
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return 'ended';
          parser.push(value);
        }
      } catch (error) {
        if (error instanceof Dropped) return 'dropped';
        throw error;
      } finally {
        connection.abort();
      }
    } finally {
      signal.removeEventListener('abort', stop);
    }
  };

  const run = async () => {
    onState('connecting');
    while (!signal.aborted) {
      let waitMs = retryMs;
      let problem;
      try {
        // With a new token, reconnect at once; after an end or a drop, wait the host's retry time.
        if ((await connectOnce()) === 'token') waitMs = 0;
      } catch (error) {
        if (signal.aborted || isAbort(error)) return;
        failures += 1;
        waitMs = Math.min(retryMs * 2 ** (failures - 1), MAX_BACKOFF_MS);
        problem = error.message;
      }
      if (signal.aborted) return;
      onState('reconnecting', problem);
      if (!(await sleep(waitMs, signal))) return;
    }
  };

  run().catch((error) => onState('reconnecting', error.message));
}
