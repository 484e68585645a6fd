// A video as a card (gallery) or a row (the studio's latest videos), updated in place.

import { badge, el, FINAL, when } from './ui.js';

function thumbnail(video) {
  if (video.thumbnailUrl) {
    return el('img', { class: 'thumb', src: video.thumbnailUrl, alt: '', loading: 'lazy', 'data-thumb': '' });
  }
  return el('div', { class: 'thumb placeholder', 'data-thumb': '', 'aria-hidden': 'true' },
    video.status === 'FAILED' ? 'Failed' : 'Working…');
}

function progressLine(video) {
  const line = el('p', { class: 'status-line', 'data-status-line': '' }, badge(video.status));
  if (!FINAL.has(video.status)) {
    const bar = el('progress', { max: '100', 'aria-label': 'Progress' });
    if (video.progress !== null && video.progress !== undefined) bar.value = video.progress;
    line.append(' ', bar);
    if (video.progress !== null && video.progress !== undefined) {
      line.append(' ', el('span', { class: 'muted', text: `${video.progress}%` }));
    }
  }
  return line;
}

export function videoCard(video) {
  const href = `/videos/${video.uuid}`;
  const item = el('li', { 'data-video': video.uuid, 'data-status': video.status });
  const title = video.prompt ? video.prompt.slice(0, 90) + (video.prompt.length > 90 ? '…' : '') : 'Video';
  item.append(
    el('a', { href, tabindex: '-1', 'aria-hidden': 'true' }, thumbnail(video)),
    el('div', { class: 'body' },
      el('p', { class: 'prompt-text' }, el('a', { href, text: title })),
      progressLine(video),
      el('p', { class: 'muted', text: `${video.model} · ${video.duration} s · ${video.aspectRatio} · ${when(video.createdAt)}` })),
  );
  return item;
}

// ``update`` may be a partial video (GET /video/task): only what it carries changes.
export function updateCard(item, update) {
  const video = { ...JSON.parse(item.dataset.snapshot || '{}'), ...update };
  item.dataset.snapshot = JSON.stringify(video);
  item.dataset.status = video.status;
  item.querySelector('[data-status-line]')?.replaceWith(progressLine(video));
  const thumb = item.querySelector('[data-thumb]');
  if (thumb && (video.thumbnailUrl ? !thumb.src : true)) thumb.replaceWith(thumbnail(video));
}

export function rememberCard(item, video) {
  item.dataset.snapshot = JSON.stringify(video);
  return item;
}
