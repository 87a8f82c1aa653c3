#!/usr/bin/env node
// Decode breakdown (issue 16): where the time goes between an encoded ~1 MP photo (PNG and JPEG,
// 1000x872, made from the coffee conformance photo) and the raw pixels the native preprocessing
// reads. Stages, each timed alone, interleaved (A B C ... A B C ...), medians:
//   read        fs.readFile of the file (sharp reads the file itself; this is the I/O share)
//   decode      sharp(buffer).raw(): the codec alone, no colour conversion
//   + srgb      sharp(buffer).toColourspace('srgb').raw(): what the library asks for
//   library     decodeImage(path): the library's decode — for an 8-bit RGB(A) PNG or a YCbCr JPEG
//               the addon's fast decoders (file read + libdeflate / libturbojpeg, one native
//               job) where the libraries are installed, else stat + sharp from the path + srgb
//   lib/sharp   the same with DINOV3_IMAGE_DECODER=sharp (the library before the fast decoders)
//   copy        one copy of the decoded pixels (Buffer.from), for scale: the library makes none
//               between sharp's output and the native preprocessing, which reads it in place
//   preprocess  native preprocessing of the decoded pixels to 224x224 (the vectorised kernel)
// The load other processes put on the machine is reported.
// Usage: npm run build && node bench/decode.mjs [--runs 31]
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';

import { cliArg, conformanceImage, interleaved, machine, medians, root } from './models.mjs';

const require = createRequire(import.meta.url);
const sharp = require('sharp');
const { decodeImage, nativeFormat } = require(join(root, 'dist', 'image', 'input.js'));
const { native } = require(join(root, 'dist', 'binding.js'));
const { measured, othersText } = require('./cpu-load.cjs');

const runs = Number(cliArg('runs', 31));
const photos = {
  png: join(root, '.cache', 'bench-photo-1000x872.png'),
  jpeg: join(root, '.cache', 'bench-photo-1000x872.jpg'),
};
await sharp(conformanceImage('coffee')).resize(1000, 872).png().toFile(photos.png);
await sharp(conformanceImage('coffee')).resize(1000, 872).jpeg({ quality: 90 }).toFile(photos.jpeg);
const mean = new Float32Array([0.485, 0.456, 0.406]);
const std = new Float32Array([0.229, 0.224, 0.225]);

console.log(`# decode breakdown, ${machine()}, sharp ${sharp.versions.sharp} (libvips ${sharp.versions.vips}, ${sharp.concurrency()} libvips thread(s)), medians of ${runs}, ms\n`);
const fast = native().fastDecoders();
console.log(`fast decoders: ${Object.entries(fast).map(([k, v]) => `${k} ${v.available ? `on (${v.library})` : `off (${v.reason})`}`).join(', ')}\n`);
console.log('| photo | read | sharp decode | sharp decode + srgb | library decodeImage | library, sharp only | copy | preprocess 224 | other processes |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const [kind, path] of Object.entries(photos)) {
  const bytes = await readFile(path);
  const img = await decodeImage(path);
  const out = new Float32Array(3 * 224 * 224);
  const stages = {
    read: () => readFile(path),
    decode: () => sharp(bytes, { failOn: 'error' }).raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true }),
    srgb: () => sharp(bytes, { failOn: 'error' }).toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true }),
    library: () => decodeImage(path),
    librarySharp: async () => {
      process.env.DINOV3_IMAGE_DECODER = 'sharp';
      try {
        return await decodeImage(path);
      } finally {
        delete process.env.DINOV3_IMAGE_DECODER;
      }
    },
    copy: async () => Buffer.from(img.data),
    preprocess: () => native().preprocess({ pixels: img.data, width: img.width, height: img.height, rowBytes: img.rowBytes,
      format: nativeFormat(img.format), outWidth: 224, outHeight: 224, mean, std, out }),
  };
  const m = await measured(() => interleaved(stages, runs));
  const md = Object.fromEntries(Object.entries(medians(m.times)).map(([k, v]) => [k, v.toFixed(2)]));
  console.log(`| ${kind} ${img.width}x${img.height} ${img.format} | ${md.read} | ${md.decode} | ${md.srgb} | ${md.library} | ${md.librarySharp} | ${md.copy} | ${md.preprocess} | ${othersText(m)} |`);
}
