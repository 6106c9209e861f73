// The alert sound: a short two-tone beep made with WebAudio (no audio file), mutable and remembered.

const STORAGE_KEY = "sereno.muted";
let context = null;

export const isMuted = () => localStorage.getItem(STORAGE_KEY) === "1";

export function setMuted(muted) {
  localStorage.setItem(STORAGE_KEY, muted ? "1" : "0");
}

export function beep() {
  if (isMuted()) return;
  try {
    context ??= new AudioContext();
    const start = context.currentTime;
    for (const [offset, frequency] of [[0, 880], [0.18, 660]]) {
      const tone = context.createOscillator();
      const gain = context.createGain();
      tone.frequency.value = frequency;
      gain.gain.setValueAtTime(0.0001, start + offset);
      gain.gain.exponentialRampToValueAtTime(0.25, start + offset + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.16);
      tone.connect(gain).connect(context.destination);
      tone.start(start + offset);
      tone.stop(start + offset + 0.17);
    }
  } catch {
    // Browsers refuse audio before the first user gesture; the visual cue still shows.
  }
}
