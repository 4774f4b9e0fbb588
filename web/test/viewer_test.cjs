// The viewer in a real browser: Debian's chromium, headless, driven by
// playwright-core. Opens the viewer on the projectile scene, plays it and
// reads the projectile's position from the page (the three.js object's world
// position) as it moves: it must follow the parabola; turns the controller
// off (the projectile stays while frames advance) and on again; saves a
// screenshot and checks that it is not blank. Then plays back a finished run
// of the scene (portalis run -o, given with --playback): scrubs its frames
// with the slider (the projectile is where the run put it), plays them, checks
// the chart of its values, and returns to the live scene.
//   node viewer_test.cjs PORTALIS SCENE WEB_DIR SCREENSHOT.png
// Exit 77 (skipped) without chromium. NODE_PATH must hold playwright-core.
'use strict';
const { spawn, spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const [portalis, scene, webDir, shot] = process.argv.slice(2);
const runOut = path.join(path.dirname(shot), 'viewer_run.usda'), RUN_FRAMES = 40;
const chromiumPath = process.env.PORTALIS_CHROMIUM || '/usr/bin/chromium';
let passed = 0;
const failed = [];
function check(cond, what) {
  if (cond) passed++;
  else { failed.push(what); console.log('FAIL: ' + what); }
}

function projectile(v, angle, t) {
  const a = (angle * Math.PI) / 180, tl = Math.max((2 * v * Math.sin(a)) / 9.81, 0);
  if (t >= tl) return [v * Math.cos(a) * tl, 0, 0];
  return [v * Math.cos(a) * t, 0, v * Math.sin(a) * t - 0.5 * 9.81 * t * t];
}
const near = (a, b, eps) => a && b && a.every((x, i) => Math.abs(x - b[i]) < eps);

function startServer() {
  return new Promise((resolve, reject) => {
    const p = spawn(portalis, ['serve', scene, '--paused', '--listen', '127.0.0.1:0', '--web', webDir,
      '--playback', runOut]);
    let out = '', err = '';
    p.stderr.on('data', (d) => { err += d; });
    p.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (\S+)/);
      if (m) resolve({ p, url: m[1], err: () => err });
    });
    p.on('exit', (code) => reject(new Error('server exited ' + code + ': ' + err)));
  });
}

const sample = (page) => page.evaluate(() => {
  const s = window.portalis.state();
  return { frame: s.frame, time: s.time, paused: s.modules[0].paused, pos: window.portalis.position('/World/Projectile') };
});

async function waitFor(page, what, pred, ms = 20000) {
  const end = Date.now() + ms;
  for (;;) {
    const s = await sample(page);
    if (pred(s)) return s;
    if (Date.now() > end) { check(false, 'timed out waiting for ' + what + ': ' + JSON.stringify(s)); return s; }
    await page.waitForTimeout(50);
  }
}

// Distinct colours of an image (every 7th pixel), read in the page.
function colours(page, src) {
  return page.evaluate(async (url) => {
    const img = new Image();
    img.src = url;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = img.width; c.height = img.height;
    const ctx = c.getContext('2d');
    ctx.drawImage(img, 0, 0);
    const d = ctx.getImageData(0, 0, c.width, c.height).data, seen = new Set();
    for (let i = 0; i < d.length; i += 28) seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
    return seen.size;
  }, src);
}

async function run(browser, url) {
  const page = await browser.newPage({ viewport: { width: 900, height: 560 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(url);
  await page.waitForFunction(() => window.portalis && window.portalis.ready && window.portalis.state(), null, { timeout: 20000 });
  let s = await sample(page);
  check(s.frame === 0 && near(s.pos, [0, 0, 0], 1e-9), 'starts at frame 0 at the origin: ' + JSON.stringify(s));
  // played: the projectile moves along the parabola
  await page.click('[data-testid=play]');
  const seen = [];
  s = await waitFor(page, 'frames', (x) => x.frame >= 5);
  for (const end = Date.now() + 15000; seen.length < 8 && Date.now() < end;) {
    const x = await sample(page); /* frames as the page shows them, however fast they come */
    if (!seen.length || x.frame !== seen[seen.length - 1].frame) seen.push(x);
    await page.waitForTimeout(40);
  }
  await page.click('[data-testid=pause]');
  const xs = new Set(seen.map((x) => x.pos[0].toFixed(6)));
  check(xs.size >= 4, 'the projectile moves: ' + xs.size + ' distinct positions in ' + JSON.stringify(seen));
  check(seen.every((x, i) => i === 0 || x.frame >= seen[i - 1].frame), 'frames advance');
  for (const x of seen) {
    if (!near(x.pos, projectile(20, 45, x.time), 1e-6)) {
      check(false, 'on the parabola at t=' + x.time + ': ' + x.pos + ' vs ' + projectile(20, 45, x.time));
      break;
    }
  }
  check(seen.some((x) => x.pos[2] > 1), 'it rises: ' + JSON.stringify(seen[seen.length - 1]));
  // from the start again (the run may have reached its last frame on a slow machine)
  await page.click('[data-testid=reset]');
  await waitFor(page, 'the reset', (x) => x.frame === 0);
  for (let i = 0; i < 2; i++) await page.click('[data-testid=step]');
  await waitFor(page, 'two steps', (x) => x.frame === 2);
  // the controller off: frames advance, the projectile stays
  const toggle = '[data-testid="toggle /World/Controller"]';
  await page.click(toggle);
  const off = await waitFor(page, 'the module off', (x) => x.paused);
  for (let i = 0; i < 3; i++) await page.click('[data-testid=step]');
  const still = await waitFor(page, 'three steps', (x) => x.frame >= off.frame + 3);
  check(near(still.pos, off.pos, 1e-12), 'a module turned off leaves the projectile: ' + JSON.stringify([off, still]));
  await page.click(toggle);
  await waitFor(page, 'the module on', (x) => !x.paused);
  await page.click('[data-testid=step]');
  const moved = await waitFor(page, 'a step', (x) => x.frame >= still.frame + 1);
  check(!near(moved.pos, still.pos, 1e-9) && near(moved.pos, projectile(20, 45, moved.time), 1e-6),
    'on again, it moves along the parabola: ' + JSON.stringify(moved));
  // the overlay and the module list show statistics
  const overlay = await page.textContent('#overlay');
  check(/frame \d+/.test(overlay) && /Controller: [\d.]+ µs mean/.test(overlay), 'overlay: ' + overlay);
  const rows = await page.$$eval('#modules tbody tr', (r) => r.map((x) => x.textContent));
  check(rows.length === 1 && rows[0].includes('/World/Controller'), 'module list: ' + rows);
  const graph = await page.$$eval('#graph rect', (r) => r.length);
  check(graph === 2, 'execution graph: the controller and the projectile (' + graph + ' boxes)');
  // not blank: the 3D canvas and the saved screenshot
  const canvas = await page.evaluate(() => document.querySelector('#view canvas').toDataURL('image/png'));
  const inView = await colours(page, canvas);
  check(inView >= 5, '3D view has ' + inView + ' colours');
  await page.screenshot({ path: shot });
  const inShot = await colours(page, 'data:image/png;base64,' + fs.readFileSync(shot).toString('base64'));
  check(inShot >= 20, 'screenshot ' + shot + ' has ' + inShot + ' colours');
  await playback(page);
  check(errors.length === 0, 'no errors in the page: ' + errors.join('; '));
}

// The finished run: its frames scrubbed with the slider and played.
async function playback(page) {
  const runs = await page.$$eval('#runs option', (o) => o.map((x) => x.textContent));
  check(runs.length === 1 && runs[0] === 'viewer_run.usda', 'the run is offered: ' + runs);
  const live = await sample(page);
  await page.click('[data-testid=pb-load]');
  await page.waitForFunction(() => window.portalis.playback.frames() > 0, null, { timeout: 20000 });
  const frames = await page.evaluate(() => window.portalis.playback.frames());
  check(frames === RUN_FRAMES, 'the run has its ' + RUN_FRAMES + ' frames: ' + frames);
  const scrub = (f) => page.evaluate((n) => {
    const el = document.getElementById('pb-slider');
    el.value = String(n);
    el.dispatchEvent(new Event('input'));
    return { frame: window.portalis.playback.frame(), pos: window.portalis.position('/World/Projectile'),
      label: document.getElementById('pb-frame').textContent };
  }, f);
  for (const f of [0, 7, 23, 39, 12]) {
    const x = await scrub(f);
    check(x.frame === f && near(x.pos, projectile(20, 45, f / 60), 1e-6),
      'scrubbed to frame ' + f + ': ' + JSON.stringify(x) + ' vs ' + projectile(20, 45, f / 60));
    check(x.label.startsWith('frame ' + (f + 1) + ' / ' + RUN_FRAMES), 'frame label ' + x.label);
  }
  const series = await page.evaluate(() => window.portalis.playback.series());
  check(series === 6, 'the chart has the run\'s 6 value series (2 tracks of 3): ' + series);
  const chart = await page.$$eval('#pb-chart canvas', (c) => c.length);
  check(chart === 1, 'the chart is drawn');
  // played: every frame in turn to the last (the page records them, however slow the machine)
  await scrub(0);
  await page.click('[data-testid=pb-play]');
  await page.waitForFunction(() => !window.portalis.playback.playing(), null, { timeout: 60000 });
  const played = await page.evaluate(() => ({ trail: window.portalis.playback.trail(),
    pos: window.portalis.position('/World/Projectile') }));
  check(played.trail.length === RUN_FRAMES && played.trail.every((f, i) => f === i),
    'Play shows every frame in turn: ' + played.trail.join(','));
  check(near(played.pos, projectile(20, 45, (RUN_FRAMES - 1) / 60), 1e-6), 'played to the last frame: ' + played.pos);
  await page.locator('#playback').scrollIntoViewIfNeeded();
  const shotPb = shot.replace(/\.png$/, '') + '_playback.png';
  await page.screenshot({ path: shotPb });
  const inShot = await colours(page, 'data:image/png;base64,' + fs.readFileSync(shotPb).toString('base64'));
  check(inShot >= 20, 'playback screenshot ' + shotPb + ' has ' + inShot + ' colours');
  await page.click('[data-testid=pb-live]');
  const back = await waitFor(page, 'the live scene', (x) => near(x.pos, live.pos, 1e-12));
  check(near(back.pos, live.pos, 1e-12), 'back to the live scene: ' + JSON.stringify([live, back]));
}

async function main() {
  if (!fs.existsSync(chromiumPath)) {
    console.log('skipped: no chromium at ' + chromiumPath + ' (apt-get install chromium)');
    process.exit(77);
  }
  const { chromium } = require('playwright-core');
  const made = spawnSync(portalis, ['run', scene, '--frames', String(RUN_FRAMES), '-o', runOut, '--quiet']);
  if (made.status !== 0) throw new Error('portalis run failed: ' + made.stderr);
  const srv = await startServer();
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--enable-unsafe-swiftshader', '--use-angle=swiftshader', '--ignore-gpu-blocklist'],
  });
  try {
    await run(browser, srv.url);
  } catch (e) {
    check(false, 'the test ran: ' + e.stack);
  } finally {
    await browser.close();
    srv.p.removeAllListeners('exit');
    const code = await new Promise((r) => { srv.p.on('exit', r); srv.p.kill('SIGTERM'); });
    check(code === 0, 'server exits 0 on SIGTERM: ' + code + ' ' + srv.err());
  }
  console.log(`viewer_test: ${passed} passed, ${failed.length} failed`);
  process.exit(failed.length ? 1 : 0);
}

main();
