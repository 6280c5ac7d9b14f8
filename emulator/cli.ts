/**
 * `npm run emulator`: the local Northflank API emulator on its own, for running the action by
 * hand or in a workflow step (see USAGE in cli-run.ts). Exits 0 on Ctrl-C, SIGTERM or at the end
 * of `--for`, 2 on a bad command line.
 */
import { CliUsageError, parseCliOptions, runEmulator, USAGE } from './cli-run.js';

const print = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

try {
  const options = parseCliOptions(process.argv.slice(2), process.env);
  if (options.help) {
    print(USAGE);
  } else {
    const running = await runEmulator(options, print);
    const onSignal = (signal: NodeJS.Signals): void => {
      void running.stop(signal);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    const reason = await running.stopped;
    print(`Emulator stopped (${reason}).`);
    process.exit(0);
  }
} catch (error) {
  if (!(error instanceof CliUsageError)) throw error;
  process.stderr.write(`emulator: ${error.message}\n`);
  process.exitCode = 2;
}
