// The JSON API, called the way Kensa's docs tell any browser client to: the session
// cookie (credentials: 'include'), JSON bodies, no token. Same-origin requests pass the
// API's cross-site rules through the browser's Sec-Fetch-Site header.

const BASE = '/api/v1/';

export async function api(path, { method = 'GET', body, headers = {} } = {}) {
  const init = { method, credentials: 'include', headers: { Accept: 'application/json', ...headers } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(BASE + path, init);
  } catch {
    return { ok: false, status: 0, code: 'network_error', fields: {},
      error: 'Kensa could not be reached. Check your connection and try again.' };
  }
  let payload = null;
  try { payload = await response.json(); } catch { /* not an envelope */ }
  if (payload && payload.success === true) {
    return { ok: true, status: response.status, data: payload.data };
  }
  const result = {
    ok: false,
    status: response.status,
    code: payload?.code || 'http_error',
    error: payload?.error || `The server answered ${response.status}.`,
    fields: payload?.fields || {},
    retryAfter: response.headers.get('Retry-After'),
  };
  if (result.status === 401 && !path.startsWith('auth/')) {
    // The session ended (signed out in another tab): sign in again and come back.
    const next = location.pathname + location.search;
    location.assign('/login?' + new URLSearchParams({ next }));
  }
  return result;
}

export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, value);
  }
  const text = search.toString();
  return text ? '?' + text : '';
}
