'use strict';
// Test audio without ffmpeg or libopus: a sine tone as 20 ms stereo 48 kHz Opus packets (opusscript,
// the pure-JS/wasm build of libopus that @discordjs/voice also knows), and the receiving side's
// analysis: decode the packets and find the dominant frequency with a Goertzel scan.
//
// CLI (for the discord.py sender, which has no Opus encoder on this machine):
//   node audio.js FREQ SECONDS OUT   writes the packets as u16 big-endian length + bytes, back to back.

const fs = require('node:fs');
const OpusScript = require('./deps')('opusscript');

const RATE = 48000;
const CHANNELS = 2;
const FRAME = 960; // samples per channel in 20 ms
// What @discordjs/voice sends after a resource ends (and discord.py never sends for a source).
const SILENCE_FRAME = Buffer.from([0xf8, 0xff, 0xfe]);

/** Opus packets of a `freq` Hz sine at half scale, `seconds` long (a whole number of 20 ms frames). */
function tonePackets(freq, seconds) {
  const encoder = new OpusScript(RATE, CHANNELS, OpusScript.Application.AUDIO);
  encoder.encoderCTL(4002, 64000); // OPUS_SET_BITRATE
  const frames = Math.round((seconds * 1000) / 20);
  const packets = [];
  const pcm = Buffer.alloc(FRAME * CHANNELS * 2);
  for (let f = 0; f < frames; f++) {
    for (let i = 0; i < FRAME; i++) {
      const n = f * FRAME + i;
      const v = Math.round(16384 * Math.sin((2 * Math.PI * freq * n) / RATE));
      pcm.writeInt16LE(v, 4 * i);
      pcm.writeInt16LE(v, 4 * i + 2);
    }
    packets.push(Buffer.from(encoder.encode(pcm, FRAME)));
  }
  encoder.delete();
  return packets;
}

function isSilence(packet) {
  return packet.equals(SILENCE_FRAME);
}

/**
 * Decodes received packets (in arrival order) and returns {decoded, silence, errors, freq, rms}:
 * `freq` is the frequency in 300..1000 Hz (1 Hz steps) with the most energy in the left channel of the
 * non-silence audio, found by the Goertzel algorithm over at most the middle 2 s.
 */
function analyze(packets) {
  const decoder = new OpusScript(RATE, CHANNELS, OpusScript.Application.AUDIO);
  const chunks = [];
  let silence = 0;
  let errors = 0;
  for (const packet of packets) {
    if (isSilence(packet)) {
      silence += 1;
      continue;
    }
    try {
      chunks.push(Buffer.from(decoder.decode(packet)));
    } catch {
      errors += 1;
    }
  }
  decoder.delete();
  const pcm = Buffer.concat(chunks);
  const total = pcm.length / (2 * CHANNELS);
  // Skip the codec's start-up and take up to 2 s from the middle: 1 Hz steps still separate cleanly.
  const length = Math.min(total, 2 * RATE);
  const start = Math.floor((total - length) / 2);
  const x = new Float64Array(length);
  let energy = 0;
  for (let i = 0; i < length; i++) {
    x[i] = pcm.readInt16LE(4 * (start + i)) / 32768;
    energy += x[i] * x[i];
  }
  let best = { freq: null, power: -1 };
  if (length >= RATE / 10) {
    for (let freq = 300; freq <= 1000; freq++) {
      const coeff = 2 * Math.cos((2 * Math.PI * freq) / RATE);
      let s1 = 0;
      let s2 = 0;
      for (let i = 0; i < length; i++) {
        const s0 = x[i] + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
      }
      const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
      if (power > best.power) best = { freq, power };
    }
  }
  return {
    decoded: chunks.length,
    silence,
    errors,
    freq: best.freq,
    rms: length ? Math.sqrt(energy / length) : 0,
  };
}

if (require.main === module) {
  const [freq, seconds, out] = process.argv.slice(2);
  const packets = tonePackets(Number(freq), Number(seconds));
  const parts = [];
  for (const packet of packets) {
    const len = Buffer.alloc(2);
    len.writeUInt16BE(packet.length);
    parts.push(len, packet);
  }
  fs.writeFileSync(out, Buffer.concat(parts));
}

module.exports = { tonePackets, analyze, isSilence, SILENCE_FRAME };
