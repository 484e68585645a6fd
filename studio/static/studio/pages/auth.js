// Sign up and sign in: POST the form as JSON, show each field's error next to it, then
// go where the visitor was heading.

import { api } from '../api.js';
import { $, clearErrors, formData, showErrors } from '../ui.js';

function nextPage() {
  const next = new URLSearchParams(location.search).get('next') || '';
  // Only a path on this site: never "//elsewhere" or "https://elsewhere".
  return /^\/(?![/\\])/.test(next) ? next : '/studio';
}

const form = $('form[data-endpoint]');
form.addEventListener('submit', async (event) => {
  event.preventDefault();
  clearErrors(form);
  const button = $('button[type="submit"]', form);
  button.disabled = true;
  const answer = await api(form.dataset.endpoint, { method: 'POST', body: formData(form) });
  button.disabled = false;
  if (answer.ok) {
    location.assign(nextPage());
    return;
  }
  showErrors(form, answer);
});
