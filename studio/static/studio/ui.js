// Small DOM helpers shared by the pages.

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (key in node && typeof value !== 'string') node[key] = value;
    else node.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function announce(text) {
  const region = $('#announcer');
  if (!region) return;
  region.textContent = '';
  setTimeout(() => { region.textContent = text; }, 50);
}

export function showAlert(node, text, { ok = false, link } = {}) {
  if (!node) return;
  node.replaceChildren(text);
  if (link) node.append(' ', el('a', { href: link.href, text: link.text }));
  node.classList.toggle('ok', ok);
  node.hidden = !text;
}

export function clearErrors(form) {
  for (const node of $$('[data-error-for]', form)) node.textContent = '';
  for (const node of $$('[aria-invalid]', form)) {
    node.removeAttribute('aria-invalid');
    const errorId = node.dataset.errorId;
    if (errorId) {
      node.setAttribute('aria-describedby',
        (node.getAttribute('aria-describedby') || '').split(' ').filter((id) => id && id !== errorId).join(' '));
    }
  }
  showAlert($('[data-form-error]', form), '');
}

// Every field error of a 400 envelope goes next to its field; the rest to the form's alert.
export function showErrors(form, result, { link } = {}) {
  clearErrors(form);
  const leftover = [];
  let first = null;
  for (const [field, messages] of Object.entries(result.fields || {})) {
    const slot = $(`[data-error-for="${CSS.escape(field)}"]`, form);
    const text = [].concat(messages).join(' ');
    if (!slot) { leftover.push(text); continue; }
    slot.textContent = text;
    const control = form.elements[field];
    const input = control instanceof RadioNodeList ? control[0] : control;
    if (input && input.setAttribute) {
      input.setAttribute('aria-invalid', 'true');
      input.dataset.errorId = slot.id;
      const described = (input.getAttribute('aria-describedby') || '').split(' ').filter(Boolean);
      if (!described.includes(slot.id)) input.setAttribute('aria-describedby', [...described, slot.id].join(' '));
      first ||= input;
    }
  }
  const alert = $('[data-form-error]', form);
  const summary = Object.keys(result.fields || {}).length && !leftover.length ? result.error : [result.error, ...leftover].join(' ');
  showAlert(alert, summary, { link });
  (first || alert)?.focus?.();
  if (!first && alert) { alert.tabIndex = -1; alert.focus(); }
}

export function formData(form) {
  const data = {};
  for (const [key, value] of new FormData(form)) {
    if (key in data) data[key] = [].concat(data[key], value);
    else data[key] = value;
  }
  return data;
}

export const credits = (n) => `${n} credit${n === 1 ? '' : 's'}`;

export function when(iso) {
  if (!iso) return '–';
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function money(minor, currency) {
  return new Intl.NumberFormat(undefined, { style: 'currency', currency: currency.toUpperCase() }).format(minor / 100);
}

export const STATUS_LABELS = {
  PENDING: 'Pending', GENERATING: 'Generating', UPLOADING: 'Saving', COMPLETED: 'Completed', FAILED: 'Failed',
};
export const FINAL = new Set(['COMPLETED', 'FAILED']);

export function badge(status) {
  return el('span', { class: `badge ${status}`, 'data-status': status, text: STATUS_LABELS[status] || status });
}

// Links to pages 1..n (a window around the current page), each a real URL: keyboard,
// back button and new tabs work as on any site.
export function renderPages(nav, { page, totalPages }, hrefFor) {
  nav.replaceChildren();
  if (totalPages <= 1) return;
  const pages = new Set([1, totalPages, page - 1, page, page + 1].filter((n) => n >= 1 && n <= totalPages));
  if (page > 1) nav.append(el('a', { href: hrefFor(page - 1), rel: 'prev', text: 'Previous' }));
  let last = 0;
  for (const n of [...pages].sort((a, b) => a - b)) {
    if (n - last > 1) nav.append(el('span', { 'aria-hidden': 'true', text: '…' }));
    nav.append(n === page
      ? el('a', { href: hrefFor(n), 'aria-current': 'page', 'aria-label': `Page ${n}`, text: String(n) })
      : el('a', { href: hrefFor(n), 'aria-label': `Page ${n}`, text: String(n) }));
    last = n;
  }
  if (page < totalPages) nav.append(el('a', { href: hrefFor(page + 1), rel: 'next', text: 'Next' }));
}

export function pageParam(name = 'page') {
  const value = Number.parseInt(new URLSearchParams(location.search).get(name) || '1', 10);
  return Number.isFinite(value) && value >= 1 ? value : 1;
}

export function hrefWith(changes) {
  const params = new URLSearchParams(location.search);
  for (const [key, value] of Object.entries(changes)) {
    if (value === '' || value === null || value === undefined) params.delete(key);
    else params.set(key, value);
  }
  const text = params.toString();
  return location.pathname + (text ? '?' + text : '');
}
