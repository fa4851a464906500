import { describe, expect, it } from "vitest";
import { SlotMap, voiceUrl } from "../call/slots";

describe("receive slots", () => {
  it("follows op 12: a mid given to another user leaves its previous holder", () => {
    const m = new SlotMap();
    m.update("1", { audio: "3", video: "20", screen: null });
    m.update("2", { audio: "4" });
    expect(m.owner("3")).toEqual({ userId: "1", kind: "audio" });
    expect(m.owner("20")).toEqual({ userId: "1", kind: "video" });
    m.update("2", { audio: "4", screen: "20" });
    expect(m.owner("20")).toEqual({ userId: "2", kind: "screen" });
    expect(m.mid("1", "video")).toBeNull();
    expect(m.mid("1", "audio")).toBe("3");
    m.remove("1");
    expect(m.owner("3")).toBeNull();
    expect(m.snapshot()).toEqual({ "2": { audio: "4", video: null, screen: "20" } });
  });
});

describe("voice URL", () => {
  it("uses the endpoint over TLS and the page's own origin over plain HTTP", () => {
    expect(voiceUrl("chat.example:8443/voice", { protocol: "https:", host: "chat.example" })).toBe("wss://chat.example:8443/voice?v=8");
    expect(voiceUrl("127.0.0.1:8443/voice", { protocol: "http:", host: "127.0.0.1:8080" })).toBe("ws://127.0.0.1:8080/voice?v=8");
  });
});
