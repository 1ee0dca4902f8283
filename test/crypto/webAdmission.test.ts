import { describe, expect, it } from 'vitest';
import { admissionKeyOf, admissionSeed } from '../../src/crypto/admissionKey.ts';
import { AdmitList } from '../../src/crypto/admitList.ts';
import { answerChallenge } from '../../src/crypto/answerChallenge.ts';
import { FernetKey } from '../../src/crypto/fernetKey.ts';
import { KeyRing } from '../../src/crypto/keyRing.ts';
import { webAdmissionSeed, WebAdmission } from '../../src/crypto/webAdmission.ts';
import { challengeLine, parseAnswer, signedMessage } from '../../src/protocol/admission.ts';
import { OTHER_KEY, TEST_KEY } from '../support/testKey.ts';

// The page's answer (Web Crypto, here Node's globalThis.crypto.subtle) against the published
// vector of docs/protocol.md and against node:crypto's answer, checked by the hub's own verifier.
const VECTOR = {
  seed: 'b8571c381d5fa0e5a03735ac84b9b22e856c00d26c90ef92ee56eceadd057c0d',
  publicKey: 'UYiti6m0KX99lAhR3GdCkKioLb0iNnxFZimulf3RTJU',
  hubName: 'chat.example.org',
  nonce: 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8',
  answer:
    '#answer UYiti6m0KX99lAhR3GdCkKioLb0iNnxFZimulf3RTJU T_vTrCYavQ1vb_yawbwxHKGeEcw7fw81ayGhNTPz_OXA0EIrjqJqfAkSbi8G1Mtm5vJIuzvSRYQykxTOrwnPAA',
};

describe('WebAdmission (the page, on Web Crypto)', () => {
  const ours = FernetKey.parse(TEST_KEY);
  const theirs = FernetKey.parse(OTHER_KEY);

  it('derives the published seed and public key, and answers the vector challenge byte for byte', async () => {
    expect(Buffer.from(await webAdmissionSeed(ours)).toString('hex')).toBe(VECTOR.seed);
    const admission = await WebAdmission.import([ours]);
    expect(admission.publicKeys).toEqual([VECTOR.publicKey]);
    const reply = await admission.answer(challengeLine(VECTOR.nonce, VECTOR.hubName), VECTOR.hubName);
    expect(reply).toEqual({ ok: true, line: VECTOR.answer });
  });

  it("gives node:crypto's keys and answer for other keys too, and the hub's verifier admits them", async () => {
    const keys = [theirs, ours];
    const admission = await WebAdmission.import(keys);
    expect(admission.publicKeys).toEqual(keys.map((key) => admissionKeyOf(key).publicKey));
    for (const key of keys) expect(Buffer.from(await webAdmissionSeed(key))).toEqual(admissionSeed(key));
    const nonce = Buffer.alloc(32, 7).toString('base64url');
    const challenge = challengeLine(nonce, '127.0.0.1');
    const reply = await admission.answer(challenge, '127.0.0.1');
    // Ed25519 is deterministic: the same line as the terminal's.
    expect(reply).toEqual(answerChallenge(new KeyRing(keys), challenge, '127.0.0.1'));
    if (!reply.ok) throw new Error(reply.message);
    const answer = parseAnswer(reply.line);
    if (!answer.ok) throw new Error(answer.detail);
    const hub = AdmitList.parse(`${admissionKeyOf(ours).publicKey}\n`, 'admit.keys');
    expect(hub.check(answer.pairs, signedMessage('127.0.0.1', nonce))).toEqual({
      ok: true,
      publicKey: admissionKeyOf(ours).publicKey,
    });
    // Bound to its hub and nonce: the same answer to another challenge is refused.
    expect(hub.check(answer.pairs, signedMessage('127.0.0.1', VECTOR.nonce)).ok).toBe(false);
  });

  it('will not sign a challenge naming another hub, nor a malformed one', async () => {
    const admission = await WebAdmission.import([ours]);
    expect(await admission.answer(challengeLine(VECTOR.nonce, 'evil.example.org'), VECTOR.hubName)).toEqual({
      ok: false,
      message:
        'the hub calls itself evil.example.org, not chat.example.org: not answering its challenge (open the page at evil.example.org if that is its name)',
    });
    expect((await admission.answer(challengeLine(VECTOR.nonce, 'CHAT.example.org'), VECTOR.hubName)).ok).toBe(
      true,
    );
    expect(await admission.answer('#challenge fernet-chat/1 short chat.example.org', VECTOR.hubName)).toEqual(
      {
        ok: false,
        message: "the hub's #challenge is malformed (malformed nonce)",
      },
    );
  });
});
