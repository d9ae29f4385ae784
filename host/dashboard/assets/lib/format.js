// Formatting of times, durations and values for display. The API speaks RFC 3339
// UTC; the dashboard shows local time and keeps the UTC text in tooltips.

export const EMPTY = '—';

const pad = (n, width = 2) => String(n).padStart(width, '0');

export function parseTime(iso) {
  if (!iso) return null;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : ms;
}

/** "2026-12-07 22:44:02" (local), with ".080" when withMs. */
export function formatTime(iso, { withMs = false } = {}) {
  const ms = parseTime(iso);
  if (ms === null) return EMPTY;
  const d = new Date(ms);
  const date = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return withMs ? `${date} ${time}.${pad(d.getMilliseconds(), 3)}` : `${date} ${time}`;
}

/** "22:44:02.080" (local). */
export function formatClock(iso) {
  const ms = parseTime(iso);
  if (ms === null) return EMPTY;
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** 28 ms, 1.42 s, 2 min 03 s, 1 h 02 min, 3 d 4 h. */
export function formatDuration(ms) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return EMPTY;
  const sign = ms < 0 ? '-' : '';
  const abs = Math.abs(ms);
  if (abs < 1000) return `${sign}${Math.round(abs)} ms`;
  if (abs < 10_000) return `${sign}${(abs / 1000).toFixed(2)} s`;
  if (abs < 60_000) return `${sign}${(abs / 1000).toFixed(1)} s`;
  const seconds = Math.floor(abs / 1000);
  if (seconds < 3600) return `${sign}${Math.floor(seconds / 60)} min ${pad(seconds % 60)} s`;
  if (seconds < 86_400) return `${sign}${Math.floor(seconds / 3600)} h ${pad(Math.floor(seconds / 60) % 60)} min`;
  return `${sign}${Math.floor(seconds / 86_400)} d ${Math.floor(seconds / 3600) % 24} h`;
}

/** Milliseconds from start to end (or to now when end is missing and untilNow is set). */
export function durationBetween(startIso, endIso, { untilNow = false } = {}) {
  const start = parseTime(startIso);
  const end = endIso ? parseTime(endIso) : untilNow ? Date.now() : null;
  return start === null || end === null ? null : end - start;
}

/** Axis labels: "0", "+250 ms", "+1.5 s", "+2 min", "+1 h". */
export function formatOffset(ms) {
  if (ms === 0) return '0';
  if (ms < 1000) return `+${Math.round(ms)} ms`;
  if (ms < 60_000) return `+${Number((ms / 1000).toFixed(2))} s`;
  if (ms < 3_600_000) return `+${Number((ms / 60_000).toFixed(1))} min`;
  if (ms < 86_400_000) return `+${Number((ms / 3_600_000).toFixed(1))} h`;
  return `+${Number((ms / 86_400_000).toFixed(1))} d`;
}

export function formatCount(n) {
  return typeof n === 'number' ? n.toLocaleString('en-US') : EMPTY;
}

export function shortHash(hash) {
  return hash ? hash.slice(0, 12) : EMPTY;
}

export function prettyJson(value) {
  return JSON.stringify(value, null, 2) ?? 'null';
}

/** "query: relation … does not exist" from an API error object. */
export function errorText(error) {
  if (!error) return '';
  if (typeof error !== 'object') return String(error);
  const code = error.code ? `${error.code}: ` : '';
  return `${code}${error.message ?? JSON.stringify(error)}`;
}

/** The value of a datetime-local input for an RFC 3339 time ("" when unset). */
export function toLocalInput(iso) {
  const ms = parseTime(iso);
  if (ms === null) return '';
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** RFC 3339 UTC for the value of a datetime-local input (null when empty). */
export function fromLocalInput(value) {
  if (!value) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/** "UTC+01:00": the zone the local times on screen are in. */
export function localZoneLabel() {
  const offset = -new Date().getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  const abs = Math.abs(offset);
  return `UTC${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}
