// Reading Prometheus text format: just enough to sum one metric family.

/** Index just past the closing "}" of a label set starting at `open`, respecting quoted values. */
function labelsEnd(line, open) {
  let quoted = false;
  for (let i = open + 1; i < line.length; i++) {
    const c = line[i];
    if (quoted && c === '\\') i++;
    else if (c === '"') quoted = !quoted;
    else if (c === '}' && !quoted) return i + 1;
  }
  return -1;
}

/** Sum of every sample of `name` (all label sets), or null when the family is absent. */
export function sumMetric(text, name) {
  let total = null;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    let rest = line.slice(name.length);
    if (rest.startsWith('{')) {
      const end = labelsEnd(rest, 0);
      if (end === -1) continue;
      rest = rest.slice(end);
    } else if (!rest.startsWith(' ') && !rest.startsWith('\t')) {
      continue; // another family whose name starts the same way
    }
    const value = Number(rest.trim().split(/\s+/)[0]);
    if (Number.isFinite(value)) total = (total ?? 0) + value;
  }
  return total;
}
