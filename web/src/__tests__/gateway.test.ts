import { Zlib } from "fflate";
import { describe, expect, it } from "vitest";
import { concat, ZlibStreamDecoder } from "../gateway";

/** What guildhall's zlib-stream sends: one zlib context, each message ends in a sync flush. */
function zlibStream(messages: string[]): Uint8Array[] {
  let chunks: Uint8Array[] = [];
  const zlib = new Zlib({ level: 6 }, (chunk) => chunks.push(chunk));
  return messages.map((m) => {
    chunks = [];
    zlib.push(new TextEncoder().encode(m));
    zlib.flush(true);
    return concat(chunks);
  });
}

describe("zlib-stream", () => {
  it("decodes each message at its sync flush, across one context", () => {
    const messages = ['{"op":10,"d":{"heartbeat_interval":41250}}', JSON.stringify({ op: 0, t: "X", d: "é".repeat(40_000) }), '{"op":11}'];
    const frames = zlibStream(messages);
    const decoder = new ZlibStreamDecoder();
    expect(frames.map((f) => decoder.push(f))).toEqual(messages);
  });

  it("waits for the rest of a message split over frames", () => {
    const [frame] = zlibStream(['{"op":0,"t":"READY","d":{}}']);
    const decoder = new ZlibStreamDecoder();
    expect(decoder.push(frame.slice(0, 5))).toBeNull();
    expect(decoder.push(frame.slice(5))).toBe('{"op":0,"t":"READY","d":{}}');
  });

  it("throws on bytes that are not zlib", () => {
    const garbage = new Uint8Array([1, 2, 3, 4, 5, 0, 0, 0xff, 0xff]);
    expect(() => new ZlibStreamDecoder().push(garbage)).toThrow();
  });
});
