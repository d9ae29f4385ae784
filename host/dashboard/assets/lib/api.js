// fetch() wrapper for the host's API: adds the token, waits for one on 401,
// and turns error answers ({"error": {"code", "message"}}) into ApiError.

import { authorizationHeader, tokenInUse, waitForToken } from './auth.js';

export class ApiError extends Error {
  constructor(status, code, message, body = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

export function isAbort(error) {
  return error?.name === 'AbortError';
}

/** "/v1/executions" + {workflow: "x", status: ""} -> "/v1/executions?workflow=x" (empty values dropped). */
export function withQuery(path, query = {}) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== null && value !== undefined && value !== '') params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

/** Path segment for an id taken from the API or the URL. */
export const segment = (id) => encodeURIComponent(id);

async function readBody(response) {
  const text = await response.text();
  const type = response.headers.get('Content-Type') ?? '';
  if (!type.includes('json')) return text;
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return text;
  }
}

function errorFrom(response, body) {
  const detail = body && typeof body === 'object' ? body.error : null;
  const code = detail?.code ?? `http_${response.status}`;
  const message = detail?.message ?? `${response.status} ${response.statusText || 'error'}`.trim();
  return new ApiError(response.status, code, message, body);
}

/**
 * One API call. Resolves with the parsed body; rejects with ApiError (also for
 * network failures, status 0) or an AbortError when `signal` aborts.
 */
async function request(method, path, { query, body, signal, accept = 'application/json' } = {}) {
  const url = withQuery(path, query);
  for (;;) {
    const sentToken = tokenInUse();
    const headers = { Accept: accept, ...authorizationHeader() };
    const init = { method, headers, signal, cache: 'no-store' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(url, init);
    } catch (error) {
      if (isAbort(error)) throw error;
      throw new ApiError(0, 'network', `The host did not answer (${error.message}).`);
    }
    if (response.status === 401) {
      response.body?.cancel().catch(() => {}); // the 401 body says nothing more
      await waitForToken(sentToken, signal);
      continue;
    }
    const parsed = await readBody(response);
    if (!response.ok) throw errorFrom(response, parsed);
    return parsed;
  }
}

export const api = {
  get: (path, options) => request('GET', path, options),
  post: (path, body = {}, options = {}) => request('POST', path, { ...options, body }),
  text: (path, options) => request('GET', path, { ...options, accept: 'text/plain' }),
};
