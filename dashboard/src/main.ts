/**
 * The dashboard: a hash router over five pages. The token arrives once in the URL fragment
 * (`#token=…`, as `npm start` prints it) or through the sign-in form, and is kept in this
 * browser's local storage.
 */
import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { SignInRequiredError, session } from './api.js';
import { h, mount, notice } from './dom.js';
import { hostPage } from './pages/host.js';
import { incidentPage } from './pages/incident.js';
import { incidentsPage } from './pages/incidents.js';
import { overviewPage } from './pages/overview.js';
import { remediationsPage } from './pages/remediations.js';
import { signInPage } from './pages/signin.js';

/** A page renders into `main` and may return a cleanup (charts, timers). */
export type Page = (main: HTMLElement, params: string[]) => Promise<(() => void) | undefined>;

const ROUTES: [RegExp, Page, string][] = [
  [/^#?\/?$/, overviewPage, 'overview'],
  [/^#\/host\/(.+)$/, hostPage, 'overview'],
  [/^#\/incidents$/, incidentsPage, 'incidents'],
  [/^#\/incident\/(.+)$/, incidentPage, 'incidents'],
  [/^#\/remediations$/, remediationsPage, 'remediations'],
];

let cleanup: (() => void) | undefined;
let generation = 0;

async function render(): Promise<void> {
  const main = document.getElementById('main') as HTMLElement;
  const tokenInHash = /^#token=([^&]+)/.exec(location.hash)?.[1];
  if (tokenInHash) {
    session.setToken(decodeURIComponent(tokenInHash));
    // Out of the address bar and the history, so it is not shared by a copied link.
    history.replaceState(null, '', `${location.pathname}#/`);
  }
  cleanup?.();
  cleanup = undefined;
  const current = ++generation;
  (document.getElementById('signout') as HTMLElement).hidden = !session.token();
  const route = ROUTES.find(([pattern]) => pattern.test(location.hash));
  for (const link of document.querySelectorAll<HTMLAnchorElement>('[data-nav]')) {
    if (link.dataset.nav === route?.[2]) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  if (!route) {
    mount(main, h('h1', {}, 'Not found'), notice(`Nothing at ${location.hash}.`));
    return;
  }
  const [pattern, page] = route;
  const params = (pattern.exec(location.hash) ?? []).slice(1).map(decodeURIComponent);
  try {
    if (!session.token()) throw new SignInRequiredError('Sign in with the dashboard token.');
    const done = await page(main, params);
    if (current === generation) {
      cleanup = done;
      // After a navigation (not the first load), move focus to the new page's heading, so
      // keyboard and screen-reader users start at the top of what changed.
      if (current > 1) {
        const heading = main.querySelector('h1');
        heading?.setAttribute('tabindex', '-1');
        heading?.focus({ preventScroll: true });
      }
    } else done?.();
  } catch (error) {
    if (current !== generation) return;
    if (error instanceof SignInRequiredError) {
      const refused = session.token() !== null;
      session.clear();
      (document.getElementById('signout') as HTMLElement).hidden = true;
      signInPage(
        main,
        refused ? `The API refused the token: ${error.message}.` : error.message,
        refused,
        () => void render(),
      );
    } else {
      mount(main, h('h1', {}, 'Something went wrong'), notice((error as Error).message, 'error'));
    }
  }
}

document.getElementById('signout')?.addEventListener('click', () => {
  session.clear();
  void render();
});
window.addEventListener('hashchange', () => void render());
void render();
