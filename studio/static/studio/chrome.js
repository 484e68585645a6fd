// What every signed-in page shares: the balance in the header and the Sign out button.

import { api } from './api.js';
import { $, $$ } from './ui.js';

export async function refreshBalance() {
  const answer = await api('auth/session');
  if (answer.ok) showBalance(answer.data.credits);
  return answer.ok ? answer.data : null;
}

export function showBalance(balance) {
  for (const node of $$('[data-balance]')) node.textContent = String(balance.available);
  document.dispatchEvent(new CustomEvent('kensa:balance', { detail: balance }));
}

export async function signOut() {
  await api('auth/logout', { method: 'POST' });
  location.assign('/');
}

export const session = refreshBalance();

$('#sign-out')?.addEventListener('click', signOut);
