import {
  closeSync,
  constants,
  fstatSync,
  openSync,
  readdirSync,
  readSync,
  realpathSync,
} from 'node:fs';
import * as path from 'node:path';

/** The most an input file or inline structured input may hold: a spec is a few KB. */
export const MAX_INPUT_BYTES = 1024 * 1024;

/** A file the action refuses to read, with the reason a user can act on. */
export class FileRefusal extends Error {
  override readonly name = 'FileRefusal';
  constructor(
    readonly reason: string,
    /** Whether the file may simply not be checked out yet. */
    readonly missing = false,
    /** Files beside a missing one that it may have meant (paths as `file` gives them). */
    readonly nearby: readonly string[] = [],
  ) {
    super(reason);
  }
}

/** Whether `file` is `root` or lies under it (a name like `..spec.yaml` is inside). */
export function isInside(root: string, file: string): boolean {
  const relative = path.relative(root, file);
  return (
    relative === '' ||
    (!path.isAbsolute(relative) && relative !== '..' && !relative.startsWith(`..${path.sep}`))
  );
}

/**
 * Names in `names` that `missing` (a file name) may have meant: the same name in another case, or
 * with `.yml` for `.yaml` (and back) or `.json`. Pure.
 */
export function nearNames(missing: string, names: readonly string[]): string[] {
  const stem = (name: string): string => name.toLowerCase().replace(/\.(ya?ml|json)$/, '');
  const wanted = missing.toLowerCase();
  const spec = /\.(ya?ml|json)$/.test(wanted);
  return names.filter(
    (name) =>
      name !== missing &&
      (name.toLowerCase() === wanted ||
        (spec && /\.(ya?ml|json)$/i.test(name) && stem(name) === stem(missing))),
  );
}

/** Best effort: the files beside `file` that it may have meant, as full paths. */
function nearbyFiles(file: string): string[] {
  try {
    const dir = path.dirname(file);
    return nearNames(path.basename(file), readdirSync(dir)).map((name) => path.join(dir, name));
  } catch {
    return [];
  }
}

/**
 * Reads a regular file inside `workspace`, at most `maxBytes`: the real path (symlinks resolved)
 * must stay inside the workspace, and FIFOs, devices and directories are refused before any
 * read, because a pull request's author controls `spec-file`.
 */
export function readWorkspaceFile(workspace: string, file: string, maxBytes: number): string {
  let real: string;
  try {
    real = realpathSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new FileRefusal('does not exist', true, nearbyFiles(file));
    }
    throw new FileRefusal(`cannot be read (${code ?? 'unknown error'})`);
  }
  const root = realpathSync(workspace);
  if (!isInside(root, real)) {
    throw new FileRefusal(
      `is a link to ${real}, outside the workspace (${root}); spec-file must be a file in the repository`,
    );
  }
  // O_NONBLOCK: opening a FIFO for reading must not wait for a writer.
  let fd: number;
  try {
    fd = openSync(real, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  } catch (error) {
    throw new FileRefusal(
      `cannot be opened (${(error as NodeJS.ErrnoException).code ?? 'unknown error'})`,
    );
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw new FileRefusal('is a directory, not a file');
    if (!stat.isFile()) {
      throw new FileRefusal(
        `is not a regular file (a ${stat.isFIFO() ? 'FIFO' : stat.isSocket() ? 'socket' : 'device or other special file'})`,
      );
    }
    if (stat.size > maxBytes) {
      throw new FileRefusal(`is ${stat.size} bytes; the limit is ${maxBytes} bytes (1 MiB)`);
    }
    // Bounded even if the file grows after fstat.
    const buffer = Buffer.alloc(maxBytes + 1);
    let size = 0;
    for (;;) {
      const n = readSync(fd, buffer, size, buffer.length - size, null);
      if (n === 0) break;
      size += n;
      if (size > maxBytes) {
        throw new FileRefusal(`is larger than the limit of ${maxBytes} bytes (1 MiB)`);
      }
    }
    return buffer.subarray(0, size).toString('utf8');
  } finally {
    closeSync(fd);
  }
}
