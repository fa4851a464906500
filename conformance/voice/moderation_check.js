'use strict';
// Moderation reaches voice: bot A (discord.js) plays a long 440 Hz tone, bot B (discord.js) receives it
// in the seeded voice channel, and the guild owner (bot 0, which holds MUTE_MEMBERS and MOVE_MEMBERS)
// acts on A over REST:
//   PATCH /guilds/{g}/members/{A} {"mute": true}   -> after 300 ms, B receives nothing for 1.5 s
//   PATCH … {"mute": false}                        -> B receives again within 2 s
//   PATCH … {"channel_id": <second voice channel>} -> after 500 ms, B receives nothing for 1.5 s,
//                                                     and C (the owner, waiting in that channel) hears A.
// B's discord.js cache must also show the server mute and the move (VOICE_STATE_UPDATE).
//
// Usage: node moderation_check.js BASE_URL SEED_JSON RESULTS_JSON RUN
// Exits 0 iff every check passed.

const { Bot, Checks, args, rest, sleep, within, describe } = require('./common');
const { tonePackets, isSilence } = require('./audio');

const { base, seed, resultsPath, run } = args();
const GUILD = seed.guild.id;
const VOICE = seed.voice_channels[0].id;
const OWNER = seed.bots[0];
const A_ID = seed.bots[1].id;
const checks = new Checks(run, resultsPath);

/** Non-silence packets in `received` that arrived at or after `since`. */
const countSince = (received, since) => received.filter((r) => r.at >= since && !isSilence(r.packet)).length;

/** Resolves the arrival time of the first packet at or after `since`, polling until `deadline`. */
async function firstPacket(received, since, deadline) {
  while (Date.now() < deadline) {
    const hit = received.find((r) => r.at >= since && !isSilence(r.packet));
    if (hit) return hit.at;
    await sleep(20);
  }
  return null;
}

/** Resolves once `bot`'s discord.js cache shows A's voice state matching `predicate`. */
function voiceStateOfA(bot, predicate, what) {
  const seen = within(
    3_000,
    `${bot.name} sees A's VOICE_STATE_UPDATE ${what}`,
    new Promise((resolve) => {
      const test = () => {
        const state = bot.guild.voiceStates.cache.get(A_ID);
        if (state && predicate(state)) {
          bot.client.off('voiceStateUpdate', test);
          resolve();
        }
      };
      bot.client.on('voiceStateUpdate', test);
      test();
    }),
  );
  // Awaited later; until then a timeout must not count as an unhandled rejection (which ends node).
  seen.catch(() => {});
  return seen;
}

async function silentWindow(received, graceMs, windowMs) {
  await sleep(graceMs);
  const since = Date.now();
  await sleep(windowMs);
  const n = countSince(received, since);
  if (n) throw new Error(`${n} packets arrived in the ${windowMs} ms window`);
  return `0 packets in ${windowMs} ms after a ${graceMs} ms grace`;
}

async function main() {
  // 1 s of 440 Hz is a whole number of cycles, so the same 50 packets loop seamlessly.
  const second = tonePackets(440, 1);
  const packets = Array.from({ length: 30 }, () => second).flat();
  const a = new Bot('A', seed.bots[1], base);
  const b = new Bot('B', seed.bots[2], base);
  const c = new Bot('C', OWNER, base);
  let player = null;
  try {
    let other;
    const setUp = await checks.check('owner creates a second voice channel; A, B join the first, C the second', async () => {
      other = await rest(base, OWNER.token, 'POST', `/guilds/${GUILD}/channels`, { name: 'Second', type: 2 });
      for (const bot of [a, b, c]) await bot.login(GUILD);
      await b.join(VOICE);
      await c.join(other.id);
      await a.join(VOICE);
      return `second channel ${other.id}`;
    });
    if (!setUp) return;
    const atB = b.listen(A_ID);
    const atC = c.listen(A_ID);
    const started = Date.now();
    player = a.start(packets);

    const hearing = await checks.check('B receives A', async () => {
      const first = await firstPacket(atB, started, started + 5_000);
      if (first === null) throw new Error(`nothing within 5 s (A: ${describe(a.connection)}, player ${player.state.status})`);
      await sleep(1_000);
      return `first packet after ${first - started} ms, ${countSince(atB, started)} packets so far`;
    });
    if (!hearing) return;

    const muted = await checks.check('server mute over REST: B receives nothing (300 ms grace, 1.5 s window)', async () => {
      const seen = voiceStateOfA(b, (s) => s.serverMute === true, 'with mute: true');
      await rest(base, OWNER.token, 'PATCH', `/guilds/${GUILD}/members/${A_ID}`, { mute: true });
      const detail = await silentWindow(atB, 300, 1_500);
      await seen;
      return detail;
    });

    await checks.check('unmute over REST: B receives again within 2 s', async () => {
      if (!muted) throw new Error('not run: the mute step failed');
      const seen = voiceStateOfA(b, (s) => s.serverMute === false, 'with mute: false');
      const sent = Date.now();
      await rest(base, OWNER.token, 'PATCH', `/guilds/${GUILD}/members/${A_ID}`, { mute: false });
      const first = await firstPacket(atB, sent, Date.now() + 2_000);
      if (first === null) throw new Error(`nothing within 2 s (A: ${describe(a.connection)}, player ${player.state.status})`);
      await seen;
      return `first packet ${first - sent} ms after the PATCH was sent`;
    });

    let moved = false;
    await checks.check('move over REST to the second channel: B receives nothing (500 ms grace, 1.5 s window)', async () => {
      const seen = voiceStateOfA(b, (s) => s.channelId === other.id, `with channel_id ${other.id}`);
      await rest(base, OWNER.token, 'PATCH', `/guilds/${GUILD}/members/${A_ID}`, { channel_id: other.id });
      moved = Date.now();
      const detail = await silentWindow(atB, 500, 1_500);
      await seen;
      return detail;
    });

    await checks.check('after the move, C in the second channel hears A within 3 s', async () => {
      if (!moved) throw new Error('not run: the move step failed');
      const first = await firstPacket(atC, moved, moved + 3_000);
      if (first === null) throw new Error(`nothing within 3 s (A: ${describe(a.connection)}, player ${player.state.status})`);
      return `first packet ${first - moved} ms after the move`;
    });
  } finally {
    player?.stop(true);
    await Promise.allSettled([a.destroy(), b.destroy(), c.destroy()]);
  }
}

main()
  .catch((error) => checks.record('run', false, error?.stack ?? String(error)))
  .finally(() => process.exit(checks.ok && Object.keys(checks.results).length ? 0 : 1));
