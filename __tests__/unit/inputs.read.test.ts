import { describe, expect, it } from '@jest/globals';
import { readSettings } from '../../src/config/read-settings.js';
import type { InputSources } from '../../src/runner/deps.js';

// No loadYaml() here: this file sees the parser loaded on demand, as the action does.
describe('readSettings', () => {
  it('loads the YAML parser for a YAML spec-file and reads the file once, over both passes', async () => {
    let reads = 0;
    const inputs: Record<string, string> = {
      'api-token': 'nf-test-token-123',
      'project-id': 'my-project',
      'deployment-id': 'my-model',
      'spec-file': 'model/spec.yaml',
    };
    const sources: InputSources = {
      getInput: (name) => inputs[name] ?? '',
      setSecret: () => undefined,
      readFile: () => {
        reads++;
        return 'configuration:\n  name: Qwen/Qwen3-8B\n';
      },
      workspace: '/work/repo',
    };
    const settings = await readSettings(sources);
    expect(settings.update.spec).toEqual({ configuration: { name: 'Qwen/Qwen3-8B' } });
    expect(reads).toBe(1);
  });
});
