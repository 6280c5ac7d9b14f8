import { describe, expect, it } from '@jest/globals';
import { formatDuration, parseDuration } from '../../src/duration.js';
import { InputError } from '../../src/errors.js';
import { loadYaml } from '../../src/config/structured.js';
import { parseSettings } from '../../src/config/read-settings.js';
import type { InputSources } from '../../src/runner/deps.js';

// parseSettings parses YAML inputs once the parser is loaded (the action's readSettings loads it
// on first need; __tests__/e2e/lazy.e2e.test.ts checks that).
await loadYaml();

const TOKEN = 'nf-test-token-123';

function sources(
  inputs: Record<string, string>,
  files: Record<string, string> = {},
): InputSources & { masked: string[] } {
  const masked: string[] = [];
  return {
    getInput: (name) => inputs[name] ?? '',
    setSecret: (value) => masked.push(value),
    readFile: (file) => {
      const text = files[file];
      if (text === undefined) throw Object.assign(new Error('missing'), { code: 'ENOENT' });
      return text;
    },
    workspace: '/work/repo',
    masked,
  };
}

const REQUIRED = { 'api-token': TOKEN, 'project-id': 'my-project', 'deployment-id': 'my-model' };

function parseError(inputs: Record<string, string>, files?: Record<string, string>): InputError {
  try {
    parseSettings(sources({ ...REQUIRED, ...inputs }, files));
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('expected an InputError');
}

describe('parseSettings', () => {
  it('applies the defaults and masks the token first', () => {
    const s = sources(REQUIRED);
    const settings = parseSettings(s);
    expect(s.masked).toEqual([TOKEN]);
    expect(settings).toMatchObject({
      apiToken: TOKEN,
      target: { projectId: 'my-project', deploymentId: 'my-model', teamId: undefined },
      update: {},
      wait: true,
      timeoutMs: 30 * 60_000,
      pollIntervalMs: 30_000,
      rolloutStartGraceMs: 60_000,
      requestTimeoutMs: 30_000,
    });
    expect(settings.apiUrl.href).toBe('https://api.northflank.com/');
  });

  it('builds the body from the given fields only', () => {
    const settings = parseSettings(
      sources({
        ...REQUIRED,
        name: 'qwen chat',
        description: '  line one\nline two  ',
        tags: 'llm, production\nllm\n',
        ports: '- name: http\n  internalPort: 8000\n  protocol: HTTP\n  public: true\n',
        spec: '{"type": "custom", "configuration": {"name": "Qwen/Qwen3-8B", "architecture": {"workerConfig": {"dataType": "bfloat16"}}}}',
      }),
    );
    expect(settings.update).toEqual({
      name: 'qwen chat',
      description: 'line one\nline two',
      tags: ['llm', 'production'],
      ports: [{ name: 'http', internalPort: 8000, protocol: 'HTTP', public: true }],
      // `type: custom`, as a GET shows it, is accepted and not sent.
      spec: {
        configuration: {
          name: 'Qwen/Qwen3-8B',
          architecture: { workerConfig: { dataType: 'bfloat16' } },
        },
      },
    });
  });

  it('reads spec-file relative to the workspace', () => {
    const settings = parseSettings(
      sources(
        { ...REQUIRED, 'spec-file': 'deploy/model.yaml' },
        { '/work/repo/deploy/model.yaml': 'configuration:\n  revision: v2\n' },
      ),
    );
    expect(settings.update).toEqual({ spec: { configuration: { revision: 'v2' } } });
  });

  it.each([
    [{ 'api-token': '' }, 'api-token', /is required/],
    [{ 'api-token': 'two\nlines' }, 'api-token', /white space or control characters/],
    [{ 'project-id': '' }, 'project-id', /is required/],
    [{ 'deployment-id': 'a/b' }, 'deployment-id', /single id, without "\/"/],
    [{ 'team-id': '..' }, 'team-id', /single id/],
    [{ name: 'no__underscores' }, 'name', /pattern/],
    [{ name: 'ab' }, 'name', /at least 3 characters/],
    [{ description: 'x'.repeat(1025) }, 'description', /at most 1024 characters/],
    [{ tags: 'llm, ab' }, 'tags', /at \[1\]: must be at least 3 characters/],
    [{ tags: 'bad tag!' }, 'tags', /at \[0\]: .*pattern/],
    [
      { ports: '[{"name": "http", "internalPort": 8000, "protocol": "SMTP"}]' },
      'ports',
      /at \[0\]\.protocol: .*"HTTP"/,
    ],
    [
      { ports: '[{"name": "http", "internalPort": 70000, "protocol": "HTTP"}]' },
      'ports',
      /at \[0\]\.internalPort: .*65535/,
    ],
    [
      {
        ports:
          '[{"name": "http", "internalPort": 80, "protocol": "HTTP"}, {"name": "http", "internalPort": 81, "protocol": "TCP"}]',
      },
      'ports',
      /used twice/,
    ],
    [{ ports: '{"name": "http"}' }, 'ports', /must be a list of ports/],
    [{ ports: '[{"name": "http", ' }, 'ports', /not valid JSON or YAML/],
    [
      { spec: '{"configuration": {"nmae": "typo"}}' },
      'spec',
      /at configuration: Unrecognized key: "nmae"/,
    ],
    [
      { spec: '{"configuration": {"engine": "tgi"}}' },
      'spec',
      /at configuration\.engine: .*"vllm"/,
    ],
    [
      { spec: 'configuration:\n  architecture:\n    workerConfig:\n      quantization: int3\n' },
      'spec',
      /at configuration\.architecture\.workerConfig\.quantization/,
    ],
    [
      {
        spec: '{"configuration": {"nodeConfiguration": {"gpu": {"configuration": {"gpuCount": "two"}}}}}',
      },
      'spec',
      /gpuCount: .*number/,
    ],
    [{ spec: '"just a string"' }, 'spec', /must be an object/],
    [
      { spec: '{"configuration": {}}', 'spec-file': 'spec.yaml' },
      'spec-file',
      /cannot be used together with "spec"/,
    ],
    [{ 'spec-file': '../../etc/passwd' }, 'spec-file', /inside the workspace/],
    [{ 'spec-file': 'missing.yaml' }, 'spec-file', /does not exist/],
    [{ timeout: '10 minutes' }, 'timeout', /must be a duration such as 90s/],
    [{ timeout: '0s' }, 'timeout', /greater than zero/],
    [{ 'poll-interval': 'soon' }, 'poll-interval', /must be a duration/],
    [{ wait: 'yes' }, 'wait', /must be true or false/],
    [{ 'api-url': 'http://api.example.com' }, 'api-url', /must use https:\/\//],
    [{ 'api-url': 'not a url' }, 'api-url', /absolute URL/],
    [{ 'api-url': 'https://user:pw@api.example.com' }, 'api-url', /credentials/],
    [{ 'smoke-test': 'true', 'smoke-url': 'not a url' }, 'smoke-url', /absolute URL/],
    [{ 'smoke-test': 'true', 'smoke-url': 'http://model.example.com' }, 'smoke-url', /https:\/\//],
    [{ 'smoke-test': 'true', 'smoke-url': 'https://model.example.com?x=1' }, 'smoke-url', /query/],
  ])('rejects %j, naming %s and the rule', (inputs, input, rule) => {
    const error = parseError(inputs);
    expect(error.input).toBe(input);
    expect(error.message).toMatch(new RegExp(`^Input "${input}" is invalid`));
    expect(error.message).toMatch(rule);
    expect(error.message).not.toContain(TOKEN);
  });

  it('accepts http:// only to loopback addresses', () => {
    for (const url of ['http://127.0.0.1:8080', 'http://localhost:1', 'http://[::1]:9']) {
      expect(parseSettings(sources({ ...REQUIRED, 'api-url': url })).apiUrl.protocol).toBe('http:');
    }
  });
});

// JSON is parsed without the YAML parser (loaded only when needed): these hold whichever parses.
describe('JSON and YAML inputs', () => {
  it('refuses a key given twice in JSON, with its line and column', () => {
    const error = parseError({
      spec: '{"configuration": {"revision": "a",\n "revision": "b"}}',
    });
    expect(error.input).toBe('spec');
    expect(error.message).toMatch(/not valid JSON or YAML at line 2, column \d+: .*unique/i);
  });

  it('is not misled by colons, quotes and backslashes inside JSON strings', () => {
    const settings = parseSettings(
      sources({
        ...REQUIRED,
        spec: '{"configuration": {"revision": "a:\\"b\\":c\\\\", "name": "x/y:z"}}',
      }),
    );
    expect(settings.update.spec).toEqual({
      configuration: { revision: 'a:"b":c\\', name: 'x/y:z' },
    });
  });

  it('gives the same body for a spec in JSON and in YAML', () => {
    const json = parseSettings(
      sources({ ...REQUIRED, spec: '{"configuration": {"name": "org/model", "revision": "r1"}}' }),
    );
    const yamlSpec = parseSettings(
      sources({ ...REQUIRED, spec: 'configuration:\n  name: org/model\n  revision: r1\n' }),
    );
    expect(yamlSpec.update).toEqual(json.update);
  });

  it('parses deeply nested JSON into the schema error, not a crash', () => {
    const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    expect(parseError({ ports: `[${deep}]` }).message).toMatch(/at \[0\]/);
  });
});

describe('durations', () => {
  it.each([
    ['90s', 90_000],
    ['15m', 900_000],
    ['1h30m', 5_400_000],
    ['10m5s', 605_000],
    ['250ms', 250],
    ['45', 45_000],
    ['1.5m', 90_000],
    [' 2M ', 120_000],
  ])('parses %s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', 'soon', '10 minutes', '5d', 'm5', '-5s', '1h-30m'])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it('formats for people', () => {
    expect([850, 42_000, 185_000, 3_720_000, 3_600_000].map(formatDuration)).toEqual([
      '850ms',
      '42s',
      '3m 5s',
      '1h 2m',
      '1h',
    ]);
  });
});
