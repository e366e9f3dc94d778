// The client token form: stored in localStorage and sent as
// `Authorization: Bearer` with every API call (docs/daemon.md,
// Authentication). Checked against the daemon before it is kept.
import { api, ApiError, getToken, setToken } from '../api';
import { clear, errorBox, h } from '../dom';
import type { PageCtx } from '../page';

export function tokenPage(ctx: PageCtx): void {
  const input = h('input', {
    type: 'password', id: 'token-input', placeholder: 'client token', autocomplete: 'off',
    spellcheck: false, value: getToken(), 'aria-label': 'client token',
  });
  const status = h('div', { class: 'form-status' });
  const back = () => {
    const next = sessionStorage.getItem('mcutune.after-token') || '#/jobs';
    sessionStorage.removeItem('mcutune.after-token');
    ctx.navigate(next === '#/token' ? '#/jobs' : next);
  };
  const save = async (e: Event) => {
    e.preventDefault();
    const previous = getToken();
    setToken(input.value.trim());
    clear(status, 'Checking…');
    try {
      await api.boards();
      clear(status, h('span', { class: 'ok-text' }, 'Token accepted.'));
      back();
    } catch (err) {
      setToken(previous);
      clear(status, errorBox(err, err instanceof ApiError && err.unauthenticated
        ? 'The daemon refused this token' : 'Could not check the token'));
    }
  };
  ctx.root.append(
    h('h1', null, 'Client token'),
    h('div', { class: 'panel narrow' },
      h('p', null, 'The daemon accepts API calls with its ', h('strong', null, 'client token'),
        '. It is in ', h('code', null, '<data_dir>/client.token'), ' (', h('code', null,
          'out/mcutuned/client.token'), ' with the shipped config) or in ',
        h('code', null, '$MCUTUNED_CLIENT_TOKEN'), ' of the daemon.'),
      h('form', { class: 'token-form', onsubmit: save },
        input,
        h('button', { type: 'submit', class: 'primary', id: 'token-save' }, 'Use token'),
        h('button', { type: 'button', onclick: () => { setToken(''); input.value = ''; clear(status, 'Token removed from this browser.'); } }, 'Forget')),
      status,
      h('p', { class: 'muted small' }, 'The token stays in this browser (localStorage) and is sent only to this daemon.')));
  input.focus();
}
