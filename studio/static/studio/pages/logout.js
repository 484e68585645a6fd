import { api } from '../api.js';
import { $, showAlert } from '../ui.js';

$('#sign-out-confirm')?.addEventListener('click', async () => {
  const answer = await api('auth/logout', { method: 'POST' });
  if (answer.ok) location.assign('/');
  else showAlert($('[data-form-error]'), answer.error);
});
