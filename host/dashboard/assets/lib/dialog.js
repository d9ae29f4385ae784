// In-page confirmation (the <dialog id="confirm-dialog"> of index.html) instead
// of window.confirm, so it looks like the rest of the page and tests can click it.

/** Resolves true when the user confirms, false when they dismiss it. */
export function confirmAction({ title, message, confirmLabel = 'Confirm', dismissLabel = 'Cancel' }) {
  const dialog = document.getElementById('confirm-dialog');
  if (dialog.open) return Promise.resolve(false); // one question at a time
  dialog.querySelector('[data-slot="title"]').textContent = title;
  dialog.querySelector('[data-slot="message"]').textContent = message;
  dialog.querySelector('[data-action="confirm"]').textContent = confirmLabel;
  dialog.querySelector('[data-action="dismiss"]').textContent = dismissLabel;
  dialog.returnValue = '';

  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'confirm'), { once: true });
    dialog.showModal();
    dialog.querySelector('[data-action="dismiss"]').focus();
  });
}
