// The API token: asked for in a dialog when the host answers 401, kept in
// sessionStorage (this tab only) and sent as "Authorization: Bearer <token>".

const STORAGE_KEY = 'weft.apiToken';

let memoryToken = null; // used when sessionStorage is unavailable
let prompt = null; // the open token dialog, shared by every refused request

/** The token requests carry now. */
export function tokenInUse() {
  try {
    return sessionStorage.getItem(STORAGE_KEY) || memoryToken;
  } catch {
    return memoryToken;
  }
}

function storeToken(token) {
  memoryToken = token;
  try {
    sessionStorage.setItem(STORAGE_KEY, token);
  } catch {
    // Storage disabled: the token lasts until the page reloads.
  }
}

export function authorizationHeader() {
  const token = tokenInUse();
  return token ? { Authorization: `Bearer ${token}` } : {};
}

function showTokenDialog(refused) {
  const dialog = document.getElementById('auth-dialog');
  const form = dialog.querySelector('form');
  const input = form.elements.token;
  const message = dialog.querySelector('[data-slot="message"]');
  const problem = dialog.querySelector('[data-slot="error"]');
  message.textContent = refused
    ? 'The host refused this token. Enter the API token again.'
    : 'This host asks for its API token (WEFT_API_TOKEN). It is kept for this browser tab only.';
  problem.hidden = true;
  input.value = '';

  return new Promise((resolve) => {
    const onSubmit = (event) => {
      event.preventDefault();
      const token = input.value.trim();
      if (!token) {
        problem.textContent = 'Enter the token.';
        problem.hidden = false;
        input.focus();
        return;
      }
      storeToken(token);
      dialog.close();
    };
    // Without a token nothing loads, so Escape does not dismiss the dialog.
    const onCancel = (event) => event.preventDefault();
    const onClose = () => {
      form.removeEventListener('submit', onSubmit);
      dialog.removeEventListener('cancel', onCancel);
      dialog.removeEventListener('close', onClose);
      // Also when closed without a token (the browser may force it): the retried request asks again.
      resolve();
    };
    form.addEventListener('submit', onSubmit);
    dialog.addEventListener('cancel', onCancel);
    dialog.addEventListener('close', onClose);
    dialog.showModal();
    input.focus();
  });
}

/**
 * Resolves once a token other than `refusedToken` is in use. Requests refused at
 * the same time share one dialog.
 */
export function waitForToken(refusedToken, signal) {
  if (tokenInUse() !== refusedToken) return Promise.resolve();
  prompt ??= showTokenDialog(refusedToken !== null).finally(() => {
    prompt = null;
  });
  const shared = prompt;
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal?.aborted) {
      onAbort();
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    shared.then(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}
