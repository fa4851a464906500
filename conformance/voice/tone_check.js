'use strict';
// Voice through guildhall with real libraries: a sender plays a 3 s tone in the seeded voice channel and
// bot B (discord.js + @discordjs/voice) receives it with its receiver, decodes it, and checks that
// >= 90% of the sent packets arrived and the dominant frequency is the tone's (+-10 Hz).
//
//   sender "djs": bot A is discord.js too (a second client in this process) and plays Opus packets
//                 made by opusscript; both bots must end up in EXPECTED_MODE.
//   sender "dpy": bot A is discord.py 2.7.1 (dpy_play.py, run with PYTHON) playing the same kind of
//                 packets from a file; its vc.mode must be EXPECTED_MODE. B joins first.
//
// Usage: node tone_check.js BASE_URL SEED_JSON RESULTS_JSON RUN djs|dpy FREQ EXPECTED_MODE [PYTHON]
// Exits 0 iff every check passed.

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { Bot, Checks, args, sleep, within } = require('./common');
const { tonePackets, analyze, isSilence } = require('./audio');

const { base, seed, resultsPath, run, rest } = args();
const [sender, freqArg, expectedMode, python] = rest;
const FREQ = Number(freqArg);
const SECONDS = 3;
const GUILD = seed.guild.id;
const VOICE = seed.voice_channels[0].id;
const checks = new Checks(run, resultsPath);

/** Runs dpy_play.py; resolves its JSON report (last stdout line). */
function playWithDiscordPy(packets) {
  const file = path.join(path.dirname(resultsPath), `tone-${FREQ}.opus-packets`);
  const parts = [];
  for (const packet of packets) {
    const len = Buffer.alloc(2);
    len.writeUInt16BE(packet.length);
    parts.push(len, packet);
  }
  fs.writeFileSync(file, Buffer.concat(parts));
  const log = path.join(path.dirname(resultsPath), 'discordpy.log');
  return new Promise((resolve, reject) => {
    const child = spawn(
      python,
      [path.join(__dirname, 'dpy_play.py'), base, JSON.stringify(seed.bots[1]), GUILD, VOICE, file],
      { stdio: ['ignore', 'pipe', fs.openSync(log, 'w')] },
    );
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const last = out.trim().split('\n').pop();
      try {
        resolve({ code, ...JSON.parse(last) });
      } catch {
        reject(new Error(`discord.py exited ${code} without a report; its log:\n${fs.readFileSync(log, 'utf8').slice(-3000)}`));
      }
    });
  });
}

async function main() {
  const packets = tonePackets(FREQ, SECONDS);
  const a = sender === 'djs' ? new Bot('A', seed.bots[1], base) : null;
  const b = new Bot('B', seed.bots[2], base);
  try {
    const joined = await checks.check('discord.js bots log in and join the voice channel over wss (Ready)', async () => {
      await b.login(GUILD);
      await b.join(VOICE);
      if (a) {
        await a.login(GUILD);
        await a.join(VOICE);
      }
      return `B mode ${b.mode()}${a ? `, A mode ${a.mode()}` : ''}`;
    });
    if (!joined) return;
    const received = b.listen(seed.bots[1].id);

    let sent;
    if (a) {
      await checks.check(`A (discord.js) and B selected ${expectedMode}`, async () => {
        if (a.mode() !== expectedMode || b.mode() !== expectedMode) {
          throw new Error(`A ${a.mode()}, B ${b.mode()}`);
        }
      });
      const played = await checks.check(`A (discord.js) plays a ${SECONDS} s ${FREQ} Hz tone`, async () => {
        ({ sent } = await a.play(packets, SECONDS * 1000 + 10_000));
        return `${sent} packets`;
      });
      if (!played) return;
    } else {
      let report;
      const played = await checks.check(`A (discord.py) connects and plays a ${SECONDS} s ${FREQ} Hz tone`, async () => {
        report = await within(60_000, 'discord.py sender', playWithDiscordPy(packets));
        if (report.error) throw new Error(report.error);
        sent = report.sent;
        return `${sent} packets, mode ${report.mode}`;
      });
      if (!played) return;
      await checks.check(`A (discord.py) vc.mode == ${expectedMode}`, async () => {
        if (report.mode !== expectedMode) throw new Error(`vc.mode is ${report.mode}`);
      });
    }
    await sleep(700); // the last packets in flight
    const tone = received.filter((r) => !isSilence(r.packet));
    await checks.check(`B received >= 90% of A's packets`, async () => {
      if (received.errors.length) throw new Error(`receive stream errors: ${received.errors.join('; ')}`);
      const share = sent ? tone.length / sent : 0;
      const detail = `${tone.length}/${sent} = ${(100 * share).toFixed(1)}%`;
      if (share < 0.9 || tone.length > sent) throw new Error(detail);
      return detail;
    });
    await checks.check(`B's decoded audio peaks at ${FREQ} +- 10 Hz`, async () => {
      const result = analyze(received.map((r) => r.packet));
      const detail = `peak ${result.freq} Hz, rms ${result.rms.toFixed(3)}, ${result.decoded} decoded, ${result.errors} undecodable`;
      if (result.freq === null || Math.abs(result.freq - FREQ) > 10 || result.errors > 0) throw new Error(detail);
      return detail;
    });
  } finally {
    await Promise.allSettled([a?.destroy(), b.destroy()]);
  }
}

main()
  .catch((error) => checks.record('run', false, error?.stack ?? String(error)))
  .finally(() => process.exit(checks.ok && Object.keys(checks.results).length ? 0 : 1));
