// The generate form: choices from the catalogue (only combinations it offers), the price
// as it will be charged, the balance, and the latest videos with their live status.

import { api, query } from '../api.js';
import { rememberCard, updateCard, videoCard } from '../cards.js';
import { refreshBalance, session, showBalance } from '../chrome.js';
import { LiveVideos } from '../live.js';
import { $, announce, clearErrors, credits, el, FINAL, formData, showErrors } from '../ui.js';

const form = $('#generate-form');
const fields = {
  model: $('#gen-model'), duration: $('#gen-duration'), aspectRatio: $('#gen-aspect'),
  quality: $('#gen-quality'), startImageUrl: $('#gen-start-image'),
};
const recent = $('#recent-videos');
let models = [];
let available = null;

// A fresh key per attempt: a retried request after a dropped answer is charged once.
function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function options(select, values, label, chosen) {
  select.replaceChildren(...values.map((value) => el('option', { value: String(value), text: label(value) })));
  select.value = String(values.map(String).includes(String(chosen)) ? chosen : values[0]);
}

function currentModel() {
  return models.find((model) => model.id === fields.model.value);
}

function priceOf(model) {
  const duration = Number(fields.duration.value);
  return model?.prices.find((p) => p.duration === duration && p.quality === fields.quality.value)?.credits;
}

function showPrice() {
  const price = priceOf(currentModel());
  $('#gen-price').textContent = price === undefined ? '–' : credits(price);
  $('#gen-short').hidden = price === undefined || available === null || price <= available;
}

function chooseModel() {
  const model = currentModel();
  if (!model) return;
  options(fields.duration, model.durations, (d) => `${d} seconds`, fields.duration.value || model.defaultDuration);
  if (!model.durations.map(String).includes(fields.duration.value)) fields.duration.value = String(model.defaultDuration);
  options(fields.aspectRatio, model.aspectRatios, (r) => r, fields.aspectRatio.value);
  options(fields.quality, model.qualities, (q) => q, fields.quality.value || model.defaultQuality);
  $('[data-model-description]').textContent = model.description;
  const startImage = $('[data-start-image]');
  startImage.hidden = !model.supportsImageToVideo;
  fields.startImageUrl.disabled = !model.supportsImageToVideo;
  showPrice();
}

async function loadModels() {
  const answer = await api('config/models');
  if (!answer.ok) {
    showErrors(form, answer);
    return;
  }
  models = answer.data.models;
  fields.model.replaceChildren(...models.map((model) => {
    const cheapest = Math.min(...model.prices.map((p) => p.credits));
    return el('option', { value: model.id, text: `${model.name} — from ${credits(cheapest)}` });
  }));
  chooseModel();
}

const live = new LiveVideos({
  onVideo(video) {
    const item = recent.querySelector(`[data-video="${CSS.escape(video.uuid)}"]`);
    if (!item) return;
    const before = item.dataset.status;
    updateCard(item, video);
    if (video.status !== before && FINAL.has(video.status)) {
      announce(`Your video is ${video.status === 'COMPLETED' ? 'ready' : 'failed; its credits came back'}.`);
      refreshBalance();
    }
  },
  onCredits: showBalance,
});

function addRecent(video, { first = false } = {}) {
  recent.querySelector('.muted')?.remove();
  const item = rememberCard(videoCard(video), video);
  if (first) recent.prepend(item); else recent.append(item);
  live.track(video);
  while (recent.children.length > 5) recent.lastElementChild.remove();
}

async function loadRecent() {
  const answer = await api('video/list' + query({ pageSize: 5 }));
  recent.replaceChildren();
  if (!answer.ok) {
    recent.append(el('li', { class: 'muted', text: answer.error }));
    return;
  }
  if (!answer.data.videos.length) recent.append(el('li', { class: 'muted', text: 'No videos yet: your first one will appear here.' }));
  for (const video of answer.data.videos) addRecent(video);
}

form.addEventListener('change', (event) => {
  if (event.target === fields.model) chooseModel();
  else showPrice();
});

document.addEventListener('kensa:balance', (event) => {
  available = event.detail.available;
  showPrice();
});

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  clearErrors(form);
  const data = formData(form);
  const body = {
    prompt: data.prompt ?? '',
    model: data.model,
    duration: Number(data.duration),
    aspectRatio: data.aspectRatio,
    quality: data.quality,
  };
  if (currentModel()?.supportsImageToVideo && data.startImageUrl) body.startImageUrl = data.startImageUrl;
  const button = $('#gen-submit');
  button.disabled = true;
  const answer = await api('video/generate', {
    method: 'POST', body, headers: { 'Idempotency-Key': newKey() },
  });
  button.disabled = false;
  if (answer.ok) {
    addRecent({ ...answer.data, prompt: body.prompt, progress: null }, { first: true });
    announce(`Video started: ${credits(answer.data.creditsUsed)} held until it is ready.`);
    refreshBalance();
    return;
  }
  if (answer.status === 402) {
    showErrors(form, { ...answer, fields: {} }, { link: { href: '/credits', text: 'Buy credits' } });
    return;
  }
  showErrors(form, answer);
});

live.start();
await Promise.all([loadModels(), loadRecent(), session]);
