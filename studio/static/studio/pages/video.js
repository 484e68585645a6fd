// One video: live status, the player once it is ready, download, delete (confirmed).

import { api } from '../api.js';
import { refreshBalance, showBalance } from '../chrome.js';
import { LiveVideos } from '../live.js';
import { $, announce, el, FINAL, showAlert, STATUS_LABELS, when } from '../ui.js';

const uuid = $('main').dataset.videoUuid;
let video = null;

function renderPlayer() {
  const player = $('#player');
  if (video.status === 'COMPLETED' && video.videoUrl) {
    if (player.querySelector('video')?.dataset.src === video.videoUrl) return;
    const element = el('video', {
      controls: true, preload: 'metadata', playsinline: true, src: video.videoUrl,
      'aria-label': `Video: ${video.prompt}`, 'data-src': video.videoUrl,
    });
    if (video.thumbnailUrl) element.poster = video.thumbnailUrl;
    player.replaceChildren(element);
    return;
  }
  player.replaceChildren(el('div', { class: 'thumb placeholder', role: 'img', 'aria-label': 'No video yet' },
    video.status === 'FAILED' ? 'This video failed.' : 'The video appears here when it is ready.'));
}

function render() {
  $('#video-page').hidden = false;
  document.title = `${video.prompt.slice(0, 40)} · Kensa`;
  const status = $('#video-status');
  status.className = `badge ${video.status}`;
  status.dataset.status = video.status;
  status.textContent = STATUS_LABELS[video.status] || video.status;
  const bar = $('#video-progress');
  bar.hidden = FINAL.has(video.status);
  if (video.progress !== null && video.progress !== undefined) bar.value = video.progress;
  else bar.removeAttribute('value');
  $('#video-progress-text').textContent = FINAL.has(video.status) || video.progress === null || video.progress === undefined
    ? '' : `${video.progress}%`;
  $('#video-prompt').textContent = video.prompt;
  const facts = [
    ['Model', video.model], ['Length', `${video.duration} seconds`], ['Aspect ratio', video.aspectRatio],
    ['Quality', video.quality], ['Credits', `${video.creditsUsed} (${(video.creditStatus || '').toLowerCase()})`],
    ['Started', when(video.createdAt)], ['Finished', when(video.completedAt)],
  ];
  if (video.startImageUrl) facts.push(['Start image', video.startImageUrl]);
  $('#video-facts').replaceChildren(...facts.flatMap(([term, value]) => [el('dt', { text: term }), el('dd', { text: value })]));
  const failure = $('#video-error-message');
  failure.hidden = !video.errorMessage;
  failure.textContent = video.errorMessage || '';
  const download = $('#video-download');
  download.hidden = !(video.status === 'COMPLETED' && video.videoUrl);
  if (video.videoUrl) download.href = video.videoUrl;
  renderPlayer();
}

async function load() {
  const answer = await api(`video/${uuid}`);
  if (!answer.ok) {
    showAlert($('[data-page-error]'), answer.status === 404 ? 'There is no such video, or it was deleted.' : answer.error);
    return false;
  }
  video = answer.data;
  render();
  return true;
}

const live = new LiveVideos({
  async onVideo(update) {
    if (update.uuid !== uuid) return;
    const before = video.status;
    video = { ...video, ...update };
    if (update.status !== before && FINAL.has(update.status)) {
      await load(); // the full record: links, credits, times
      announce(update.status === 'COMPLETED' ? 'Your video is ready.' : 'The video failed; its credits came back.');
      refreshBalance();
      return;
    }
    render();
  },
  onCredits: showBalance,
});

const dialog = $('#delete-dialog');
$('#video-delete').addEventListener('click', () => {
  showAlert($('#delete-error'), '');
  dialog.showModal();
});
dialog.addEventListener('close', async () => {
  if (dialog.returnValue !== 'delete') {
    $('#video-delete').focus();
    return;
  }
  const answer = await api(`video/${uuid}`, { method: 'DELETE' });
  if (answer.ok) {
    location.assign('/videos?deleted=1');
    return;
  }
  const message = answer.status === 409
    ? 'This video is still being made. You can delete it once it has completed or failed.'
    : answer.error;
  showAlert($('#delete-error'), message);
  $('#video-delete').focus();
});

if (await load()) {
  live.track(video);
  live.start();
}
