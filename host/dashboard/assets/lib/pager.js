// Keyset pagination: "Older →" follows the answer's next_cursor; "← Newer"
// goes back through a stack of the cursors already used.

import { el, setText } from './dom.js';

export function createPager(onMove) {
  const newer = el('button', { type: 'button', class: 'button', 'data-action': 'newer', disabled: true }, '← Newer');
  const older = el('button', { type: 'button', class: 'button', 'data-action': 'older', disabled: true }, 'Older →');
  const position = el('span', { class: 'pager-position muted' }, 'Page 1');
  const element = el('nav', { class: 'pager', 'aria-label': 'Pages' }, newer, position, older);

  const previous = []; // cursors of the pages before the current one
  let current = null;
  let next = null;

  const render = () => {
    newer.disabled = previous.length === 0;
    older.disabled = next === null;
    setText(position, `Page ${previous.length + 1}`);
  };

  newer.addEventListener('click', () => {
    current = previous.pop() ?? null;
    next = null;
    render();
    onMove();
  });
  older.addEventListener('click', () => {
    if (next === null) return;
    previous.push(current);
    current = next;
    next = null;
    render();
    onMove();
  });

  return {
    element,
    cursor: () => current,
    isFirstPage: () => previous.length === 0 && current === null,
    /** Called with each answer's next_cursor. */
    setNext(cursor) {
      next = cursor ?? null;
      render();
    },
    reset() {
      previous.length = 0;
      current = null;
      next = null;
      render();
    },
  };
}
