import { existsSync } from 'node:fs';
import { SegmintError } from '../core/errors.js';

/** Where a system Chromium usually is; SEGMINT_CHROMIUM or CHROME_PATH win. */
export function findChromium(): string | null {
  const candidates = [
    process.env.SEGMINT_CHROMIUM,
    process.env.CHROME_PATH,
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
    '/usr/bin/google-chrome',
    '/usr/bin/google-chrome-stable',
  ];
  for (const c of candidates) if (c && existsSync(c)) return c;
  return null;
}

/** The flags for a headless Chromium that makes no network connection of its own. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];

export function requireChromium(): string {
  const path = findChromium();
  if (!path) {
    throw new SegmintError('USAGE', 'Printing to PDF needs Chromium, and none was found.', {
      hint: 'Install it (Debian/Ubuntu: sudo apt-get install chromium), or set SEGMINT_CHROMIUM to the browser executable.',
    });
  }
  return path;
}

/** Prints an HTML file to PDF (A4) with headless Chromium through playwright-core. */
export async function printPdf(htmlFile: string, pdfFile: string): Promise<void> {
  const executablePath = requireChromium();
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    await page.goto(`file://${htmlFile}`, { waitUntil: 'load' });
    await page.emulateMedia({ media: 'print' });
    await page.pdf({
      path: pdfFile,
      format: 'A4',
      printBackground: true,
      margin: { top: '12mm', bottom: '12mm', left: '10mm', right: '10mm' },
    });
  } finally {
    await browser.close();
  }
}
