// Bundled into the browser by the browser test: Web Crypto Fernet as the page has it.
import { FernetKey } from '../../../src/crypto/fernetKey.ts';
import { parseKeyText } from '../../../src/crypto/keyText.ts';
import { WebKeyRing } from '../../../src/crypto/webFernet.ts';

Object.assign(globalThis, { fernetInPage: { FernetKey, parseKeyText, WebKeyRing } });
