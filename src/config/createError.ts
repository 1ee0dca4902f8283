/**
 * Why a new file could not be created, in a user's words rather than an errno: the key, identity
 * and recording writers each say "cannot create <path>: <this>". EEXIST is not here: each of them
 * refuses to replace a file in its own words.
 */
export function whyNotCreated(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'its folder does not exist (create it first)';
    case 'ENOTDIR':
      return 'a part of its path is a file, not a folder';
    case 'EACCES':
    case 'EPERM':
      return 'no permission to create a file in that folder';
    case 'EISDIR':
      return 'it names a folder';
    case 'EROFS':
      return 'that file system is read-only';
    case 'ENOSPC':
    case 'EDQUOT':
      return 'the disk is full';
    case 'ENAMETOOLONG':
      return 'the name is too long';
    default:
      return code ?? String(error);
  }
}
