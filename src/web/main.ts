import { Subject, type Subscription } from 'rxjs';
import { clientActor } from '../actors/clientActor.ts';
import type { ClientOutput } from '../actors/clientOutput.ts';
import { emptyPins } from '../actors/pinnedNames.ts';
import { quietWarnings } from '../actors/quietWarnings.ts';
import { CLIENT_DEFAULTS } from '../config/clientConfig.ts';
import { HUB_DEFAULTS } from '../config/hubConfig.ts';
import { FernetError } from '../crypto/fernetError.ts';
import { identityFingerprint } from '../crypto/identity.ts';
import { parseKeyText } from '../crypto/keyText.ts';
import { WebKeyRing } from '../crypto/webFernet.ts';
import { WebSignatures } from '../crypto/webSignatures.ts';
import { keyOfFragment } from '../protocol/keyLink.ts';
import { nameSchema } from '../protocol/envelope.ts';
import { localTime, nameColour } from '../text/lineStyle.ts';
import { forgetIdentity, identityForJoin, keptIdentity } from './identityStore.ts';
import { keepPin, keptPins } from './pinStore.ts';
import { pageAnswerer } from './pageAdmission.ts';
import { signedCodec } from './signedCodec.ts';
import { WebSocketLink } from './webSocketLink.ts';

/**
 * The page: the DOM edge of the same client actor the terminal runs. Typed lines go in, the
 * actor's outputs come out as list items, always as text (textContent), never as HTML. The key
 * is read from the paste box, a key file or the link's #fragment, turned into non-extractable
 * Web Crypto keys, and kept nowhere else unless the person asks for session storage.
 */
const STORED_KEY = 'fernet-chat-key';
const STORED_NAME = 'fernet-chat-name';

const element = <T extends HTMLElement>(id: string): T => {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`the page has no #${id}`);
  return found as T;
};

const joinSection = element<HTMLElement>('join');
const joinForm = element<HTMLFormElement>('join-form');
const nameInput = element<HTMLInputElement>('name');
const keyInput = element<HTMLTextAreaElement>('key');
const keyFile = element<HTMLInputElement>('key-file');
const remember = element<HTMLInputElement>('remember');
const joinError = element<HTMLElement>('join-error');
const chatSection = element<HTMLElement>('chat');
const statusLine = element<HTMLElement>('status');
const fingerprintLine = element<HTMLElement>('fingerprint');
const messages = element<HTMLOListElement>('messages');
const sayForm = element<HTMLFormElement>('say-form');
const sayInput = element<HTMLInputElement>('say');
const leaveButton = element<HTMLButtonElement>('leave');
const identityLine = element<HTMLElement>('identity-line');
const identityFingerprintText = element<HTMLElement>('identity-fingerprint');
const forgetButton = element<HTMLButtonElement>('forget-identity');

/** Kept lines at most: a long session must not grow the page without end. */
const MAX_SHOWN_LINES = 2_000;

let session: { typed: Subject<string>; subscription: Subscription; link: WebSocketLink } | undefined;

function start(): void {
  // Browsers give Web Crypto only to secure contexts: https, localhost and 127.0.0.1.
  if (globalThis.crypto?.subtle === undefined) {
    joinError.textContent =
      'this page cannot encrypt here: browsers allow Web Crypto only over https or on localhost';
    joinForm.querySelector('button')?.setAttribute('disabled', '');
    return;
  }
  // A key in the link: taken, then removed from the address bar (and so from its history).
  const fromLink = keyOfFragment(location.hash);
  if (fromLink !== undefined) {
    keyInput.value = fromLink;
    history.replaceState(null, '', location.pathname + location.search);
  } else {
    const stored = sessionStorage.getItem(STORED_KEY);
    if (stored !== null) {
      keyInput.value = stored;
      remember.checked = true;
    }
  }
  nameInput.value = sessionStorage.getItem(STORED_NAME) ?? '';
  keyFile.addEventListener('change', () => {
    const file = keyFile.files?.[0];
    if (file === undefined) return;
    // A key file is a few lines; anything large is not one.
    if (file.size > 64 * 1024)
      return void (joinError.textContent = 'that file is too large to be a key file');
    void file.text().then((text) => {
      keyInput.value = text.trim();
    });
  });
  // Enter joins from the key box too (Shift+Enter starts a new line, for a file of several keys).
  keyInput.addEventListener('keydown', (event) => {
    if (event.key !== 'Enter' || event.shiftKey) return;
    event.preventDefault();
    joinForm.requestSubmit();
  });
  joinForm.addEventListener('submit', (event) => {
    event.preventDefault();
    void join();
  });
  sayForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = sayInput.value;
    sayInput.value = '';
    session?.typed.next(text);
  });
  leaveButton.addEventListener('click', leave);
  forgetButton.addEventListener('click', () => void forget());
  void showIdentity();
  (nameInput.value === '' ? nameInput : keyInput.value === '' ? keyInput : nameInput).focus();
}

async function join(): Promise<void> {
  joinError.textContent = '';
  const name = nameSchema.safeParse(nameInput.value);
  if (!name.success) return void (joinError.textContent = name.error.issues[0]?.message ?? 'bad name');
  let ring: WebKeyRing;
  let keys: ReturnType<typeof parseKeyText>;
  try {
    keys = parseKeyText(keyInput.value);
    ring = await WebKeyRing.import(keys);
  } catch (error) {
    if (!(error instanceof FernetError)) throw error;
    joinError.textContent = `that is not a key: ${error.message}`;
    return;
  }
  if (remember.checked) {
    sessionStorage.setItem(STORED_KEY, keyInput.value.trim());
    sessionStorage.setItem(STORED_NAME, name.data);
  } else {
    sessionStorage.removeItem(STORED_KEY);
    sessionStorage.removeItem(STORED_NAME);
  }
  const identity = await identityForJoin();
  const room = ring.fingerprint;
  const pinned = await keptPins(room);
  // The key now lives in the CryptoKeys only: the text goes from the page.
  keyInput.value = '';
  joinSection.hidden = true;
  chatSection.hidden = false;
  fingerprintLine.textContent = `key ${ring.fingerprint}`;
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const link = new WebSocketLink(
    `${scheme}//${location.host}/ws`,
    (line) => say(line, 'status'),
    // A hub with --admit: answer its challenge with each key, bound to the name we loaded it by.
    pageAnswerer(keys, location.hostname),
  );
  const typed = new Subject<string>();
  const signatures = new WebSignatures();
  const actor = clientActor({
    codec: signedCodec(ring, signatures),
    verify: signatures.verify,
    ...(identity.signer === undefined ? {} : { identity: identity.signer }),
    // The names pinned in this browser for this key, and from now on the others' on first sight,
    // so that a second key for a name is warned about here as in the terminal.
    pins: emptyPins(pinned),
    name: name.data,
    maxFrameBytes: HUB_DEFAULTS.maxFrameBytes,
    ttlSeconds: CLIENT_DEFAULTS.ttlSeconds,
    history: CLIENT_DEFAULTS.history,
    echo: true,
  });
  say(`* key fingerprint ${ring.fingerprint}`, 'status');
  if (identity.notice !== undefined) say(identity.notice, 'warn');
  if (identity.signer !== undefined)
    say(
      `* you sign as ${name.data} with identity ${identityFingerprint(identity.signer.publicKey)} (/whois ${name.data})`,
      'status',
    );
  const subscription = actor({ typed, link: link.events })
    .pipe(quietWarnings())
    .subscribe((output) => onOutput(output, link, room));
  session = { typed, subscription, link };
  sayInput.focus();
}

function onOutput(output: ClientOutput, link: WebSocketLink, room: string): void {
  switch (output.type) {
    case 'send':
      link.send(output.frame);
      return;
    case 'show':
      show(output);
      return;
    case 'restore':
      sayInput.value = output.text;
      return;
    case 'renamed':
      return;
    case 'pin':
      void keepPin(room, output.pin);
      return;
    case 'warn':
      say(output.line, 'warn');
      return;
    case 'status':
      say(output.line, 'status');
      return;
    case 'drop':
      say(`* ${output.reason}; dropping the connection`, 'status');
      link.drop();
      return;
    case 'done':
      link.end();
      return;
  }
}

function leave(): void {
  // The actor says goodbye to the others, then ends the link.
  session?.typed.complete();
  const ending = session;
  session = undefined;
  setTimeout(() => ending?.subscription.unsubscribe(), 2_000);
  chatSection.hidden = true;
  joinSection.hidden = false;
  messages.replaceChildren();
  nameInput.focus();
  void showIdentity();
}

/** The identity this browser keeps, shown on the join form with a way to forget it. */
async function showIdentity(): Promise<void> {
  const kept = await keptIdentity();
  identityLine.hidden = kept === undefined;
  identityFingerprintText.textContent = kept === undefined ? '' : identityFingerprint(kept.publicKey);
}

async function forget(): Promise<void> {
  await forgetIdentity();
  await showIdentity();
  joinError.textContent =
    'this browser forgot its identity: the next join makes a new one, and the others are told your name signs with a new key';
}

/** A chat line: time, the sender's name in its colour, the rest; every part as text. */
function show(output: Extract<ClientOutput, { type: 'show' }>): void {
  const item = document.createElement('li');
  const at = output.earlier ?? output.sender?.at ?? new Date().toISOString();
  const time = document.createElement('time');
  time.dateTime = at;
  time.textContent = localTime(at) ?? '--:--';
  item.append(time);
  if (output.earlier !== undefined) item.className = 'earlier';
  const { line, sender } = output;
  if (sender === undefined) item.append(line);
  else {
    const name = document.createElement('span');
    name.className = `name c${nameColour(sender.name)}`;
    name.textContent = line.slice(sender.start, sender.start + sender.name.length);
    item.append(line.slice(0, sender.start), name, line.slice(sender.start + sender.name.length));
  }
  append(item);
}

function say(line: string, kind: 'status' | 'warn'): void {
  if (kind === 'status' && line.startsWith('* ')) statusLine.textContent = line.slice(2);
  const item = document.createElement('li');
  item.className = kind;
  item.textContent = line;
  append(item);
}

function append(item: HTMLLIElement): void {
  const atBottom = messages.scrollHeight - messages.scrollTop - messages.clientHeight < 40;
  messages.append(item);
  while (messages.childElementCount > MAX_SHOWN_LINES) messages.firstElementChild?.remove();
  if (atBottom) item.scrollIntoView({ block: 'end' });
}

start();
