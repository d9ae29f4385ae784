// Statuses the host reports, and the colour family ("tone") each is drawn in.
// Tones map to CSS classes tone-ok, tone-bad, ... in app.css.

export const EXECUTION_STATUSES = [
  'pending', 'running', 'waiting', 'compensating', 'completed', 'compensated', 'failed', 'cancelled', 'timed_out',
];

/** Steps of the workflow that have no record in the execution yet. */
export const NOT_STARTED = 'not_started';

const TERMINAL = new Set(['completed', 'compensated', 'failed', 'cancelled', 'timed_out']);

const TONES = {
  completed: 'ok',
  failed: 'bad',
  timed_out: 'bad',
  running: 'run',
  pending: 'wait',
  waiting: 'wait',
  retrying: 'wait',
  cancelled: 'off',
  skipped: 'off',
  compensating: 'comp',
  compensated: 'comp',
  HEALTHY: 'ok',
  DEGRADED: 'wait',
  UNHEALTHY: 'bad',
  CRITICAL: 'critical',
};

export function isTerminal(status) {
  return TERMINAL.has(status);
}

export function toneClass(status) {
  return `tone-${TONES[status] ?? 'none'}`;
}

export function statusLabel(status) {
  return status === NOT_STARTED ? 'not started' : String(status ?? '');
}
