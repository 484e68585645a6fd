// Balance, products (Buy → the provider's checkout), subscription (→ its portal),
// the ledger with a type filter, and orders.

import { api, query } from '../api.js';
import { session, showBalance } from '../chrome.js';
import { $, el, hrefWith, money, pageParam, renderPages, showAlert, when } from '../ui.js';

const TYPE_LABELS = {
  NEW_USER: 'New-user gift', ORDER_PAY: 'Purchase', SUBSCRIPTION: 'Subscription',
  VIDEO_CONSUME: 'Video', EXPIRED: 'Expired', SYSTEM_ADJUST: 'Adjustment',
};
const type = new URLSearchParams(location.search).get('type') || '';
$('#history-type').value = type;

document.addEventListener('kensa:balance', ({ detail }) => {
  for (const key of ['available', 'frozen', 'used', 'total']) $(`#balance-${key}`).textContent = String(detail[key]);
});

async function buy(product, button) {
  button.disabled = true;
  showAlert($('#buy-error'), '');
  const answer = await api('credit/checkout', { method: 'POST', body: { productId: product.id } });
  if (answer.ok) {
    location.assign(answer.data.checkoutUrl);
    return;
  }
  button.disabled = false;
  showAlert($('#buy-error'), answer.error);
  $('#buy-error').tabIndex = -1;
  $('#buy-error').focus();
}

async function loadProducts() {
  const answer = await api('credit/products');
  const box = $('#products');
  if (!answer.ok) {
    box.replaceChildren(el('p', { class: 'alert', text: answer.error }));
    return;
  }
  box.replaceChildren(...answer.data.products.map((product) => {
    const price = money(product.price, product.currency) + (product.interval ? ` a ${product.interval}` : '');
    const titleId = `product-${product.id}`;
    const button = el('button', {
      class: 'button primary', type: 'button', 'data-product': product.id,
      'aria-describedby': titleId, text: product.kind === 'subscription' ? 'Subscribe' : 'Buy',
    });
    button.addEventListener('click', () => buy(product, button));
    return el('article', { class: 'card product' },
      el('h3', { id: titleId, text: product.name }),
      el('p', { class: 'figure', text: `${product.credits} credits${product.interval ? ` a ${product.interval}` : ''}` }),
      el('p', {}, price,
        product.validityDays ? ` · valid ${product.validityDays} days` : '',
        product.subscribersOnly ? ' · for subscribers' : ''),
      button);
  }));
}

async function loadSubscription() {
  const answer = await api('credit/subscription');
  const box = $('#subscription');
  if (!answer.ok) {
    box.replaceChildren(el('p', { class: 'alert', text: answer.error }));
    return;
  }
  const sub = answer.data;
  if (!sub) {
    box.replaceChildren(el('p', { text: 'You have no subscription. A plan adds credits every period and unlocks the larger packs.' }));
    return;
  }
  const manage = el('button', { class: 'button', type: 'button', id: 'portal', text: 'Manage subscription' });
  const problem = el('p', { class: 'alert', role: 'alert', hidden: true });
  manage.addEventListener('click', async () => {
    manage.disabled = true;
    const portal = await api('credit/portal', { method: 'POST' });
    if (portal.ok) location.assign(portal.data.url);
    else { manage.disabled = false; showAlert(problem, portal.error); }
  });
  box.replaceChildren(
    el('p', {}, el('strong', { text: sub.productId }), ` · ${sub.status.toLowerCase().replace('_', ' ')}`,
      sub.currentPeriodEnd ? ` · ${sub.cancelAtPeriodEnd ? 'ends' : 'renews'} ${when(sub.currentPeriodEnd)}` : ''),
    manage, problem);
}

async function loadHistory() {
  const page = pageParam();
  const answer = await api('credit/history' + query({ type, page, pageSize: 20 }));
  const body = $('#history tbody');
  if (!answer.ok) {
    body.replaceChildren(el('tr', {}, el('td', { colspan: '5', text: answer.error })));
    return;
  }
  const rows = answer.data.transactions.map((t) => el('tr', {},
    el('td', { text: when(t.createdAt) }),
    el('td', { text: TYPE_LABELS[t.transType] || t.transType }, t.remark ? el('span', { class: 'muted', text: ` — ${t.remark}` }) : ''),
    el('td', { class: 'num', text: (t.credits > 0 ? '+' : '') + t.credits }),
    el('td', { class: 'num', text: String(t.balanceAfter) }),
    el('td', {}, t.videoUuid ? el('a', { href: `/videos/${t.videoUuid}`, text: 'Video' }) : el('span', { class: 'muted', text: t.transNo }))));
  body.replaceChildren(...(rows.length ? rows : [el('tr', {}, el('td', { colspan: '5', class: 'muted', text: 'Nothing here yet.' }))]));
  renderPages($('#history-pages'), answer.data, (n) => hrefWith({ page: n === 1 ? '' : n }) + '#history-title');
}

async function loadOrders() {
  const page = pageParam('ordersPage');
  const answer = await api('credit/orders' + query({ page, pageSize: 10 }));
  const body = $('#orders tbody');
  if (!answer.ok) {
    body.replaceChildren(el('tr', {}, el('td', { colspan: '6', text: answer.error })));
    return;
  }
  const rows = answer.data.orders.map((o) => el('tr', {},
    el('td', {}, el('code', { text: o.orderNo })),
    el('td', { text: o.productId }),
    el('td', { class: 'num', text: String(o.credits) }),
    el('td', { class: 'num', text: money(o.amount, o.currency) }),
    el('td', { text: o.status.toLowerCase().replaceAll('_', ' ') }),
    el('td', { text: when(o.createdAt) })));
  body.replaceChildren(...(rows.length ? rows : [el('tr', {}, el('td', { colspan: '6', class: 'muted', text: 'No orders yet.' }))]));
  renderPages($('#orders-pages'), answer.data, (n) => hrefWith({ ordersPage: n === 1 ? '' : n }) + '#orders-title');
}

// A payment lands through the provider's webhook, possibly after the buyer is back here.
const events = typeof EventSource !== 'undefined' ? new EventSource('/api/v1/events') : null;
events?.addEventListener('credits.changed', (message) => {
  const balance = JSON.parse(message.data).data?.balance;
  if (balance) showBalance(balance);
  loadHistory();
});
events?.addEventListener('order.paid', () => { loadOrders(); loadSubscription(); });
window.addEventListener('pagehide', () => events?.close());

await Promise.all([session, loadProducts(), loadSubscription(), loadHistory(), loadOrders()]);
