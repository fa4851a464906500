'use strict';
// Browsers in voice: two seeded users open guildhall's own web client in headless Debian Chromium
// (fake microphone, camera and screen) and join the seeded voice channel over WebRTC; a discord.js bot
// (@discordjs/voice, unmodified) joins the same channel over the native protocol. Checked:
//   - each page's getStats() shows the other browser's audio arriving, with < 5 % concealed samples;
//   - the bot plays a 440 Hz tone: both pages receive it; the bot's receiver gets both browsers' audio
//     and opusscript decodes every packet;
//   - A's camera, then A's screen share: B decodes video frames of each;
//   - the bot owner server-mutes A over REST: the bot receives nothing more from A.
//
// Usage: node browser_check.js BASE_URL SEED_JSON RESULTS_JSON RUN   (run by scripts/conformance-voice.sh)

const path = require('node:path');
const { createRequire } = require('node:module');
const { Bot, Checks, args, rest, sleep, within } = require('./common');
const { tonePackets, analyze, isSilence } = require('./audio');

// playwright-core is the web client's end-to-end dependency (web/e2e).
const { chromium } = createRequire(path.join(__dirname, '../../web/e2e/package.json'))('playwright-core');

const { base, seed, resultsPath, run } = args();
const GUILD = seed.guild.id;
const VOICE = seed.voice_channels[0].id;
const [A, B] = seed.users;
const checks = new Checks(run, resultsPath);

// sfu-stack.md §5.i, plus fake devices for getUserMedia and getDisplayMedia (shared with web/e2e).
const chromiumFlags = require('../../web/e2e/chromium-flags.json');
const FLAGS = [...chromiumFlags.base, ...chromiumFlags.media];

async function waitUntil(what, predicate, ms = 15_000) {
  const until = Date.now() + ms;
  let last;
  for (;;) {
    last = await predicate().catch((e) => e);
    if (last && !(last instanceof Error)) return last;
    if (Date.now() > until) throw new Error(`${what} (within ${ms} ms; last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    await sleep(200);
  }
}

/** The page's inbound RTP streams, attributed to users by the latest op 12 slot map. */
const inbound = (page) => page.evaluate(() => window.__guildhall.voice.inbound());
const mids = (page) => page.evaluate(() => window.__guildhall.voice.mids());

function sum(entries, userId, kind, field) {
  return entries.filter((e) => e.userId === userId && e.kind === kind).reduce((n, e) => n + (e[field] ?? 0), 0);
}

async function openUser(browser, user, name) {
  const context = await browser.newContext({ baseURL: base, viewport: { width: 1280, height: 800 } });
  await context.addInitScript((token) => localStorage.setItem('guildhall.token', token), user.token);
  const page = await context.newPage();
  page.on('pageerror', (err) => console.log(`    ${name} PAGE ERROR: ${err}`));
  await page.goto(`/channels/${GUILD}/${VOICE}`);
  await page.getByTestId('voice-join').click({ timeout: 15_000 });
  await waitUntil(`${name}: voice state connected`, () =>
    page.evaluate(() => window.__guildhall?.voice?.state() === 'connected'),
  );
  return page;
}

async function main() {
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: FLAGS });
  const bot = new Bot('bot', seed.bots[1], base);
  let pages = [];
  try {
    const joined = await checks.check('two users join the voice channel from the web client (WebRTC)', async () => {
      pages = [await openUser(browser, A, 'A'), await openUser(browser, B, 'B')];
    });
    if (!joined) return;
    const [pageA, pageB] = pages;

    await checks.check('each browser receives the other\'s audio; concealed samples < 5 %', async () => {
      const details = [];
      for (const [name, page, other] of [['A', pageA, B], ['B', pageB, A]]) {
        await waitUntil(`${name}: no audio packets from the other browser`, async () => sum(await inbound(page), other.id, 'audio', 'packets') > 25);
      }
      // Measure a window after the start, when jitter buffers have settled.
      const before = await Promise.all(pages.map(inbound));
      await sleep(3000);
      const after = await Promise.all(pages.map(inbound));
      for (const [i, name, other] of [[0, 'A', B], [1, 'B', A]]) {
        const d = (field) => sum(after[i], other.id, 'audio', field) - sum(before[i], other.id, 'audio', field);
        const packets = d('packets');
        const samples = d('samples');
        const concealed = d('concealed');
        const share = samples > 0 ? concealed / samples : 1;
        details.push(`${name}: ${packets} packets/3 s, ${samples} samples played, ${(100 * share).toFixed(2)} % concealed`);
        if (packets < 100) throw new Error(`${name} got ${packets} packets in 3 s (expected ~150)`);
        if (!(share < 0.05)) throw new Error(details.join('; '));
      }
      return details.join('; ');
    });

    let fromA = null;
    let fromB = null;
    const botJoined = await checks.check('a discord.js bot joins the same channel over the native protocol', async () => {
      await bot.login(GUILD);
      await bot.join(VOICE);
      fromA = bot.listen(A.id);
      fromB = bot.listen(B.id);
      return `mode ${bot.mode()}`;
    });

    if (botJoined) {
      await checks.check('the bot plays a 440 Hz tone: both browsers receive it', async () => {
        const before = await Promise.all(pages.map(inbound));
        const { sent } = await bot.play(tonePackets(440, 3), 15_000);
        await sleep(500);
        const after = await Promise.all(pages.map(inbound));
        const got = [0, 1].map((i) => sum(after[i], seed.bots[1].id, 'audio', 'packets') - sum(before[i], seed.bots[1].id, 'audio', 'packets'));
        const detail = `sent ${sent}, A got ${got[0]}, B got ${got[1]}`;
        if (got.some((n) => n < 0.9 * sent)) throw new Error(detail);
        return detail;
      });

      await checks.check('the bot receives both browsers\' audio and decodes it without errors', async () => {
        await waitUntil('the bot received nothing from A or B', async () => fromA.length > 50 && fromB.length > 50);
        const details = [];
        for (const [name, received] of [['A', fromA], ['B', fromB]]) {
          if (received.errors.length) throw new Error(`${name}: receive errors ${received.errors.join('; ')}`);
          const packets = received.map((r) => r.packet).filter((p) => !isSilence(p));
          const result = analyze(packets);
          details.push(`${name}: ${received.length} packets, ${result.decoded} decoded, ${result.errors} undecodable, rms ${result.rms.toFixed(3)}`);
          if (result.errors > 0 || result.decoded === 0) throw new Error(details.join('; '));
        }
        return details.join('; ');
      });
    } else {
      checks.skip('the bot plays a 440 Hz tone: both browsers receive it', 'the bot did not join');
      checks.skip('the bot receives both browsers\' audio and decodes it without errors', 'the bot did not join');
    }

    for (const [kind, button] of [['video', 'voice-camera'], ['screen', 'voice-screen']]) {
      await checks.check(`A turns on its ${kind === 'video' ? 'camera' : 'screen share'}: B decodes its frames`, async () => {
        await pageA.getByTestId(button).click();
        const frames = await waitUntil(`B decoded no ${kind} frames from A`, async () => {
          const mid = (await mids(pageB))[A.id]?.[kind];
          if (!mid) return false;
          const entry = (await inbound(pageB)).find((e) => e.kind === 'video' && e.mid === mid);
          return entry && entry.framesDecoded > 10 ? entry.framesDecoded : false;
        }, 20_000);
        await pageB.getByTestId('voice-video').first().waitFor({ state: 'visible', timeout: 5000 });
        return `${frames} frames decoded`;
      });
    }

    if (botJoined) {
      await checks.check('A is server-muted over REST: the bot receives nothing more from A', async () => {
        const owner = seed.bots[0];
        const member = await rest(base, owner.token, 'PATCH', `/guilds/${GUILD}/members/${A.id}`, { mute: true });
        if (member?.mute !== true) throw new Error(`PATCH member mute answered ${JSON.stringify(member)}`);
        await sleep(1000); // packets already in flight
        const muted = fromA.length;
        const stillB = fromB.length;
        await sleep(2500);
        const detail = `from A: ${fromA.length - muted} after the mute; from B: ${fromB.length - stillB} meanwhile`;
        if (fromA.length !== muted) throw new Error(detail);
        if (fromB.length - stillB < 50) throw new Error(`B stopped too, so this proves nothing: ${detail}`);
        return detail;
      });
    } else {
      checks.skip('A is server-muted over REST: the bot receives nothing more from A', 'the bot did not join');
    }
  } finally {
    await Promise.allSettled([bot.destroy(), within(10_000, 'browser close', browser.close())]);
  }
}

main()
  .catch((error) => checks.record('run', false, error?.stack ?? String(error)))
  .finally(() => process.exit(checks.ok && Object.keys(checks.results).length ? 0 : 1));
