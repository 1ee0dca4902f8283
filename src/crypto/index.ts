export type { EncryptOptions, OpenedToken, OpenOptions } from './fernet.ts';
export { decrypt, encrypt, open } from './fernet.ts';
export { FernetError, type FernetErrorCode } from './fernetError.ts';
export { FernetKey } from './fernetKey.ts';
export { KeyRing } from './keyRing.ts';
