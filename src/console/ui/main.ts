/**
 * The console's pages, rendered with preact + htm (a 4 kB UI library with hooks, and tagged
 * templates instead of a JSX compile step): `/` the fleet, `/workflows` the list, and
 * `/workflows/<namespace>/<name>` one workflow. Each page follows a server-sent event stream, so
 * what it shows changes as the cluster does, without a reload.
 */
import { html, render } from 'htm/preact';
import { adoptTokenFromFragment } from './api.js';
import { FleetPage } from './fleet.js';
import { WorkflowsPage } from './workflows.js';
import { WorkflowPage } from './workflow.js';

function page() {
  const parts = location.pathname
    .split('/')
    .filter((p) => p !== '')
    .map(decodeURIComponent);
  if (parts[0] === 'workflows' && parts.length === 3)
    return html`<${WorkflowPage} namespace=${parts[1]} name=${parts[2]} />`;
  if (parts[0] === 'workflows') return html`<${WorkflowsPage} />`;
  return html`<${FleetPage} />`;
}

function App() {
  const here = location.pathname;
  const link = (href: string, text: string, active: boolean) =>
    html`<a href=${href} class=${active ? 'active' : ''}>${text}</a>`;
  return html`<header class="top">
      <span class="brand">flotilla console</span>
      <nav>${link('/', 'Fleet', here === '/')} ${link('/workflows', 'Workflows', here.startsWith('/workflows'))}</nav>
    </header>
    <main>${page()}</main>`;
}

adoptTokenFromFragment();
const root = document.getElementById('app');
if (root) render(html`<${App} />`, root);
