// The gallery: a page of videos (newest first), filtered by status, updated live.

import { api, query } from '../api.js';
import { rememberCard, updateCard, videoCard } from '../cards.js';
import { refreshBalance, showBalance } from '../chrome.js';
import { LiveVideos } from '../live.js';
import { $, el, FINAL, hrefWith, pageParam, renderPages, showAlert } from '../ui.js';

const PAGE_SIZE = 12;
const gallery = $('#gallery');
const status = new URLSearchParams(location.search).get('status') || '';
$('#status-filter').value = status;

const live = new LiveVideos({
  onVideo(video) {
    const item = gallery.querySelector(`[data-video="${CSS.escape(video.uuid)}"]`);
    if (!item) return;
    const before = item.dataset.status;
    updateCard(item, video);
    if (video.status !== before && FINAL.has(video.status)) refreshBalance();
  },
  onCredits: showBalance,
});

async function load() {
  const page = pageParam();
  const answer = await api('video/list' + query({ page, pageSize: PAGE_SIZE, status }));
  if (!answer.ok) {
    showAlert($('[data-page-error]'), answer.error);
    $('#gallery-summary').textContent = '';
    return;
  }
  const { videos, total, totalPages } = answer.data;
  gallery.replaceChildren(...videos.map((video) => {
    live.track(video);
    return rememberCard(videoCard(video), video);
  }));
  const first = (page - 1) * PAGE_SIZE + 1;
  $('#gallery-summary').textContent = total === 0
    ? (status ? 'No videos with this status.' : 'No videos yet. Make one in the studio.')
    : videos.length
      ? `Videos ${first}–${first + videos.length - 1} of ${total}`
      : `Page ${page} is past the end (${total} videos).`;
  if (total === 0 && !status) $('#gallery-summary').append(' ', el('a', { href: '/studio', text: 'Open the studio' }));
  renderPages($('#gallery-pages'), { page, totalPages }, (n) => hrefWith({ page: n === 1 ? '' : n }));
}

if (new URLSearchParams(location.search).has('deleted')) {
  showAlert($('[data-page-error]'), 'The video was deleted.', { ok: true });
}
live.start();
await load();
