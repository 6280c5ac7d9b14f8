/** Input cases from issue 11: what a careless or hostile workflow can pass. */
import { describe, expect, it } from '@jest/globals';
import { InputError } from '../../src/errors.js';
import { loadYaml } from '../../src/config/structured.js';
import { parseSettings } from '../../src/config/read-settings.js';
import type { InputSources } from '../../src/runner/deps.js';

// parseSettings parses YAML inputs once the parser is loaded (the action's readSettings loads it
// on first need; __tests__/e2e/lazy.e2e.test.ts checks that).
await loadYaml();

const TOKEN = 'nf-test-token-123';
const REQUIRED = { 'api-token': TOKEN, 'project-id': 'my-project', 'deployment-id': 'my-model' };
const MiB = 1024 * 1024;

function sources(inputs: Record<string, string>): InputSources {
  return {
    getInput: (name) => inputs[name] ?? '',
    setSecret: () => undefined,
    readFile: () => {
      throw Object.assign(new Error('missing'), { code: 'ENOENT' });
    },
    workspace: '/work/repo',
  };
}

function parse(inputs: Record<string, string>): ReturnType<typeof parseSettings> {
  return parseSettings(sources({ ...REQUIRED, ...inputs }));
}

function parseError(inputs: Record<string, string>): InputError {
  try {
    parse(inputs);
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('expected an InputError');
}

describe('structured inputs are capped at 1 MiB', () => {
  it.each(['spec', 'ports'])('refuses %s over 1 MiB, naming it', (name) => {
    const error = parseError({ [name]: `# ${'x'.repeat(MiB)}\n[]` });
    expect(error.input).toBe(name);
    expect(error.message).toMatch(/is 1048581 bytes; the limit is 1048576 bytes \(1 MiB\)/);
  });
});

describe('tags', () => {
  it.each([',', ' , \n ,', '[]', '- ""'])('refuses %j, which holds no tag', (tags) => {
    const error = parseError({ tags });
    expect(error.input).toBe('tags');
    expect(error.message).toMatch(/holds no tags [\s\S]*leave it empty to keep the tags unchanged/);
  });

  it.each([
    ['[llm, production]', ['llm', 'production']],
    ['["llm", "prod-eu"]', ['llm', 'prod-eu']],
    ['- llm\n- production\n', ['llm', 'production']],
    ['llm, production', ['llm', 'production']],
    ['llm\nproduction', ['llm', 'production']],
  ])('accepts %j', (tags, expected) => {
    expect(parse({ tags }).update.tags).toEqual(expected);
  });

  it('quotes a bad tag in a list, with its position', () => {
    const error = parseError({ tags: '[llm, "bad tag!"]' });
    expect(error.message).toMatch(/at \[1\]: must be letters and digits .* \(got "bad tag!"\)/);
  });
});

describe('lengths are counted in UTF-16 units, as Northflank counts them', () => {
  it('refuses 1,000 emoji as a description (2,000 units)', () => {
    const error = parseError({ description: '😀'.repeat(1000) });
    expect(error.input).toBe('description');
    expect(error.message).toMatch(/must be at most 1024 characters \(counted in UTF-16 units/);
  });

  it('accepts 512 emoji (1,024 units)', () => {
    expect(parse({ description: '😀'.repeat(512) }).update.description).toHaveLength(1024);
  });

  it.each([
    ['name', `a${'😀'.repeat(50)}`],
    ['tags', `a${'😀'.repeat(50)}`],
  ])('counts %s in UTF-16 units', (name, value) => {
    expect(parseError({ [name]: value }).message).toMatch(/at most 100 characters/);
  });

  it('counts a port name in UTF-16 units', () => {
    const error = parseError({
      ports: JSON.stringify([{ name: 'h😀😀😀😀', internalPort: 80, protocol: 'HTTP' }]),
    });
    expect(error.message).toMatch(/\[0\]\.name: must be at most 8 characters/);
  });
});

describe('api-token', () => {
  it.each(['Bearer abc123', 'bearer abc123'])('refuses %j, saying to drop "Bearer "', (token) => {
    const error = parseError({ 'api-token': token });
    expect(error.message).toMatch(/starts with "Bearer "; pass the token alone/);
    expect(error.message).not.toContain('abc123');
  });

  it.each(['tökén-123', 'token\u200b123', 'token€'])(
    'refuses %j, which an HTTP header cannot carry',
    (token) => {
      const error = parseError({ 'api-token': token });
      expect(error.input).toBe('api-token');
      expect(error.message).toMatch(/characters an HTTP header cannot carry/);
      expect(error.message).not.toContain(token);
    },
  );
});

describe('api-url', () => {
  it.each(['https://api.example.com/v1', 'https://api.example.com/v1/', 'https://x.io/nf/v1'])(
    'drops a trailing /v1 from %s and says so',
    (url) => {
      const settings = parse({ 'api-url': url });
      expect(settings.apiUrl.pathname).not.toMatch(/v1/);
      expect(settings.warnings.join('\n')).toMatch(/"api-url" ends in \/v1; the action adds \/v1/);
    },
  );
});

describe('wait: false', () => {
  it('warns that environment and smoke-test are ignored', () => {
    const settings = parse({
      wait: 'false',
      environment: 'production',
      'github-token': 'ghs_x',
      'smoke-test': 'true',
    });
    expect(settings.warnings).toEqual([
      expect.stringMatching(/"environment" is ignored with "wait: false"/),
      expect.stringMatching(/"smoke-test" is ignored with "wait: false"/),
    ]);
  });

  it('warns that revert-on-failure and the deadlines per phase are ignored', () => {
    const settings = parse({
      wait: 'false',
      'revert-on-failure': 'true',
      'provisioning-timeout': '10m',
      'starting-timeout': '20m',
    });
    expect(settings.warnings).toEqual([
      expect.stringMatching(/"revert-on-failure" is ignored with "wait: false"/),
      expect.stringMatching(/"provisioning-timeout" is ignored with "wait: false"/),
      expect.stringMatching(/"starting-timeout" is ignored with "wait: false"/),
    ]);
  });
});

describe('every input error names the input, the field path, the rule and the value', () => {
  it.each([
    [
      {
        spec: 'configuration:\n  architecture:\n    workerConfig:\n      sequenceLengthConfig:\n        maxModelLength: 32k\n',
      },
      'spec',
      /at configuration\.architecture\.workerConfig\.sequenceLengthConfig\.maxModelLength: must be a whole number of tokens of at least 1, or "auto" \(got "32k"\)/,
    ],
    [
      { ports: '[{"name": "http", "internalPort": "80", "protocol": "HTTP"}]' },
      'ports',
      /at \[0\]\.internalPort: .*number.* \(got "80"\)/,
    ],
    [{ tags: 'llm, a' }, 'tags', /at \[1\]: must be at least 3 characters \(got "a"\)/],
    [{ name: `x${'y'.repeat(300)}!` }, 'name', /\(got "xy+… \(302 characters\)"\)/],
    [{ timeout: 'x'.repeat(500) }, 'timeout', /\(got "x{60}… \(500 characters\)"\)/],
  ])('%j', (inputs, input, message) => {
    const error = parseError(inputs);
    expect(error.input).toBe(input);
    expect(error.message).toMatch(message);
  });
});

describe('ids, URLs and durations quote the offending value', () => {
  it.each([
    [{ 'project-id': 'my project' }, 'project-id', /white space .* \(got "my project"\)/],
    [
      { 'team-id': 'x'.repeat(201) },
      'team-id',
      /at most 200 characters \(got "x{60}… \(201 characters\)"\)/,
    ],
    [{ timeout: '0s' }, 'timeout', /greater than zero \(got "0s"\)/],
    [
      { 'api-url': 'http://api.example.com/x?key=s3cret' },
      'api-url',
      /must use https:\/\/ .*\(got "http:\/\/api\.example\.com\/x"\)/,
    ],
    [{ 'api-url': 'ftp://api.example.com' }, 'api-url', /\(got "ftp:\/\/api\.example\.com\/?"\)/],
  ])('%j', (inputs, input, message) => {
    const error = parseError(inputs);
    expect(error.input).toBe(input);
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain('s3cret');
  });

  it('never quotes credentials in api-url', () => {
    const error = parseError({ 'api-url': 'http://user:pa55@api.example.com' });
    expect(error.message).toMatch(/must not contain credentials/);
    expect(error.message).not.toContain('pa55');
  });
});
