import { session } from '../api.js';
import { h, mount, notice } from '../dom.js';

/** The sign-in form: the dashboard token (and a name for the audit trail). */
export function signInPage(
  main: HTMLElement,
  reason: string,
  refused: boolean,
  done: () => void,
): void {
  const token = h('input', {
    id: 'token',
    name: 'token',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
  });
  const user = h('input', {
    id: 'user',
    name: 'user',
    type: 'text',
    autocomplete: 'username',
    value: session.user() === 'dashboard' ? '' : session.user(),
    maxlength: 64,
  });
  const form = h(
    'form',
    {
      class: 'card signin',
      onsubmit: (event: Event) => {
        event.preventDefault();
        session.setToken(token.value.trim());
        if (user.value.trim()) session.setUser(user.value.trim());
        done();
      },
    },
    h('h1', {}, 'Sign in to Vigil'),
    notice(reason, refused ? 'error' : 'info'),
    h('label', { for: 'token' }, 'Dashboard token'),
    token,
    h(
      'p',
      { class: 'hint' },
      'Locally, npm start prints a dashboard link with the token. On AWS, read the DashboardSecretArn secret of the stack.',
    ),
    h('label', { for: 'user' }, 'Your name (shown in incident audit trails)'),
    user,
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'),
  );
  mount(main, form);
  token.focus();
}
