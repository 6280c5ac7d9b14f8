/**
 * `npm run demo`: the action's main job end to end, on this machine, with no account
 * (scripts/demo-deploy.ts): a spec change rolled out on the local Northflank API emulator and
 * benchmarked before and after, with the inputs it gives, the action's log, outputs and summary.
 *
 * `npm run demo -- --regression`: a rollout that serves slower tokens: regressed, then reverted.
 * `npm run demo -- --crash`: the new rollout crashes and revert-on-failure puts it back.
 * `npm run demo -- --preview`: mode preview through a pull request's life (scripts/demo-preview.ts).
 */
import { deployDemo } from './demo-deploy.js';

const USAGE = `Usage: npm run demo [-- --regression | --crash | --preview]

  (no option)    a rollout that runs, benchmarked before and after (about 20 s)
  --regression   a rollout that serves slower tokens: regressed, then reverted (about 30 s)
  --crash        a rollout that crashes and is reverted, and the failure's summary (about 20 s)
  --preview      a pull request's preview: created beside production, benchmarked against it,
                 updated on a push, deleted on close, with its sticky comment (about 40 s)

Times are npm run's, building the scripts included (about 5 s of them).
`;

const args = process.argv.slice(2);
const help = args.includes('--help') || args.includes('-h');
const OPTIONS = ['--crash', '--regression', '--preview'];
if (help || args.length > 1 || args.some((a) => !OPTIONS.includes(a))) {
  process.stderr.write(help ? USAGE : `demo: unknown option\n${USAGE}`);
  process.exit(help ? 0 : 2);
}
if (args.includes('--preview')) {
  const { previewDemo } = await import('./demo-preview.js');
  process.exitCode = await previewDemo();
} else {
  const kind = args.includes('--crash')
    ? 'crash'
    : args.includes('--regression')
      ? 'regression'
      : 'runs';
  const run = await deployDemo(kind, {
    print: (line) => {
      console.log(line);
    },
    echo: process.stdout,
  });
  process.exitCode = run.code ?? 1;
}
