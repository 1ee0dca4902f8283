import { describe, expect } from 'vitest';
import { admissionKeyOf } from '../../src/crypto/admissionKey.ts';
import { FernetKey } from '../../src/crypto/fernetKey.ts';
import { signedMessage } from '../../src/protocol/admission.ts';
import { itWithPython, runPythonScript } from './python.ts';

// The admission key derivation (docs/protocol.md) against Python's cryptography, following the
// description: the same public key from the same chat key, and each side's signature accepted
// by the other (Ed25519 is deterministic, so the signatures are the same too).

describe('admission keys, ours against Python cryptography', () => {
  itWithPython('derive the same public key and signatures for random chat keys', async () => {
    const cases = Array.from({ length: 20 }, (_, i) => {
      const key = FernetKey.generate();
      const message = signedMessage(
        `hub${i}.example.org`,
        Buffer.alloc(32, i).toString('base64url'),
      ).toString();
      const ours = admissionKeyOf(key);
      return {
        key: key.toString(),
        message,
        signature: ours.sign(Buffer.from(message)),
        publicKey: ours.publicKey,
      };
    });
    const output = await runPythonScript(
      'admission_oracle.py',
      JSON.stringify({ cases: cases.map(({ key, message, signature }) => ({ key, message, signature })) }),
    );
    const { results } = JSON.parse(output) as {
      results: { publicKey: string; signature: string; verified: boolean }[];
    };
    expect(results).toEqual(
      cases.map((c) => ({ publicKey: c.publicKey, signature: c.signature, verified: true })),
    );
  });
});
