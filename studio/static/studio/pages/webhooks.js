// Webhook endpoints: add one (its secret shown once), switch it on and off, send a test
// ping, read its delivery attempts and retry a delivery.

import { api, query } from '../api.js';
import { $, announce, clearErrors, el, formData, showAlert, showErrors, when } from '../ui.js';

const form = $('#endpoint-form');
const list = $('#endpoints');

function showSecret(secret) {
  const box = $('#secret-box');
  $('#secret-value').value = secret;
  $('#secret-copied').textContent = '';
  box.hidden = false;
  box.focus();
}

$('#secret-copy').addEventListener('click', async () => {
  const input = $('#secret-value');
  try {
    await navigator.clipboard.writeText(input.value);
    $('#secret-copied').textContent = 'Copied to the clipboard.';
  } catch {
    input.select();
    $('#secret-copied').textContent = 'Selected: press Ctrl+C (⌘C) to copy.';
  }
});

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  clearErrors(form);
  const data = formData(form);
  const body = { url: data.url || '', description: data.description || '', events: [].concat(data.events || []) };
  const answer = await api('webhooks/endpoints', { method: 'POST', body });
  if (!answer.ok) {
    showErrors(form, answer);
    return;
  }
  form.reset();
  showSecret(answer.data.secret);
  announce('Endpoint added. Copy its signing secret now.');
  await loadEndpoints();
});

async function loadAttempts(endpoint, box, page = 1) {
  const answer = await api(`webhooks/endpoints/${endpoint.id}/deliveries` + query({ page, pageSize: 10 }));
  if (!answer.ok) {
    box.replaceChildren(el('p', { class: 'alert', text: answer.error }));
    return;
  }
  const { deliveries, totalPages } = answer.data;
  if (!deliveries.length) {
    box.replaceChildren(el('p', { class: 'muted', text: 'No delivery attempts yet.' }));
    return;
  }
  const rows = deliveries.map((attempt) => {
    const cell = el('td');
    if (attempt.deliveryStatus !== 'delivered') {
      const retry = el('button', { class: 'button', type: 'button', text: 'Retry', 'aria-label': `Retry ${attempt.eventType} delivery` });
      retry.addEventListener('click', async () => {
        retry.disabled = true;
        const sent = await api(`webhooks/deliveries/${attempt.deliveryId}/retry`, { method: 'POST' });
        announce(sent.ok ? 'Retry queued.' : sent.error);
        await loadAttempts(endpoint, box, page);
      });
      cell.append(retry);
    }
    return el('tr', {},
      el('td', { text: when(attempt.createdAt) }),
      el('td', {}, el('code', { text: attempt.eventType })),
      el('td', { class: 'num', text: String(attempt.attempt) }),
      el('td', { text: attempt.statusCode ? String(attempt.statusCode) : (attempt.error || '–') }),
      el('td', { text: attempt.deliveryStatus }),
      cell);
  });
  const table = el('table', {},
    el('caption', { class: 'visually-hidden', text: `Delivery attempts to ${endpoint.url}` }),
    el('thead', {}, el('tr', {}, ...['When', 'Event', 'Attempt', 'Answer', 'Delivery', 'Action'].map((h) => el('th', { scope: 'col', text: h })))),
    el('tbody', {}, rows));
  const more = [];
  if (page < totalPages) {
    const next = el('button', { class: 'button', type: 'button', text: 'Older attempts' });
    next.addEventListener('click', () => loadAttempts(endpoint, box, page + 1));
    more.push(next);
  }
  if (page > 1) {
    const newer = el('button', { class: 'button', type: 'button', text: 'Newer attempts' });
    newer.addEventListener('click', () => loadAttempts(endpoint, box, page - 1));
    more.push(newer);
  }
  box.replaceChildren(el('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': `Delivery attempts to ${endpoint.url}` }, table), el('p', { class: 'actions' }, ...more));
}

function endpointCard(endpoint) {
  const attempts = el('div', { 'aria-live': 'polite' });
  const problem = el('p', { class: 'alert', role: 'alert', hidden: true });
  const ping = el('button', { class: 'button', type: 'button', text: 'Send test ping' });
  ping.addEventListener('click', async () => {
    const answer = await api(`webhooks/endpoints/${endpoint.id}/test`, { method: 'POST' });
    if (answer.ok) {
      announce('Test ping queued.');
      setTimeout(() => loadAttempts(endpoint, attempts), 1500);
    } else showAlert(problem, answer.error);
  });
  const toggle = el('button', { class: 'button', type: 'button', text: endpoint.enabled ? 'Disable' : 'Enable' });
  toggle.addEventListener('click', async () => {
    const answer = await api(`webhooks/endpoints/${endpoint.id}`, { method: 'PATCH', body: { enabled: !endpoint.enabled } });
    if (answer.ok) await loadEndpoints(); else showAlert(problem, answer.error);
  });
  const rotate = el('button', { class: 'button', type: 'button', text: 'New secret' });
  rotate.addEventListener('click', async () => {
    if (!confirm('Replace the signing secret? The old one stops working at once.')) return;
    const answer = await api(`webhooks/endpoints/${endpoint.id}/rotate-secret`, { method: 'POST' });
    if (answer.ok) showSecret(answer.data.secret); else showAlert(problem, answer.error);
  });
  const remove = el('button', { class: 'button danger', type: 'button', text: 'Delete' });
  remove.addEventListener('click', async () => {
    if (!confirm(`Delete the endpoint ${endpoint.url}?`)) return;
    const answer = await api(`webhooks/endpoints/${endpoint.id}`, { method: 'DELETE' });
    if (answer.ok) { announce('Endpoint deleted.'); await loadEndpoints(); } else showAlert(problem, answer.error);
  });
  const refresh = el('button', { class: 'button', type: 'button', text: 'Refresh attempts' });
  refresh.addEventListener('click', () => loadAttempts(endpoint, attempts));
  const card = el('article', { class: 'card endpoint', 'data-endpoint': endpoint.id },
    el('header', {},
      el('h3', { class: 'url', text: endpoint.url }),
      el('span', { class: `badge ${endpoint.enabled ? 'COMPLETED' : 'FAILED'}`, text: endpoint.enabled ? 'Enabled' : 'Disabled' })),
    endpoint.description ? el('p', { text: endpoint.description }) : '',
    el('p', { class: 'muted', text: `Events: ${endpoint.events.length ? endpoint.events.join(', ') : 'all'}` }),
    endpoint.disabledReason ? el('p', { class: 'notice', text: endpoint.disabledReason }) : '',
    el('p', { class: 'actions' }, ping, refresh, toggle, rotate, remove),
    problem,
    el('h4', { text: 'Delivery attempts' }),
    attempts);
  loadAttempts(endpoint, attempts);
  return card;
}

async function loadEndpoints() {
  const answer = await api('webhooks/endpoints');
  if (!answer.ok) {
    showAlert($('[data-page-error]'), answer.error);
    return;
  }
  const { endpoints } = answer.data;
  list.replaceChildren(...(endpoints.length
    ? endpoints.map(endpointCard)
    : [el('p', { class: 'muted', text: 'No endpoints yet.' })]));
}

await loadEndpoints();
