// Live updates: the event stream (GET /api/v1/events, Server-Sent Events) when it is
// there, polling GET /api/v1/video/task when it is not.
//
// A stream starts at the newest event, so anything that happened between a page's first
// read and the stream's start would be missed: on every (re)connect the videos still in
// progress are read once more. While the stream is down, they are polled.

import { api, query } from './api.js';
import { FINAL } from './ui.js';

const POLL_MS = 2000;
const VIDEO_EVENTS = ['video.updated', 'video.completed', 'video.failed'];

export class LiveVideos {
  constructor({ onVideo = () => {}, onCredits = () => {} } = {}) {
    this.onVideo = onVideo;
    this.onCredits = onCredits;
    this.tracked = new Map(); // uuid → last status
    this.streaming = false;
    this.timer = null;
    this.source = null;
    this.mode = 'starting';
  }

  track(video) {
    this.tracked.set(video.uuid, video.status);
  }

  start() {
    if (typeof EventSource === 'undefined') {
      this.mode = 'polling';
    } else {
      this.openStream();
    }
    this.timer = setInterval(() => { if (!this.streaming) this.poll(); }, POLL_MS);
    window.addEventListener('pagehide', () => this.stop());
    return this;
  }

  stop() {
    clearInterval(this.timer);
    this.source?.close();
  }

  openStream() {
    const source = new EventSource('/api/v1/events', { withCredentials: true });
    this.source = source;
    source.addEventListener('open', () => {
      this.streaming = true;
      this.mode = 'stream';
      document.documentElement.dataset.live = 'stream';
      this.poll();
    });
    source.addEventListener('error', () => {
      this.streaming = false;
      if (source.readyState === EventSource.CLOSED) {
        // Refused (not signed in, no stream on this server): poll from now on.
        this.mode = 'polling';
        document.documentElement.dataset.live = 'polling';
      }
    });
    for (const type of VIDEO_EVENTS) {
      source.addEventListener(type, (message) => {
        const video = JSON.parse(message.data).data?.video;
        if (video) this.deliver(video);
      });
    }
    source.addEventListener('credits.changed', (message) => {
      const balance = JSON.parse(message.data).data?.balance;
      if (balance) this.onCredits(balance);
    });
  }

  deliver(video) {
    if (this.tracked.has(video.uuid)) this.tracked.set(video.uuid, video.status);
    this.onVideo(video);
  }

  async poll() {
    const open = [...this.tracked].filter(([, status]) => !FINAL.has(status)).map(([uuid]) => uuid);
    await Promise.all(open.map(async (uuid) => {
      const answer = await api('video/task' + query({ uuid }));
      if (answer.ok && answer.data.status !== this.tracked.get(uuid)) this.deliver(answer.data);
      else if (answer.ok) this.onVideo(answer.data);
    }));
  }
}
