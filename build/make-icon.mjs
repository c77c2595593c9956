// Renders build/icon.png (1024x1024, electron-builder derives .ico/.icns from it) from an SVG; run once by hand:
// `node build/make-icon.mjs`. The PNG is committed so packaging needs no step of its own.
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const size = 1024;
// A face outline with landmark dots inside detector-box corners: what the app reviews.
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 1024 1024">
  <defs>
    <linearGradient id="bg" x1="0" y1="0" x2="1" y2="1">
      <stop offset="0" stop-color="#2b3a67"/>
      <stop offset="1" stop-color="#14182b"/>
    </linearGradient>
  </defs>
  <rect x="32" y="32" width="960" height="960" rx="200" fill="url(#bg)"/>
  <g fill="none" stroke="#ffcc4d" stroke-width="40" stroke-linecap="round">
    <path d="M196 330 V196 H330"/><path d="M694 196 H828 V330"/>
    <path d="M828 694 V828 H694"/><path d="M330 828 H196 V694"/>
  </g>
  <ellipse cx="512" cy="520" rx="220" ry="280" fill="none" stroke="#e8ecf8" stroke-width="28"/>
  <g fill="#7fd4ff">
    <circle cx="430" cy="450" r="30"/><circle cx="594" cy="450" r="30"/>
    <circle cx="512" cy="550" r="24"/>
    <circle cx="440" cy="650" r="20"/><circle cx="512" cy="672" r="20"/><circle cx="584" cy="650" r="20"/>
  </g>
</svg>`;

const out = fileURLToPath(new URL('icon.png', import.meta.url));
await sharp(Buffer.from(svg)).png({ compressionLevel: 9 }).toFile(out);
console.log(`wrote ${out}`);
