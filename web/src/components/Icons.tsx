// UI glyphs as inline SVG: they look the same on every machine, emoji fonts or not.
import type { ReactNode } from "react";

function Svg({ size = 18, children }: { size?: number; children: ReactNode }) {
  return (
    <svg viewBox="0 0 24 24" width={size} height={size} aria-hidden="true" fill="currentColor">
      {children}
    </svg>
  );
}

export const Icon = {
  speaker: (size?: number) => (
    <Svg size={size}><path d="M11 5 6 9H3v6h3l5 4V5Zm4.5 3.5-1.4 1.4a3 3 0 0 1 0 4.2l1.4 1.4a5 5 0 0 0 0-7Zm2.8-2.8-1.4 1.4a7 7 0 0 1 0 9.8l1.4 1.4a9 9 0 0 0 0-12.6Z" /></Svg>
  ),
  micOff: (size?: number) => (
    <Svg size={size}><path d="M3.3 2 2 3.3l6 6V11a4 4 0 0 0 6.2 3.3l1.5 1.5A6 6 0 0 1 6 11H4a8 8 0 0 0 7 7.9V21h2v-2.1a7.9 7.9 0 0 0 4.1-1.7l3.6 3.6 1.3-1.3L3.3 2ZM16 11V5a4 4 0 0 0-7.6-1.7L16 10.9V11Zm2 0h2c0 1.2-.3 2.4-.8 3.4l-1.5-1.5c.2-.6.3-1.2.3-1.9Z" /></Svg>
  ),
  headphonesOff: (size?: number) => (
    <Svg size={size}><path d="M3.3 2 2 3.3 4.4 5.7A9.9 9.9 0 0 0 2 12v6a3 3 0 0 0 3 3h2v-8H4v-1c0-1.5.4-2.9 1.1-4.1L20.7 22l1.3-1.3L3.3 2ZM12 2c-2 0-3.9.6-5.5 1.7l1.4 1.4A8 8 0 0 1 20 12v1h-3v3.2l3.6 3.6c.9-.5 1.4-1.4 1.4-2.5V12A10 10 0 0 0 12 2Z" /></Svg>
  ),
  invite: (size?: number) => (
    <Svg size={size}><path d="M14 8a4 4 0 1 1-8 0 4 4 0 0 1 8 0ZM2 19c0-3.3 3.6-6 8-6s8 2.7 8 6v1H2v-1Zm18-11h2v3h3v2h-3v3h-2v-3h-3v-2h3V8Z" /></Svg>
  ),
  bot: (size?: number) => (
    <Svg size={size}><path d="M11 2h2v3h4a3 3 0 0 1 3 3v9a3 3 0 0 1-3 3H7a3 3 0 0 1-3-3V8a3 3 0 0 1 3-3h4V2ZM9 10.5a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3Zm6 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3ZM8 16v1.5h8V16H8ZM1 10h2v5H1v-5Zm20 0h2v5h-2v-5Z" /></Svg>
  ),
  logout: (size?: number) => (
    <Svg size={size}><path d="M10 3H4a1 1 0 0 0-1 1v16a1 1 0 0 0 1 1h6v-2H5V5h5V3Zm6.6 4.6L15.2 9l2 2H9v2h8.2l-2 2 1.4 1.4L21 12l-4.4-4.4Z" /></Svg>
  ),
  plus: (size?: number) => (
    <Svg size={size}><path d="M11 4h2v7h7v2h-7v7h-2v-7H4v-2h7V4Z" /></Svg>
  ),
  gear: (size?: number) => (
    <Svg size={size}><path d="M19.4 13a7.6 7.6 0 0 0 0-2l2.1-1.6-2-3.5-2.5 1a7.4 7.4 0 0 0-1.7-1L15 3h-4l-.4 2.9a7.4 7.4 0 0 0-1.7 1l-2.5-1-2 3.5L6.6 11a7.6 7.6 0 0 0 0 2l-2.1 1.6 2 3.5 2.5-1c.5.4 1.1.8 1.7 1L11 21h4l.4-2.9c.6-.2 1.2-.6 1.7-1l2.5 1 2-3.5-2.2-1.6ZM13 15.5a3.5 3.5 0 1 1 0-7 3.5 3.5 0 0 1 0 7Z" /></Svg>
  ),
  pin: (size?: number) => (
    <Svg size={size}><path d="M16 3 21 8l-2 1-3 3 .5 4.5L15 18l-4-4-5.5 5.5L4 18l5.5-5.5-4-4L7 7l4.5.5 3-3L16 3Z" /></Svg>
  ),
  trash: (size?: number) => (
    <Svg size={size}><path d="M9 3h6l1 2h4v2H4V5h4l1-2ZM6 8h12l-1 13H7L6 8Zm4 3v7h1.5v-7H10Zm2.5 0v7H14v-7h-1.5Z" /></Svg>
  ),
  reply: (size?: number) => (
    <Svg size={size}><path d="M10 8V4L3 11l7 7v-4.1c5 0 8.5 1.6 11 5.1-1-5-4-10-11-11Z" /></Svg>
  ),
  edit: (size?: number) => (
    <Svg size={size}><path d="m14.1 5.1 4.8 4.8L8.8 20H4v-4.8L14.1 5.1Zm1.4-1.4 1.8-1.8a1 1 0 0 1 1.4 0l3.4 3.4a1 1 0 0 1 0 1.4l-1.8 1.8-4.8-4.8Z" /></Svg>
  ),
  smile: (size?: number) => (
    <Svg size={size}><path d="M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20Zm-3.5 6a1.5 1.5 0 1 1 0 3 1.5 1.5 0 0 1 0-3Zm7 0a1.5 1.5 0 1 1 0 3 1.5 1.5 0 0 1 0-3ZM12 18a6 6 0 0 1-5.2-3h10.4A6 6 0 0 1 12 18Z" /></Svg>
  ),
  thumbsUp: (size?: number) => (
    <Svg size={size}><path d="M2 10h4v11H2V10Zm6 11h9.3a2 2 0 0 0 2-1.6l1.6-8A2 2 0 0 0 19 9h-5.4l.9-4.3A1.5 1.5 0 0 0 13 3l-.8.1L8 8.6V21Z" /></Svg>
  ),
  home: (size?: number) => (
    <Svg size={size}><path d="M12 3 2 11h3v9h5v-6h4v6h5v-9h3L12 3Z" /></Svg>
  ),
  chevron: (size?: number) => (
    <Svg size={size}><path d="M7 9.5 12 14.5l5-5 1.4 1.4L12 17.3 5.6 10.9 7 9.5Z" /></Svg>
  ),
  close: (size?: number) => (
    <Svg size={size}><path d="m6.4 5 5.6 5.6L17.6 5 19 6.4 13.4 12l5.6 5.6-1.4 1.4-5.6-5.6L6.4 19 5 17.6l5.6-5.6L5 6.4 6.4 5Z" /></Svg>
  ),
  hash: (size?: number) => (
    <Svg size={size}><path d="M10 3 9.3 8H5v2h4l-.6 4H4v2h4.1L7.4 21h2l.7-5h4l-.7 5h2l.7-5H20v-2h-4.3l.6-4H21V8h-4.4l.7-5h-2l-.7 5h-4l.7-5h-2Zm1 7h4l-.6 4h-4l.6-4Z" /></Svg>
  ),
  mic: (size?: number) => (
    <Svg size={size}><path d="M12 14a3 3 0 0 0 3-3V5a3 3 0 0 0-6 0v6a3 3 0 0 0 3 3Zm5-3a5 5 0 0 1-10 0H5a7 7 0 0 0 6 6.9V21h2v-3.1a7 7 0 0 0 6-6.9h-2Z" /></Svg>
  ),
  headphones: (size?: number) => (
    <Svg size={size}><path d="M12 3a9 9 0 0 0-9 9v6a3 3 0 0 0 3 3h2v-8H5v-1a7 7 0 0 1 14 0v1h-3v8h2a3 3 0 0 0 3-3v-6a9 9 0 0 0-9-9Z" /></Svg>
  ),
  camera: (size?: number) => (
    <Svg size={size}><path d="M4 6a2 2 0 0 0-2 2v8a2 2 0 0 0 2 2h10a2 2 0 0 0 2-2v-2.5l4.4 3a1 1 0 0 0 1.6-.8V8.3a1 1 0 0 0-1.6-.8L16 10.5V8a2 2 0 0 0-2-2H4Z" /></Svg>
  ),
  screen: (size?: number) => (
    <Svg size={size}><path d="M3 4a2 2 0 0 0-2 2v10a2 2 0 0 0 2 2h7v2H7v2h10v-2h-3v-2h7a2 2 0 0 0 2-2V6a2 2 0 0 0-2-2H3Zm0 2h18v10H3V6Zm9 1-4 4h3v3h2v-3h3l-4-4Z" /></Svg>
  ),
  hangup: (size?: number) => (
    <Svg size={size}><path d="M12 9c-3.4 0-6.6 1-9.2 2.8a1.5 1.5 0 0 0-.3 2.1l1.6 2a1.5 1.5 0 0 0 1.9.4l2.5-1.3c.5-.3.8-.8.8-1.4v-1.4a13 13 0 0 1 5.4 0v1.4c0 .6.3 1.1.8 1.4l2.5 1.3a1.5 1.5 0 0 0 1.9-.4l1.6-2a1.5 1.5 0 0 0-.3-2.1A16 16 0 0 0 12 9Z" /></Svg>
  ),
};
